/*
 * tlaloc publish DIR --key OPERATOR.key [--message TEXT]
 * tlaloc policy status|list|show SERIAL|diff A B|rollback SERIAL --key K
 * tlaloc status [--json]      tlaloc converge [WHY]
 *
 * Publishing happens on the client side of the control socket: the
 * operator's secret key never enters the agent. The client stores the
 * recipe's chunks in the agent's store (same state dir, same user), signs
 * the manifest with the next serial and hands the agent the path; the
 * agent checks it like any bundle from a peer, accepts and announces it.
 */
#include "cli.h"

#include <sys/stat.h>

#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "cluster/catalog.h"
#include "cluster/policy.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "net/opkey.h"
#include "policy/bundle.h"
#include "policy/store.h"

#define CTL_TIMEOUT_MS	15000

struct pub_opts {
	const char	*state_flag;
	const char	*key;
	const char	*message;
	int		 json;
	struct cli_rollout rollout;	/* publish only */
	int		 force;		/* publish even if the check fails */
	struct facts	*facts;		/* --fact, for the check */
};

static const char publish_usage[] =
    "usage: tlaloc publish DIR --key OPERATOR.key [--message TEXT] "
    "[--state-dir DIR]\n"
    "       [--canary N|P%] [--wave P%] [--wait-healthy DURATION] "
    "[--max-unhealthy N]\n"
    "       [--fact k=v]... [--force]\n"
    "Checks that DIR compiles for every member the local agent knows (as\n"
    "`tlaloc check DIR --node NAME` does, with this machine's facts and the\n"
    "--fact overrides); a policy that does not compile for some node is\n"
    "refused unless --force. Then signs DIR as the next policy serial and\n"
    "hands it to the local agent, which spreads it to every node; with a\n"
    "rollout plan, in waves gated by health (docs/services.md).\n";

static const char status_usage[] =
    "usage: tlaloc status [--json] [--state-dir DIR]\n"
    "Every node's last converge (serial, changed, failed, when, and what\n"
    "failed with its message), as gossiped.\n"
    "exit: 0 no node failing or silent, 2 a node failing, 4 a node silent,\n"
    "      6 both, 1 no answer from the agent\n";

static const char converge_usage[] =
    "usage: tlaloc converge [WHY] [--state-dir DIR]\n"
    "Asks the local agent to converge now; WHY is logged with the run.\n";

static const char policy_usage[] =
    "usage: tlaloc policy status [--json]\n"
    "       tlaloc policy list\n"
    "       tlaloc policy show SERIAL\n"
    "       tlaloc policy diff SERIAL_A SERIAL_B\n"
    "       tlaloc policy rollback SERIAL --key OPERATOR.key "
    "[--message TEXT]\n"
    "all take --state-dir DIR to pick the agent and its store\n";

/* Parses the shared flags; returns the index of the first operand.
 * --help prints usage and exits. */
static int
pub_parse(int argc, char **argv, struct pub_opts *o, const char *usage)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "message", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "fact", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "canary", required_argument, NULL, 'C' },
		{ "wave", required_argument, NULL, 'W' },
		{ "wait-healthy", required_argument, NULL, 'H' },
		{ "max-unhealthy", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->state_flag = optarg; break;
		case 'k': o->key = optarg; break;
		case 'm': o->message = optarg; break;
		case 'j': o->json = 1; break;
		case 'C': o->rollout.canary = optarg; break;
		case 'W': o->rollout.wave = optarg; break;
		case 'H': o->rollout.wait_healthy = optarg; break;
		case 'U': o->rollout.max_unhealthy = optarg; break;
		case 'f': o->force = 1; break;
		case 'F':
			if (o->facts == NULL)
				o->facts = facts_new();
			if (cli_fact_arg(o->facts, optarg) < 0)
				return -1;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -1;
		}
	}
	return optind;
}

/* The newest serial in the agent's typed policy status (CTL_F_CBOR):
 * [serial, good, newest, fetching]. */
static int
newest_decode(const struct buf *body, uint64_t *out)
{
	struct rd rd;
	uint64_t v;
	int r;

	rd_init(&rd, body->data, body->len);
	if ((r = codec_get_array_exact(&rd, 4)) < 0)
		return r;
	for (size_t i = 0; i < 4; i++) {
		if ((r = codec_get_uint(&rd, &v)) < 0)
			return r;
		if (i == 2)
			*out = v;
	}
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

/* Asks the agent for the newest serial it knows of (ours or a peer's). */
static int
newest_serial(const char *state, uint64_t *out)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", state);
	int status, r;

	*out = 0;
	r = ctl_call(sock, CTL_POLICY_STATUS, CTL_F_CBOR, 0, NULL,
	    CTL_TIMEOUT_MS, &status, &body, &err);
	free(sock);
	if (r == 0 && (status != 0 || newest_decode(&body, out) < 0))
		r = tl_err_set(&err, TL_EINVAL, "agent gave no serial");
	if (r < 0)
		cli_error(&err);
	buf_release(&body);
	return r;
}

/* Signs b with the next serial and hands it to the agent. */
static int
sign_and_publish(const char *state, struct pstore *ps, struct bundle *b,
    const struct pub_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf raw = BUF_INIT;
	struct opkey *k;
	char *path, *args[1];
	int r;

	if ((k = opkey_load(o->key, &err)) == NULL) {
		cli_error(&err);
		return 1;
	}
	if (newest_serial(state, &b->serial) < 0) {
		opkey_free(k);
		return 1;
	}
	if (b->serial >= POLICY_SERIAL_MAX) {
		/* Only an operator's own signature could have got here. */
		cli_errorf("the newest serial (%llu) is the largest a policy "
		    "may have (%llu): no serial can follow it",
		    (unsigned long long)b->serial,
		    (unsigned long long)POLICY_SERIAL_MAX);
		opkey_free(k);
		return 1;
	}
	b->serial++;
	b->created_ms = (uint64_t)time(NULL) * 1000;
	bundle_encode_signed(b, k, &raw);
	opkey_free(k);
	path = xasprintf("%s/publish.%ld", pstore_path(ps), (long)getpid());
	if (fileio_write_private(path, raw.data, raw.len, &err) < 0) {
		cli_error(&err);
		r = 1;
	} else {
		args[0] = path;
		r = cli_ctl(state, CTL_POLICY_PUBLISH, 0, 1, args);
		unlink(path);
	}
	free(path);
	buf_release(&raw);
	return r;
}

static int
check_recipe_dir(const char *dir)
{
	char *site = xasprintf("%s/site.lua", dir);
	struct stat st;
	int ok = stat(site, &st) == 0 && S_ISREG(st.st_mode);

	if (!ok)
		cli_errorf("'%s' has no site.lua: nothing for nodes to "
		    "converge", dir);
	free(site);
	return ok ? 0 : -1;
}

/* The names of the members the agent at state knows (not failed), into
 * names (grown; caller frees the array, the strings live in *v). Returns
 * how many, or -1 when the agent cannot say. */
static int
publish_members(const char *state, struct catalog_inst **v,
    const char ***names)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf ans = BUF_INIT;
	int n, k = 0;

	*v = NULL;
	*names = NULL;
	if (cli_cluster_ask((void *)state, "m:a::", &ans, &err) < 0 ||
	    (n = catalog_decode((const uint8_t *)ans.data, ans.len, v)) < 0) {
		fprintf(stderr, "tlaloc: cannot list the members to check the "
		    "policy for (%s); checking this node only\n", err.msg[0] ?
		    err.msg : "the answer does not parse");
		buf_release(&ans);
		return -1;
	}
	buf_release(&ans);
	*names = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		if ((*v)[i].state != 'f')
			(*names)[k++] = (*v)[i].node;
	return k;
}

/*
 * Compiles DIR as every member would before anything is signed: a policy
 * that breaks some node is refused (unless --force), instead of being
 * spread to all of them. Returns 0 to go on.
 */
static int
publish_check(const char *dir, const char *state, const struct pub_opts *po)
{
	struct cli_node_opts o = { po->facts, NULL, NULL, state, 0, 1 };
	struct catalog_inst *v;
	const char **names;
	size_t failed = 0;
	int n, r;

	n = publish_members(state, &v, &names);
	r = cli_check_nodes(dir, &o, names, n < 0 ? 0 : (size_t)n, 0,
	    &failed);
	free(names);
	free(v);
	if (r < 0)
		return -1;
	if (failed == 0) {
		fprintf(stderr, "tlaloc: the policy compiles for %d node%s\n",
		    n < 0 ? 1 : n, n == 1 ? "" : "s");
		return 0;
	}
	if (po->force) {
		fprintf(stderr, "tlaloc: publishing anyway (--force): the "
		    "policy does not compile for %zu node%s\n", failed,
		    failed == 1 ? "" : "s");
		return 0;
	}
	cli_errorf("not published: the policy does not compile for %zu of "
	    "%d node%s (fix it, or publish with --force)", failed, n < 0 ?
	    1 : n, n == 1 ? "" : "s");
	return -1;
}

int
cmd_publish(int argc, char **argv)
{
	struct tl_err err = TL_ERR_INIT;
	struct pub_opts o;
	struct pstore *ps = NULL;
	struct bundle b;
	const char *state;
	int i, r = 1;

	bundle_init(&b);
	if (sodium_init() < 0 || (i = pub_parse(argc, argv, &o,
	    publish_usage)) < 0)
		return 1;
	if (i + 1 != argc || o.key == NULL) {
		fputs(publish_usage, stderr);
		return 1;
	}
	state = cli_state_dir(o.state_flag);
	if (check_recipe_dir(argv[i]) < 0 ||
	    publish_check(argv[i], state, &o) < 0)
		goto out;
	if ((ps = pstore_open(state, &err)) == NULL ||
	    pstore_add_dir(ps, argv[i], &b, &err) < 0 ||
	    cli_rollout_add(&o.rollout, ps, &b, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	snprintf(b.message, sizeof(b.message), "%s", o.message ? o.message :
	    "");
	r = sign_and_publish(state, ps, &b, &o);
out:
	bundle_release(&b);
	pstore_free(ps);
	facts_free(o.facts);
	return r;
}

/* ---- policy list|show|diff|rollback: read the local store ----------- */

static int
load_serial(struct pstore *ps, const char *arg, struct bundle *b)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf raw = BUF_INIT;
	char *end;
	uint64_t s = strtoull(arg, &end, 10);
	int r;

	if (*arg == '\0' || *end != '\0') {
		cli_errorf("'%s' is not a serial", arg);
		return -1;
	}
	if ((r = pstore_get_bundle(ps, s, &raw, &err)) == 0)
		r = bundle_decode((uint8_t *)raw.data, raw.len, b, &err);
	if (r == TL_ENOENT)
		cli_errorf("no policy serial %" PRIu64 " in the store", s);
	else if (r < 0)
		cli_error(&err);
	buf_release(&raw);
	return r;
}

static void
print_header(const struct bundle *b, uint64_t current)
{
	char id[OPKEY_ID_HEX], when[32];
	time_t t = (time_t)(b->created_ms / 1000);
	struct tm tm;

	opkey_id_hex(b->key_id, id);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%c %-8" PRIu64 " %s key %s %4zu files %9llu bytes  %s\n",
	    b->serial == current ? '*' : ' ', b->serial, when, id, b->nfiles,
	    (unsigned long long)b->total, b->message);
}

static int
policy_list(struct pstore *ps)
{
	uint64_t *serials, cur = pstore_mark_get(ps, "current");
	size_t n = pstore_list(ps, &serials);

	for (size_t i = 0; i < n; i++) {
		char arg[32];
		struct bundle b;

		bundle_init(&b);
		snprintf(arg, sizeof(arg), "%" PRIu64, serials[i]);
		if (load_serial(ps, arg, &b) == 0)
			print_header(&b, cur);
		bundle_release(&b);
	}
	if (n == 0)
		printf("no policy in the store yet\n");
	free(serials);
	return 0;
}

static int
policy_show(struct pstore *ps, const char *arg)
{
	struct bundle b;
	char hex[65];

	bundle_init(&b);
	if (load_serial(ps, arg, &b) < 0)
		return 1;
	print_header(&b, pstore_mark_get(ps, "current"));
	for (size_t i = 0; i < b.nfiles; i++) {
		const struct bundle_file *f = &b.files[i];

		hex[0] = '\0';
		if (f->nchunks > 0)
			bundle_hash_hex(f->hashes, hex);
		printf("  %04o %9llu %.16s %s\n", f->mode,
		    (unsigned long long)f->size, f->nchunks ? hex : "(empty)",
		    f->path);
	}
	bundle_release(&b);
	return 0;
}

static const struct bundle_file *
file_find(const struct bundle *b, const char *path)
{
	for (size_t i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i].path, path) == 0)
			return &b->files[i];
	return NULL;
}

/* Reads one file of a bundle back from the store's tree. */
static void
tree_read(struct pstore *ps, const struct bundle *b, const char *path,
    struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = NULL, *full;

	if (pstore_materialize(ps, b, &dir, &err) < 0)
		return;
	full = xasprintf("%s/%s", dir, path);
	fileio_read(full, BUNDLE_FILE_MAX, out, &err);
	free(full);
	free(dir);
}

static void
diff_file(struct pstore *ps, const struct bundle *a, const struct bundle *b,
    const char *path)
{
	struct buf x = BUF_INIT, y = BUF_INIT, out = BUF_INIT;
	char *an = xasprintf("%" PRIu64 "/%s", a->serial, path);
	char *bn = xasprintf("%" PRIu64 "/%s", b->serial, path);

	if (file_find(a, path) != NULL)
		tree_read(ps, a, path, &x);
	if (file_find(b, path) != NULL)
		tree_read(ps, b, path, &y);
	diff_unified(x.data, x.len, y.data, y.len, an, bn, &out);
	fputs(out.data, stdout);
	free(an);
	free(bn);
	buf_release(&x);
	buf_release(&y);
	buf_release(&out);
}

static int
same_content(const struct bundle_file *f, const struct bundle_file *g)
{
	return f->size == g->size && f->mode == g->mode &&
	    memcmp(f->hashes, g->hashes, (size_t)f->nchunks *
	    BUNDLE_HASH_LEN) == 0;
}

static int
policy_diff(struct pstore *ps, const char *sa, const char *sb)
{
	struct bundle a, b;
	int r = 1;

	bundle_init(&a);
	bundle_init(&b);
	if (load_serial(ps, sa, &a) < 0 || load_serial(ps, sb, &b) < 0)
		goto out;
	for (size_t i = 0; i < a.nfiles; i++) {
		const struct bundle_file *g = file_find(&b, a.files[i].path);

		if (g == NULL || !same_content(&a.files[i], g))
			diff_file(ps, &a, &b, a.files[i].path);
	}
	for (size_t i = 0; i < b.nfiles; i++)
		if (file_find(&a, b.files[i].path) == NULL)
			diff_file(ps, &a, &b, b.files[i].path);
	r = 0;
out:
	bundle_release(&a);
	bundle_release(&b);
	return r;
}

static int
policy_rollback(struct pstore *ps, const char *state, const char *arg,
    struct pub_opts *o)
{
	struct bundle b;
	int r;

	bundle_init(&b);
	if (o->key == NULL) {
		cli_errorf("rollback needs --key OPERATOR.key");
		return 1;
	}
	if (load_serial(ps, arg, &b) < 0)
		return 1;
	if (o->message != NULL)
		snprintf(b.message, sizeof(b.message), "%s", o->message);
	else
		snprintf(b.message, sizeof(b.message), "rollback to serial %s",
		    arg);
	r = sign_and_publish(state, ps, &b, o);
	bundle_release(&b);
	return r;
}

int
cmd_policy(int argc, char **argv)
{
	struct tl_err err = TL_ERR_INIT;
	struct pub_opts o;
	struct pstore *ps;
	const char *state, *sub;
	int i, n, r = 1;

	if (sodium_init() < 0 || (i = pub_parse(argc, argv, &o,
	    policy_usage)) < 0)
		return 1;
	if (i >= argc) {
		fputs(policy_usage, stderr);
		return 1;
	}
	sub = argv[i];
	n = argc - i - 1;
	state = cli_state_dir(o.state_flag);
	if (strcmp(sub, "status") == 0 && n == 0)
		return cli_ctl(state, CTL_POLICY_STATUS, o.json ? CTL_F_JSON :
		    0, 0, NULL);
	if ((ps = pstore_open(state, &err)) == NULL) {
		cli_error(&err);
		return 1;
	}
	if (strcmp(sub, "list") == 0 && n == 0)
		r = policy_list(ps);
	else if (strcmp(sub, "show") == 0 && n == 1)
		r = policy_show(ps, argv[i + 1]);
	else if (strcmp(sub, "diff") == 0 && n == 2)
		r = policy_diff(ps, argv[i + 1], argv[i + 2]);
	else if (strcmp(sub, "rollback") == 0 && n == 1)
		r = policy_rollback(ps, state, argv[i + 1], &o);
	else
		fputs(policy_usage, stderr);
	pstore_free(ps);
	return r;
}

/* ---- status, converge: answered by the agent ------------------------ */

int
cmd_status(int argc, char **argv)
{
	struct pub_opts o;
	int i;

	if ((i = pub_parse(argc, argv, &o, status_usage)) < 0 || i != argc) {
		fputs(status_usage, stderr);
		return 1;
	}
	return cli_ctl_verdict(cli_state_dir(o.state_flag), CTL_STATUS,
	    o.json ? CTL_F_JSON : 0, 0, NULL);
}

int
cmd_converge(int argc, char **argv)
{
	struct pub_opts o;
	char *why[1] = { "tlaloc converge" };
	int i;

	if ((i = pub_parse(argc, argv, &o, converge_usage)) < 0 ||
	    i + 1 < argc) {
		fputs(converge_usage, stderr);
		return 1;
	}
	if (i < argc)
		why[0] = argv[i];
	return cli_ctl(cli_state_dir(o.state_flag), CTL_CONVERGE, 0, 1, why);
}
