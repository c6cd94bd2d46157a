/*
 * `tlaloc backups restore PATH --from PEER [--origin ID]` and `tlaloc
 * backups recover --from PEER --origin ID` (CTL_BACKUPS_FROM): the agent
 * asks a peer for what it keeps of an origin, this node or a former self
 * whose backup key was recovered, opens it with that origin's backup
 * secret and checks the origin's signature, and hands the CLI only what
 * opened (bucket/replica.h, repl_plain). For `recover` it hands the CLI
 * the origin's escrow once the origin's signature over it checks out;
 * the CLI opens it with the operator's key, which never reaches us.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "agent/replica_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"

struct repl_ask {
	struct agent		*a;
	struct stream_conn	*c;
	char			 peer[SWIM_NAME_MAX + 1];
	char			*path;
	unsigned long long	 time;		/* 0: the newest */
	uint8_t			 op;		/* REPL_LIST, GET, KEYS */
	uint8_t			 origin[REPL_ID_LEN];
	uint8_t			 prefix[REPL_ID_LEN];	/* KEYS */
	size_t			 prefix_len;
	uint8_t			 secret[REPL_SECRET_LEN];
	uint8_t			 tag[REPL_TAG_LEN];
};

static void
ask_free(struct repl_ask *q)
{
	sodium_memzero(q->secret, sizeof(q->secret));
	free(q->path);
	free(q);
}

/* Opens each item or head of m into a repl_plain answer. */
static int
ask_open(struct repl_ask *q, const struct repl_msg *m, struct buf *out,
    struct tl_err *err)
{
	struct buf content = BUF_INIT;
	struct bucket_entry e;
	int r = 0;

	repl_plain_begin(out);
	for (size_t i = 0; i < m->n && r == 0; i++) {
		const struct repl_item *it = &m->v[i];

		buf_reset(&content);
		if (q->op == REPL_GET)
			r = repl_unseal(q->secret, q->origin, q->tag, it->time,
			    it->data, it->size, &e, &content, err);
		else
			r = repl_unseal_meta(q->secret, q->origin, q->tag,
			    it->time, it->data, it->size, &e, err);
		if (r < 0)
			break;
		repl_plain_add(out, &e, q->op == REPL_GET ? content.data :
		    NULL);
		repl_entry_release(&e);
	}
	repl_plain_end(out, m->n);
	sodium_memzero(content.data, content.len);
	buf_release(&content);
	return r;
}

/*
 * A KEYS answer: the origin's signed ESCROW request. Hands the CLI the
 * origin id and the boxes once the signature is the origin's own.
 */
static int
ask_escrow(struct repl_ask *q, const struct repl_msg *m, struct buf *out,
    struct tl_err *err)
{
	struct repl_msg e;
	int r;

	if ((r = repl_msg_decode(m->blob, m->blob_len, &e, err)) < 0)
		goto out;
	if (e.op != REPL_ESCROW || memcmp(e.sender, q->prefix,
	    q->prefix_len) != 0 || ident_verify(q->a->ident, e.sender, m->blob,
	    e.signed_len, e.sig) < 0) {
		r = tl_err_set(err, TL_ECRYPTO, "the escrow is not signed by "
		    "the origin it claims");
		goto out;
	}
	buf_add(out, e.sender, REPL_ID_LEN);
	buf_add(out, e.blob, e.blob_len);
out:
	repl_msg_release(&e);
	return r;
}

static void
ask_say_status(struct repl_ask *q, int status, struct buf *text)
{
	const char *name = q->a->cfg.name;

	if (status == REPL_NOTHING && q->op == REPL_KEYS)
		buf_addf(text, "peer %s holds no escrow of an origin with "
		    "that id\n", q->peer);
	else if (status == REPL_AMBIGUOUS)
		buf_addf(text, "peer %s holds several origins with that id; "
		    "give more digits\n", q->peer);
	else if (status == REPL_NOTHING && q->time != 0)
		buf_addf(text, "peer %s holds no backup of '%s' saved at %llu "
		    "for %s (see --list)\n", q->peer, q->path, q->time, name);
	else if (status == REPL_NOTHING)
		buf_addf(text, "peer %s holds no backup of '%s' for %s\n",
		    q->peer, q->path, name);
	else if (status == REPL_NOT_MEMBER)
		buf_addf(text, "peer %s does not know this node as a live "
		    "member yet; try again in a few seconds\n", q->peer);
	else
		buf_addf(text, "peer %s refused the request (status %d)\n",
		    q->peer, status);
}

static void
ask_reply_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct repl_ask *q = ctx;
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	struct repl_msg m;
	int status = 1;

	memset(&m, 0, sizeof(m));
	if (rc == 0)
		rc = agent_frame_open(q->a, PKT_REPLICA, p, len,
		    AGENT_TCP_MAX, &body, NULL);
	if (rc < 0)
		buf_addf(&text, "peer %s is not reachable: %s\n", q->peer,
		    tl_strerror(rc));
	else if (repl_msg_decode((uint8_t *)body.data, body.len, &m,
	    &err) < 0 || m.op != (q->op | REPL_REPLY))
		buf_addf(&text, "peer %s sent a bad answer: %s\n", q->peer,
		    err.msg);
	else if (m.status != REPL_OK)
		ask_say_status(q, m.status, &text);
	else if ((q->op == REPL_KEYS ? ask_escrow(q, &m, &out, &err) :
	    ask_open(q, &m, &out, &err)) < 0) {
		q->a->repl->n_refused++;
		log_warn("refused what %s sent back: %s", log_escape(q->peer),
		    err.msg);
		buf_addf(&text, "refused what peer %s sent: %s\n", q->peer,
		    err.msg);
	} else
		status = 0;
	if (status == 0)
		agent_ctl_reply(q->c, 0, out.data, out.len);
	else
		agent_ctl_reply(q->c, 1, text.data, text.len);
	repl_msg_release(&m);
	sodium_memzero(out.data, out.len);
	buf_release(&out);
	buf_release(&body);
	buf_release(&text);
	ask_free(q);
}

/* Hex (even length, 2..64 digits) into out; its length, or -1. */
static int
origin_parse(const char *hex, uint8_t out[REPL_ID_LEN])
{
	size_t n = strlen(hex), len = 0;

	if (n < 2 || n > 2 * REPL_ID_LEN || n % 2 != 0 ||
	    sodium_hex2bin(out, REPL_ID_LEN, hex, n, NULL, &len, NULL) != 0)
		return -1;
	return (int)len;
}

/* Fills q from the request; 0, or < 0 with a sentence in text. */
static int
ask_setup(struct agent *a, struct repl_ask *q, const struct ctl_req *req,
    struct buf *text)
{
	struct tl_err err = TL_ERR_INIT;
	const char *origin = req->nargs > 4 ? req->args[4] : "";
	char *end;
	int len = 0;

	q->op = strcmp(req->args[3], "list") == 0 ? REPL_LIST :
	    strcmp(req->args[3], "keys") == 0 ? REPL_KEYS : REPL_GET;
	if (req->args[2][0] != '\0') {
		q->time = strtoull(req->args[2], &end, 10);
		if (*end != '\0' || q->time == 0) {
			buf_addf(text, "--time wants unix seconds, not '%s'\n",
			    req->args[2]);
			return -1;
		}
	}
	memcpy(q->origin, ident_public(a->ident), REPL_ID_LEN);
	if (origin[0] != '\0' && (len = origin_parse(origin, q->prefix)) < 0) {
		buf_addf(text, "--origin wants a node id in hex, not '%s'\n",
		    origin);
		return -1;
	}
	if (q->op == REPL_KEYS) {
		q->prefix_len = (size_t)len;
		return origin[0] == '\0' ? -1 : 0;
	}
	if (origin[0] != '\0' && len != REPL_ID_LEN) {
		buf_addf(text, "--origin wants all 64 hex digits of the node "
		    "id (tlaloc backups recover prints them)\n");
		return -1;
	}
	if (origin[0] != '\0')
		memcpy(q->origin, q->prefix, REPL_ID_LEN);
	if (agent_repl_secret(a, q->origin, q->secret, &err) < 0) {
		buf_addf(text, "%s\n", err.msg);
		return -1;
	}
	repl_path_tag(q->secret, q->path, q->tag);
	return 0;
}

void
agent_repl_ctl(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	char addr[ADDR_STR_MAX];
	struct buf msg = BUF_INIT, text = BUF_INIT;
	struct repl_ask *q = NULL;

	/* args: peer, path, time ("" newest), list|get|keys[, origin] */
	if (req->nargs < 4 || req->nargs > 5 || (strcmp(req->args[3],
	    "keys") != 0 && !path_is_clean_abs(req->args[1]))) {
		buf_addf(&text, "malformed backups request\n");
		goto fail;
	}
	q = xcalloc(1, sizeof(*q));
	q->a = a;
	q->c = c;
	q->path = xstrdup(req->args[1]);
	snprintf(q->peer, sizeof(q->peer), "%s", req->args[0]);
	if (ask_setup(a, q, req, &text) < 0) {
		if (text.len == 0)
			buf_addf(&text, "malformed backups request\n");
		goto fail;
	}
	if (!agent_member_named(a, req->args[0], 1, addr)) {
		buf_addf(&text, "no live member is called '%s' (see tlaloc "
		    "members)\n", req->args[0]);
		goto fail;
	}
	repl_begin(&msg, q->op, ident_public(a->ident));
	if (q->op == REPL_KEYS) {
		buf_add_be(&msg, (unsigned)q->prefix_len, 1);
		buf_add(&msg, q->prefix, q->prefix_len);
	} else {
		buf_add(&msg, q->origin, REPL_ID_LEN);
		buf_add(&msg, q->tag, REPL_TAG_LEN);
		if (q->op == REPL_GET)
			buf_add_be(&msg, q->time, 8);
	}
	if (agent_repl_send(a, addr, &msg, ask_reply_cb, q) < 0) {
		buf_addf(&text, "cannot seal a request: no cluster key\n");
		goto fail;
	}
	buf_release(&msg);
	return;
fail:
	if (q != NULL)
		ask_free(q);
	agent_ctl_reply(c, 1, text.data, text.len);
	buf_release(&msg);
	buf_release(&text);
}
