#ifndef TLALOC_CLUSTER_BCAST_H
#define TLALOC_CLUSTER_BCAST_H

/*
 * User broadcast: small messages (channel text, direct messages, queries)
 * spread to every node by gossip, as a pure state machine. Like swim.h,
 * it owns no socket, clock or random source: the caller hands in a
 * struct bcast_io with the time, a seeded rng, a way to pick live peers
 * and an outbox, and drains datagrams to send and messages to deliver.
 *
 * Every message carries its sender's id, a per-sender sequence number
 * within the sender's epoch (its start time: a restarted sender begins a
 * new epoch), a Lamport time and the sender's wall clock. A node
 *   - delivers each message once: duplicates are recognised by (sender,
 *     epoch, seq), which is the same as (sender, Lamport time) because a
 *     sender's Lamport time rises with every message it sends;
 *   - delivers one sender's messages in their order: a message that
 *     arrives ahead of a missing one waits up to hold_ms for it, then the
 *     gap is skipped (counted). Each message carries the oldest seq its
 *     sender sent within the recent window, so a node hearing from a
 *     sender for the first time knows which earlier messages to wait for
 *     (relays can overtake each other even without loss); a skipped
 *     message that turns up later is still delivered, late (counted),
 *     since losing it would be worse;
 *   - relays every new message at once to gossip_nodes random peers, then
 *     piggybacks it on its gossip ticks until it was sent
 *     retransmit_mult * ceil(log10(N + 1)) times (the idea of memberlist's
 *     transmit-limited queue: most-needed messages first);
 *   - drops, without relaying, messages older than recent_ms by the
 *     sender's wall clock (a node back from downtime sees only what is
 *     recent, never a flood of old news), and messages over a sender's
 *     rate (token bucket, rate_per_s with burst rate_burst).
 * Delivery is to this node: the machine delivers every message once, and
 * the caller decides whether it is interested (channel membership, the
 * target of a direct message, a query's filter). Nodes relay messages
 * they are not interested in.
 *
 * Every message is signed by its sender's node key (the sign hook), and
 * a node believes a message only when the signature verifies against the
 * sender id it names, that id is a member (the io's member hook, which
 * reads the membership's signed statements) and the name it gives is the
 * member's. The cluster key only lets a node talk: without the signature
 * any member could speak as any other, start a new epoch for it (which
 * silences its real messages as stale) or invent sender ids past the rate
 * limit. Signing, not per-pair keys, because every message is relayed:
 * a relay passes the same signed bytes on, and a receiver checks the
 * author, not the neighbour. A message is checked once, the first time
 * it is not a duplicate of one already believed, so relayed copies cost
 * nothing; per-sender state (windows, holds, rate bucket) is only made
 * for a message that passed, so it exists only for members, and it is
 * freed recent_ms after the member leaves or fails (bcast_forget()).
 *
 * Datagrams from bcast_on_datagram() must be authenticated by the
 * transport; they are still parsed as hostile (bounded, fuzzed).
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct tl_err;
struct tl_rng;

#define BCAST_ID_LEN		32	/* sender id: Ed25519 public key */
#define BCAST_NAME_MAX		64	/* sender name, bytes */
#define BCAST_TARGET_MAX	128	/* channel, node name or filter */
#define BCAST_PAYLOAD_MAX	768	/* bytes; fits one UDP datagram */
#define BCAST_ADDR_MAX		64
#define BCAST_DATAGRAM_MAX	1200
#define BCAST_SIG_LEN		64	/* Ed25519 */
#define BCAST_WIRE_VERSION	2	/* 2: messages are signed */

enum bcast_kind {
	BCAST_CHANNEL = 1,	/* target: "#name", payload: text */
	BCAST_DIRECT = 2,	/* target: a node name, payload: text */
	BCAST_QUERY = 3,	/* target: "", payload: an encoded query */
	BCAST_KIND_LAST
};

/*
 * Same contract as swim's hooks (swim.h): sign fills sig and returns 0 or
 * a TL_E* code; verify returns 0 when sig is id's signature of msg.
 */
typedef int (*bcast_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[BCAST_SIG_LEN]);
typedef int (*bcast_verify_fn)(void *ctx, const uint8_t id[BCAST_ID_LEN],
    const uint8_t *msg, size_t len, const uint8_t sig[BCAST_SIG_LEN]);

struct bcast_config {
	bcast_sign_fn	 sign;			/* required */
	bcast_verify_fn	 verify;		/* required */
	void		*crypto_ctx;		/* passed to both */
	uint32_t	retransmit_mult;	/* limit = mult*ceil(log10(N+1)) */
	uint32_t	gossip_interval_ms;	/* piggyback tick */
	uint32_t	gossip_nodes;		/* fan-out per tick and relay */
	uint32_t	recent_ms;		/* older messages are dropped */
	uint32_t	hold_ms;		/* wait for a missing message */
	uint32_t	rate_per_s;		/* per sender, tokens per second */
	uint32_t	rate_burst;		/* per sender, bucket size */
	uint32_t	queue_max;		/* messages kept for relaying */
	uint32_t	senders_max;		/* senders remembered */
	uint32_t	max_datagram;		/* <= BCAST_DATAGRAM_MAX */
};

/* Defaults: 100 ms gossip, fan-out 3, mult 6, 30 s window, 2 s hold,
 * 10 messages/s with a burst of 50 per sender. */
void	bcast_config_default(struct bcast_config *c);

struct bcast_msg {
	uint8_t		 kind;			/* enum bcast_kind */
	uint8_t		 sender[BCAST_ID_LEN];
	char		 sender_name[BCAST_NAME_MAX + 1];
	uint64_t	 epoch;
	uint64_t	 seq;			/* 1, 2, ... per epoch */
	uint64_t	 base;			/* sender's oldest seq still
						   inside the recent window */
	uint64_t	 ltime;			/* Lamport time */
	uint64_t	 wall_ms;		/* sender's clock, unix ms */
	char		 target[BCAST_TARGET_MAX + 1];
	size_t		 len;
	uint8_t		 payload[BCAST_PAYLOAD_MAX];
	uint8_t		 sig[BCAST_SIG_LEN];	/* sender's, over the rest */
};

/* Why a message was not believed (bcast_outbox.refused). */
enum bcast_refusal {
	BCAST_REFUSED_FORGED = 1,	/* signature does not verify */
	BCAST_REFUSED_STRANGER = 2,	/* sender id is not a member */
	BCAST_REFUSED_NAME = 3		/* member, but under another name */
};

struct bcast_refused {
	uint8_t		 reason;		/* enum bcast_refusal */
	uint8_t		 sender[BCAST_ID_LEN];	/* as claimed */
	char		 sender_name[BCAST_NAME_MAX + 1]; /* as claimed */
};

struct bcast_dgram {
	char		 addr[BCAST_ADDR_MAX + 1];
	size_t		 len;
	uint8_t		 data[BCAST_DATAGRAM_MAX];
};

/* Filled by the machine, emptied by the caller with bcast_outbox_reset(). */
struct bcast_outbox {
	struct bcast_dgram	*dgrams;
	size_t			 ndgrams, cap_dgrams;
	struct bcast_msg	*delivered;
	size_t			 ndelivered, cap_delivered;
	struct bcast_refused	*refused;	/* for the caller's log */
	size_t			 nrefused, cap_refused;
};

void	bcast_outbox_init(struct bcast_outbox *ob);
void	bcast_outbox_reset(struct bcast_outbox *ob);
void	bcast_outbox_release(struct bcast_outbox *ob);

/*
 * Writes the address of live peer i (0 <= i < npeers) into addr and
 * returns 0, or returns < 0 when slot i holds no live peer (dead, or us).
 */
typedef int (*bcast_peer_fn)(void *ctx, size_t i,
    char addr[BCAST_ADDR_MAX + 1]);

/*
 * Returns 0 and writes the member's name when id is a member whose
 * messages we take (the membership holds its signed statement, and it
 * has not left), < 0 otherwise.
 */
typedef int (*bcast_member_fn)(void *ctx, const uint8_t id[BCAST_ID_LEN],
    char name[BCAST_NAME_MAX + 1]);

struct bcast_io {
	uint64_t		 now_ms;	/* monotonic */
	uint64_t		 wall_ms;	/* unix ms, for the window */
	struct tl_rng		*rng;
	size_t			 npeers;	/* slots peer() answers for */
	size_t			 nlive;		/* N for the retransmit limit */
	bcast_peer_fn		 peer;
	bcast_member_fn		 member;	/* NULL: nobody is */
	void			*ctx;		/* for peer and member */
	struct bcast_outbox	*out;
};

struct bcast;

/*
 * Returns a new machine for sender id/name starting epoch (its start time
 * in unix ms; it must be above the epoch of any earlier run of this node,
 * which peers may still remember); NULL with err for a bad config (the
 * hooks missing) or name.
 */
struct bcast *bcast_new(const struct bcast_config *cfg,
	    const uint8_t id[BCAST_ID_LEN], const char *name, uint64_t epoch,
	    struct tl_err *err);
void	bcast_free(struct bcast *b);	/* accepts NULL */

/*
 * Sends a message: it is delivered here too (in the outbox) and relayed
 * at once. Errors, with err saying the rule: TL_EINVAL (kind, target),
 * TL_ETOOBIG (payload over BCAST_PAYLOAD_MAX or target too long),
 * TL_EAGAIN (over our own rate limit). *ltime (may be NULL) gets the
 * message's Lamport time.
 */
int	bcast_send(struct bcast *b, struct bcast_io *io, uint8_t kind,
	    const char *target, const void *payload, size_t len,
	    uint64_t *ltime, struct tl_err *err);

/* One BCAST part from a peer. 0, or < 0 when malformed (counted). */
int	bcast_on_datagram(struct bcast *b, struct bcast_io *io,
	    const uint8_t *p, size_t len);

/*
 * The member left or failed: its per-sender state is freed recent_ms
 * after now (then its messages are all stale), unless a message of its
 * own is believed meanwhile. Until then a replay of what it said is still
 * recognised as a duplicate.
 */
void	bcast_forget(struct bcast *b, const uint8_t id[BCAST_ID_LEN],
	    uint64_t now_ms);

/* Gossip tick and hold timeouts. Returns ms until it next wants to run. */
int	bcast_on_tick(struct bcast *b, struct bcast_io *io);

/* Our current Lamport time. */
uint64_t bcast_lamport(const struct bcast *b);

struct bcast_stats {
	uint64_t	sent;		/* messages we originated */
	uint64_t	delivered;	/* messages delivered here, ours too */
	uint64_t	duplicates;	/* already seen */
	uint64_t	stale;		/* outside the recent window */
	uint64_t	rate_limited;	/* over a sender's rate */
	uint64_t	gaps;		/* seqs skipped when a hold expired */
	uint64_t	late;		/* delivered after a later one */
	uint64_t	malformed;	/* parts that did not parse */
	uint64_t	forged;		/* bad signature */
	uint64_t	strangers;	/* sender not a member */
	uint64_t	wrong_name;	/* a member's id under another name */
	uint64_t	dgrams_sent, dgram_bytes_sent;
	uint64_t	queued;		/* messages being relayed now */
	uint64_t	senders;	/* per-sender states held now */
};

void	bcast_get_stats(const struct bcast *b, struct bcast_stats *st);

/* ---- Wire (exposed for the fuzzer and tests) ---- */

/* Appends one encoded message (a CBOR array, signature last) to out. */
void	bcast_msg_encode(const struct bcast_msg *m, struct buf *out);
/*
 * Appends what the sender signs: a domain string, then the message's
 * items without the signature, as an array of their own. A receiver
 * checks the signature over this canonical form, not over the bytes it
 * got, so a relay can neither re-encode a message into something else
 * nor need to keep the bytes it was given.
 */
void	bcast_msg_signed(const struct bcast_msg *m, struct buf *out);
/*
 * Decodes a BCAST part (version, then messages) calling fn for each valid
 * message. Returns the number of messages, or < 0 at the first bad one
 * (those before it were already handed to fn).
 */
int	bcast_part_decode(const uint8_t *p, size_t len,
	    void (*fn)(void *ctx, const struct bcast_msg *m), void *ctx);

#endif
