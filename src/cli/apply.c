/*
 * tlaloc apply RECIPE|DIR: gather facts, compile the recipe (nothing
 * changes if that fails), converge, report. Exit codes follow puppet's
 * --detailed-exitcodes: 0 nothing changed, 2 changed, 4 failures, 6 both,
 * 1 the run could not start.
 */
#include "cli.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bucket/bucket.h"
#include "cli/report.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/redact.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "engine/converge.h"
#include "engine/predict.h"
#include "engine/run.h"
#include "engine/runrep.h"
#include "facts/facts.h"
#include "recipe/recipe.h"

#define MAX_TAGS	64

struct apply_opts {
	const char	*recipe;
	struct cli_node_opts node;	/* --root --state-dir --fact --facts-d */
	char		*message;	/* "#web TEXT", split in place */
	const char	*message_from;
	const char	*report;	/* --report FILE (engine/runrep.h) */
	int		 noop, diff, json, quiet, no_backup;
	const char	*tags[MAX_TAGS];
	size_t		 ntags;
	char		*tags_copy;
};

static const char apply_usage[] =
    "usage: tlaloc apply RECIPE|DIR [--noop] [--diff] [--json] [--root DIR]\n"
    "                    [--state-dir DIR] [--fact k=v]... [--tags a,b]\n"
    "                    [--facts-d DIR] [--no-backup] [--quiet]\n"
    "                    [--message '#CHANNEL TEXT' [--message-from NODE]]\n"
    "                    [--report FILE]\n"
    "\n"
    "Converges this node (or the tree under --root) to the recipe.\n"
    "  --noop        change nothing; say what would change (exit 2 if any)\n"
    "  --diff        show unified diffs of file content\n"
    "  --json        print the report as JSON\n"
    "  --root DIR    converge DIR as if it were / (paths never leave it;\n"
    "                exec commands run chrooted in it unless host = true)\n"
    "  --state-dir   where backups and the last report go "
    "(default /var/lib/tlaloc)\n"
    "  --fact k=v    set or override a fact\n"
    "  --tags a,b    converge only resources with one of these tags\n"
    "  --message '#web TEXT'\n"
    "                converge as if this channel message had arrived: the\n"
    "                recipe's matching on() handlers run (the agent passes\n"
    "                the messages that woke it)\n"
    "  --report FILE write the report in the binary run-report format\n"
    "                the agent reads (docs/agent.md)\n"
    "exit: 0 nothing changed, 2 changed, 4 failures, 6 both, 1 error\n";

static int
apply_parse_tags(struct apply_opts *o, const char *arg)
{
	char *save = NULL, *t;

	free(o->tags_copy);
	o->tags_copy = xstrdup(arg);
	o->ntags = 0;
	for (t = strtok_r(o->tags_copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (o->ntags == MAX_TAGS) {
			cli_errorf("at most %d tags", MAX_TAGS);
			return -1;
		}
		o->tags[o->ntags++] = t;
	}
	return 0;
}

static int
apply_parse(int argc, char **argv, struct apply_opts *o)
{
	static const struct option longopts[] = {
		{ "noop", no_argument, NULL, 'n' },
		{ "diff", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "root", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "fact", required_argument, NULL, 'f' },
		{ "facts-d", required_argument, NULL, 'F' },
		{ "tags", required_argument, NULL, 't' },
		{ "no-backup", no_argument, NULL, 'B' },
		{ "message", required_argument, NULL, 'M' },
		{ "message-from", required_argument, NULL, 'm' },
		{ "report", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, t;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, "ndjqr:s:f:t:h", longopts,
	    NULL)) != -1) {
		if ((t = cli_node_getopt(&o->node, c, optarg)) != 0) {
			if (t < 0)
				return -1;
			continue;
		}
		switch (c) {
		case 'n': o->noop = 1; break;
		case 'd': o->diff = 1; break;
		case 'j': o->json = 1; break;
		case 'q': o->quiet = 1; break;
		case 'B': o->no_backup = 1; break;
		case 'M': o->message = optarg; break;
		case 'm': o->message_from = optarg; break;
		case 'R': o->report = optarg; break;
		case 't':
			if (apply_parse_tags(o, optarg) < 0)
				return -1;
			break;
		case 'h':
			fputs(apply_usage, stdout);
			exit(0);
		default:
			fputs(apply_usage, stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fputs(apply_usage, stderr);
		return -1;
	}
	o->recipe = argv[optind];
	if (o->message != NULL && (o->message[0] != '#' ||
	    strchr(o->message, ' ') == NULL)) {
		cli_errorf("--message takes '#CHANNEL TEXT', not '%s'",
		    o->message);
		return -1;
	}
	return 0;
}

static char *
apply_run_id(void)
{
	char stamp[80];
	struct tm tm;
	time_t now = time(NULL);

	/* Not strftime: glibc's reads /etc/localtime (tzset) for a UTC
	 * stamp that needs no zone. */
	gmtime_r(&now, &tm);
	snprintf(stamp, sizeof(stamp), "%04d%02d%02dT%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return xasprintf("%s-%04x", stamp, (unsigned)randombytes_uniform(65536));
}

static int
apply_check_root(const char *root)
{
	struct stat st;

	if (root == NULL)
		return 0;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cli_errorf("--root '%s' is not a directory", root);
		return -1;
	}
	return 0;
}

/* Opens the bucket; under --noop nothing is written, so none is needed. */
static int
apply_open_bucket(const struct apply_opts *o, const char *state,
    struct bucket **bucket)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir;
	int rc;

	*bucket = NULL;
	if (o->noop || o->no_backup)
		return 0;
	if (fileio_mkdirs(state, 0700, &err) < 0) {
		cli_error(&err);
		return -1;
	}
	dir = xasprintf("%s/bucket", state);
	rc = bucket_open(dir, bucket, &err);
	free(dir);
	if (rc < 0)
		cli_error(&err);
	return rc;
}

/*
 * Opens the tree the run converges (core/fsroot.h). A run that changes
 * things first removes what an interrupted run left (its ledger in
 * STATE/tmp), then notes its own temporary files there.
 */
static int
apply_open_root(const struct apply_opts *o, const char *state,
    struct fsroot **fs)
{
	struct tl_err err = TL_ERR_INIT;
	char *ledger;
	int n;

	if (fsroot_open(o->node.root ? o->node.root : "/", fs, &err) < 0) {
		cli_error(&err);
		return -1;
	}
	if (o->noop)
		return 0;
	ledger = xasprintf("%s/tmp", state);
	if ((n = fsroot_sweep(ledger, &err)) < 0)
		fprintf(stderr, "tlaloc: warning: %s\n", err.msg);
	else if (n > 0)
		fprintf(stderr, "tlaloc: removed %d temporary file%s left by "
		    "an interrupted run\n", n, n == 1 ? "" : "s");
	fsroot_set_ledger(*fs, ledger);
	free(ledger);
	return 0;
}

/*
 * last_run.json is written to STATE/tmp/last_run.json.PID and renamed into
 * place. A run killed between the two leaves that file behind; the PID in
 * its name lets the next run remove it without touching the temporary file
 * of a run still going (nothing stops two runs at once).
 */
#define REPORT_TMP "last_run.json."

static void
apply_sweep_reports(const char *tmpdir)
{
	struct dirent *de;
	DIR *d;
	char *end;
	long pid;

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, REPORT_TMP, strlen(REPORT_TMP)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(REPORT_TMP), &end, 10);
		if (*end != '\0' || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Writes the whole of json to a new file at tmp; 0 or -1 with errno. */
static int
apply_write_new(const char *tmp, const struct buf *json)
{
	int fd, rc;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -1;
	rc = fileio_write_all(fd, json->data, json->len);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

static void
apply_save_report(const char *state, const struct buf *json)
{
	struct tl_err err = TL_ERR_INIT;
	char *tmpdir = xasprintf("%s/tmp", state);
	char *tmp = xasprintf("%s/" REPORT_TMP "%ld", tmpdir, (long)getpid());
	char *path = xasprintf("%s/last_run.json", state);

	apply_sweep_reports(tmpdir);
	if (fileio_mkdirs(tmpdir, 0700, &err) == 0 &&
	    (apply_write_new(tmp, json) < 0 || rename(tmp, path) < 0)) {
		tl_err_sys(&err, TL_EIO, "cannot write '%s'", path);
		(void)unlink(tmp);
	}
	if (err.code != 0)
		fprintf(stderr, "tlaloc: warning: %s\n", err.msg);
	free(tmpdir);
	free(tmp);
	free(path);
}

/* --report: the typed hand-off to the agent (engine/runrep.h). */
static void
apply_write_report(const struct apply_opts *o, const struct runrep *rep)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf raw = BUF_INIT;

	if (o->report == NULL)
		return;
	runrep_encode(rep, &raw);
	if (fileio_write_quick(o->report, raw.data, raw.len, &err) < 0)
		fprintf(stderr, "tlaloc: warning: %s\n", err.msg);
	buf_release(&raw);
}

static int
apply_converge(struct apply_opts *o, struct recipe *rec, const char *state,
    struct facts *f)
{
	struct report_opts ro = { .out = stdout, .color = cli_color(stdout),
	    .progress = isatty(2) && !o->json, .noop = o->noop,
	    .diff = o->diff, .quiet = o->quiet || o->json,
	    .started_ms = spawn_now_ms() };
	struct converge_hooks hooks = { report_line, &ro, report_started };
	struct converge_stats st;
	struct run_ctx ctx = { 0 };
	struct bucket *bucket;
	struct buf json = BUF_INIT;
	struct runrep rep;
	char *run_id;
	long long started = (long long)time(NULL);

	if (apply_open_bucket(o, state, &bucket) < 0)
		return 1;
	if (apply_open_root(o, state, &ctx.fs) < 0) {
		bucket_close(bucket);
		return 1;
	}
	run_id = apply_run_id();
	ctx.root = o->node.root ? o->node.root : "/";
	ctx.noop = o->noop;
	ctx.predict = o->noop ? predict_new() : NULL;
	ctx.want_diff = o->diff || o->json;
	ctx.run_id = run_id;
	ctx.recipe_dir = rec->dir;
	ctx.bucket = bucket;
	ctx.facts = f;
	ctx.graph = &rec->graph;
	report_watch_start(&ro);
	converge_run(&rec->graph, &ctx, &hooks, &st);
	report_watch_stop(&ro);
	report_json(&rec->graph, &st, run_id, o->noop, started, &json);
	redact_buf(&json);	/* the report leaves this process */
	if (o->json)
		fputs(json.data, stdout);
	else
		report_summary(&ro, &st);
	if (!o->noop)
		apply_save_report(state, &json);
	buf_release(&json);
	if (o->report != NULL) {	/* built only for the agent */
		runrep_init(&rep);
		runrep_of_run(&rep, &rec->graph, &st, o->noop,
		    converge_exit_code(&st));
		apply_write_report(o, &rep);
		runrep_release(&rep);
	}
	run_ctx_release(&ctx);
	fsroot_free(ctx.fs);
	bucket_close(bucket);
	free(run_id);
	return converge_exit_code(&st);
}

/* A recipe's error may carry a secret it opened: masked before it goes
 * to stderr, --json and the report the agent keeps. */
static void
apply_redact_err(struct tl_err *err)
{
	char *m = redact_str(err->msg);

	snprintf(err->msg, sizeof(err->msg), "%s", m);
	free(m);
}

/* The run could not start: said on stderr, and as the report under
 * --json (the same where and message). */
static void
apply_compile_failed(const struct apply_opts *o, const struct tl_err *err)
{
	struct buf json = BUF_INIT;
	struct runrep rep;

	cli_error(err);
	fprintf(stderr, "tlaloc: nothing was changed\n");
	runrep_init(&rep);
	rep.exit_code = 1;
	rep.is_noop = o->noop;
	free(rep.error);
	rep.error = err->where[0] ? xasprintf("%s: %s", err->where,
	    err->msg) : xstrdup(err->msg[0] ? err->msg :
	    tl_strerror(err->code));
	apply_write_report(o, &rep);
	runrep_release(&rep);
	if (!o->json)
		return;
	report_json_error(err, o->noop, &json);
	fputs(json.data, stdout);
	buf_release(&json);
}

int
cmd_apply(int argc, char **argv)
{
	struct apply_opts o = { 0 };
	struct facts *f = facts_new();
	struct recipe_opts ropts = { 0 };
	struct recipe_message msg = { 0 };
	struct tl_err err = TL_ERR_INIT;
	struct recipe *rec = NULL;
	char *node_key = NULL, *chunks = NULL;
	int rc = 1;

	o.node.user = facts_new();
	if (sodium_init() < 0 || apply_parse(argc, argv, &o) < 0 ||
	    apply_check_root(o.node.root) < 0 ||
	    cli_node_gather(&o.node, f) < 0)
		goto out;
	ropts.path = o.recipe;
	ropts.facts = f;
	ropts.only_tags = o.tags;
	ropts.n_only_tags = o.ntags;
	if (o.message != NULL) {
		char *sp = strchr(o.message, ' ');

		*sp = '\0';
		msg.channel = o.message;
		msg.text = sp + 1;
		msg.from = o.message_from;
		ropts.message = &msg;
	}
	/* Asked once, before the compile: no agent means not the leader. */
	ropts.is_pack_leader = cli_pack_am_leader(o.node.state_flag) == 0;
	ropts.cluster_ask = cli_cluster_ask;
	ropts.cluster_ctx = (void *)o.node.state_flag;
	node_key = xasprintf("%s/node.key", cli_state_dir(o.node.state_flag));
	ropts.node_key = node_key;
	ropts.leave_lua_open = !TL_FREE_AT_EXIT;
	chunks = xasprintf("%s/luac", cli_state_dir(o.node.state_flag));
	ropts.chunk_cache = chunks;
	ropts.chunk_cache_ro = o.noop;
	if (recipe_compile(&ropts, &rec, &err) < 0) {
		apply_redact_err(&err);
		apply_compile_failed(&o, &err);
		goto out;
	}
	if (!o.noop)
		cli_recipe_declare(o.node.state_flag, rec);
	rc = apply_converge(&o, rec, cli_state_dir(o.node.state_flag), f);
out:
	/* The process exits next: the graph goes with it (core/xalloc.h). */
	if (TL_FREE_AT_EXIT)
		recipe_free(rec);
	facts_free(f);
	facts_free(o.node.user);
	free(o.tags_copy);
	free(node_key);
	free(chunks);
	redact_clear();
	return rc;
}
