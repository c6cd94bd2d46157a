/*
 * The converge loop: when to converge and how.
 *
 * How: a child `tlaloc apply TREE --json` (the same code path as a manual
 * apply, src/cli/apply.c), so a crash or a slow package manager never
 * stalls the gossip, and a recipe cannot touch the agent's memory. Its
 * stdout and stderr go to files in the state dir, read when it exits.
 *
 * When: on a new policy, on a schedule (interval plus a per-node offset
 * derived from the node name, so a cluster does not converge all at
 * once), on request (`tlaloc converge`, channel handlers through
 * agent_converge_request()), and on drift: the directories holding files
 * the recipe manages are watched (libuv fs events: inotify on Linux,
 * kqueue on the BSDs) and a change by hand starts a run within a second.
 * Never two at once: a request during a run makes exactly one run after
 * it. A run with failures is retried with backoff (2 s doubling to 5 min).
 *
 * A policy that does not compile here is remembered as failed: the loop
 * keeps converging the last good serial, and the run tag carries the
 * compile error (file:line) for `tlaloc status` on every node.
 */
#include "agent/agent_int.h"
#include "agent/rollout.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/history.h"
#include "program/convrep.h"

#define CONV_BACKOFF_MIN_MS	2000
#define CONV_BACKOFF_MAX_MS	300000
#define CONV_DEBOUNCE_MS	20	/* editors write in bursts */
#define CONV_ERR_MAX		120	/* bytes of error in the tag */
#define CONV_WATCH_MAX		256	/* directories watched */

struct conv_watch {
	uv_fs_event_t	 ev;
	char		*dir;
	struct agent	*a;
};

/* What a managed file looked like after our last run. */
struct path_state {
	int		 exists;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	mode_t		 mode;
};

struct agent_conv {
	int		 is_running;
	int		 is_pending;
	char		 why[160];	/* of the run in progress */
	char		 pending_why[160];
	uint64_t	 started_ms;
	uint64_t	 run_serial;
	char		*out_path, *err_path;

	uv_timer_t	 sched, retry, debounce;
	uint32_t	 backoff_ms;

	int		 has_report;	/* the fields below are set */
	uint64_t	 runs;		/* finished runs: programs wait on it */
	uint64_t	 starts;	/* runs started (converge reports) */
	int		 status;	/* exit status of the last run */
	uint64_t	 serial;
	unsigned	 changed, failed, drift, dur_ms;
	uint64_t	 when_s;	/* unix seconds */
	char		 error[CONV_ERR_MAX + 1];
	uint64_t	 failed_serial;	/* did not compile here */
	char		 compile_err[CONV_ERR_MAX + 1]; /* of failed_serial */

	struct conv_watch *watches[CONV_WATCH_MAX];
	size_t		 nwatches;
	char		**paths;	/* managed, root included */
	struct path_state *states;	/* one per path */
	size_t		 npaths, cap_paths, cap_states;
	char		 changes[256];	/* refs the last run changed */
	char		 failures[256];	/* refs that failed in it */
};

static void conv_start(struct agent *a, const char *why);

/* ---- Report tag ----------------------------------------------------- */

void
agent_conv_tag(const struct agent *a, struct buf *tags)
{
	const struct agent_conv *cv = a->conv;

	if (cv == NULL || !cv->has_report)
		return;
	buf_addf(tags, "run=%" PRIu64 ",%u,%u,%u,%" PRIu64 ",%u%s%s",
	    cv->serial, cv->changed, cv->failed, cv->drift, cv->when_s,
	    cv->dur_ms, cv->error[0] ? "," : "", cv->error);
	buf_addch(tags, '\0');
	buf_addf(tags, "runs=%" PRIu64, cv->runs);
	buf_addch(tags, '\0');
}

void
agent_conv_report_json(const struct agent *a, struct buf *out)
{
	const struct agent_conv *cv = a->conv;

	if (cv == NULL || !cv->has_report) {
		buf_addf(out, "null");
		return;
	}
	buf_addf(out, "{\"serial\":%" PRIu64 ",\"changed\":%u,\"failed\":%u,"
	    "\"drift\":%u,\"when\":%" PRIu64 ",\"duration_ms\":%u,"
	    "\"runs\":%" PRIu64 ",\"error\":", cv->serial, cv->changed,
	    cv->failed, cv->drift, cv->when_s, cv->dur_ms, cv->runs);
	if (cv->error[0])
		buf_add_json_str(out, cv->error, strlen(cv->error));
	else
		buf_addf(out, "null");
	buf_addch(out, '}');
}

uint64_t
agent_conv_starts(const struct agent *a)
{
	return a->conv != NULL ? a->conv->starts : 0;
}

int
agent_conv_is_running(const struct agent *a)
{
	return a->conv != NULL && a->conv->is_running;
}

void
agent_conv_summary(const struct agent *a, struct convrep *r)
{
	const struct agent_conv *cv = a->conv;

	r->runs = cv->runs;
	r->serial = cv->serial;
	r->status = (uint16_t)cv->status;
	r->changed = cv->changed;
	r->failed = cv->failed;
	r->duration_ms = cv->dur_ms;
	snprintf(r->error, sizeof(r->error), "%s", cv->error);
}

int
agent_conv_failed_serial(const struct agent *a, uint64_t serial)
{
	return a->conv != NULL && a->conv->failed_serial == serial;
}

/* ---- Parsing the child's report ------------------------------------- */

static unsigned
json_uint_after(const char *s, const char *key)
{
	const char *p = s != NULL ? strstr(s, key) : NULL;

	return p != NULL ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

static void
paths_clear(struct agent_conv *cv)
{
	for (size_t i = 0; i < cv->npaths; i++)
		free(cv->paths[i]);
	cv->npaths = 0;
}

/* Collects the titles of path-like resources (file, line, link). */
static void
paths_collect(struct agent *a, const char *json)
{
	static const char *const types[] = { "file", "line", "link" };
	struct agent_conv *cv = a->conv;

	paths_clear(cv);
	for (size_t t = 0; t < 3; t++) {
		char key[64];
		const char *p = json;

		snprintf(key, sizeof(key), "\"type\":\"%s\",\"title\":\"/",
		    types[t]);
		while ((p = strstr(p, key)) != NULL) {
			const char *start = p + strlen(key) - 1;
			size_t n = strcspn(start, "\"\\");

			p = start + n;
			if (*p != '"' || n == 0)
				continue;	/* escaped: not watched */
			cv->paths = xgrow(cv->paths, &cv->cap_paths,
			    cv->npaths + 1, sizeof(*cv->paths));
			cv->paths[cv->npaths++] = xasprintf("%s%.*s",
			    a->cfg.root ? a->cfg.root : "", (int)n, start);
		}
	}
}

/* Lists the refs of resources with this result, for the log. */
static void
refs_collect(const char *json, const char *result, char *out, size_t size)
{
	const char *p = json, *end, *res;
	size_t used = 0, rl = strlen(result);

	out[0] = '\0';
	while ((p = strstr(p, "{\"ref\":\"")) != NULL) {
		p += 8;
		end = strchr(p, '"');
		res = strstr(p, "\"result\":\"");
		if (end == NULL || res == NULL)
			break;
		if (strncmp(res + 10, result, rl) != 0 || res[10 + rl] != '"')
			continue;
		if (used + (size_t)(end - p) + 8 >= size) {
			snprintf(out + used, size - used, ", ...");
			break;
		}
		used += (size_t)snprintf(out + used, size - used, "%s%.*s",
		    used ? ", " : "", (int)(end - p), p);
	}
}

/* "tlaloc: recipes/x.lua:3: msg" -> "recipes/x.lua:3: msg", one line. */
static void
first_error(const char *text, char *out, size_t size)
{
	const char *p = text;
	size_t n;

	if (strncmp(p, "tlaloc: ", 8) == 0)
		p += 8;
	n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\0' || (unsigned char)out[i] < ' ')
			out[i] = ' ';
}

/* ---- Drift watch ---------------------------------------------------- */

static void
watch_close_cb(uv_handle_t *h)
{
	struct conv_watch *w = h->data;

	free(w->dir);
	free(w);
}

static void
watches_clear(struct agent_conv *cv)
{
	for (size_t i = 0; i < cv->nwatches; i++)
		uv_close((uv_handle_t *)&cv->watches[i]->ev, watch_close_cb);
	cv->nwatches = 0;
}

static void
state_of(const char *path, struct path_state *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (lstat(path, &st) < 0)
		return;
	s->exists = 1;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->mode = st.st_mode;
}

static int
state_same(const struct path_state *x, const struct path_state *y)
{
	return x->exists == y->exists && x->ino == y->ino &&
	    x->size == y->size && x->mode == y->mode &&
	    x->mtime.tv_sec == y->mtime.tv_sec &&
	    x->mtime.tv_nsec == y->mtime.tv_nsec;
}

/* Remembers how our own run left every managed file. */
static void
states_record(struct agent_conv *cv)
{
	cv->states = xgrow(cv->states, &cv->cap_states, cv->npaths + 1,
	    sizeof(*cv->states));
	for (size_t i = 0; i < cv->npaths; i++)
		state_of(cv->paths[i], &cv->states[i]);
}

/*
 * Events settle here. A file that still looks as our last run left it was
 * changed by that run (its events arrive after the child exits), not by
 * hand; during a run we look again once it is over.
 */
static void
debounce_cb(uv_timer_t *t)
{
	struct agent *a = t->data;
	struct agent_conv *cv = a->conv;
	struct path_state now;
	char why[300];
	const char *rel;
	size_t rl = a->cfg.root ? strlen(a->cfg.root) : 0;

	if (cv->is_running) {
		uv_timer_start(&cv->debounce, debounce_cb, 50, 0);
		return;
	}
	for (size_t i = 0; i < cv->npaths; i++) {
		state_of(cv->paths[i], &now);
		if (state_same(&now, &cv->states[i]))
			continue;
		rel = cv->paths[i] + rl;
		snprintf(why, sizeof(why), "drift: '%s' %s", rel,
		    !now.exists ? "removed" : now.ino != cv->states[i].ino ?
		    "replaced" : now.mode != cv->states[i].mode ?
		    "mode changed" : "content changed");
		log_warn("%s by hand%s", why, a->cfg.is_no_enforce ?
		    " (not enforcing)" : "");
		cv->states[i] = now;	/* one report per change */
		agent_converge_request(a, why);
		return;
	}
}

static void
watch_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct conv_watch *w = h->data;
	struct agent_conv *cv = w->a->conv;
	size_t dl = strlen(w->dir);

	(void)events;
	if (status < 0 || name == NULL)
		return;
	for (size_t i = 0; i < cv->npaths; i++) {
		const char *p = cv->paths[i];

		if (strncmp(p, w->dir, dl) == 0 && p[dl] == '/' &&
		    strcmp(p + dl + 1, name) == 0) {
			uv_timer_start(&cv->debounce, debounce_cb,
			    CONV_DEBOUNCE_MS, 0);
			return;
		}
	}
}

static int
watch_has(const struct agent_conv *cv, const char *dir)
{
	for (size_t i = 0; i < cv->nwatches; i++)
		if (strcmp(cv->watches[i]->dir, dir) == 0)
			return 1;
	return 0;
}

/* Watches the parent directories: editors replace files by rename. */
static void
watches_set(struct agent *a)
{
	struct agent_conv *cv = a->conv;

	watches_clear(cv);
	for (size_t i = 0; i < cv->npaths && cv->nwatches < CONV_WATCH_MAX;
	    i++) {
		char *dir = path_dirname(cv->paths[i]);
		struct conv_watch *w;

		if (watch_has(cv, dir)) {
			free(dir);
			continue;
		}
		w = xcalloc(1, sizeof(*w));
		w->dir = dir;
		w->a = a;
		uv_fs_event_init(a->loop, &w->ev);
		w->ev.data = w;
		if (uv_fs_event_start(&w->ev, watch_cb, dir, 0) < 0) {
			log_info("cannot watch '%s' for drift", dir);
			uv_close((uv_handle_t *)&w->ev, watch_close_cb);
			continue;
		}
		cv->watches[cv->nwatches++] = w;
	}
}

/* ---- Running -------------------------------------------------------- */

static void
read_text(const char *path, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;

	if (fileio_read(path, 16u << 20, out, &err) < 0)
		buf_reset(out);
}

/* Books a finished run: report fields, good/failed serials, backoff. */
static void
conv_record(struct agent *a, int status, const char *json,
    const char *errtext)
{
	struct agent_conv *cv = a->conv;

	cv->has_report = 1;
	cv->runs++;
	cv->status = status;
	cv->serial = cv->run_serial;
	cv->dur_ms = (unsigned)(agent_now(a) - cv->started_ms);
	cv->when_s = agent_wall_ms() / 1000;
	cv->error[0] = '\0';
	cv->changed = cv->failed = 0;
	if (status == 1 || status > 6) {
		first_error(errtext, cv->error, sizeof(cv->error));
		if (cv->error[0] == '\0')
			snprintf(cv->error, sizeof(cv->error), "apply exited "
			    "with status %d", status);
		return;
	}
	if (cv->run_serial == agent_policy_current(a))
		cv->failed_serial = 0;
	/* Converging the last good serial is no success to report while
	 * the current one does not compile. */
	if (cv->failed_serial != 0 &&
	    cv->failed_serial == agent_policy_current(a))
		snprintf(cv->error, sizeof(cv->error), "%s", cv->compile_err);
	agent_policy_mark_good(a, cv->run_serial);
	json = strstr(json, "\"summary\":");
	if (a->cfg.is_no_enforce)
		cv->drift = json_uint_after(json, "\"changed\":");
	else
		cv->changed = json_uint_after(json, "\"changed\":");
	cv->failed = json_uint_after(json, "\"failed\":");
}

static void
retry_cb(uv_timer_t *t)
{
	agent_converge_request(t->data, "retry after failure");
}

static void
conv_after(struct agent *a, int status)
{
	struct agent_conv *cv = a->conv;
	uint64_t cur = agent_policy_current(a);

	if (status == 1 && cv->run_serial == cur && cur != 0 &&
	    cv->failed_serial != cur) {
		cv->failed_serial = cur;
		snprintf(cv->compile_err, sizeof(cv->compile_err), "%s",
		    cv->error);
		log_err("policy serial %" PRIu64 " does not compile here: %s; "
		    "keeping the last good policy", cur, cv->error);
		if (!cv->is_pending) {
			cv->is_pending = 1;
			snprintf(cv->pending_why, sizeof(cv->pending_why),
			    "last good policy");
		}
	}
	if (status == 1 || (status & 4)) {
		cv->backoff_ms = cv->backoff_ms == 0 ? CONV_BACKOFF_MIN_MS :
		    cv->backoff_ms * 2;
		if (cv->backoff_ms > CONV_BACKOFF_MAX_MS)
			cv->backoff_ms = CONV_BACKOFF_MAX_MS;
		uv_timer_start(&cv->retry, retry_cb, cv->backoff_ms, 0);
	} else
		cv->backoff_ms = 0;
}

/* Keeps the bucket within the retention settings after a run. */
static void
backups_prune(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_prune_stats st;
	char *dir;

	if (a->cfg.backups.max_age_s == 0 && a->cfg.backups.max_bytes == 0)
		return;
	dir = xasprintf("%s/bucket", a->cfg.state_dir);
	if (bucket_prune_dir(dir, &a->cfg.backups, (long long)(agent_wall_ms() /
	    1000), &st, &err) < 0)
		log_warn("cannot prune backups: %s", err.msg);
	else if (st.entries_dropped > 0)
		log_info("pruned %zu backups (%zu contents, %llu bytes)",
		    st.entries_dropped, st.objects_removed, st.bytes_freed);
	free(dir);
}

static void
log_result(struct agent *a, int status)
{
	struct agent_conv *cv = a->conv;

	if (cv->error[0] != '\0')
		log_err("converge of policy serial %" PRIu64 " failed (%s): %s",
		    cv->serial, cv->why, cv->error);
	else if (a->cfg.is_no_enforce && cv->drift > 0)
		log_warn("drift: %u resources differ from policy serial %"
		    PRIu64 " (%s; not enforcing)", cv->drift, cv->serial,
		    cv->why);
	else if (cv->failed > 0)
		log_err("converge of policy serial %" PRIu64 " (%s): %u "
		    "failed (%s), %u changed (%s) in %u ms; retrying in %u s",
		    cv->serial, cv->why, cv->failed, cv->failures, cv->changed,
		    cv->changes, cv->dur_ms, cv->backoff_ms / 1000);
	else if (cv->changed > 0)
		log_notice("converged policy serial %" PRIu64 " (%s): %u "
		    "changed, %u failed in %u ms: %s", cv->serial, cv->why,
		    cv->changed, cv->failed, cv->dur_ms, cv->changes);
	else
		log_info("converged policy serial %" PRIu64 " (%s): nothing "
		    "changed in %u ms (status %d)", cv->serial, cv->why,
		    cv->dur_ms, status);
}

/* Hands the finished run to the history (history_glue.c). */
static void
hist_record(struct agent *a, int status, const struct buf *out)
{
	struct agent_conv *cv = a->conv;
	struct history_run run;

	memset(&run, 0, sizeof(run));
	run.run = cv->runs;
	run.when_s = cv->when_s;
	run.serial = cv->serial;
	run.status = status;
	run.duration_ms = cv->dur_ms;
	run.why = cv->why;
	run.error = cv->error;
	agent_hist_on_run(a, &run, out->data, out->len,
	    a->cfg.is_no_enforce ? 0 : cv->changed, cv->failed);
}

static void
proc_close_cb(uv_handle_t *h)
{
	free(h);
}

static void
exit_cb(uv_process_t *proc, int64_t exit_status, int term_signal)
{
	struct agent *a = proc->data;
	struct agent_conv *cv = a->conv;
	struct buf out = BUF_INIT, errtext = BUF_INIT;
	int status = term_signal ? 128 + term_signal : (int)exit_status;

	/* A handle per run: the next run may start before this closes. */
	uv_close((uv_handle_t *)proc, proc_close_cb);
	cv->is_running = 0;
	read_text(cv->out_path, &out);
	read_text(cv->err_path, &errtext);
	conv_record(a, status, out.data, errtext.data);
	if (status != 1 && status <= 6) {
		paths_collect(a, out.data);
		states_record(cv);
		watches_set(a);
		refs_collect(out.data, "changed", cv->changes,
		    sizeof(cv->changes));
		refs_collect(out.data, "failed", cv->failures,
		    sizeof(cv->failures));
	}
	conv_after(a, status);
	log_result(a, status);
	agent_rollout_run_done(a, cv->run_serial, status);
	hist_record(a, status, &out);
	agent_convreq_run_done(a, cv->starts);
	if (!a->cfg.is_no_enforce) {
		backups_prune(a);
		agent_repl_kick(a);
	}
	agent_tags_push(a, &a->cfg.tags);
	buf_release(&out);
	buf_release(&errtext);
	if (!cv->is_pending && agent_handlers_waiting(a)) {
		cv->is_pending = 1;
		snprintf(cv->pending_why, sizeof(cv->pending_why),
		    "queued channel message");
	}
	if (cv->is_pending && !a->is_leaving) {
		cv->is_pending = 0;
		conv_start(a, cv->pending_why);
	}
}

static int
open_out(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

static int
conv_spawn(struct agent *a, const char *tree)
{
	struct agent_conv *cv = a->conv;
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	uv_process_t *proc;
	char exe[4096];
	size_t exelen = sizeof(exe);
	const char *argv[18], *msg, *from;
	char name_fact[sizeof("agent.name=") + 256];
	int n = 0, fo, fe, r;

	if (uv_exepath(exe, &exelen) < 0)
		return TL_EIO;
	argv[n++] = exe;
	argv[n++] = "apply";
	argv[n++] = tree;
	argv[n++] = "--json";
	argv[n++] = "--state-dir";
	argv[n++] = a->cfg.state_dir;
	if (a->cfg.root != NULL) {
		argv[n++] = "--root";
		argv[n++] = a->cfg.root;
	}
	if (a->cfg.is_no_enforce)
		argv[n++] = "--noop";
	/* Many agents may share a host (and a hostname): node.agent.name
	 * tells recipes which one converges. */
	snprintf(name_fact, sizeof(name_fact), "agent.name=%s", a->cfg.name);
	argv[n++] = "--fact";
	argv[n++] = name_fact;
	if (agent_handlers_take(a, &msg, &from)) {
		argv[n++] = "--message";
		argv[n++] = msg;
		argv[n++] = "--message-from";
		argv[n++] = from;
	}
	argv[n] = NULL;
	fo = open_out(cv->out_path);
	fe = open_out(cv->err_path);
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	io[0].flags = UV_IGNORE;
	io[1].flags = io[2].flags = UV_INHERIT_FD;
	io[1].data.fd = fo;
	io[2].data.fd = fe;
	o.file = exe;
	o.args = (char **)argv;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = exit_cb;
	proc = xcalloc(1, sizeof(*proc));
	proc->data = a;
	r = (fo < 0 || fe < 0) ? UV_EIO : uv_spawn(a->loop, proc, &o);
	if (fo >= 0)
		close(fo);
	if (fe >= 0)
		close(fe);
	if (r < 0) {
		/* uv_spawn leaves a failed handle open; close it like any. */
		if (fo >= 0 && fe >= 0)
			uv_close((uv_handle_t *)proc, proc_close_cb);
		else
			free(proc);
		log_err("cannot start converge: %s", uv_strerror(r));
		return TL_ECHILD;
	}
	return 0;
}

static void
conv_start(struct agent *a, const char *why)
{
	struct agent_conv *cv = a->conv;
	char *tree = NULL;

	if (agent_policy_tree(a, &cv->run_serial, &tree) < 0)
		return;		/* no policy yet: nothing to converge */
	snprintf(cv->why, sizeof(cv->why), "%s", why);
	cv->started_ms = agent_now(a);
	uv_timer_stop(&cv->retry);
	log_info("converging policy serial %" PRIu64 " (%s)", cv->run_serial,
	    why);
	if (conv_spawn(a, tree) == 0) {
		cv->is_running = 1;
		cv->starts++;
	}
	free(tree);
}

void
agent_converge_request(struct agent *a, const char *why)
{
	struct agent_conv *cv = a->conv;

	if (cv == NULL || a->is_leaving)
		return;
	if (cv->is_running) {
		/* One run after this one covers every request made now. */
		if (!cv->is_pending)
			snprintf(cv->pending_why, sizeof(cv->pending_why), "%s",
			    why);
		cv->is_pending = 1;
		return;
	}
	conv_start(a, why);
}

/* ---- Schedule ------------------------------------------------------- */

static void
sched_cb(uv_timer_t *t)
{
	agent_converge_request(t->data, "schedule");
}

/* The node's offset in the splay: stable across restarts. */
static uint64_t
splay_ms(const struct agent *a)
{
	uint32_t h = 2166136261u;

	for (const char *p = a->cfg.name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return a->cfg.splay_s == 0 ? 0 :
	    (uint64_t)(h % (a->cfg.splay_s * 1000u + 1));
}

int
agent_conv_open(struct agent *a, struct tl_err *err)
{
	struct agent_conv *cv = xcalloc(1, sizeof(*cv));
	uint64_t iv = (uint64_t)a->cfg.interval_s * 1000;

	(void)err;
	a->conv = cv;
	cv->out_path = xasprintf("%s/converge.out", a->cfg.state_dir);
	cv->err_path = xasprintf("%s/converge.err", a->cfg.state_dir);
	uv_timer_init(a->loop, &cv->sched);
	uv_timer_init(a->loop, &cv->retry);
	uv_timer_init(a->loop, &cv->debounce);
	cv->sched.data = cv->retry.data = cv->debounce.data = a;
	if (iv > 0)
		uv_timer_start(&cv->sched, sched_cb, iv + splay_ms(a), iv);
	agent_converge_request(a, "start");
	return 0;
}

void
agent_conv_close(struct agent *a)
{
	if (a->conv != NULL)
		watches_clear(a->conv);
}

void
agent_conv_free(struct agent *a)
{
	struct agent_conv *cv = a->conv;

	if (cv == NULL)
		return;
	/* A run in progress finishes on its own; it is not ours to kill
	 * halfway through a package install. */
	paths_clear(cv);
	free(cv->paths);
	free(cv->states);
	free(cv->out_path);
	free(cv->err_path);
	free(cv);
	a->conv = NULL;
}
