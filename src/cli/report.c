#include "report.h"

#include <stdio.h>
#include <string.h>

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

void
report_line(void *arg, const struct res *r, size_t done, size_t total)
{
	const struct report_opts *o = arg;
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
	    "%zu skipped%s\n", o->noop ? "noop: " : "", st->total,
	    st->duration_ms, st->changed, o->noop ? "would change" : "changed",
	    st->failed, st->skipped, st->changed || st->failed ? "" :
	    " (nothing to do)");
}

static void
json_str(struct buf *out, const char *s)
{
	buf_add_json_str(out, s ? s : "", s ? strlen(s) : 0);
}

static void
report_json_res(const struct res *r, struct buf *out)
{
	const char *p = r->changes.data;

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
	buf_addf(out, ",\"duration_ms\":%u,\"changes\":[", r->duration_ms);
	for (int first = 1; *p != '\0'; first = 0) {
		size_t n = strcspn(p, "\n");
		if (!first)
			buf_addch(out, ',');
		buf_add_json_str(out, p, n);
		p += n + (p[n] == '\n');
	}
	buf_addch(out, ']');
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
