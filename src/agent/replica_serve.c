/*
 * Bucket replication, the keeping side (docs/backups.md): PKT_REPLICA
 * frames from peers store their backups under STATE_DIR/replicas/<name>/
 * or hand them back; `tlaloc backups restore PATH --from PEER` asks a
 * peer through here (CTL_BACKUPS_FROM).
 *
 * Who may read what: a request is signed with the sender's node key, and
 * the origin is the name our membership holds for that key. So a node
 * gets only its own backups back, and a rebuilt node (new key, same
 * name) gets them once the membership has accepted it under that name.
 * The weakness: anyone holding the cluster key can make a node key and
 * join under a dead node's name, and then read its replicated backups.
 */
#include "agent/agent_int.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/ctl.h"
#include "agent/replica_int.h"
#include "bucket/replica.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"

#define REPL_TIMEOUT_MS	10000

/* ---- frames ------------------------------------------------------------ */

int
agent_repl_send(struct agent *a, const char *addr, struct buf *msg,
    stream_reply_fn fn, void *ctx)
{
	uint8_t sig[IDENT_SIG_LEN];
	struct buf pkt = BUF_INIT;
	int r;

	ident_sign(a->ident, (uint8_t *)msg->data, msg->len, sig);
	buf_add(msg, sig, sizeof(sig));
	if ((r = pkt_seal(a->kr, NULL, PKT_REPLICA, agent_wall_ms(),
	    (uint8_t *)msg->data, msg->len, &pkt)) == 0)
		stream_request_tcp(a->loop, addr, pkt.data, pkt.len,
		    AGENT_TCP_MAX, REPL_TIMEOUT_MS, fn, ctx);
	buf_release(&pkt);
	return r;
}

int
agent_repl_open_reply(struct agent *a, const uint8_t *p, size_t len,
    struct buf *body)
{
	uint8_t id[KEYRING_ID_LEN], *plain;
	const uint8_t *b;
	size_t blen;
	int r;

	if (len == 0)
		return TL_ECRYPTO;	/* the peer could not open ours */
	plain = xmalloc(len + 1);
	r = pkt_open(a->kr, a->replay, PKT_REPLICA, agent_wall_ms(), p, len,
	    AGENT_TCP_MAX, plain, &b, &blen, id);
	pkt_stats_count(&a->st.pkt, r);
	if (r == 0)
		buf_add(body, b, blen);
	free(plain);
	return r;
}

/* ---- serving ----------------------------------------------------------- */

static void
reply_status(struct buf *out, const struct repl_msg *m, int status)
{
	repl_begin(out, m->op | REPL_REPLY, m->sender);
	buf_addch(out, status);
}

/*
 * One request being served. A PUSH is stored on a libuv worker thread:
 * each entry costs fsyncs, and the loop must keep answering probes.
 */
struct repl_job {
	uv_work_t		 w;
	struct agent		*a;
	struct stream_conn	*c;
	uint8_t			 key_id[KEYRING_ID_LEN];
	uint8_t			*plain;		/* m points into it */
	struct repl_msg		 m;
	char			 origin[SWIM_NAME_MAX + 1];
	/* PUSH, for the worker: */
	char			*dir;
	struct repl_limits	 lim;
	long long		 now;
	unsigned		 stored, refused;
	struct buf		 errs;		/* a line per refused entry */
	struct buf		 out;		/* the reply body */
};

/* Seals the reply with the key the request used, answers, frees. */
static void
job_finish(struct repl_job *j)
{
	struct buf pkt = BUF_INIT;

	if (j->out.len > 0)
		pkt_seal(j->a->kr, j->key_id, PKT_REPLICA, agent_wall_ms(),
		    (uint8_t *)j->out.data, j->out.len, &pkt);
	/* An empty frame tells a refused peer nothing it can use. */
	stream_respond(j->c, pkt.data, pkt.len);
	buf_release(&pkt);
	buf_release(&j->out);
	buf_release(&j->errs);
	repl_msg_release(&j->m);
	free(j->dir);
	free(j->plain);
	free(j);
}

/* Worker thread: touches only the job and the origin's directory. */
static void
push_work(uv_work_t *w)
{
	struct repl_job *j = w->data;

	for (size_t i = 0; i < j->m.n; i++) {
		struct tl_err err = TL_ERR_INIT;
		int r = repl_store(j->dir, &j->m.v[i], &j->lim, j->now, &err);

		if (r < 0) {
			j->refused++;
			buf_addf(&j->errs, "%s\n", err.msg);
		} else
			j->stored += (unsigned)r;
	}
}

static void
push_done(uv_work_t *w, int status)
{
	struct repl_job *j = w->data;
	struct agent *a = j->a;
	char *line = j->errs.data, *nl;

	(void)status;
	a->repl->n_jobs--;
	a->repl->n_stored += j->stored;
	a->repl->n_refused += j->refused;
	for (; line != NULL && (nl = strchr(line, '\n')) != NULL;
	    line = nl + 1)
		log_warn("refused a replica from %s: %.*s", j->origin,
		    (int)(nl - line), line);
	reply_status(&j->out, &j->m, REPL_OK);
	repl_add_u16(&j->out, j->stored);
	job_finish(j);
}

static void
serve_push(struct repl_job *j)
{
	struct agent *a = j->a;

	j->dir = repl_origin_dir(a->cfg.state_dir, j->origin);
	j->lim.retention = a->cfg.backups;
	j->lim.cap = a->cfg.replica_max_bytes;
	j->now = (long long)time(NULL);
	j->w.data = j;
	if (uv_queue_work(a->loop, &j->w, push_work, push_done) == 0) {
		a->repl->n_jobs++;
		return;
	}
	reply_status(&j->out, &j->m, REPL_FAILED);
	job_finish(j);
}

/* LIST and GET: the origin's entries for m->path, if any. */
static void
serve_read(struct agent *a, const struct repl_msg *m, const char *origin,
    struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = repl_origin_dir(a->cfg.state_dir, origin);
	struct bucket_entry *v = NULL;
	struct buf data = BUF_INIT;
	struct bucket *b = NULL;
	size_t n = 0, pick = 0;
	struct stat st;
	int status = REPL_NOTHING;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    bucket_open(dir, &b, &err) < 0 ||
	    bucket_list(b, m->path, &v, &n, &err) < 0 || n == 0)
		goto out;
	if (m->op == REPL_LIST) {
		reply_status(out, m, REPL_OK);
		repl_add_u16(out, (unsigned)(n > REPL_ITEMS_MAX ?
		    REPL_ITEMS_MAX : n));
		for (size_t i = n > REPL_ITEMS_MAX ? n - REPL_ITEMS_MAX : 0;
		    i < n; i++)
			repl_add_entry(out, &v[i], NULL);
		status = REPL_OK;
		goto out;
	}
	pick = n;
	for (size_t i = 0; i < n; i++)
		if (m->time == 0 || v[i].time == m->time)
			pick = i;
	if (pick == n)
		goto out;
	if (bucket_read(b, v[pick].hash, &data, &err) < 0) {
		log_warn("cannot serve a replica of '%s' to %s: %s", m->path,
		    origin, err.msg);
		status = REPL_FAILED;
		goto out;
	}
	reply_status(out, m, REPL_OK);
	repl_add_entry(out, &v[pick], data.data);
	status = REPL_OK;
out:
	if (status != REPL_OK)
		reply_status(out, m, status);
	bucket_entries_free(v, n);
	bucket_close(b);
	buf_release(&data);
	free(dir);
}

/* Checks the signature and finds the sender's name; a reply status. */
static int
serve_sender(struct agent *a, const struct repl_msg *m, const uint8_t *body,
    char name[SWIM_NAME_MAX + 1])
{
	struct swim_member mb;

	if (ident_verify(NULL, m->sender, body, m->signed_len, m->sig) < 0)
		return REPL_REFUSED;
	if (swim_member_find(a->swim, m->sender, &mb) < 0 || mb.is_self ||
	    (mb.status != SWIM_ALIVE && mb.status != SWIM_SUSPECT))
		return REPL_NOT_MEMBER;
	snprintf(name, SWIM_NAME_MAX + 1, "%s", mb.name);
	return REPL_OK;
}

/* Decodes and checks a request; answers it now, or later for a PUSH. */
static void
serve_job(struct repl_job *j, const uint8_t *body, size_t blen)
{
	struct agent *a = j->a;
	const char *from = stream_conn_peer(j->c);
	struct tl_err err = TL_ERR_INIT;
	int status;

	if (repl_msg_decode(body, blen, &j->m, &err) < 0 ||
	    (j->m.op & REPL_REPLY) != 0) {
		a->repl->n_refused++;
		log_info("refused a replica frame from %s: %s", from,
		    err.msg[0] ? err.msg : "not a request");
		reply_status(&j->out, &j->m, REPL_REFUSED);
	} else if ((status = serve_sender(a, &j->m, body, j->origin)) !=
	    REPL_OK) {
		a->repl->n_refused++;
		log_info("refused a replica %s from %s: %s", j->m.op ==
		    REPL_PUSH ? "push" : "request", from, status ==
		    REPL_REFUSED ? "bad signature" : "sender is not a live "
		    "member");
		reply_status(&j->out, &j->m, status);
	} else if (j->m.op == REPL_PUSH) {
		serve_push(j);
		return;
	} else
		serve_read(a, &j->m, j->origin, &j->out);
	job_finish(j);
}

void
agent_repl_serve(struct agent *a, struct stream_conn *c, const uint8_t *p,
    size_t len)
{
	struct repl_job *j = xcalloc(1, sizeof(*j));
	const uint8_t *body;
	size_t blen;
	int r;

	j->a = a;
	j->c = c;
	j->plain = xmalloc(len + 1);
	r = pkt_open(a->kr, a->replay, PKT_REPLICA, agent_wall_ms(), p, len,
	    AGENT_TCP_MAX, j->plain, &body, &blen, j->key_id);
	pkt_stats_count(&a->st.pkt, r);
	if (r == 0 && a->repl != NULL) {
		serve_job(j, body, blen);
		return;
	}
	if (a->repl != NULL)
		a->repl->n_refused++;
	log_info("replica frame from %s refused: %s", stream_conn_peer(c),
	    tl_strerror(r));
	job_finish(j);
}
/* ---- `tlaloc backups restore --from PEER` ------------------------------ */

struct repl_ask {
	struct agent		*a;
	struct stream_conn	*c;
	char			 peer[SWIM_NAME_MAX + 1];
	char			*path;
	unsigned long long	 time;		/* 0: the newest */
};

static void
ask_reply_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct repl_ask *q = ctx;
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT, text = BUF_INIT;
	struct repl_msg m;
	int status = 1;

	memset(&m, 0, sizeof(m));
	if (rc == 0)
		rc = agent_repl_open_reply(q->a, p, len, &body);
	if (rc < 0)
		buf_addf(&text, "peer %s is not reachable: %s\n", q->peer,
		    tl_strerror(rc));
	else if (repl_msg_decode((uint8_t *)body.data, body.len, &m,
	    &err) < 0 || (m.op & REPL_REPLY) == 0)
		buf_addf(&text, "peer %s sent a bad answer: %s\n", q->peer,
		    err.msg);
	else if (m.status == REPL_NOTHING && q->time != 0)
		buf_addf(&text, "peer %s holds no backup of '%s' saved at %llu "
		    "for %s (see --list)\n", q->peer, q->path, q->time,
		    q->a->cfg.name);
	else if (m.status == REPL_NOTHING)
		buf_addf(&text, "peer %s holds no backup of '%s' for %s\n",
		    q->peer, q->path, q->a->cfg.name);
	else if (m.status == REPL_NOT_MEMBER)
		buf_addf(&text, "peer %s does not know this node as a live "
		    "member yet; try again in a few seconds\n", q->peer);
	else if (m.status != REPL_OK)
		buf_addf(&text, "peer %s refused the request (status %u)\n",
		    q->peer, m.status);
	else
		status = 0;
	/* Success hands the CLI the reply itself, to decode and write. */
	if (status == 0)
		agent_ctl_reply(q->c, 0, body.data, body.len);
	else
		agent_ctl_reply(q->c, 1, text.data, text.len);
	repl_msg_release(&m);
	buf_release(&body);
	buf_release(&text);
	free(q->path);
	free(q);
}

int
agent_member_addr(struct agent *a, const char *name, char *addr, size_t size)
{
	size_t n = swim_member_count(a->swim);

	for (size_t i = 0; i < n; i++) {
		struct swim_member m;

		if (swim_member_at(a->swim, i, &m) == 0 && !m.is_self &&
		    strcmp(m.name, name) == 0 && (m.status == SWIM_ALIVE ||
		    m.status == SWIM_SUSPECT)) {
			snprintf(addr, size, "%s", m.addr);
			return 0;
		}
	}
	return TL_ENOENT;
}

void
agent_repl_ctl(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	char addr[ADDR_STR_MAX], *end;
	struct buf msg = BUF_INIT, text = BUF_INIT;
	struct repl_ask *q;
	unsigned long long t = 0;
	int is_list;

	/* args: peer, path, time ("" newest), "list" or "get" */
	if (req->nargs != 4 || !path_is_clean_abs(req->args[1])) {
		buf_addf(&text, "malformed backups request\n");
		goto fail;
	}
	is_list = strcmp(req->args[3], "list") == 0;
	if (req->args[2][0] != '\0') {
		t = strtoull(req->args[2], &end, 10);
		if (*end != '\0' || t == 0) {
			buf_addf(&text, "--time wants unix seconds, not '%s'\n",
			    req->args[2]);
			goto fail;
		}
	}
	if (agent_member_addr(a, req->args[0], addr, sizeof(addr)) < 0) {
		buf_addf(&text, "no live member is called '%s' (see tlaloc "
		    "members)\n", req->args[0]);
		goto fail;
	}
	repl_begin(&msg, is_list ? REPL_LIST : REPL_GET,
	    ident_public(a->ident));
	repl_add_path(&msg, req->args[1]);
	if (!is_list)
		repl_add_u64(&msg, t);
	q = xcalloc(1, sizeof(*q));
	q->a = a;
	q->c = c;
	q->path = xstrdup(req->args[1]);
	q->time = t;
	snprintf(q->peer, sizeof(q->peer), "%s", req->args[0]);
	if (agent_repl_send(a, addr, &msg, ask_reply_cb, q) < 0) {
		free(q->path);
		free(q);
		buf_addf(&text, "cannot seal a request: no cluster key\n");
		goto fail;
	}
	buf_release(&msg);
	return;
fail:
	agent_ctl_reply(c, 1, text.data, text.len);
	buf_release(&msg);
	buf_release(&text);
}

void
agent_repl_stop(struct agent *a)
{
	/* A worker cannot be cancelled; its answer must go out before the
	 * connections are closed under it. */
	while (a->repl != NULL && a->repl->n_jobs > 0)
		uv_run(a->loop, UV_RUN_ONCE);
}

void
agent_repl_info(const struct agent *a, struct buf *out, int json)
{
	const struct agent_repl *r = a->repl;
	unsigned long long s = r ? r->n_sent : 0, st = r ? r->n_stored : 0,
	    rf = r ? r->n_refused : 0, tb = r ? r->n_too_big : 0,
	    by = r ? r->n_bytes_sent : 0;

	buf_addf(out, json ? "\"replicas_sent\":%llu,"
	    "\"replicas_bytes_sent\":%llu,\"replicas_stored\":%llu,"
	    "\"replicas_refused\":%llu,\"replicas_too_big\":%llu," :
	    "bucket replicas: sent %llu (%llu bytes), stored %llu, refused "
	    "%llu, too big to send %llu\n", s, by, st, rf, tb);
}
