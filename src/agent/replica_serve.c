/*
 * Bucket replication, the keeping side (docs/backups.md): PKT_REPLICA
 * frames from peers store their sealed backups and escrow under
 * STATE_DIR/replicas/<origin id>/ or hand them back; `tlaloc backups
 * restore PATH --from PEER` and `tlaloc backups recover` ask a peer
 * through here (CTL_BACKUPS_FROM) and open what comes back.
 *
 * Who may read what: everything kept is sealed for its owner, so a
 * keeper serves any live member that signs its request; only the owner
 * (or an operator, through the escrow) can open it. What is stored goes
 * under the id that signed the PUSH, never under a name, so nobody can
 * push or overwrite backups for another node.
 */
#include "agent/replica_int.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "agent/agent_int.h"
#include "agent/pack.h"
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

	ident_sign(a->ident, (uint8_t *)msg->data, msg->len, sig);
	buf_add(msg, sig, sizeof(sig));
	return agent_frame_request(a, addr, PKT_REPLICA, msg, AGENT_TCP_MAX,
	    REPL_TIMEOUT_MS, fn, ctx);
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
	char			 origin[SWIM_NAME_MAX + 1];	/* its name */
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
		log_warn("refused a replica from %s: %.*s",
		    log_escape(j->origin), (int)(nl - line), line);
	reply_status(&j->out, &j->m, REPL_OK);
	buf_add_be(&j->out, j->stored, 2);
	job_finish(j);
}

static void
serve_push(struct repl_job *j)
{
	struct agent *a = j->a;

	j->dir = repl_origin_dir(a->cfg.state_dir, j->m.sender);
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

/* The sealed objects of m->origin under m->tag, oldest first. */
static int
read_list(struct agent *a, const struct repl_msg *m, struct bucket **b,
    struct bucket_entry **v, size_t *n)
{
	struct tl_err err = TL_ERR_INIT;
	struct repl_item key = { .size = 0, .data = (const uint8_t *)"" };
	struct bucket_entry e;
	char *dir = repl_origin_dir(a->cfg.state_dir, m->origin);
	struct stat st;
	int r = -1;

	memcpy(key.tag, m->tag, REPL_TAG_LEN);
	repl_item_entry(&key, &e);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    bucket_open(dir, b, &err) == 0)
		r = bucket_list(*b, e.path, v, n, &err);
	free(e.path);
	free(e.run_id);
	free(dir);
	return r < 0 || *n == 0 ? -1 : 0;
}

/* LIST and GET: the origin's sealed objects for m->tag, if any. */
static void
serve_read(struct agent *a, const struct repl_msg *m, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry *v = NULL;
	struct buf data = BUF_INIT;
	struct bucket *b = NULL;
	const uint8_t *meta;
	size_t n = 0, pick, mlen, first;
	int status = REPL_NOTHING;

	if (read_list(a, m, &b, &v, &n) < 0)
		goto out;
	pick = n;
	for (size_t i = 0; i < n; i++)
		if (m->op == REPL_LIST || m->time == 0 || v[i].time == m->time)
			pick = i;
	if (pick == n)
		goto out;
	reply_status(out, m, REPL_OK);
	first = m->op == REPL_LIST && n > REPL_ITEMS_MAX ? n - REPL_ITEMS_MAX :
	    m->op == REPL_LIST ? 0 : pick;
	if (m->op == REPL_LIST)
		buf_add_be(out, (unsigned)(n - first), 2);
	status = REPL_OK;
	for (size_t i = first; i <= pick; i++) {
		buf_reset(&data);
		if (bucket_read(b, v[i].hash, &data, &err) < 0) {
			log_warn("cannot serve a replica: %s", err.msg);
			status = REPL_FAILED;
			break;
		}
		if (m->op == REPL_GET)
			repl_add_item(out, m->tag, v[i].time, data.data,
			    data.len);
		else if (repl_object_meta((uint8_t *)data.data, data.len,
		    &meta, &mlen) == 0)
			repl_add_head(out, v[i].time, data.len, meta, mlen);
		else
			status = REPL_FAILED;
	}
out:
	if (status != REPL_OK) {
		buf_reset(out);
		reply_status(out, m, status);
	}
	bucket_entries_free(v, n);
	bucket_close(b);
	buf_release(&data);
}

/* ESCROW: keeps the sender's signed request as it came. */
static void
serve_escrow(struct agent *a, const struct repl_msg *m, const uint8_t *body,
    size_t len, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = repl_origin_dir(a->cfg.state_dir, m->sender);
	char *path = xasprintf("%s/escrow", dir);

	if (fileio_mkdirs(dir, 0700, &err) < 0 ||
	    fileio_write_private(path, body, len, &err) < 0) {
		log_warn("cannot keep an escrow: %s", err.msg);
		reply_status(out, m, REPL_FAILED);
	} else
		reply_status(out, m, REPL_OK);
	free(path);
	free(dir);
}

/* KEYS: the escrow of the one origin whose id starts with the prefix. */
static void
serve_keys(struct agent *a, const struct repl_msg *m, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = xasprintf("%s/replicas", a->cfg.state_dir), *path = NULL;
	char want[2 * REPL_ID_LEN + 1];
	struct buf esc = BUF_INIT;
	struct dirent *de;
	size_t found = 0;
	DIR *d;

	sodium_bin2hex(want, sizeof(want), m->blob, m->blob_len);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *p;
			struct stat st;

			if (strncmp(de->d_name, want, strlen(want)) != 0 ||
			    strlen(de->d_name) != 2 * REPL_ID_LEN)
				continue;
			p = xasprintf("%s/%s/escrow", dir, de->d_name);
			if (stat(p, &st) == 0 && found++ == 0) {
				path = p;
				continue;
			}
			free(p);
		}
		closedir(d);
	}
	if (found == 1 && fileio_read(path, 64u << 10, &esc, &err) == 0) {
		reply_status(out, m, REPL_OK);
		buf_add_be(out, (uint32_t)esc.len, 4);
		buf_add(out, esc.data, esc.len);
	} else
		reply_status(out, m, found > 1 ? REPL_AMBIGUOUS :
		    found == 1 ? REPL_FAILED : REPL_NOTHING);
	buf_release(&esc);
	free(path);
	free(dir);
}

/* Checks the signature and finds the sender's name; a reply status. */
static int
serve_sender(struct agent *a, const struct repl_msg *m, const uint8_t *body,
    char name[SWIM_NAME_MAX + 1])
{
	struct swim_member mb;
	int r = agent_peer_signed(a, m->sender, body, m->signed_len, m->sig,
	    &mb);

	if (r == TL_ECRYPTO)
		return REPL_REFUSED;
	if (r < 0)
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
	} else if (j->m.op == REPL_ESCROW)
		serve_escrow(a, &j->m, body, blen, &j->out);
	else if (j->m.op == REPL_KEYS)
		serve_keys(a, &j->m, &j->out);
	else
		serve_read(a, &j->m, &j->out);
	job_finish(j);
}

int
agent_repl_on_frame(struct agent *a, struct stream_conn *c, uint8_t type,
    const uint8_t *p, size_t len)
{
	struct repl_job *j;
	const uint8_t *body;
	size_t blen;
	int r;

	if (type != PKT_REPLICA)
		return 0;
	j = xcalloc(1, sizeof(*j));
	j->a = a;
	j->c = c;
	j->plain = xmalloc(len + 1);
	r = pkt_open(a->kr, a->replay, PKT_REPLICA, agent_wall_ms(), p, len,
	    AGENT_TCP_MAX, j->plain, &body, &blen, j->key_id);
	pkt_stats_count(&a->st.pkt, r);
	if (r == 0) {
		serve_job(j, body, blen);
		return 1;
	}
	a->repl->n_refused++;
	log_info("replica frame from %s refused: %s", stream_conn_peer(c),
	    tl_strerror(r));
	job_finish(j);
	return 1;
}

void
agent_repl_info(const struct agent *a, struct buf *out, int json)
{
	const struct agent_repl *r = a->repl;
	unsigned long long s = r->n_sent, st = r->n_stored,
	    rf = r->n_refused, tb = r->n_too_big, by = r->n_bytes_sent;

	buf_addf(out, json ? "\"replicas_sent\":%llu,"
	    "\"replicas_bytes_sent\":%llu,\"replicas_stored\":%llu,"
	    "\"replicas_refused\":%llu,\"replicas_too_big\":%llu,"
	    "\"replica_peers\":%zu," :
	    "bucket replicas: sent %llu (%llu bytes), stored %llu, refused "
	    "%llu, too big to send %llu\n", s, by, st, rf, tb, r->n_peers);
	if (!json && r->is_alone && a->cfg.bucket_replicas > 0)
		buf_addf(out, "bucket replicas: none: %s has no other live "
		    "member, backups stay on this node only\n",
		    agent_pack_name(a) != NULL ? "this node's pack" :
		    "the cluster");
	else if (!json)
		buf_addf(out, "bucket replica peers: %zu of %u wanted\n",
		    r->n_peers, a->cfg.bucket_replicas);
}
