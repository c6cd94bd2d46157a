/*
 * The pack leader's scheduled program (agent setting `program`,
 * docs/programs.md). While this node holds its pack's lease it runs the
 * program at once on becoming leader, then every program_interval
 * seconds, one run at a time; losing the lease stops the run. Together:
 *
 *   - never two runs at once in a pack: a run starts only under the
 *     lease, is killed within a housekeeping second of losing it, dies
 *     with the agent (Linux: PR_SET_PDEATHSIG in the child), and the
 *     program checks the lease itself before each thing it does;
 *   - at least once per interval across leader changes: a new leader
 *     does not wait for the old one's next tick, it runs at once.
 *
 * SIGHUP reloads the three settings (agent_prog_reload): a run in
 * progress finishes as it started; the next one uses the new settings.
 */
#include "agent/program_sched.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "agent/pack.h"
#include "core/log.h"
#include "core/xalloc.h"

extern char **environ;

struct agent_prog {
	uv_process_t	*proc;		/* NULL: not running */
	char		*running;	/* its script: settings may change */
	int		 is_warned;	/* "in no pack" said once */
	int		 was_leader;
	uint64_t	 last_start_ms;
	uint64_t	 runs, failures;
};

static void
exit_cb(uv_process_t *proc, int64_t status, int term_signal)
{
	struct agent *a = proc->data;

	agent_handle_free((uv_handle_t *)proc);
	if (a->prog == NULL)
		return;		/* the agent is stopping */
	a->prog->proc = NULL;
	if (status != 0 || term_signal != 0)
		a->prog->failures++;
	if (term_signal != 0)
		log_notice("scheduled program %s stopped by signal %d",
		    a->prog->running, term_signal);
	else
		log_notice("scheduled program %s exited with status %d",
		    a->prog->running, (int)status);
	free(a->prog->running);
	a->prog->running = NULL;
}

/* The agent's environment plus the two settings the child needs. */
/*
 * A scheduled program appends to its log every interval, for the life of
 * the node: past PROGRAM_LOG_MAX the log moves to .1 (one generation
 * kept), so it never holds more than twice that.
 */
#define PROGRAM_LOG_MAX	(4u << 20)

static void
log_rotate(const char *path)
{
	struct stat st;
	char *old;

	if (stat(path, &st) < 0 || st.st_size < (off_t)PROGRAM_LOG_MAX)
		return;
	old = xasprintf("%s.1", path);
	if (rename(path, old) < 0)
		log_warn("cannot rotate %s: %s", path, strerror(errno));
	free(old);
}

static char **
child_env(const struct agent *a)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 3, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "TLALOC_STATE_DIR=", 17) != 0)
			env[k++] = xstrdup(environ[i]);
	env[k++] = xasprintf("TLALOC_STATE_DIR=%s", a->cfg.state_dir);
	env[k++] = xstrdup("TLALOC_PROGRAM_SCHEDULED=1");
	return env;
}

static void
prog_start(struct agent *a)
{
	struct agent_prog *pg = a->prog;
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	char exe[4096], *out, **env;
	size_t exelen = sizeof(exe);
	const char *argv[8];
	int n = 0, fd, r;

	if (uv_exepath(exe, &exelen) < 0)
		return;
	argv[n++] = exe;
	argv[n++] = "program";
	argv[n++] = a->cfg.program;
	if (a->cfg.program_key != NULL) {
		argv[n++] = "--key";
		argv[n++] = a->cfg.program_key;
	}
	argv[n] = NULL;
	out = xasprintf("%s/program.log", a->cfg.state_dir);
	log_rotate(out);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(out);
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	io[0].flags = UV_IGNORE;
	io[1].flags = io[2].flags = fd >= 0 ? UV_INHERIT_FD : UV_IGNORE;
	io[1].data.fd = io[2].data.fd = fd;
	env = child_env(a);
	o.file = exe;
	o.args = (char **)argv;
	o.env = env;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = exit_cb;
	pg->proc = xcalloc(1, sizeof(*pg->proc));
	pg->proc->data = a;
	r = uv_spawn(a->loop, pg->proc, &o);
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
	if (fd >= 0)
		close(fd);
	pg->last_start_ms = agent_now(a);
	if (r < 0) {
		agent_handle_free((uv_handle_t *)pg->proc);
		pg->proc = NULL;
		pg->failures++;
		log_err("cannot start scheduled program %s: %s",
		    a->cfg.program, uv_strerror(r));
		return;
	}
	pg->runs++;
	free(pg->running);
	pg->running = xstrdup(a->cfg.program);
	log_notice("scheduled program %s started (leader of pack %s)",
	    a->cfg.program, agent_pack_name(a));
}

static void
prog_tick(struct agent *a)
{
	struct agent_prog *pg = a->prog;
	uint64_t now = agent_now(a);
	int held;

	if (a->cfg.program == NULL)
		return;
	if (agent_pack_name(a) == NULL) {
		if (!pg->is_warned)
			log_warn("program %s is set but this node is in no "
			    "pack (--pack): it never runs", a->cfg.program);
		pg->is_warned = 1;
		return;
	}
	held = !a->is_leaving && agent_pack_am_leader(a);
	if (!held && pg->proc != NULL) {
		log_notice("no longer leader of pack %s: stopping scheduled "
		    "program %s", agent_pack_name(a), a->cfg.program);
		uv_process_kill(pg->proc, SIGKILL);
	} else if (held && pg->proc == NULL && (!pg->was_leader ||
	    (a->cfg.program_interval_s > 0 && now - pg->last_start_ms >=
	    (uint64_t)a->cfg.program_interval_s * 1000)))
		prog_start(a);
	pg->was_leader = held;
}

static void
prog_info(const struct agent *a, struct buf *out, int json)
{
	uint64_t runs = a->prog->runs, fails = a->prog->failures;

	buf_addf(out, json ? "\"program_runs\":%llu,\"program_failures\":%llu,"
	    : "scheduled program runs: %llu, failed %llu\n",
	    (unsigned long long)runs, (unsigned long long)fails);
}

static int
prog_open(struct agent *a, struct tl_err *err)
{
	(void)err;
	a->prog = xcalloc(1, sizeof(*a->prog));
	return 0;
}

static void
prog_close(struct agent *a)
{
	if (a->prog == NULL)
		return;
	/* A run still going at exit dies with us (PR_SET_PDEATHSIG). */
	if (a->prog->proc != NULL)
		agent_handle_free((uv_handle_t *)a->prog->proc);
	free(a->prog->running);
	free(a->prog);
	a->prog = NULL;
}

static int
str_differs(const char *x, const char *y)
{
	return (x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0);
}

/* SIGHUP: takes program, program_key and program_interval from nc. */
static void
prog_reload(struct agent *a, struct agent_config *nc)
{
	char *t;

	if (!str_differs(a->cfg.program, nc->program) &&
	    !str_differs(a->cfg.program_key, nc->program_key) &&
	    a->cfg.program_interval_s == nc->program_interval_s)
		return;
	/* Swapped: releasing nc frees the old values. */
	t = a->cfg.program;
	a->cfg.program = nc->program;
	nc->program = t;
	t = a->cfg.program_key;
	a->cfg.program_key = nc->program_key;
	nc->program_key = t;
	a->cfg.program_interval_s = nc->program_interval_s;
	a->prog->is_warned = 0;	/* said again for the new setting */
	if (a->cfg.program == NULL)
		log_notice("reload: no scheduled program any more%s",
		    a->prog->proc != NULL ?
		    " (the run in progress finishes)" : "");
	else
		log_notice("reload: scheduled program %s every %u s, key %s",
		    a->cfg.program, a->cfg.program_interval_s,
		    a->cfg.program_key ? a->cfg.program_key : "(none)");
}

static void
prog_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_RELOAD)
		prog_reload(a, ev->config);
}

const struct agent_sub agent_prog_sub = { .name = "program",
	.open = prog_open, .tick = prog_tick, .info = prog_info,
	.close = prog_close, .on_event = prog_on_event };
