/*
 * Policy with no master, the agent's side: the store, the announcement,
 * the transfer and the control requests. The protocol decisions (which
 * serial to want, whom to ask for what) are cluster/policy.c's; this file
 * does the I/O.
 *
 * Announcement: every node carries its accepted serial in its swim tag
 * "policy", so the gossip spreads a new serial within a few rounds and a
 * push-pull hands a newcomer everyone's serial at once. The tag only says
 * "I hold serial N"; what makes a bundle count is the operator signature
 * inside it, checked by each node before it fetches a single chunk.
 *
 * The tag alone spreads at the pace of swim's piggybacking, which a
 * cluster-wide burst of tag changes (every node announcing a serial and a
 * run report) slows down. So a node that accepts a serial also tells
 * POL_PUSH_FANOUT random members at once with a PKT_PART_POLICY datagram
 * (a claim signed with its node key, cluster/policy.h); each of them
 * fetches, accepts and tells others in turn: an epidemic of log(N)
 * generations. Tag and claim only say who to ask; a serial is believed
 * once its manifest verified, and a member that claimed what it could
 * not show is not asked again for five minutes (cluster/policy.h).
 *
 * Transfer: TCP to the peer's gossip port, one sealed frame each way
 * (packet type PKT_POLICY, so a policy frame can never be taken for a
 * push-pull). Request: op u8 (1 manifest, 2 chunk), serial u64, hash (32).
 * Answer: status u8 (0 found, 1 not here) then the bytes.
 */
#include "agent/policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "ctl/ctl.h"
#include "agent/refusals.h"
#include "agent/rollout.h"
#include "cluster/policy.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/rd.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/stream.h"
#include "policy/bundle.h"
#include "policy/store.h"

#define POL_OP_BUNDLE	1
#define POL_OP_CHUNK	2
#define POL_REQ_LEN	(1 + 8 + BUNDLE_HASH_LEN)
#define POL_FRAME_MAX	(BUNDLE_WIRE_MAX + 4096)
#define POL_TIMEOUT_MS	5000
#define POL_PER_PEER	2	/* chunk fetches in flight per peer */
#define POL_TOTAL	8	/* ... and in all */
#define POL_REQS	16
#define POL_PUSH_FANOUT	4	/* members told of a new serial at once */

struct pol_counters {
	uint64_t	forged;		/* bad signature */
	uint64_t	untrusted;	/* key not in our trust list */
	uint64_t	stale;		/* serial not above ours */
	uint64_t	malformed;	/* bundle does not parse */
	uint64_t	bad_chunks;	/* chunk failed its hash */
	uint64_t	fetch_failures;	/* transport */
	uint64_t	chunks_in, chunk_bytes_in;
	uint64_t	chunks_out, chunk_bytes_out, bundles_out;
	uint64_t	accepted;	/* serials accepted */
	uint64_t	bad_claims;	/* forged claims, impossible serials */
};

struct agent_policy {
	struct pstore		*ps;
	struct policy		*pm;
	uint64_t		 current;	/* accepted serial, 0 none */
	uint64_t		 fetch_started_ms; /* first fetch of target */
	struct buf		 want_raw;	/* verified manifest */
	uint64_t		 want_serial;
	char			 from_addr[POLICY_ADDR_MAX + 1];
	uint64_t		 prefer_until_ms; /* policy_from grace */
	struct pol_counters	 n;
};

/* How long a node that just started waits to meet its policy_from peer
 * before it fetches from anyone. */
#define POL_PREFER_GRACE_MS	5000

struct pol_fetch {
	struct agent		*a;
	struct policy_req	 req;
};

/* ---- Tags ----------------------------------------------------------- */

uint64_t
agent_policy_current(const struct agent *a)
{
	return a->pol != NULL ? a->pol->current : 0;
}

uint64_t
agent_policy_newest(const struct agent *a)
{
	struct policy_stats ps;

	if (a->pol == NULL)
		return 0;
	policy_get_stats(a->pol->pm, &ps);
	return ps.newest > a->pol->current ? ps.newest : a->pol->current;
}

/* "policy=SERIAL": the serial this node holds, for every other node. */
static void
pol_tags(const struct agent *a, struct buf *tags)
{
	char kv[32];

	if (a->pol == NULL || a->pol->current == 0) {
		(void)agent_tags_apply(tags, "policy", 1, NULL);
		return;
	}
	snprintf(kv, sizeof(kv), "policy=%" PRIu64, a->pol->current);
	(void)agent_tags_apply(tags, kv, 0, NULL);
}

static void pol_pump(struct agent *a);

/* ---- Push announcement ---------------------------------------------- */

static void
pol_push(struct agent *a, uint64_t serial)
{
	size_t n = swim_member_count(a->swim), sent = 0;
	uint8_t part[POLICY_CLAIM_LEN], tbs[POLICY_CLAIM_SIGNED_LEN];
	uint8_t sig[POLICY_SIG_LEN];
	struct swim_member m;

	policy_claim_signed(serial, ident_public(a->ident), tbs);
	ident_sign(a->ident, tbs, sizeof(tbs), sig);
	policy_claim_encode(serial, ident_public(a->ident), sig, part);
	/* Random start, then consecutive members: cheap and spread. */
	for (size_t k = 0, at = n > 1 ? 1 + tl_rng_below(&a->rng, n - 1) : 0;
	    k + 1 < n && sent < POL_PUSH_FANOUT; k++, at = at + 1 < n ?
	    at + 1 : 1) {
		if (swim_member_at(a->swim, at, &m) < 0 ||
		    m.status != SWIM_ALIVE)
			continue;
		agent_send_part(a, m.addr, PKT_PART_POLICY, part,
		    sizeof(part));
		sent++;
	}
}

/* Counts a claim we refuse and logs it, once a minute at most. */
static void
pol_bad_claim(struct agent *a, const char *who, uint64_t serial,
    const char *why)
{
	uint64_t n;

	a->pol->n.bad_claims++;
	if (agent_refusal_due(a, REFUSAL_POLICY, &n))
		log_warn("refused a policy claim of serial %" PRIu64 " from "
		    "%s: %s; %llu such since the last line", serial,
		    log_escape(who), why, (unsigned long long)n);
}

/* A member claims serial: it becomes a peer to fetch it from. */
static void
pol_claim(struct agent *a, const struct swim_member *m, uint64_t serial)
{
	if (policy_peer_seen(a->pol->pm, m->addr, serial) == 1)
		pol_bad_claim(a, m->name, serial, "past the largest serial "
		    "anyone may publish; not asked again for five minutes");
}

/*
 * A signed claim from a member, pushed to us (cluster/policy.h); parts
 * whose first byte is a converge request's are convreq.c's.
 */
static int
pol_on_part(struct agent *a, uint8_t kind, const char *from,
    const uint8_t *p, size_t n)
{
	uint8_t tbs[POLICY_CLAIM_SIGNED_LEN];
	const uint8_t *id, *sig;
	struct swim_member m;
	uint64_t serial;

	if (kind != PKT_PART_POLICY || (n > 0 && (p[0] == POL_PART_CONVERGE ||
	    p[0] == POL_PART_CONVERGE_R)))
		return 0;
	if (policy_claim_decode(p, n, &serial, &id, &sig) < 0) {
		pol_bad_claim(a, from, 0, "malformed");
		return 1;
	}
	policy_claim_signed(serial, id, tbs);
	if (agent_peer_signed(a, id, tbs, sizeof(tbs), sig, &m) < 0) {
		pol_bad_claim(a, from, serial, "not signed by a live member");
		return 1;
	}
	pol_claim(a, &m, serial);
	pol_pump(a);
	return 1;
}

/* ---- Accepting a serial --------------------------------------------- */

static int
pol_accept(struct agent *a, uint64_t serial, const struct buf *raw,
    const char *from, struct tl_err *err)
{
	struct agent_policy *pol = a->pol;
	int r;

	if ((r = pstore_put_bundle(pol->ps, serial, (uint8_t *)raw->data,
	    raw->len, err)) < 0 ||
	    (r = pstore_mark_set(pol->ps, "current", serial, err)) < 0)
		return r;
	pol->current = serial;
	pol->n.accepted++;
	policy_accepted(pol->pm, serial);
	if (pol->fetch_started_ms != 0)
		log_notice("policy serial %" PRIu64 " accepted from %s in %llu "
		    "ms", serial, from, (unsigned long long)(agent_now(a) -
		    pol->fetch_started_ms));
	else
		log_notice("policy serial %" PRIu64 " accepted from %s",
		    serial, from);
	pol->fetch_started_ms = 0;
	agent_tags_publish(a);
	pol_push(a, serial);
	agent_converge_request(a, "new policy");
	return 0;
}

/* Counts and logs a refused bundle; returns the policy verdict. */
static enum policy_result
pol_refuse(struct agent *a, const char *from, int code, const char *why)
{
	struct pol_counters *n = &a->pol->n;

	if (code == TL_ECRYPTO)
		n->forged++;
	else if (code == TL_EPERM)
		n->untrusted++;
	else if (code == TL_EEXIST)
		n->stale++;
	else
		n->malformed++;
	log_err("refused policy bundle from %s: %s", from, why);
	return POLICY_BAD;
}

/*
 * Verifies a manifest (signature, trust, serial) and, when good, lists
 * the chunk hashes this store lacks into *missing (deduplicated).
 */
static int
pol_check_bundle(struct agent *a, const uint8_t *p, size_t len,
    uint64_t want, struct bundle *b, struct tl_err *err)
{
	int r;

	if ((r = bundle_verify(&a->cfg.trust, p, len, b, err)) < 0)
		return r;
	if (b->serial <= a->pol->current || (want != 0 &&
	    b->serial != want)) {
		r = tl_err_set(err, TL_EEXIST, "bundle serial %" PRIu64
		    " is not newer than ours (%" PRIu64 ")%s", b->serial,
		    a->pol->current, want != 0 && b->serial != want ?
		    " or not the one announced" : "");
		bundle_release(b);
	}
	return r;
}

static size_t
pol_missing(struct agent *a, const struct bundle *b, uint8_t **out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	for (size_t i = 0; i < b->nfiles; i++)
		for (uint32_t c = 0; c < b->files[i].nchunks; c++) {
			const uint8_t *h = b->files[i].hashes +
			    (size_t)c * BUNDLE_HASH_LEN;
			int dup = 0;

			if (pstore_has_chunk(a->pol->ps, h))
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = memcmp(*out + k * BUNDLE_HASH_LEN, h,
				    BUNDLE_HASH_LEN) == 0;
			if (dup)
				continue;
			*out = xgrow(*out, &cap, (n + 1) * BUNDLE_HASH_LEN, 1);
			memcpy(*out + n * BUNDLE_HASH_LEN, h, BUNDLE_HASH_LEN);
			n++;
		}
	return n;
}

/* ---- Fetching ------------------------------------------------------- */

static void
on_bundle_reply(struct agent *a, const struct policy_req *q,
    const uint8_t *p, size_t len)
{
	struct agent_policy *pol = a->pol;
	struct tl_err err = TL_ERR_INIT;
	struct bundle b;
	uint8_t *missing = NULL;
	size_t n;
	int r;

	bundle_init(&b);
	if ((r = pol_check_bundle(a, p, len, q->serial, &b, &err)) < 0) {
		policy_on_bundle(pol->pm, q->addr, q->serial,
		    pol_refuse(a, q->addr, r, err.msg), NULL, 0);
		return;
	}
	n = pol_missing(a, &b, &missing);
	buf_reset(&pol->want_raw);
	buf_add(&pol->want_raw, p, len);
	pol->want_serial = b.serial;
	snprintf(pol->from_addr, sizeof(pol->from_addr), "%s", q->addr);
	log_info("policy serial %" PRIu64 " from %s: %zu files, %zu chunks "
	    "to fetch", b.serial, q->addr, b.nfiles, n);
	policy_on_bundle(pol->pm, q->addr, q->serial, POLICY_OK, missing, n);
	free(missing);
	bundle_release(&b);
}

static void
on_chunk_reply(struct agent *a, const struct policy_req *q,
    const uint8_t *p, size_t len)
{
	struct agent_policy *pol = a->pol;
	struct tl_err err = TL_ERR_INIT;
	enum policy_result res = POLICY_OK;

	if (pstore_put_chunk(pol->ps, q->hash, p, len, &err) < 0) {
		if (err.code == TL_ECRYPTO) {
			pol->n.bad_chunks++;
			log_err("chunk %u of policy serial %" PRIu64 " from %s "
			    "failed its hash; asking another peer", q->idx,
			    q->serial, q->addr);
			res = POLICY_BAD;
		} else {
			log_err("cannot store policy chunk: %s", err.msg);
			res = POLICY_FAILED;
		}
	} else {
		pol->n.chunks_in++;
		pol->n.chunk_bytes_in += len;
	}
	policy_on_chunk(pol->pm, q->addr, q->serial, q->idx, res);
}

static void
fetch_reply_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct pol_fetch *f = ctx;
	struct agent *a = f->a;
	struct buf b = BUF_INIT;
	const uint8_t *body = NULL;
	size_t blen = 0;

	if (a->pol == NULL)
		goto out;
	if (rc == 0)
		rc = agent_frame_open(a, PKT_POLICY, p, len, POL_FRAME_MAX, &b,
		    NULL);
	body = (const uint8_t *)b.data;
	blen = b.len;
	if (rc == 0 && (blen < 1 || body[0] != 0))
		rc = TL_ENOENT;
	if (rc < 0) {
		a->pol->n.fetch_failures++;
		log_info("policy fetch from %s failed: %s", f->req.addr,
		    tl_strerror(rc));
		if (f->req.kind == POLICY_REQ_BUNDLE)
			policy_on_bundle(a->pol->pm, f->req.addr,
			    f->req.serial, POLICY_FAILED, NULL, 0);
		else
			policy_on_chunk(a->pol->pm, f->req.addr,
			    f->req.serial, f->req.idx, POLICY_FAILED);
	} else if (f->req.kind == POLICY_REQ_BUNDLE)
		on_bundle_reply(a, &f->req, body + 1, blen - 1);
	else
		on_chunk_reply(a, &f->req, body + 1, blen - 1);
	pol_pump(a);
out:
	buf_release(&b);
	free(f);
}

static void
fetch_start(struct agent *a, const struct policy_req *q)
{
	struct buf req = BUF_INIT;
	struct pol_fetch *f = xcalloc(1, sizeof(*f));

	f->a = a;
	f->req = *q;
	buf_addch(&req, q->kind == POLICY_REQ_BUNDLE ? POL_OP_BUNDLE :
	    POL_OP_CHUNK);
	buf_add_be(&req, q->serial, 8);
	buf_add(&req, q->hash, BUNDLE_HASH_LEN);
	if (agent_frame_request(a, q->addr, PKT_POLICY, &req, POL_FRAME_MAX,
	    POL_TIMEOUT_MS, fetch_reply_cb, f) < 0)
		free(f);
	buf_release(&req);
}

static void
pol_pump(struct agent *a)
{
	struct agent_policy *pol = a->pol;
	struct tl_err err = TL_ERR_INIT;
	struct policy_req reqs[POL_REQS];
	uint64_t done;
	size_t n;

	if ((done = policy_complete(pol->pm)) != 0 &&
	    done == pol->want_serial) {
		if (pol_accept(a, done, &pol->want_raw, pol->from_addr,
		    &err) < 0)
			log_err("cannot accept policy serial %" PRIu64 ": %s",
			    done, err.msg);
		buf_reset(&pol->want_raw);
		pol->want_serial = 0;
	}
	n = policy_next(pol->pm, reqs, POL_REQS);
	if (n > 0 && pol->fetch_started_ms == 0)
		pol->fetch_started_ms = agent_now(a);
	for (size_t i = 0; i < n; i++)
		fetch_start(a, &reqs[i]);
}

/* ---- Membership ----------------------------------------------------- */

static uint64_t
member_serial(const struct swim_member *m)
{
	const char *v = swim_tag_get(m, "policy");

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

static void
pol_scan(struct agent *a)
{
	struct swim_member m;

	if (a->pol == NULL || a->swim == NULL)
		return;
	for (size_t i = 1; i < swim_member_count(a->swim); i++) {
		/* Only serials above ours matter; the rest costs nothing,
		 * which keeps this 1 s sweep cheap in a large cluster. */
		if (swim_member_at(a->swim, i, &m) < 0 ||
		    ((m.status == SWIM_ALIVE || m.status == SWIM_SUSPECT) &&
		    member_serial(&m) <= a->pol->current))
			continue;
		/* A suspect is often just slow: a failed fetch costs
		 * little, the next chunk goes elsewhere. */
		if (m.status == SWIM_ALIVE || m.status == SWIM_SUSPECT)
			pol_claim(a, &m, member_serial(&m));
		else
			policy_peer_gone(a->pol->pm, m.addr);
	}
	pol_pump(a);
}

static void
pol_on_event(struct agent *a, const struct agent_event *aev)
{
	const struct swim_event *ev = aev->member;
	struct swim_member m;

	if (aev->kind != AGENT_EV_MEMBER ||
	    swim_member_find(a->swim, ev->id, &m) < 0 || m.is_self)
		return;
	if (ev->kind == SWIM_EV_FAILED || ev->kind == SWIM_EV_LEFT)
		policy_peer_gone(a->pol->pm, m.addr);
	else if (m.status == SWIM_ALIVE || m.status == SWIM_SUSPECT)
		pol_claim(a, &m, member_serial(&m));
	pol_pump(a);
}

static void
pol_tick(struct agent *a)
{
	policy_retry(a->pol->pm);
	if (a->pol->prefer_until_ms != 0 &&
	    agent_now(a) >= a->pol->prefer_until_ms) {
		a->pol->prefer_until_ms = 0;
		policy_prefer(a->pol->pm, a->cfg.policy_from, 0);
	}
	pol_scan(a);
}

/* ---- Serving -------------------------------------------------------- */

static void
serve_lookup(struct agent *a, const uint8_t *body, size_t blen,
    struct buf *ans)
{
	struct tl_err err = TL_ERR_INIT;
	const uint8_t *hash;
	uint64_t serial;
	uint8_t op;
	struct rd rd;
	int r;

	rd_init(&rd, body, blen);
	buf_addch(ans, 1);
	if (rd_u8(&rd, &op) < 0 || rd_u64(&rd, &serial) < 0 ||
	    rd_bytes(&rd, &hash, BUNDLE_HASH_LEN) < 0)
		return;
	if (op == POL_OP_BUNDLE)
		r = pstore_get_bundle(a->pol->ps, serial, ans, &err);
	else if (op == POL_OP_CHUNK)
		r = pstore_get_chunk(a->pol->ps, hash, ans, &err);
	else
		r = TL_EINVAL;
	if (r < 0) {
		buf_truncate(ans, 1);
		return;
	}
	ans->data[0] = 0;
	if (op == POL_OP_BUNDLE)
		a->pol->n.bundles_out++;
	else {
		a->pol->n.chunks_out++;
		a->pol->n.chunk_bytes_out += ans->len - 1;
	}
}

static int
pol_on_frame(struct agent *a, struct stream_conn *c, uint8_t type,
    const uint8_t *p, size_t len)
{
	struct buf body = BUF_INIT, ans = BUF_INIT, pkt = BUF_INIT;
	uint8_t id[KEYRING_ID_LEN];
	int r;

	if (type != PKT_POLICY)
		return 0;
	if ((r = agent_frame_open(a, PKT_POLICY, p, len, POL_FRAME_MAX,
	    &body, id)) == 0) {
		serve_lookup(a, (uint8_t *)body.data, body.len, &ans);
		pkt_seal(a->kr, id, PKT_POLICY, agent_wall_ms(),
		    (uint8_t *)ans.data, ans.len, &pkt);
	} else
		log_info("policy request from %s refused: %s",
		    stream_conn_peer(c), tl_strerror(r));
	stream_respond(c, pkt.data, pkt.len);
	buf_release(&body);
	buf_release(&ans);
	buf_release(&pkt);
	return 1;
}

/* ---- Open and close ------------------------------------------------- */

/* The stored current serial, if its bundle still verifies. */
static uint64_t
pol_load_current(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;
	uint64_t cur = pstore_mark_get(a->pol->ps, "current");
	struct buf raw = BUF_INIT;
	struct bundle b;

	bundle_init(&b);
	if (cur == 0)
		goto out;
	if (pstore_get_bundle(a->pol->ps, cur, &raw, &err) < 0 ||
	    bundle_verify(&a->cfg.trust, (uint8_t *)raw.data, raw.len, &b,
	    &err) < 0 || pstore_missing(a->pol->ps, &b) != 0) {
		log_err("stored policy serial %" PRIu64 " is not usable (%s); "
		    "waiting for a peer's", cur, err.msg[0] ? err.msg :
		    "chunks missing");
		cur = 0;
	} else
		log_info("policy serial %" PRIu64 " loaded from the store",
		    cur);
out:
	bundle_release(&b);
	buf_release(&raw);
	return cur;
}

static int
pol_open(struct agent *a, struct tl_err *err)
{
	struct policy_config pc = { POL_PER_PEER, POL_TOTAL };
	struct agent_policy *pol = xcalloc(1, sizeof(*pol));

	a->pol = pol;
	buf_init(&pol->want_raw);
	if ((pol->ps = pstore_open(a->cfg.state_dir, err)) == NULL)
		return agent_err_wrap(err, TL_EIO, "policy store");
	pol->current = pol_load_current(a);
	pol->pm = policy_new(&pc, pol->current);
	if (a->cfg.policy_from != NULL) {
		policy_prefer(pol->pm, a->cfg.policy_from, 1);
		pol->prefer_until_ms = agent_now(a) + POL_PREFER_GRACE_MS;
	}
	return 0;
}

static void
pol_close(struct agent *a)
{
	struct agent_policy *pol = a->pol;

	if (pol == NULL)
		return;
	pstore_free(pol->ps);
	policy_free(pol->pm);
	buf_release(&pol->want_raw);
	free(pol);
	a->pol = NULL;
}

uint64_t
agent_policy_good(const struct agent *a)
{
	return a->pol != NULL ? pstore_mark_get(a->pol->ps, "good") : 0;
}

int
agent_policy_tree(struct agent *a, uint64_t serial, char **dir)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf raw = BUF_INIT;
	struct bundle b;
	int r;

	*dir = NULL;
	if (serial == 0)
		return TL_ENOENT;
	bundle_init(&b);
	if ((r = pstore_get_bundle(a->pol->ps, serial, &raw, &err)) == 0 &&
	    (r = bundle_decode((uint8_t *)raw.data, raw.len, &b, &err)) == 0)
		r = pstore_materialize(a->pol->ps, &b, dir, &err);
	if (r < 0)
		log_err("cannot build policy serial %" PRIu64 ": %s", serial,
		    err.msg);
	bundle_release(&b);
	buf_release(&raw);
	return r;
}

void
agent_policy_mark_good(struct agent *a, uint64_t serial)
{
	struct tl_err err = TL_ERR_INIT;

	if (pstore_mark_get(a->pol->ps, "good") != serial &&
	    pstore_mark_set(a->pol->ps, "good", serial, &err) < 0)
		log_warn("cannot record good policy: %s", err.msg);
}

/* ---- Control requests ----------------------------------------------- */

static void
ctl_publish(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct policy_stats ps;
	struct buf raw = BUF_INIT, out = BUF_INIT;
	struct bundle b;
	int r;

	bundle_init(&b);
	policy_get_stats(a->pol->pm, &ps);
	if (req->nargs != 1)
		r = tl_err_set(&err, TL_EINVAL, "give the path of a bundle");
	else if ((r = fileio_read(req->args[0], BUNDLE_WIRE_MAX, &raw,
	    &err)) < 0 ||
	    (r = pol_check_bundle(a, (uint8_t *)raw.data, raw.len, 0, &b,
	    &err)) < 0) {
		pol_refuse(a, "local publish", r, err.msg);
		goto out;
	}
	if (b.serial <= ps.newest || b.serial > POLICY_SERIAL_MAX) {
		r = tl_err_set(&err, TL_EEXIST, "serial %" PRIu64 " is not "
		    "above the newest in the cluster (%" PRIu64 ") and at "
		    "most %" PRIu64, b.serial, ps.newest, POLICY_SERIAL_MAX);
		pol_refuse(a, "local publish", r, err.msg);
		goto out;
	}
	if (pstore_missing(a->pol->ps, &b) != 0) {
		r = tl_err_set(&err, TL_ENOENT, "the store lacks chunks of "
		    "serial %" PRIu64, b.serial);
		goto out;
	}
	r = pol_accept(a, b.serial, &raw, "local publish", &err);
out:
	if (r < 0)
		buf_addf(&out, "%s\n", err.msg);
	else
		buf_addf(&out, "published policy serial %" PRIu64 " (%zu files, "
		    "%llu bytes)\n", b.serial, b.nfiles,
		    (unsigned long long)b.total);
	agent_ctl_reply(c, r < 0, out.data, out.len);
	bundle_release(&b);
	buf_release(&raw);
	buf_release(&out);
}

#define U(x)	((unsigned long long)(x))

static void
pol_info(const struct agent *a, struct buf *out, int json)
{
	const struct pol_counters *n = &a->pol->n;
	struct policy_stats ps;

	policy_get_stats(a->pol->pm, &ps);
	buf_addf(out, json ?
	    "\"policy_serial\":%llu,\"policy_newest_seen\":%llu,"
	    "\"policy_fetching\":%llu,\"policy_refused_forged\":%llu,"
	    "\"policy_refused_untrusted\":%llu,\"policy_refused_stale\":%llu,"
	    "\"policy_refused_malformed\":%llu,\"policy_bad_chunks\":%llu,"
	    "\"policy_fetch_failures\":%llu,\"policy_chunks_in\":%llu,"
	    "\"policy_chunk_bytes_in\":%llu,\"policy_chunks_out\":%llu,"
	    "\"policy_chunk_bytes_out\":%llu,\"policy_bundles_out\":%llu,"
	    "\"policy_newest_claimed\":%llu,\"policy_liars\":%llu,"
	    "\"policy_bad_claims\":%llu," :
	    "policy: serial %llu, newest seen %llu, fetching %llu\n"
	    "policy refused: forged %llu, untrusted %llu, stale %llu, "
	    "malformed %llu; bad chunks %llu; fetch failures %llu\n"
	    "policy chunks: in %llu (%llu bytes), out %llu (%llu bytes); "
	    "manifests out %llu\n"
	    "policy claims: newest %llu; liars %llu; refused %llu\n",
	    U(a->pol->current), U(ps.newest), U(ps.target), U(n->forged),
	    U(n->untrusted), U(n->stale), U(n->malformed), U(n->bad_chunks),
	    U(n->fetch_failures), U(n->chunks_in), U(n->chunk_bytes_in),
	    U(n->chunks_out), U(n->chunk_bytes_out), U(n->bundles_out),
	    U(ps.claimed), U(ps.liars), U(n->bad_claims));
}

static void
ctl_policy_status(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	int json = req->flags & CTL_F_JSON;
	struct policy_stats ps;
	struct buf out = BUF_INIT;
	uint64_t good = pstore_mark_get(a->pol->ps, "good");

	policy_get_stats(a->pol->pm, &ps);
	if (req->flags & CTL_F_CBOR) {
		codec_put_array(&out, 4);
		codec_put_uint(&out, a->pol->current);
		codec_put_uint(&out, good);
		codec_put_uint(&out, ps.newest > a->pol->current ? ps.newest :
		    a->pol->current);
		codec_put_uint(&out, ps.target);
		agent_ctl_reply(c, 0, out.data, out.len);
		buf_release(&out);
		return;
	}
	buf_addf(&out, json ? "{\"serial\":%llu,\"good\":%llu,\"highest\":%llu,"
	    "\"fetching\":%llu,\"chunks_done\":%zu,\"chunks_total\":%zu,"
	    "\"inflight\":%zu,\"store\":" :
	    "serial: %llu\nlast good: %llu\nnewest seen: %llu\n"
	    "fetching: %llu (%zu of %zu chunks, %zu in flight)\nstore: ",
	    U(a->pol->current), U(good),
	    U(ps.newest > a->pol->current ? ps.newest :
	    a->pol->current), U(ps.target), ps.chunks_done, ps.chunks_total,
	    ps.inflight);
	if (json) {
		buf_add_json_str(&out, pstore_path(a->pol->ps),
		    strlen(pstore_path(a->pol->ps)));
		agent_rollout_status(a, &out, 1);
		buf_addstr(&out, "}\n");
	} else {
		buf_addf(&out, "%s\n", pstore_path(a->pol->ps));
		agent_rollout_status(a, &out, 0);
	}
	agent_ctl_reply(c, 0, out.data, out.len);
	buf_release(&out);
}

static const struct agent_ctl_op pol_ops[] = {
	{ CTL_POLICY_PUBLISH, ctl_publish },
	{ CTL_POLICY_STATUS, ctl_policy_status }, { 0, NULL }
};

const struct agent_sub agent_policy_sub = { .name = "policy",
	.open = pol_open, .tick = pol_tick, .tags = pol_tags,
	.info = pol_info, .close = pol_close, .ctl = pol_ops,
	.on_event = pol_on_event, .on_part = pol_on_part,
	.on_frame = pol_on_frame };
