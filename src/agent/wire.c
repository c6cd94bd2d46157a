/*
 * Sockets <-> swim. Incoming datagrams are opened (net/packet.h), split
 * into parts and handed to swim or to the key rotation code; what swim
 * queues is coalesced per destination into compound packets, sealed and
 * sent. Push-pull runs over TCP: one sealed frame each way.
 *
 * Keys per peer: a peer that talks to us with a key other than our
 * primary (it slept through a rotation) gets its answers sealed with that
 * same key, so it stays in the cluster until the old key is removed, and
 * is offered our primary (install only, never "use").
 */
#include "agent/agent_int.h"
#include "agent/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/rd.h"
#include "core/xalloc.h"
#include "net/stream.h"
#include "net/udp.h"

#define PEER_KEY_TTL_MS	60000

/* ---- Per-peer keys -------------------------------------------------- */

static struct peer_key *
peer_key_find(struct agent *a, const char *addr)
{
	for (size_t i = 0; i < AGENT_PEER_KEYS; i++)
		if (a->peer_keys[i].seen_ms != 0 &&
		    strcmp(a->peer_keys[i].addr, addr) == 0)
			return &a->peer_keys[i];
	return NULL;
}

static void
peer_key_note(struct agent *a, const char *addr,
    const uint8_t id[KEYRING_ID_LEN])
{
	uint8_t primary[KEYRING_ID_LEN];
	struct peer_key *pk = peer_key_find(a, addr), *oldest;

	keyring_at(a->kr, 0, primary);
	if (memcmp(id, primary, KEYRING_ID_LEN) == 0) {
		if (pk != NULL)
			pk->seen_ms = 0;
		return;
	}
	if (pk == NULL) {
		oldest = &a->peer_keys[0];
		for (size_t i = 1; i < AGENT_PEER_KEYS; i++)
			if (a->peer_keys[i].seen_ms < oldest->seen_ms)
				oldest = &a->peer_keys[i];
		pk = oldest;
		memset(pk, 0, sizeof(*pk));
		snprintf(pk->addr, sizeof(pk->addr), "%s", addr);
	}
	memcpy(pk->id, id, KEYRING_ID_LEN);
	pk->seen_ms = agent_now(a);
	agent_keys_offer(a, pk);
}

/* The key to seal for addr with: NULL means the primary. */
static const uint8_t *
peer_key_for(struct agent *a, const char *addr)
{
	struct peer_key *pk = peer_key_find(a, addr);

	if (pk == NULL || agent_now(a) - pk->seen_ms > PEER_KEY_TTL_MS ||
	    keyring_find(a->kr, pk->id) == NULL)
		return NULL;
	return pk->id;
}

void
agent_peer_keys_prune(struct agent *a)
{
	for (size_t i = 0; i < AGENT_PEER_KEYS; i++)
		if (a->peer_keys[i].seen_ms != 0 &&
		    keyring_find(a->kr, a->peer_keys[i].id) == NULL)
			a->peer_keys[i].seen_ms = 0;
}

/* ---- UDP ------------------------------------------------------------ */

int
agent_send_body(struct agent *a, const char *addr, const uint8_t *body,
    size_t len)
{
	struct buf pkt = BUF_INIT;
	int r;

	r = pkt_seal(a->kr, peer_key_for(a, addr), PKT_UDP, agent_wall_ms(),
	    body, len, &pkt);
	if (r == 0 && (r = udp_send(a->udp, addr, pkt.data, pkt.len)) == 0) {
		a->st.pkts_out++;
		a->st.bytes_out += pkt.len;
	} else
		a->st.send_errors++;
	buf_release(&pkt);
	return r;
}

static void
udp_dispatch(struct agent *a, const char *from, const uint8_t *body,
    size_t blen)
{
	struct swim_io io;
	const uint8_t *p;
	uint8_t kind;
	struct rd rd;
	size_t n;
	int r;

	rd_init(&rd, body, blen);
	while ((r = pkt_part_next(&rd, &kind, &p, &n)) == 1) {
		if (kind == PKT_PART_SWIM) {
			agent_io(a, &io);
			swim_on_datagram(a->swim, &io, from, p, n);
		} else if (kind == PKT_PART_KEYS)
			agent_keys_on_part(a, from, p, n);
		else if (kind == PKT_PART_POLICY)
			agent_policy_on_part(a, from, p, n);
		else if (kind == PKT_PART_PACK)
			agent_pack_on_part(a, from, p, n);
		else if (kind == PKT_PART_BCAST)
			agent_msgs_on_part(a, p, n);
		else
			r = TL_EINVAL;
		if (r < 0)
			break;
	}
	if (r < 0)
		a->st.pkt.malformed++;
}

void
agent_udp_recv(void *ctx, const char *from, const uint8_t *p, size_t len,
    int is_truncated)
{
	struct agent *a = ctx;
	uint8_t plain[UDP_RECV_MAX], id[KEYRING_ID_LEN];
	const uint8_t *body;
	size_t blen;
	int r;

	a->st.pkts_in++;
	a->st.bytes_in += len;
	if (agent_keyauth_blocked(a, from))
		return;		/* an evicted member: not even opened */
	if (is_truncated)
		r = TL_ETOOBIG;
	else
		r = pkt_open(a->kr, a->replay, PKT_UDP, agent_wall_ms(), p,
		    len, PKT_UDP_MAX, plain, &body, &blen, id);
	pkt_stats_count(&a->st.pkt, r);
	if (r < 0) {
		log_debug("dropped packet from %s: %s", from, tl_strerror(r));
		agent_guard_on_drop(a, from, r);
		return;
	}
	peer_key_note(a, from, id);
	udp_dispatch(a, from, body, blen);
	agent_flush(a);
}

/* Sends every queued datagram, coalescing those for one address. */
static void
flush_dgrams(struct agent *a)
{
	const size_t room = PKT_UDP_MAX - PKT_OVERHEAD;
	struct swim_outbox *ob = &a->ob;
	struct buf body = BUF_INIT;
	uint8_t *sent = xcalloc(ob->ndgrams + 1, 1);

	for (size_t i = 0; i < ob->ndgrams; i++) {
		if (sent[i])
			continue;
		buf_reset(&body);
		for (size_t j = i; j < ob->ndgrams; j++) {
			struct swim_dgram *d = &ob->dgrams[j];

			if (sent[j] || strcmp(d->addr, ob->dgrams[i].addr) ||
			    body.len + PKT_PART_HDR + d->len > room)
				continue;
			pkt_part_add(&body, PKT_PART_SWIM, d->data, d->len);
			sent[j] = 1;
		}
		if (body.len > 0)
			agent_send_body(a, ob->dgrams[i].addr,
			    (uint8_t *)body.data, body.len);
	}
	free(sent);
	buf_release(&body);
}

/* ---- Events --------------------------------------------------------- */

static const char *const ev_names[] = {
	[SWIM_EV_JOINED] = "joined", [SWIM_EV_ALIVE] = "alive",
	[SWIM_EV_SUSPECT] = "suspect", [SWIM_EV_FAILED] = "failed",
	[SWIM_EV_LEFT] = "left", [SWIM_EV_UPDATED] = "updated",
	[SWIM_EV_NAME_CONFLICT] = "name-conflict",
	[SWIM_EV_REFUTED] = "refuted",
};

static void
log_event(const struct swim_event *ev)
{
	char id[17], other[17];

	agent_id_hex(ev->id, id);
	if (ev->kind == SWIM_EV_NAME_CONFLICT) {
		agent_id_hex(ev->other_id, other);
		log_warn("member name-conflict name=%s id=%s holder=%s "
		    "addr=%s", ev->name, id, other, ev->addr);
	} else if (ev->kind == SWIM_EV_SUSPECT || ev->kind == SWIM_EV_FAILED) {
		agent_id_hex(ev->other_id, other);
		log_warn("member %s name=%s id=%s addr=%s incarnation=%u "
		    "by=%s", ev_names[ev->kind], ev->name, id, ev->addr,
		    ev->incarnation, other);
	}
	else
		log_notice("member %s name=%s id=%s addr=%s incarnation=%u",
		    ev_names[ev->kind], ev->name, id, ev->addr,
		    ev->incarnation);
}

/* ---- TCP push-pull -------------------------------------------------- */

struct pp_client {
	struct agent	*a;
	char		 addr[SWIM_ADDR_MAX + 1];
};

static int
tcp_open_frame(struct agent *a, const uint8_t *p, size_t len,
    uint8_t **plain, const uint8_t **body, size_t *blen,
    uint8_t id[KEYRING_ID_LEN])
{
	int r;

	*plain = xmalloc(len + 1);
	r = pkt_open(a->kr, a->replay, PKT_TCP, agent_wall_ms(), p, len,
	    AGENT_TCP_MAX, *plain, body, blen, id);
	pkt_stats_count(&a->st.pkt, r);
	return r;
}

static void
pp_reply_cb(void *ctx, int rc, const uint8_t *p, size_t len)
{
	struct pp_client *pc = ctx;
	struct agent *a = pc->a;
	uint8_t id[KEYRING_ID_LEN], *plain = NULL;
	const uint8_t *body;
	struct swim_io io;
	size_t blen;

	if (rc == 0 && (rc = tcp_open_frame(a, p, len, &plain, &body, &blen,
	    id)) == 0) {
		agent_io(a, &io);
		rc = swim_pushpull_merge(a->swim, &io, body, blen, NULL);
		a->is_snap_dirty = 1;
		agent_flush(a);
	}
	if (rc < 0) {
		a->st.tcp_failures++;
		log_info("push-pull with %s failed: %s", pc->addr,
		    tl_strerror(rc));
	} else
		a->st.tcp_out++;
	free(plain);
	free(pc);
}

static void
pp_start(struct agent *a, const struct swim_pushpull_req *req)
{
	struct buf state = BUF_INIT, pkt = BUF_INIT;
	struct pp_client *pc;

	swim_pushpull_encode(a->swim, req->is_join, &state);
	if (pkt_seal(a->kr, peer_key_for(a, req->addr), PKT_TCP,
	    agent_wall_ms(), (uint8_t *)state.data, state.len, &pkt) == 0) {
		pc = xcalloc(1, sizeof(*pc));
		pc->a = a;
		snprintf(pc->addr, sizeof(pc->addr), "%s", req->addr);
		stream_request_tcp(a->loop, req->addr, pkt.data, pkt.len,
		    AGENT_TCP_MAX, AGENT_TCP_TIMEOUT_MS, pp_reply_cb, pc);
	}
	buf_release(&state);
	buf_release(&pkt);
}

/*
 * A query reply or a converge report: opened like push-pull, answered
 * with an empty frame.
 */
static void
reply_serve(struct agent *a, struct stream_conn *c, const uint8_t *p,
    size_t len)
{
	uint8_t id[KEYRING_ID_LEN], *plain = xmalloc(len + 1);
	const uint8_t *body;
	size_t blen;
	int r;

	r = pkt_open(a->kr, a->replay, p[1], agent_wall_ms(), p, len,
	    AGENT_TCP_MAX, plain, &body, &blen, id);
	pkt_stats_count(&a->st.pkt, r);
	if (r == 0 && p[1] == PKT_QREPLY)
		agent_query_on_reply(a, body, blen);
	else if (r == 0)
		agent_convreq_on_report(a, stream_conn_peer(c), body, blen);
	else
		log_info("%s from %s refused: %s", p[1] == PKT_QREPLY ?
		    "query reply" : "converge report", stream_conn_peer(c),
		    tl_strerror(r));
	stream_respond(c, "", 0);
	free(plain);
}

void
agent_tcp_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
    size_t len)
{
	struct agent *a = ctx;
	struct buf state = BUF_INIT, pkt = BUF_INIT;
	uint8_t id[KEYRING_ID_LEN], *plain = NULL;
	const uint8_t *body;
	struct swim_io io;
	size_t blen;
	int r;

	/* The type byte is authenticated by pkt_open() in the handler. */
	if (len > 1 && p[1] == PKT_POLICY) {
		agent_policy_serve(a, c, p, len);
		return;
	}
	if (len >= 2 && p[1] == PKT_REPLICA) {
		agent_repl_serve(a, c, p, len);
		return;
	}
	if (len >= 2 && p[1] == PKT_HISTORY) {
		agent_hist_serve(a, c, p, len);
		return;
	}
	if (len >= 2 && (p[1] == PKT_QREPLY || p[1] == PKT_CREPORT)) {
		reply_serve(a, c, p, len);
		return;
	}
	if ((r = tcp_open_frame(a, p, len, &plain, &body, &blen, id)) == 0) {
		agent_io(a, &io);
		r = swim_pushpull_merge(a->swim, &io, body, blen, NULL);
	}
	if (r == 0) {
		/* Answer with the key the peer used: it may lack ours. */
		swim_pushpull_encode(a->swim, 0, &state);
		r = pkt_seal(a->kr, id, PKT_TCP, agent_wall_ms(),
		    (uint8_t *)state.data, state.len, &pkt);
		a->st.tcp_in++;
		a->is_snap_dirty = 1;
	} else {
		a->st.tcp_failures++;
		log_info("push-pull from %s refused: %s", stream_conn_peer(c),
		    tl_strerror(r));
		agent_guard_on_drop(a, stream_conn_peer(c), r);
	}
	/* An empty frame tells a refused peer nothing it can use. */
	stream_respond(c, pkt.data, pkt.len);
	free(plain);
	buf_release(&state);
	buf_release(&pkt);
	agent_flush(a);
}

/* ---- Flush ---------------------------------------------------------- */

void
agent_flush(struct agent *a)
{
	struct swim_outbox *ob = &a->ob;

	flush_dgrams(a);
	for (size_t i = 0; i < ob->npushpulls; i++)
		pp_start(a, &ob->pushpulls[i]);
	for (size_t i = 0; i < ob->nevents; i++) {
		log_event(&ob->events[i]);
		a->is_snap_dirty = 1;
	}
	/* Live dashboards hear of a member event at once, not at the
	 * next turn of their change watch. */
	if (ob->nevents > 0)
		agent_http_notify(a, "members");
	/* Events are read after the reset: policy may queue new swim
	 * datagrams (a tag change) through agent_flush() again. */
	if (ob->nevents > 0) {
		struct swim_event *evs = xcalloc(ob->nevents, sizeof(*evs));
		size_t n = ob->nevents;

		memcpy(evs, ob->events, n * sizeof(*evs));
		swim_outbox_reset(ob);
		for (size_t i = 0; i < n; i++) {
			agent_keyauth_on_event(a, &evs[i]);
			agent_msgs_on_event(a, &evs[i]);
			agent_policy_on_event(a, &evs[i]);
			agent_svc_on_event(a, &evs[i]);
		}
		free(evs);
		return;
	}
	swim_outbox_reset(ob);
}
