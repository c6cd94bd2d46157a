/*
 * Sockets <-> the agent. Incoming datagrams are opened (net/packet.h),
 * split into parts and handed to swim or to the subsystem that owns the
 * part's kind (struct agent_sub on_part); TCP frames go to push-pull or
 * to the subsystem that owns their packet type (on_frame).
 *
 * Keys per peer: a peer that talks to us with a key other than our
 * primary (it slept through a rotation) gets its answers sealed with that
 * same key, so it stays in the cluster until the old key is removed, and
 * the keys subsystem offers it our primary (AGENT_EV_OLD_KEY).
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/membership.h"
#include "agent/refusals.h"
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
	struct agent_event ev = { .kind = AGENT_EV_OLD_KEY };
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
	ev.peer = pk;
	agent_emit(a, &ev);
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

int
agent_seal_for(struct agent *a, const char *addr, uint8_t type,
    const struct buf *body, struct buf *pkt)
{
	return pkt_seal(a->kr, peer_key_for(a, addr), type, agent_wall_ms(),
	    (const uint8_t *)body->data, body->len, pkt);
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
	if (r == 0 && a->udp == NULL)
		r = TL_EIO;	/* a unit test's agent has no socket */
	if (r == 0 && (r = udp_send(a->udp, addr, pkt.data, pkt.len)) == 0) {
		a->st.pkts_out++;
		a->st.bytes_out += pkt.len;
	} else
		a->st.send_errors++;
	buf_release(&pkt);
	return r;
}

int
agent_send_part(struct agent *a, const char *addr, uint8_t kind,
    const void *p, size_t len)
{
	struct buf body = BUF_INIT;
	int r;

	pkt_part_add(&body, kind, p, len);
	r = agent_send_body(a, addr, (uint8_t *)body.data, body.len);
	/* Parts may carry keys (keyring rotation). */
	memset(body.data, 0, body.len);
	buf_release(&body);
	return r;
}

/*
 * A suspect or dead claim naming an incarnation its member never signed
 * is what one holding the cluster key sends to evict a node for good
 * (docs/membership.md): swim refuses and counts it; we say so, with the
 * sender, at most once a minute.
 */
static void
claims_log(struct agent *a, const char *from, uint64_t before)
{
	struct swim_stats ss;
	struct swim_member m;
	char id[17];
	uint64_t n;

	swim_get_stats(a->swim, &ss);
	if (ss.claims_refused == before ||
	    !agent_refusal_due(a, REFUSAL_SWIM, &n))
		return;
	agent_id_hex(ss.refused_id, id);
	log_warn("refused a suspect or dead claim about '%s' (id %s) at "
	    "incarnation %lu from %s: it signed up to %lu; %llu such since "
	    "the last line", swim_member_find(a->swim, ss.refused_id, &m) == 0 ?
	    log_escape(m.name) : "?", id, (unsigned long)ss.refused_inc, from,
	    (unsigned long)ss.refused_signed, (unsigned long long)n);
}

/* A swim part from a peer: to the machine; refused claims logged. */
static void
swim_datagram(struct agent *a, const char *from, const uint8_t *p,
    size_t n)
{
	struct swim_stats ss;
	struct swim_io io;

	swim_get_stats(a->swim, &ss);
	agent_io(a, &io);
	swim_on_datagram(a->swim, &io, from, p, n);
	claims_log(a, from, ss.claims_refused);
}

/* The part to its owner; 0 when no subsystem takes its kind. */
static int
part_dispatch(struct agent *a, uint8_t kind, const char *from,
    const uint8_t *p, size_t n)
{
	if (kind == PKT_PART_SWIM) {
		swim_datagram(a, from, p, n);
		return 1;
	}
	for (size_t i = 0; i < a->nsubs; i++)
		if (a->subs[i]->on_part != NULL &&
		    a->subs[i]->on_part(a, kind, from, p, n))
			return 1;
	return 0;
}

void
agent_udp_recv(void *ctx, const char *from, const uint8_t *p, size_t len,
    int is_truncated)
{
	struct agent *a = ctx;
	uint8_t plain[UDP_RECV_MAX], id[KEYRING_ID_LEN];
	const uint8_t *body, *part;
	size_t blen, n;
	uint8_t kind;
	struct rd rd;
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
	rd_init(&rd, body, blen);
	while ((r = pkt_part_next(&rd, &kind, &part, &n)) == 1)
		if (!part_dispatch(a, kind, from, part, n)) {
			r = TL_EINVAL;
			break;
		}
	if (r < 0)
		a->st.pkt.malformed++;
	agent_flush(a);
}

/* ---- TCP ------------------------------------------------------------ */

int
agent_frame_open(struct agent *a, uint8_t type, const uint8_t *p,
    size_t len, size_t max, struct buf *body, uint8_t *id)
{
	uint8_t kid[KEYRING_ID_LEN], *plain;
	const uint8_t *b;
	size_t blen;
	int r;

	if (len == 0)
		return TL_ECRYPTO;	/* the peer could not open ours */
	plain = xmalloc(len + 1);
	r = pkt_open(a->kr, a->replay, type, agent_wall_ms(), p, len, max,
	    plain, &b, &blen, id != NULL ? id : kid);
	pkt_stats_count(&a->st.pkt, r);
	if (r == 0)
		buf_add(body, b, blen);
	free(plain);
	return r;
}

int
agent_frame_request(struct agent *a, const char *addr, uint8_t type,
    const struct buf *body, size_t max, uint32_t timeout_ms,
    stream_reply_fn fn, void *ctx)
{
	struct buf pkt = BUF_INIT;
	int r;

	if ((r = pkt_seal(a->kr, NULL, type, agent_wall_ms(),
	    (const uint8_t *)body->data, body->len, &pkt)) == 0)
		stream_request_tcp(a->loop, addr, pkt.data, pkt.len, max,
		    timeout_ms, fn, ctx);
	buf_release(&pkt);
	return r;
}

void
agent_frame_deliver(struct agent *a, struct stream_conn *c, uint8_t type,
    const uint8_t *p, size_t len, const char *what,
    void (*deliver)(struct agent *a, const char *from, const uint8_t *body,
    size_t len))
{
	struct buf body = BUF_INIT;
	int rc;

	if ((rc = agent_frame_open(a, type, p, len, AGENT_TCP_MAX, &body,
	    NULL)) < 0)
		log_info("%s from %s refused: %s", what, stream_conn_peer(c),
		    tl_strerror(rc));
	else
		deliver(a, stream_conn_peer(c), (uint8_t *)body.data,
		    body.len);
	/* Last: answering lets go of c, and its peer name with it. */
	stream_respond(c, "", 0);
	buf_release(&body);
}

void
agent_tcp_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
    size_t len)
{
	struct agent *a = ctx;

	/* The type byte is authenticated by pkt_open() in the handler. */
	if (len >= 2 && p[1] != PKT_TCP)
		for (size_t i = 0; i < a->nsubs; i++)
			if (a->subs[i]->on_frame != NULL &&
			    a->subs[i]->on_frame(a, c, p[1], p, len))
				return;
	if (a->swim == NULL) {
		stream_respond(c, "", 0);
		return;
	}
	agent_pushpull_serve(a, c, p, len);
}
