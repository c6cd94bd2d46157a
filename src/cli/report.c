#include "report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/spawn.h"
#include "engine/converge.h"
#include "engine/graph.h"
#include "engine/res.h"

#define C_RESET	"\033[0m"
#define C_GREEN	"\033[32m"
#define C_YELL	"\033[33m"
#define C_RED	"\033[31m"
#define C_GREY	"\033[90m"

static void
report_clear_progress(const struct report_opts *o)
{
	if (o->progress)
		fputs("\r\033[K", stderr);
}

static void
report_progress(const struct report_opts *o, const struct res *r,
    size_t done, size_t total)
{
	static unsigned long long last;
	unsigned long long now = spawn_now_ms();

	/* Only on long runs, and at most ten times a second. */
	if (!o->progress || now - o->started_ms < 1000 || now - last < 100)
		return;
	last = now;
	fprintf(stderr, "\r\033[K[%zu/%zu] %.60s", done, total, r->ref);
}

#define WATCH_FIRST_S	1	/* the first "running" line */
#define WATCH_EVERY_S	10	/* then every this many seconds */

/* The watcher: wakes every 200 ms while a step runs. */
static void *
watch_main(void *arg)
{
	struct report_opts *o = arg;
	struct report_watch *w = &o->watch;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct timespec until;
		unsigned s;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
		if (w->stop || w->what[0] == '\0')
			continue;
		s = (unsigned)((spawn_now_ms() - w->since_ms) / 1000);
		if (s < WATCH_FIRST_S || (w->said_s != 0 &&
		    s < w->said_s + WATCH_EVERY_S))
			continue;
		w->said_s = s;
		report_clear_progress(o);
		fprintf(o->out, "%s%-9s%s %s: %u s so far\n", o->color ?
		    C_GREY : "", "running", o->color ? C_RESET : "", w->what,
		    s);
		fflush(o->out);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

void
report_watch_start(struct report_opts *o)
{
	struct report_watch *w = &o->watch;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (o->quiet)
		return;
	w->running = pthread_create(&w->thread, NULL, watch_main, o) == 0;
}

void
report_started(void *arg, const char *what)
{
	struct report_opts *o = arg;
	struct report_watch *w = &o->watch;

	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	snprintf(w->what, sizeof(w->what), "%s", what != NULL ? what : "");
	w->since_ms = spawn_now_ms();
	w->said_s = 0;
	pthread_mutex_unlock(&w->lock);
}

void
report_watch_stop(struct report_opts *o)
{
	struct report_watch *w = &o->watch;

	if (w->running) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		w->running = 0;
	}
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
}

static void
report_indented(FILE *out, const char *label, const char *color,
    const char *reset, const struct res *r, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		fprintf(out, "%s%-9s%s %s: %.*s\n", color, label, reset, r->ref,
		    (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void report_line_locked(const struct report_opts *o,
    const struct res *r, size_t done, size_t total);

void
report_line(void *arg, const struct res *r, size_t done, size_t total)
{
	struct report_opts *o = arg;

	if (o->watch.running)
		pthread_mutex_lock(&o->watch.lock);
	report_line_locked(o, r, done, total);
	if (o->watch.running)
		pthread_mutex_unlock(&o->watch.lock);
}

static void
report_line_locked(const struct report_opts *o, const struct res *r,
    size_t done, size_t total)
{
	int c = o->color;
	const char *reset = c ? C_RESET : "";

	if (o->quiet || r->is_excluded) {
		report_progress(o, r, done, total);
		return;
	}
	switch (r->result) {
	case RES_UNCHANGED:
		report_progress(o, r, done, total);
		return;
	case RES_CHANGED:
		report_clear_progress(o);
		report_indented(o->out, o->noop ? "would" : "changed",
		    c ? (o->noop ? C_YELL : C_GREEN) : "", reset, r,
		    r->changes.data);
		report_indented(o->out, "assumed", c ? C_GREY : "", reset, r,
		    r->assumed.data);
		if (o->diff && r->diff.len > 0)
			fputs(r->diff.data, o->out);
		break;
	case RES_FAILED:
		report_clear_progress(o);
		report_indented(o->out, "failed", c ? C_RED : "", reset, r,
		    r->error ? r->error : "failed");
		fprintf(o->out, "          (declared at %s)\n", r->where);
		break;
	case RES_SKIPPED:
		report_clear_progress(o);
		fprintf(o->out, "%s%-9s%s %s: %s\n", c ? C_GREY : "",
		    "skipped", reset, r->ref, r->error ? r->error : "");
		break;
	}
	fflush(o->out);
}

void
report_summary(const struct report_opts *o, const struct converge_stats *st)
{
	report_clear_progress(o);
	fprintf(o->out, "%s%zu resources in %u ms: %zu %s, %zu failed, "
	    "%zu skipped%s", o->noop ? "noop: " : "", st->total,
	    st->duration_ms, st->changed, o->noop ? "would change" : "changed",
	    st->failed, st->skipped, st->changed || st->failed ? "" :
	    " (nothing to do)");
	/* On a long run, what took the time. */
	if (st->slowest != NULL && st->slowest_ms >= 1000)
		fprintf(o->out, "; slowest %s, %u.%u s", st->slowest,
		    st->slowest_ms / 1000, st->slowest_ms % 1000 / 100);
	fputc('\n', o->out);
}

static void
json_str(struct buf *out, const char *s)
{
	buf_add_json_str(out, s ? s : "", s ? strlen(s) : 0);
}

/* ["line",...] for the lines of text. */
static void
report_json_lines(struct buf *out, const char *text)
{
	const char *p = text;

	buf_addch(out, '[');
	for (int first = 1; *p != '\0'; first = 0) {
		size_t n = strcspn(p, "\n");
		if (!first)
			buf_addch(out, ',');
		buf_add_json_str(out, p, n);
		p += n + (p[n] == '\n');
	}
	buf_addch(out, ']');
}

static void
report_json_res(const struct res *r, struct buf *out)
{
	buf_addstr(out, "{\"ref\":");
	json_str(out, r->ref);
	buf_addstr(out, ",\"type\":");
	json_str(out, r->type->name);
	buf_addstr(out, ",\"title\":");
	json_str(out, r->title);
	buf_addstr(out, ",\"where\":");
	json_str(out, r->where);
	buf_addstr(out, ",\"result\":");
	json_str(out, res_result_name(r->result));
	buf_addstr(out, ",\"duration_ms\":");
	buf_add_u64(out, r->duration_ms);
	buf_addstr(out, ",\"changes\":");
	report_json_lines(out, r->changes.data);
	if (r->assumed.len > 0) {
		buf_addstr(out, ",\"assumed\":");
		report_json_lines(out, r->assumed.data);
	}
	if (r->error != NULL) {
		buf_addstr(out, ",\"error\":");
		json_str(out, r->error);
	}
	if (r->diff.len > 0) {
		buf_addstr(out, ",\"diff\":");
		buf_add_json_str(out, r->diff.data, r->diff.len);
	}
	buf_addch(out, '}');
}

void
report_json_error(const struct tl_err *err, int noop, struct buf *out)
{
	buf_addf(out, "{\"version\":1,\"noop\":%s,\"error\":{\"where\":",
	    noop ? "true" : "false");
	json_str(out, err->where);
	buf_addstr(out, ",\"message\":");
	json_str(out, err->msg[0] ? err->msg : tl_strerror(err->code));
	buf_addstr(out, "},\"summary\":{\"exit_code\":1},\"resources\":[]}\n");
}

void
report_json(const struct graph *g, const struct converge_stats *st,
    const char *run_id, int noop, long long started, struct buf *out)
{
	int first = 1;

	buf_addstr(out, "{\"version\":1,\"run_id\":");
	json_str(out, run_id);
	buf_addf(out, ",\"noop\":%s,\"started\":%lld,\"duration_ms\":%u,",
	    noop ? "true" : "false", started, st->duration_ms);
	buf_addf(out, "\"summary\":{\"total\":%zu,\"changed\":%zu,"
	    "\"unchanged\":%zu,\"failed\":%zu,\"skipped\":%zu,"
	    "\"refreshed\":%zu,\"exit_code\":%d},\"resources\":[", st->total,
	    st->changed, st->unchanged, st->failed, st->skipped,
	    st->refreshed, converge_exit_code(st));
	for (size_t k = 0; k < g->n; k++) {
		const struct res *r = g->res[g->order[k]];

		if (r->is_excluded)
			continue;
		if (!first)
			buf_addch(out, ',');
		first = 0;
		report_json_res(r, out);
	}
	buf_addstr(out, "]}\n");
}
