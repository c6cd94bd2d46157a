/*
 * tlaloc run FILTER -- COMMAND ARGS... and tlaloc query FILTER facts|status:
 * builds the query body (cluster/query.h), signs it with --key, hands it
 * to the local agent, which broadcasts it and collects the replies, and
 * long-polls the agent to print replies as they come and the summary at
 * the end. Exit 0 when every matching node answered with exit 0.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "cluster/query.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/opkey.h"

#define DEFAULT_TIMEOUT_MS	10000
#define POLL_TIMEOUT_MS		15000

static const char run_usage[] =
    "tlaloc run FILTER [--timeout SECONDS] [--key FILE] [--json] "
    "[--state-dir DIR] -- COMMAND [ARGS...]\n"
    "  FILTER: space-separated terms, all must match: '#channel', "
    "'pack=NAME',\n"
    "          'name=REGEX', 'tag:K=V' ('#all' is every node)\n"
    "  --key FILE     sign with this operator key (nodes refuse unsigned "
    "commands)\n"
    "  --timeout S    the command's limit on each node (default 10); "
    "replies are\n"
    "                 awaited 2 s longer\n"
    "  --save FILE    also write the signed request to FILE (audits)\n"
    "  --resend FILE  send a request saved with --save again, as is, "
    "through the\n"
    "                 agent it was signed for (nodes refuse it as "
    "replayed)";

static const char query_usage[] =
    "tlaloc query FILTER facts|status [--timeout SECONDS] [--json] "
    "[--state-dir DIR]";

struct run_opts {
	const char	*state_dir;
	const char	*key_path;
	const char	*save_path;
	const char	*resend_path;
	int		 json;
	uint32_t	 timeout_ms;
};

static int
parse_timeout(const char *s, uint32_t *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (*end != '\0' || v <= 0 || v > QUERY_TIMEOUT_MAX_MS / 1000) {
		cli_errorf("--timeout takes seconds, more than 0 and at most "
		    "%u, not '%s'", QUERY_TIMEOUT_MAX_MS / 1000, s);
		return -1;
	}
	*ms = (uint32_t)(v * 1000);
	return 0;
}

/* Flags anywhere before "--"; the rest (filter, command) in pos. */
static int
parse_flags(int argc, char **argv, struct run_opts *o, char ***pos,
    int *npos, int *dashdash)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	*pos = xcalloc((size_t)argc + 1, sizeof(char *));
	*npos = 0;
	*dashdash = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (*dashdash >= 0 || strncmp(a, "--", 2) != 0) {
			(*pos)[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			*dashdash = *npos;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--state-dir") == 0)
			val = &o->state_dir;
		else if (strcmp(a, "--key") == 0)
			val = &o->key_path;
		else if (strcmp(a, "--save") == 0)
			val = &o->save_path;
		else if (strcmp(a, "--resend") == 0)
			val = &o->resend_path;
		else if (strcmp(a, "--timeout") != 0) {
			cli_errorf("unknown flag '%s'", a);
			return -1;
		}
		if (i + 1 == argc) {
			cli_errorf("%s needs a value", a);
			return -1;
		}
		if (val != NULL)
			*val = argv[++i];
		else if (parse_timeout(argv[++i], &o->timeout_ms) < 0)
			return -1;
	}
	return 0;
}

static char *
b64(const uint8_t *p, size_t n)
{
	size_t len = sodium_base64_encoded_len(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *s = xmalloc(len);

	sodium_bin2base64(s, len, p, n, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

/*
 * Builds the three request args: body, key id, signature (base64). The
 * body names the local agent (its node id, from the state dir) as the
 * asker: nodes answer only that member, so the signature says where the
 * output goes.
 */
static int
build_request(struct query *q, const struct run_opts *o, char *args[3])
{
	const char *key_path = o->key_path;
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	uint8_t sig[OPKEY_SIG_LEN];
	struct opkey *k;
	char *kp = xasprintf("%s/node.key", cli_state_dir(o->state_dir));

	if (ident_read_public(kp, q->asker, &err) < 0) {
		free(kp);
		if (err.code == TL_ENOENT)
			cli_errorf("no agent has run on this state dir yet "
			    "(no node key): start 'tlaloc agent' first");
		else
			cli_error(&err);
		return -1;
	}
	free(kp);
	randombytes_buf(q->id, sizeof(q->id));
	randombytes_buf(q->nonce, sizeof(q->nonce));
	q->time_ms = (uint64_t)time(NULL) * 1000;
	query_body_encode(q, &body);
	args[0] = b64((uint8_t *)body.data, body.len);
	args[1] = xstrdup("");
	args[2] = xstrdup("");
	if (key_path != NULL) {
		if ((k = opkey_load(key_path, &err)) == NULL) {
			cli_error(&err);
			buf_release(&body);
			return -1;
		}
		opkey_sign(k, (uint8_t *)body.data, body.len, sig);
		free(args[1]);
		free(args[2]);
		args[1] = b64(opkey_public(k)->id, OPKEY_ID_LEN);
		args[2] = b64(sig, sizeof(sig));
		opkey_free(k);
	}
	buf_release(&body);
	return 0;
}

static int
save_request(const char *path, char *args[3])
{
	struct tl_err err = TL_ERR_INIT;
	char *text = xasprintf("%s\n%s\n%s\n", args[0], args[1], args[2]);
	int r;

	r = fileio_write_private(path, text, strlen(text), &err);
	if (r < 0)
		cli_error(&err);
	free(text);
	return r;
}

static int
load_request(const char *path, char *args[3])
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *save = NULL, *line;

	if (fileio_read(path, 4096, &b, &err) < 0) {
		cli_error(&err);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		line = strtok_r(i == 0 ? b.data : NULL, "\n", &save);
		args[i] = xstrdup(line != NULL ? line : "");
	}
	buf_release(&b);
	return 0;
}

/* Polls until the agent says done; prints as it goes. */
static int
collect(const char *sock, const char *id, int json)
{
	struct tl_err err = TL_ERR_INIT;
	struct ctl_cursor cur = { 0 };
	char cursor[32] = "0", *args[2];
	int status;

	while (!cur.done) {
		struct buf body = BUF_INIT;

		args[0] = (char *)id;
		args[1] = cursor;
		if (ctl_call(sock, CTL_RUN_POLL, json ? CTL_F_JSON : 0, 2,
		    args, POLL_TIMEOUT_MS, &status, &body, &err) < 0) {
			cli_error(&err);
			buf_release(&body);
			return 1;
		}
		if (status != 0 || ctl_cursor_decode((uint8_t *)body.data,
		    body.len, &cur) < 0) {
			cli_errorf("%s", status != 0 ? body.data :
			    "unexpected answer from the agent");
			buf_release(&body);
			return 1;
		}
		snprintf(cursor, sizeof(cursor), "%llu",
		    (unsigned long long)cur.cursor);
		fwrite(cur.text, 1, cur.len, stdout);
		fflush(stdout);
		buf_release(&body);
	}
	return cur.ok ? 0 : 1;
}

static int
ask(const struct run_opts *o, char *args[3])
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(o->state_dir));
	char id[2 * CTL_FRAME_ID_LEN + 1];
	struct ctl_started st;
	int status, r = 1;

	if (ctl_call(sock, CTL_RUN, o->json ? CTL_F_JSON : 0, 3, args,
	    POLL_TIMEOUT_MS, &status, &body, &err) < 0)
		cli_error(&err);
	else if (status != 0)
		fprintf(stderr, "tlaloc: %s", body.data);
	else if (ctl_started_decode((uint8_t *)body.data, body.len,
	    &st) < 0)
		cli_errorf("unexpected answer from the agent");
	else {
		sodium_bin2hex(id, sizeof(id), st.id, sizeof(st.id));
		if (!o->json)
			fprintf(stderr, "query %.8s: %llu matching node%s\n",
			    id, (unsigned long long)st.expected,
			    st.expected == 1 ? "" : "s");
		r = collect(sock, id, o->json);
	}
	free(sock);
	buf_release(&body);
	return r;
}

static int
run_query(const struct run_opts *o, struct query *q)
{
	struct tl_err err = TL_ERR_INIT;
	struct qfilter f;
	char *args[3] = { NULL, NULL, NULL };
	int r = 1;

	if (o->resend_path != NULL) {
		if (load_request(o->resend_path, args) == 0)
			r = ask(o, args);
		goto out;
	}
	if (qfilter_parse(q->filter, &f, &err) < 0) {
		cli_error(&err);
		return 1;
	}
	if (build_request(q, o, args) < 0 ||
	    (o->save_path != NULL && save_request(o->save_path, args) < 0))
		goto out;
	r = ask(o, args);
out:
	for (int i = 0; i < 3; i++)
		free(args[i]);
	return r;
}

static int
fill_filter(struct query *q, const char *filter)
{
	if (strlen(filter) > QFILTER_MAX) {
		cli_errorf("filter is over %d bytes", QFILTER_MAX);
		return -1;
	}
	snprintf(q->filter, sizeof(q->filter), "%s", filter);
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct query q;
	char **pos;
	int npos, dd, r = 1;
	size_t used = 0;

	memset(&q, 0, sizeof(q));
	if (cli_help(argc, argv, run_usage))
		return 0;
	if (parse_flags(argc, argv, &o, &pos, &npos, &dd) < 0)
		goto out;
	if (o.resend_path != NULL) {
		r = run_query(&o, &q);
		goto out;
	}
	if (dd != 1 || npos < 2) {
		cli_errorf("usage: %s", run_usage);
		goto out;
	}
	if (fill_filter(&q, pos[0]) < 0)
		goto out;
	q.type = QUERY_EXEC;
	q.timeout_ms = o.timeout_ms;
	for (int i = 1; i < npos; i++) {
		size_t n = strlen(pos[i]);

		if (q.argc == QUERY_ARGV_MAX || used + n >= QUERY_ARGS_BYTES) {
			cli_errorf("the command is too long: at most %d "
			    "arguments and %d bytes", QUERY_ARGV_MAX,
			    QUERY_ARGS_BYTES);
			goto out;
		}
		memcpy(q.store + used, pos[i], n + 1);
		q.argv[q.argc++] = q.store + used;
		used += n + 1;
	}
	r = run_query(&o, &q);
out:
	free(pos);
	return r;
}

int
cmd_query(int argc, char **argv)
{
	struct run_opts o;
	struct query q;
	char **pos;
	int npos, dd, r = 1;

	memset(&q, 0, sizeof(q));
	if (cli_help(argc, argv, query_usage))
		return 0;
	if (parse_flags(argc, argv, &o, &pos, &npos, &dd) < 0)
		goto out;
	if (npos != 2 || dd >= 0 || (strcmp(pos[1], "facts") != 0 &&
	    strcmp(pos[1], "status") != 0)) {
		cli_errorf("usage: %s", query_usage);
		goto out;
	}
	if (fill_filter(&q, pos[0]) < 0)
		goto out;
	q.type = strcmp(pos[1], "facts") == 0 ? QUERY_FACTS : QUERY_STATUS;
	q.timeout_ms = o.timeout_ms;
	r = run_query(&o, &q);
out:
	free(pos);
	return r;
}
