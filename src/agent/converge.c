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
#include "agent/converge.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "agent/drift.h"
#include "agent/handlers.h"
#include "agent/policy.h"
#include "agent/rollout.h"
#include "bucket/bucket.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "engine/res.h"
#include "engine/runrep.h"
#include "net/stream.h"
#include "cluster/convrep.h"

#define CONV_BACKOFF_MIN_MS	2000
#define CONV_BACKOFF_MAX_MS	300000
#define CONV_ERR_MAX		120	/* bytes of error in the tag */

struct agent_conv {
	int		 is_running;
	int		 is_pending;
	char		 why[160];	/* of the run in progress */
	char		 pending_why[160];
	uint64_t	 started_ms;
	uint64_t	 run_serial;
	char		*out_path, *err_path;
	char		*rep_path;	/* apply --report (engine/runrep.h) */
	uv_process_t	*proc;		/* the run under way */

	uv_timer_t	*sched, *retry;
	uint32_t	 backoff_ms;

	int		 has_report;	/* the fields below are set */
	uint64_t	 runs;		/* finished runs: programs wait on it */
	uint64_t	 starts;	/* runs started (converge reports) */
	int		 status;	/* exit status of the last run */
	uint64_t	 serial;
	unsigned	 changed, failed, drift, dur_ms;
	uint64_t	 when_s;	/* unix seconds */
	char		 error[CONV_ERR_MAX + 1];	/* the run did not get
							   through */
	char		 failure[CONV_ERR_MAX + 1];	/* its first failed
							   resource: message */
	uint64_t	 failed_serial;	/* did not compile here */
	char		 compile_err[CONV_ERR_MAX + 1]; /* of failed_serial */

	struct drift	*watcher;
	char		**paths;	/* managed by the last run */
	size_t		 npaths, cap_paths;
	char		 changes[256];	/* refs the last run changed */
	char		 failures[256];	/* refs that failed in it */
};

static void conv_start(struct agent *a, const char *why);

/* ---- Report tag ----------------------------------------------------- */

/* What went wrong in the last run, for others to see: why it did not get
 * through, else its first failed resource and that resource's message. */
static const char *
conv_problem(const struct agent_conv *cv)
{
	return cv->error[0] != '\0' ? cv->error : cv->failure;
}

/*
 * run=SERIAL,CHANGED,FAILED,DRIFT,WHEN,DURATION_MS[,ERROR] and runs=N:
 * the last run, for `tlaloc status` on every node (status.c). ERROR is
 * conv_problem().
 */
static void
conv_tags(const struct agent *a, struct buf *tags)
{
	const struct agent_conv *cv = a->conv;
	struct buf kv = BUF_INIT;

	if (cv == NULL || !cv->has_report) {
		(void)agent_tags_apply(tags, "run", 1, NULL);
		(void)agent_tags_apply(tags, "runs", 1, NULL);
		return;
	}
	buf_addf(&kv, "run=%" PRIu64 ",%u,%u,%u,%" PRIu64 ",%u%s%s",
	    cv->serial, cv->changed, cv->failed, cv->drift, cv->when_s,
	    cv->dur_ms, conv_problem(cv)[0] ? "," : "", conv_problem(cv));
	(void)agent_tags_apply(tags, kv.data, 0, NULL);
	buf_reset(&kv);
	buf_addf(&kv, "runs=%" PRIu64, cv->runs);
	(void)agent_tags_apply(tags, kv.data, 0, NULL);
	buf_release(&kv);
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

/* ---- Reading the child's report (engine/runrep.h) ------------------ */

static void
paths_clear(struct agent_conv *cv)
{
	for (size_t i = 0; i < cv->npaths; i++)
		free(cv->paths[i]);
	cv->npaths = 0;
}

/* A file the last run left in place changed by hand. */
static void
on_drift(void *ctx, const char *path, const char *what)
{
	struct agent *a = ctx;
	char why[300];

	snprintf(why, sizeof(why), "drift: '%s' %s", path, what);
	log_warn("%s by hand%s", why, a->cfg.is_no_enforce ?
	    " (not enforcing)" : "");
	agent_converge_request(a, why);
}

/* The titles of path-like resources (file, line, link), as they are:
 * quotes, backslashes and any other byte but NUL included. */
static void
paths_collect(struct agent *a, const struct runrep *rep)
{
	static const char *const types[] = { "file", "line", "link" };
	struct agent_conv *cv = a->conv;

	paths_clear(cv);
	for (size_t i = 0; i < rep->nres; i++) {
		const struct runrep_res *r = &rep->res[i];

		if (r->title[0] != '/')
			continue;
		for (size_t t = 0; t < 3; t++) {
			if (strcmp(r->type, types[t]) != 0)
				continue;
			cv->paths = xgrow(cv->paths, &cv->cap_paths,
			    cv->npaths + 1, sizeof(*cv->paths));
			cv->paths[cv->npaths++] = xstrdup(r->title);
		}
	}
}

/* Lists the refs of resources with this result, for the log. */
static void
refs_collect(const struct runrep *rep, int result, char *out, size_t size)
{
	size_t used = 0;
	char ref[200];

	out[0] = '\0';
	for (size_t i = 0; i < rep->nres; i++) {
		if (rep->res[i].result != result)
			continue;
		runrep_ref(&rep->res[i], ref, sizeof(ref));
		if (used + strlen(ref) + 8 >= size) {
			snprintf(out + used, size - used, ", ...");
			break;
		}
		used += (size_t)snprintf(out + used, size - used, "%s%s",
		    used ? ", " : "", ref);
	}
}

/* Text on one line: control bytes become spaces (the tag, the log). */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = ' ';
}

/* "file[/etc/x]: message" of the first failed resource, or "". */
static void
failure_first(const struct runrep *rep, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	size_t n;

	out[0] = '\0';
	for (size_t i = 0; i < rep->nres; i++) {
		const struct runrep_res *r = &rep->res[i];

		if (r->result != RES_FAILED)
			continue;
		buf_addf(&b, "%s[%s]: %s", r->type, r->title, r->message[0] ?
		    r->message : "failed");
		n = b.len < size ? b.len : size - 1;
		/* Cut at a character, not inside one (UTF-8). */
		while (n > 0 && n < b.len && ((uint8_t)b.data[n] & 0xc0) ==
		    0x80)
			n--;
		memcpy(out, b.data, n);
		out[n] = '\0';
		one_line(out);
		break;
	}
	buf_release(&b);
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
	one_line(out);
}

/*
 * Reads and decodes the child's report into a fresh rep. Returns 0, or
 * < 0 (no report: the child died first, or it is not ours to read).
 */
static int
report_read(const char *path, struct runrep *rep)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf raw = BUF_INIT;
	int r;

	runrep_init(rep);
	if ((r = fileio_read(path, RUNREP_FILE_MAX, &raw, &err)) == 0) {
		runrep_release(rep);
		r = runrep_decode((const uint8_t *)raw.data, raw.len, rep);
	}
	buf_release(&raw);
	return r;
}

/* ---- Running -------------------------------------------------------- */

static void
read_text(const char *path, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;

	if (fileio_read(path, 16u << 20, out, &err) < 0)
		buf_reset(out);
}

/* The error of a run that did not get through: the report's, else the
 * first line the child wrote on stderr. */
static void
record_error(struct agent_conv *cv, int status, const struct runrep *rep,
    const char *errtext)
{
	if (rep != NULL && rep->error[0] != '\0') {
		snprintf(cv->error, sizeof(cv->error), "%s", rep->error);
		one_line(cv->error);
	} else
		first_error(errtext, cv->error, sizeof(cv->error));
	if (cv->error[0] == '\0')
		snprintf(cv->error, sizeof(cv->error), "apply exited "
		    "with status %d", status);
}

/* Books a finished run: report fields, good/failed serials, backoff.
 * rep is NULL when the child left no readable report. */
static void
conv_record(struct agent *a, int status, const struct runrep *rep,
    const char *errtext)
{
	struct agent_conv *cv = a->conv;

	cv->has_report = 1;
	cv->runs++;
	cv->status = status;
	cv->serial = cv->run_serial;
	cv->dur_ms = (unsigned)(agent_now(a) - cv->started_ms);
	cv->when_s = agent_wall_ms() / 1000;
	cv->error[0] = cv->failure[0] = '\0';
	cv->changed = cv->failed = cv->drift = 0;
	if (status == 1 || status > 6 || rep == NULL) {
		record_error(cv, status, rep, errtext);
		if (rep == NULL && status != 1 && status <= 6)
			log_warn("converge left no readable run report "
			    "(status %d)", status);
		return;
	}
	if (cv->run_serial == agent_policy_current(a))
		cv->failed_serial = 0;
	/* Converging the last good serial is no success to report while
	 * the current one does not compile: the error names the serial. */
	if (cv->failed_serial != 0 &&
	    cv->failed_serial == agent_policy_current(a))
		snprintf(cv->error, sizeof(cv->error), "serial %" PRIu64 ": %.100s",
		    cv->failed_serial, cv->compile_err);
	agent_policy_mark_good(a, cv->run_serial);
	if (a->cfg.is_no_enforce)
		cv->drift = (unsigned)rep->changed;
	else
		cv->changed = (unsigned)rep->changed;
	cv->failed = (unsigned)rep->failed;
	failure_first(rep, cv->failure, sizeof(cv->failure));
}

static void
retry_cb(uv_timer_t *t)
{
	struct agent *a = t->data;

	if (a->conv != NULL)
		agent_converge_request(a, "retry after failure");
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
		uv_timer_start(cv->retry, retry_cb, cv->backoff_ms, 0);
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

	if (cv->error[0] != '\0' && cv->failed_serial != 0 &&
	    cv->serial != cv->failed_serial)
		log_err("converged last good policy serial %" PRIu64 " (%s): "
		    "%u changed, %u failed; policy %s", cv->serial, cv->why,
		    cv->changed, cv->failed, cv->error);
	else if (cv->error[0] != '\0')
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

static void
exit_cb(uv_process_t *proc, int64_t exit_status, int term_signal)
{
	struct agent *a = proc->data;
	struct agent_conv *cv = a->conv;
	struct agent_event ev = { .kind = AGENT_EV_RUN_DONE };
	struct agent_run done;
	struct buf out = BUF_INIT, errtext = BUF_INIT;
	struct runrep rep;
	int has_rep;
	int status = term_signal ? 128 + term_signal : (int)exit_status;

	/* A handle per run: the next run may start before this closes. */
	agent_handle_free((uv_handle_t *)proc);
	if (cv == NULL)
		return;		/* the agent is stopping */
	cv->proc = NULL;
	cv->is_running = 0;
	drift_hold(cv->watcher, 0);
	read_text(cv->out_path, &out);
	read_text(cv->err_path, &errtext);
	has_rep = report_read(cv->rep_path, &rep) == 0;
	conv_record(a, status, has_rep ? &rep : NULL, errtext.data);
	if (has_rep && status != 1 && status <= 6) {
		paths_collect(a, &rep);
		drift_watch(cv->watcher, (const char *const *)cv->paths,
		    cv->npaths);
		refs_collect(&rep, RES_CHANGED, cv->changes,
		    sizeof(cv->changes));
		refs_collect(&rep, RES_FAILED, cv->failures,
		    sizeof(cv->failures));
	}
	runrep_release(&rep);
	conv_after(a, status);
	log_result(a, status);
	if (!a->cfg.is_no_enforce)
		backups_prune(a);
	agent_tags_publish(a);
	done.starts = cv->starts;
	done.runs = cv->runs;
	done.serial = cv->run_serial;
	done.status = status;
	done.when_s = cv->when_s;
	done.duration_ms = cv->dur_ms;
	done.changed = a->cfg.is_no_enforce ? 0 : cv->changed;
	done.failed = cv->failed;
	done.why = cv->why;
	done.error = cv->error;
	done.json = out.data;
	done.json_len = out.len;
	ev.done = &done;
	agent_emit(a, &ev);
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
	const char *argv[20], *msg, *from;
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
	argv[n++] = "--report";
	argv[n++] = cv->rep_path;
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
	(void)unlink(cv->rep_path);	/* never read the last run's */
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
	if (r == 0)
		cv->proc = proc;
	if (fo >= 0)
		close(fo);
	if (fe >= 0)
		close(fe);
	if (r < 0) {
		/* uv_spawn leaves a failed handle open; close it like any. */
		if (fo >= 0 && fe >= 0)
			agent_handle_free((uv_handle_t *)proc);
		else
			free(proc);
		log_err("cannot start converge: %s", uv_strerror(r));
		return TL_ECHILD;
	}
	return 0;
}

/* The serial to converge: the current one, unless it did not compile
 * here; then the last good one. 0: none. */
static uint64_t
conv_serial(const struct agent *a)
{
	uint64_t s = agent_policy_current(a);

	if (s != 0 && s == a->conv->failed_serial)
		s = agent_policy_good(a);
	return s;
}

/*
 * Builds the tree of *serial; a rollout may hold this node back, or send
 * it back (rollout.h), to another serial, or to none (TL_ENOENT).
 */
static int
conv_tree(struct agent *a, uint64_t *serial, char **tree)
{
	uint64_t alt;
	int r;

	if ((r = agent_policy_tree(a, *serial, tree)) < 0)
		return r;
	if ((alt = agent_rollout_pick(a, *serial, *tree)) == *serial)
		return 0;
	free(*tree);
	*tree = NULL;
	*serial = alt;
	return agent_policy_tree(a, alt, tree);
}

static void
conv_start(struct agent *a, const char *why)
{
	struct agent_conv *cv = a->conv;
	char *tree = NULL;

	cv->run_serial = conv_serial(a);
	if (conv_tree(a, &cv->run_serial, &tree) < 0)
		return;		/* no policy yet: nothing to converge */
	snprintf(cv->why, sizeof(cv->why), "%s", why);
	cv->started_ms = agent_now(a);
	uv_timer_stop(cv->retry);
	log_info("converging policy serial %" PRIu64 " (%s)", cv->run_serial,
	    why);
	if (conv_spawn(a, tree) == 0) {
		cv->is_running = 1;
		cv->starts++;
		drift_hold(cv->watcher, 1);
	}
	free(tree);
}

/* Never two at once: a request during a run makes one more run after. */
static void
conv_request(struct agent *a, const char *why)
{
	struct agent_conv *cv = a->conv;

	if (a->is_leaving)
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
	struct agent *a = t->data;

	if (a->conv != NULL)
		agent_converge_request(a, "schedule");
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

static void
conv_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_CONVERGE)
		conv_request(a, ev->why);
}

/* `tlaloc converge [WHY]`. */
static void
conv_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	/* Programs need to know: the run under way is not theirs. */
	const char *say = a->conv->is_running ? "converge queued after the "
	    "run under way\n" : "converge requested\n";

	conv_request(a, req->nargs > 0 ? req->args[0] : "request");
	agent_ctl_reply_str(c, 0, say);
}

static int
conv_open(struct agent *a, struct tl_err *err)
{
	struct agent_conv *cv = xcalloc(1, sizeof(*cv));
	uint64_t iv = (uint64_t)a->cfg.interval_s * 1000;

	(void)err;
	a->conv = cv;
	cv->out_path = xasprintf("%s/converge.out", a->cfg.state_dir);
	cv->err_path = xasprintf("%s/converge.err", a->cfg.state_dir);
	cv->rep_path = xasprintf("%s/converge.rep", a->cfg.state_dir);
	cv->sched = agent_timer_new(a);
	cv->retry = agent_timer_new(a);
	cv->watcher = drift_new(a->loop, a->cfg.root, on_drift, a);
	if (iv > 0)
		uv_timer_start(cv->sched, sched_cb, iv + splay_ms(a), iv);
	conv_request(a, "start");
	return 0;
}

static void
conv_close(struct agent *a)
{
	struct agent_conv *cv = a->conv;

	if (cv == NULL)
		return;
	/* A run in progress finishes on its own; it is not ours to kill
	 * halfway through a package install. */
	if (cv->proc != NULL)
		agent_handle_free((uv_handle_t *)cv->proc);
	agent_timer_free(cv->sched);
	agent_timer_free(cv->retry);
	drift_free(cv->watcher);
	paths_clear(cv);
	free(cv->paths);
	free(cv->out_path);
	free(cv->err_path);
	free(cv->rep_path);
	free(cv);
	a->conv = NULL;
}

static const struct agent_ctl_op conv_ops[] = {
	{ CTL_CONVERGE, conv_ctl }, { 0, NULL }
};

const struct agent_sub agent_conv_sub = { .name = "converge",
	.open = conv_open, .tags = conv_tags, .close = conv_close,
	.ctl = conv_ops, .on_event = conv_on_event };
