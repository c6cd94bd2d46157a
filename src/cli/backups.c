/*
 * tlaloc backups list|show|restore: the user's side of the bucket
 * (docs/backups.md). Reads STATE_DIR/bucket; only restore writes.
 */
#include "cli.h"
#include "backups.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bucket/bucket.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"

struct backups_opts {
	const char	*state_flag;
	const char	*root;
	const char	*run;
	const char	*id;
	const char	*max_age, *max_size;
	const char	*from;		/* restore from this peer's replicas */
	const char	*time;		/* with --from: unix seconds */
	const char	*origin;	/* with --from: a former self's id */
	const char	*key;		/* recover: the operator's key file */
	int		 json;
	int		 is_list;	/* with --from: list, do not restore */
	char		**args;		/* action and its operands */
	int		 nargs;
};

static const char backups_usage[] =
    "usage: tlaloc backups list [PATH] [--json] [--state-dir DIR]\n"
    "       tlaloc backups show ID [--state-dir DIR]\n"
    "       tlaloc backups restore PATH [--run RUN | --id ID] [--root DIR]\n"
    "                      [--state-dir DIR]\n"
    "       tlaloc backups restore PATH --from PEER [--time T | --list]\n"
    "                      [--origin ID] [--root DIR] [--state-dir DIR]\n"
    "       tlaloc backups recover --from PEER --origin ID --key "
    "OPERATOR.key\n"
    "                      [--state-dir DIR]\n"
    "       tlaloc backups prune [--max-age AGE] [--max-size SIZE] "
    "[--state-dir DIR]\n"
    "\n"
    "Files are saved to STATE_DIR/bucket before tlaloc changes or removes\n"
    "them (default /var/lib/tlaloc/bucket).\n"
    "  list      backups, oldest first (PATH: only that file's)\n"
    "  show      write the saved bytes of backup ID to stdout\n"
    "  restore   put PATH back as it was before run RUN, as backup ID, or\n"
    "            as its newest backup; the current file is saved first.\n"
    "            --from PEER: fetch it from the copies a peer keeps of this\n"
    "            node's backups (through the running agent), the newest or\n"
    "            the one saved at unix time T; --list shows what PEER holds;\n"
    "            --origin ID: the backups of a former self of this node\n"
    "            (before a disk loss), whose key was recovered\n"
    "  recover   after a disk loss: fetch the old node ID's escrow from\n"
    "            PEER and open it with the operator's key, so restore\n"
    "            --origin ID can open that node's backups\n"
    "  prune     drop backups older than AGE (30d, 12h, ...) and then the\n"
    "            oldest until they fit in SIZE (500M, 2G, ...); the newest\n"
    "            backup of every file always stays\n";

static int
backups_parse(int argc, char **argv, struct backups_opts *o)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "root", required_argument, NULL, 'r' },
		{ "run", required_argument, NULL, 'R' },
		{ "id", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-age", required_argument, NULL, 'a' },
		{ "max-size", required_argument, NULL, 'z' },
		{ "from", required_argument, NULL, 'f' },
		{ "time", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "origin", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->root = "/";
	cli_getopt_reset();
	opterr = 0;	/* the messages below say where to look */
	while ((c = getopt_long(argc, argv, ":s:r:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->state_flag = optarg; break;
		case 'r': o->root = optarg; break;
		case 'R': o->run = optarg; break;
		case 'i': o->id = optarg; break;
		case 'j': o->json = 1; break;
		case 'a': o->max_age = optarg; break;
		case 'z': o->max_size = optarg; break;
		case 'f': o->from = optarg; break;
		case 't': o->time = optarg; break;
		case 'l': o->is_list = 1; break;
		case 'o': o->origin = optarg; break;
		case 'k': o->key = optarg; break;
		case 'h': fputs(backups_usage, stdout); return 1;
		case ':':
			cli_errorf("option '%s' needs a value (see tlaloc "
			    "backups --help)", argv[optind - 1]);
			return -1;
		default:
			if (optopt != 0)
				cli_errorf("unknown option '-%c' (see tlaloc "
				    "backups --help)", optopt);
			else
				cli_errorf("unknown option '%s' (see tlaloc "
				    "backups --help)", argv[optind - 1]);
			return -1;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

/* Opens STATE/bucket; 1 when there is no bucket yet (nothing saved). */
static int
backups_open(const struct backups_opts *o, struct bucket **b)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = xasprintf("%s/bucket", cli_state_dir(o->state_flag));
	struct stat st;
	int r = 1;

	*b = NULL;
	/* Reading must not create a state dir (a mistyped --state-dir would
	 * otherwise leave one behind). */
	if (stat(dir, &st) < 0 && errno == ENOENT)
		goto out;
	if ((r = bucket_open(dir, b, &err)) < 0)
		cli_error(&err);
out:
	free(dir);
	return r;
}

void
cli_iso_time(long long t, char *s, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(s, n, "%lld", t);
}

static void
list_json(const struct bucket_entry *v, size_t n, struct buf *out)
{
	char when[32];

	buf_addstr(out, "[");
	for (size_t i = 0; i < n; i++) {
		cli_iso_time(v[i].time, when, sizeof(when));
		buf_addf(out, "%s\n  {\"id\": \"%s\", \"path\": ",
		    i ? "," : "", v[i].id);
		buf_add_json_str(out, v[i].path, strlen(v[i].path));
		buf_addf(out, ", \"time\": %lld, \"time_iso\": \"%s\", "
		    "\"size\": %llu, \"mode\": \"%04o\", \"uid\": %u, "
		    "\"gid\": %u, \"hash\": \"%s\", \"run\": ", v[i].time, when,
		    v[i].size, v[i].mode, v[i].uid, v[i].gid, v[i].hash);
		buf_add_json_str(out, v[i].run_id, strlen(v[i].run_id));
		buf_addstr(out, "}");
	}
	buf_addstr(out, n ? "\n]\n" : "]\n");
}

static void
list_table(const struct bucket_entry *v, size_t n, struct buf *out)
{
	char when[32];

	if (n == 0)
		return;
	buf_addf(out, "%-12s  %-20s  %10s  %-24s  %s\n", "ID", "TIME (UTC)",
	    "SIZE", "RUN", "PATH");
	for (size_t i = 0; i < n; i++) {
		cli_iso_time(v[i].time, when, sizeof(when));
		buf_addf(out, "%-12s  %-20s  %10llu  %-24s  %s\n", v[i].id,
		    when, v[i].size, v[i].run_id, v[i].path);
	}
}

static int
backups_write(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0) {
		cli_errorf("cannot write to stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static int
backups_list(const struct backups_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	const char *path = o->nargs > 1 ? o->args[1] : NULL;
	struct bucket_entry *v = NULL;
	struct buf out = BUF_INIT;
	struct bucket *b;
	size_t n = 0;
	int r;

	if (o->nargs > 2 || o->run || o->id || strcmp(o->root, "/") != 0) {
		fputs(backups_usage, stderr);
		return 1;
	}
	if ((r = backups_open(o, &b)) < 0)
		return 1;
	if (b != NULL && bucket_list(b, path, &v, &n, &err) < 0) {
		cli_error(&err);
		bucket_close(b);
		return 1;
	}
	if (b != NULL && bucket_damaged_lines(b) > 0)
		cli_errorf("warning: skipped %zu damaged lines of the backup "
		    "index", bucket_damaged_lines(b));
	bucket_close(b);
	if (o->json)
		list_json(v, n, &out);
	else
		list_table(v, n, &out);
	bucket_entries_free(v, n);
	r = backups_write(out.data, out.len);
	buf_release(&out);
	if (r == 0 && n == 0 && path != NULL) {
		cli_errorf("'%s' was never backed up", path);
		return 1;
	}
	return r;
}

static int
backups_show(const struct backups_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf data = BUF_INIT;
	struct bucket *b;
	int r;

	if (o->nargs != 2 || o->run || o->id || o->json ||
	    strcmp(o->root, "/") != 0) {
		fputs(backups_usage, stderr);
		return 1;
	}
	if ((r = backups_open(o, &b)) < 0)
		return 1;
	if (r == 1) {
		cli_errorf("no backup has id '%s'", o->args[1]);
		return 1;
	}
	r = bucket_read(b, o->args[1], &data, &err);
	bucket_close(b);
	if (r < 0) {
		cli_error(&err);
		buf_release(&data);
		return 1;
	}
	r = backups_write(data.data, data.len);
	buf_release(&data);
	return r;
}

char *
cli_restore_run_id(void)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("restore-%s", stamp);
}

int
cli_restore_entry(struct bucket *b, const struct bucket_entry *e,
    const char *root, const char *state_flag, char saved[16],
    struct tl_err *err)
{
	char *run_id, *ledger;
	struct fsroot *fs;
	int r;

	if ((r = fsroot_open(root, &fs, err)) < 0)
		return r;
	ledger = xasprintf("%s/tmp", cli_state_dir(state_flag));
	fsroot_set_ledger(fs, ledger);
	free(ledger);
	run_id = cli_restore_run_id();
	r = bucket_restore_entry(b, e, fs, run_id, saved, err);
	free(run_id);
	fsroot_free(fs);
	return r;
}

void
cli_restore_say(const struct bucket_entry *e, const char *root, int r,
    const char *saved)
{
	char when[32];

	cli_iso_time(e->time, when, sizeof(when));
	if (r == 1) {
		printf("%s already matches backup %s (%s); nothing to do\n",
		    e->path, e->id, when);
		return;
	}
	printf("restored %s%s%s from backup %s: %llu bytes, mode %04o, owner "
	    "%u:%u, saved %s by run %s\n", e->path,
	    strcmp(root, "/") != 0 ? " under " : "",
	    strcmp(root, "/") != 0 ? root : "", e->id, e->size, e->mode,
	    e->uid, e->gid, when, e->run_id);
	if (saved[0] != '\0')
		printf("the content it replaced is backup %s\n", saved);
}

static int
backups_restore(const struct backups_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry *e = NULL;
	enum bucket_sel kind = o->run ? BUCKET_SEL_RUN : BUCKET_SEL_ID;
	const char *path, *sel = o->run ? o->run : o->id;
	char saved[16] = "";
	struct bucket *b;
	int r;

	if (o->nargs != 2 || (o->run && o->id) || o->json || o->key ||
	    ((o->time || o->is_list || o->origin) && !o->from) ||
	    (o->from && (o->run || o->id || (o->time && o->is_list)))) {
		fputs(backups_usage, stderr);
		return 1;
	}
	path = o->args[1];
	if (o->from != NULL)
		return cli_backups_from(o->state_flag, o->from, path, o->time,
		    o->is_list, o->origin, o->root);
	if ((r = backups_open(o, &b)) < 0)
		return 1;
	if (r == 1) {
		cli_errorf("'%s' was never backed up", path);
		return 1;
	}
	if ((r = bucket_find(b, path, kind, sel, &e, &err)) == 0)
		r = cli_restore_entry(b, e, o->root, o->state_flag, saved,
		    &err);
	if (r < 0)
		cli_error(&err);
	else
		cli_restore_say(e, o->root, r, saved);
	bucket_entries_free(e, 1);
	bucket_close(b);
	return r < 0 ? 1 : 0;
}

static int
backups_prune(const struct backups_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_retention r;
	struct bucket_prune_stats st;
	char *dir;
	int rc;

	if (o->nargs != 1 || o->json || (o->max_age == NULL &&
	    o->max_size == NULL)) {
		fputs(backups_usage, stderr);
		return 1;
	}
	if (bucket_retention_parse(o->max_age, o->max_size, &r, &err) < 0) {
		cli_error(&err);
		return 1;
	}
	dir = xasprintf("%s/bucket", cli_state_dir(o->state_flag));
	rc = bucket_prune_dir(dir, &r, (long long)time(NULL), &st, &err);
	free(dir);
	if (rc < 0) {
		cli_error(&err);
		return 1;
	}
	printf("kept %zu backups, dropped %zu; removed %zu contents "
	    "(%llu bytes)\n", st.entries_kept, st.entries_dropped,
	    st.objects_removed, st.bytes_freed);
	return 0;
}

static int
backups_recover(const struct backups_opts *o)
{
	if (o->nargs != 1 || o->json || !o->from || !o->origin || !o->key ||
	    o->time || o->is_list || o->run || o->id) {
		fputs(backups_usage, stderr);
		return 1;
	}
	return cli_backups_recover(o->state_flag, o->from, o->origin, o->key);
}

static const struct {
	const char	*name;
	int		(*fn)(const struct backups_opts *);
} backups_actions[] = {
	{ "list", backups_list },
	{ "show", backups_show },
	{ "restore", backups_restore },
	{ "prune", backups_prune },
	{ "recover", backups_recover },
	{ NULL, NULL }
};

int
cmd_backups(int argc, char **argv)
{
	struct backups_opts o;
	int r;

	if ((r = backups_parse(argc, argv, &o)) != 0)
		return r < 0 ? 1 : 0;
	if (o.nargs == 0) {
		fputs(backups_usage, stderr);
		return 1;
	}
	for (size_t i = 0; backups_actions[i].name != NULL; i++)
		if (strcmp(o.args[0], backups_actions[i].name) == 0)
			return backups_actions[i].fn(&o);
	cli_errorf("unknown backups action '%s' (list, show, restore, prune, "
	    "recover)",
	    o.args[0]);
	return 1;
}
