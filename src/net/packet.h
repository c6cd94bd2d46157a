#ifndef TLALOC_NET_PACKET_H
#define TLALOC_NET_PACKET_H

/*
 * Sealed packets: what goes on the wire for UDP gossip and inside every
 * TCP push-pull frame. See docs/protocol.md for the full picture.
 *
 *   0       1       2                               6
 *   +-------+-------+-------------------------------+
 *   |  ver  | type  |        key id (4 bytes)       |   header: 30 bytes,
 *   +-------+-------+-------------------------------+   all of it is AEAD
 *   |            nonce (24 random bytes)            |   additional data
 *   +-----------------------------------------------+
 *   |   ciphertext of the plaintext below ...       |
 *   +-----------------------------------------------+
 *   |        Poly1305 tag (16 bytes)                |
 *   +-----------------------------------------------+
 *
 *   plaintext:
 *   +-----------------------------------------------+
 *   |  sent_ms (u64, sender's wall clock, unix ms)  |
 *   +-------+---------------+-----------------------+
 *   | kind  |  len (u16)    |  part bytes (len) ... |   repeated: a
 *   +-------+---------------+-----------------------+   compound packet
 *
 * AEAD is XChaCha20-Poly1305-IETF; the nonce is random, so keys never need
 * counters. The receiver reads ver, type and key id, picks that key, and
 * opens; nothing else is looked at before the tag checks out.
 *
 * Replays: an opened packet must be fresh (sent_ms no more than past_ms
 * behind our clock, and no more than future_ms ahead: the clock-skew
 * bound) and its nonce must not be in the replay cache, a bounded set of
 * the nonces of recently accepted packets (a 64-bit prefix of each; random
 * 192-bit nonces do not collide). A packet stamped beyond the skew bound
 * is refused before it reaches the cache, so nobody can make us remember
 * a nonce for longer than past_ms + future_ms. The cache is kept in send
 * time order: it doubles when full (up to a hard maximum) and halves when
 * under a quarter full (down to its start size); past the maximum, the
 * oldest-stamped entry is evicted and the "horizon" rises to its send
 * time: from then on packets sent at or before the horizon are refused as
 * stale, so an evicted nonce can never be accepted twice. The costs:
 * clocks must agree within the skew bound (NTP), and under a flood that
 * fills the maximum within future_ms (the flooder must stamp its packets
 * near the skew bound and send max of them within it) the horizon reaches
 * the present, so a sender whose clock runs behind the others loses
 * packets until the flood ends.
 */

#include <stddef.h>
#include <stdint.h>

#include "net/keyring.h"

struct buf;
struct keyring;

#define PKT_VERSION	1
#define PKT_NONCE_LEN	24
#define PKT_TAG_LEN	16
#define PKT_HDR_LEN	(2 + KEYRING_ID_LEN + PKT_NONCE_LEN)
#define PKT_OVERHEAD	(PKT_HDR_LEN + PKT_TAG_LEN + 8)	/* + sent_ms */
#define PKT_PART_HDR	3			/* kind + u16 length */
#define PKT_UDP_MAX	1200	/* whole datagram, crypto included */

enum pkt_type {
	PKT_UDP = 1,		/* gossip datagram */
	PKT_TCP = 2,		/* one push-pull frame */
	PKT_POLICY = 3,		/* policy transfer frame (agent/policy.c) */
	PKT_QREPLY = 4,		/* a query reply over TCP (agent/query.c) */
	PKT_REPLICA = 5,	/* bucket replicas (agent/replica_*.c) */
	PKT_CREPORT = 6,	/* a converge report over TCP
				   (cluster/convrep.h) */
	PKT_HISTORY = 12	/* run history asked of a peer
				   (agent/history_glue.c) */
};

enum pkt_part_kind {
	PKT_PART_SWIM = 1,	/* a swim datagram, handed to swim */
	PKT_PART_KEYS = 2,	/* keyring operation (agent/keys.c) */
	PKT_PART_BCAST = 3,	/* user broadcast: channels, queries */
	PKT_PART_PACK = 4,	/* pack election and leases */
	PKT_PART_POLICY = 5	/* policy announcements and status */
};

/* Why packets were dropped; the agent shows these in `tlaloc info`. */
struct pkt_stats {
	uint64_t	accepted;
	uint64_t	truncated;	/* shorter than header + tag */
	uint64_t	oversized;	/* over the caller's bound */
	uint64_t	bad_header;	/* unknown version or type */
	uint64_t	unknown_key;	/* key id not in our ring */
	uint64_t	decrypt_failures; /* tag did not verify */
	uint64_t	replays;	/* nonce seen before */
	uint64_t	stale;		/* too old, or at/before the horizon */
	uint64_t	future;		/* stamped beyond the skew bound */
	uint64_t	malformed;	/* authentic, but parts don't parse */
};

/* Adds one to the counter that matches the result of pkt_open(). */
void	pkt_stats_count(struct pkt_stats *st, int rc);
/* Total of every drop counter. */
uint64_t pkt_stats_dropped(const struct pkt_stats *st);

/* ---- Replay cache ---- */

struct replay;			/* opaque */

/*
 * Remembers cap nonces at first, growing to max; accepts packets sent up
 * to past_ms before now and future_ms after it (the clock-skew bound).
 * Free with replay_free().
 */
struct replay *replay_new(size_t cap, size_t max, uint32_t past_ms,
	    uint32_t future_ms);
void	replay_free(struct replay *rp);
/*
 * Checks and records one accepted packet: 0 when new, TL_EEXIST for a
 * replay, TL_EAGAIN when sent_ms is beyond the skew bound (not
 * recorded), TL_ETIMEOUT when it is older than past_ms or at/before the
 * horizon.
 */
int	replay_check(struct replay *rp, const uint8_t nonce[PKT_NONCE_LEN],
	    uint64_t sent_ms, uint64_t now_ms);
/* Packets sent at or before this (unix ms) are refused; 0 at first. */
uint64_t replay_horizon(const struct replay *rp);

/* ---- Seal and open ---- */

/*
 * Appends a sealed packet of type holding body (the parts) to out, using
 * the key with id key_id, or the primary when key_id is NULL. now_ms is the
 * wall clock. Returns 0, or TL_ENOENT when there is no such key.
 */
int	pkt_seal(const struct keyring *kr, const uint8_t *key_id, uint8_t type,
	    uint64_t now_ms, const uint8_t *body, size_t len, struct buf *out);

/*
 * Authenticates and decrypts packet p of len bytes, which must be of
 * type and at most max bytes. On success returns 0, points *body and *blen at
 * the parts inside plain (a caller buffer of at least len bytes) and
 * copies the key id used into key_id. Errors, each counted by
 * pkt_stats_count(): TL_ETRUNC, TL_ETOOBIG, TL_EINVAL (header), TL_ENOENT
 * (key id), TL_ECRYPTO (tag), TL_EEXIST (replay), TL_ETIMEOUT (stale),
 * TL_EAGAIN (stamped beyond the skew bound).
 * rp may be NULL to skip replay checks (tests, fuzzing).
 */
int	pkt_open(const struct keyring *kr, struct replay *rp, uint8_t type,
	    uint64_t now_ms, const uint8_t *p, size_t len, size_t max,
	    uint8_t *plain, const uint8_t **body, size_t *blen,
	    uint8_t key_id[KEYRING_ID_LEN]);

/*
 * The first PKT_PEEK_LEN bytes of a packet say its version, type and key
 * id: what can be checked before the rest has arrived (a TCP frame's
 * guard, net/stream.h). Returns 0 when the version is ours, the type is
 * in types (bit 1 << type) and the key id is in kr; TL_EINVAL or
 * TL_ENOENT otherwise. It proves nothing about the sender: the key id
 * travels in the clear.
 */
#define PKT_PEEK_LEN	(2 + KEYRING_ID_LEN)
int	pkt_peek(const struct keyring *kr, uint32_t types, const uint8_t *p,
	    size_t n);

/* ---- Compound bodies ---- */

/* Appends one part; n must be <= UINT16_MAX. */
void	pkt_part_add(struct buf *body, uint8_t kind, const void *p, size_t n);
/*
 * Reads the next part from a body: returns 1 and fills kind/p/n, 0 at the
 * end, TL_ETRUNC when a part is cut short, TL_EINVAL for a zero kind.
 */
struct rd;
int	pkt_part_next(struct rd *rd, uint8_t *kind, const uint8_t **p,
	    size_t *n);

#endif
