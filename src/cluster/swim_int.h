#ifndef TLALOC_CLUSTER_SWIM_INT_H
#define TLALOC_CLUSTER_SWIM_INT_H

/*
 * Internals shared by swim*.c and the unit tests: the interned signed
 * statement, the pool, and the wire message layer. Not a public API.
 */

#include <stddef.h>
#include <stdint.h>

#include "cluster/swim.h"

struct buf;
struct rd;

#define SWIM_WIRE_VERSION	1
#define SWIM_TAGS_NMAX		32	/* tags per statement */
#define SWIM_BODY_MAX		(SWIM_ID_LEN + SWIM_NAME_MAX + \
				 SWIM_ADDR_MAX + SWIM_TAGS_MAX + 128)

/* Message types on the wire (first item of each message array). */
enum swim_msg_type {
	SWIM_MSG_PING = 1,
	SWIM_MSG_PINGREQ = 2,
	SWIM_MSG_ACK = 3,
	SWIM_MSG_NACK = 4,
	SWIM_MSG_ALIVE = 5,	/* a signed statement: alive or left */
	SWIM_MSG_SUSPECT = 6,
	SWIM_MSG_DEAD = 7,
	SWIM_MSG_HEALTH = 8	/* a health flip (swim_health.c) */
};

/*
 * A signed statement a node made about itself, immutable once interned and
 * shared by every member record (of every machine using the pool) that
 * holds it. raw is the wire image "bstr(body) bstr(sig)"; name, addr and
 * tags point into the same allocation.
 */
struct swim_stmt {
	uint64_t	 hash;
	uint32_t	 refs;
	uint32_t	 incarnation;
	uint8_t		 id[SWIM_ID_LEN];
	uint8_t		 status;	/* SWIM_ALIVE or SWIM_LEFT */
	uint16_t	 raw_len;
	uint16_t	 tags_len;
	const uint8_t	*body;		/* inside raw */
	size_t		 body_len;
	const uint8_t	*sig;		/* inside raw */
	const char	*name;
	const char	*addr;
	const char	*tags;
	uint8_t		 raw[];
};

/* Decoded fields of a statement body, borrowed from the input. */
struct swim_stmt_fields {
	const uint8_t	*id;
	uint32_t	 incarnation;
	const char	*name;
	size_t		 name_len;
	const char	*addr;
	size_t		 addr_len;
	char		 tags[SWIM_TAGS_MAX];
	size_t		 tags_len;
	uint8_t		 status;
};

/*
 * Encodes a statement body: [id, inc, name, addr, [tags...], status].
 * Tags come as "k=v\0k=v\0" and go out as an array of text strings.
 */
void	swim_body_encode(struct buf *out, const uint8_t *id, uint32_t inc,
	    const char *name, const char *addr, const char *tags,
	    size_t tags_len, uint8_t status);
/* Decodes and validates a body; f borrows from p. */
int	swim_body_decode(const uint8_t *p, size_t len,
	    struct swim_stmt_fields *f);
/* Checks "k=v\0" form: each entry non-empty, has '=', ends with NUL. */
int	swim_tags_valid(const char *tags, size_t len);

/*
 * Returns the interned statement for (body, sig) with one more reference,
 * creating it from f when new. Release with swim_pool_put().
 */
struct swim_stmt *swim_pool_get(struct swim_pool *pool, const uint8_t *body,
	    size_t body_len, const uint8_t *sig,
	    const struct swim_stmt_fields *f);
void	swim_pool_put(struct swim_pool *pool, struct swim_stmt *st);
size_t	swim_pool_size(const struct swim_pool *pool);

/* ---- The machine's state (swim.c, swim_proto.c, swim_sync.c) ---- */

#define SWIM_NONE	UINT32_MAX
#define SWIM_FWD_MAX	64	/* ping-reqs we relay at once; arbitrary */
#define SWIM_SEEDS_MAX	16	/* snapshot addresses kept for rejoin */
#define SWIM_CONFIRM_MAX 8	/* confirmations tracked per suspicion */

/*
 * One member as we see it. Kept small: the simulator holds 10^8 of them.
 */
struct swim_mbr {
	struct swim_stmt *st;		/* latest signed statement */
	uint64_t	 since_ms;	/* when status last changed */
	uint32_t	 inc;		/* >= st->incarnation (suspect/dead) */
	uint32_t	 bq;		/* broadcast slot or SWIM_NONE */
	uint32_t	 susp;		/* suspect: suspicion slot; dead:
					   index in the dead list */
	uint8_t		 status;	/* enum swim_status */
	uint8_t		 parked;	/* a second-hand claim waits */
};

/* A dead member and when to retry it (capped exponential backoff). */
struct swim_dead {
	uint32_t	 member;
	uint32_t	 retry_at_s;
	uint32_t	 tried_s;	/* last retry (0: none) */
	uint32_t	 retries;
};

/* A pending broadcast about one member (one per member at most). */
struct swim_bcast {
	uint32_t	 member;
	uint32_t	 from;		/* accuser (suspect/dead), member idx */
	uint32_t	 inc;
	uint32_t	 order;		/* newer is larger */
	uint32_t	 pos;		/* index in the heap */
	uint8_t		 type;		/* SWIM_MSG_ALIVE/SUSPECT/DEAD */
	uint8_t		 transmits;
	uint8_t		 is_news;	/* a new member: twice the limit */
	uint8_t		 urgent;	/* a refutation: goes first */
};

struct swim_susp {
	uint32_t	 member;
	uint32_t	 inc;
	uint32_t	 nconfirm;	/* independent accusers beyond first */
	uint32_t	 last_words;	/* asks at a lone deadline (tick) */
	uint32_t	 from[SWIM_CONFIRM_MAX]; /* accusers seen */
	uint64_t	 start_ms;
	uint64_t	 deadline_ms;
};

/* A suspicion or death heard through push-pull, waiting for a refutation. */
struct swim_parked {
	uint32_t	 member;
	uint32_t	 inc;
	uint64_t	 due_ms;
};

/* A ping-req we relay: our ping's seq, the asker's seq and address. */
struct swim_fwd {
	uint32_t	 seq;		/* our ping to the target */
	uint32_t	 their_seq;
	uint64_t	 nack_at_ms;	/* 0: no nack wanted or sent */
	uint64_t	 expire_ms;
	char		 addr[SWIM_ADDR_MAX + 1];
};

struct swim_probe {
	int		 active;
	int		 acked;
	int		 indirect_sent;
	uint32_t	 member;
	uint32_t	 seq;
	uint32_t	 nacks_expected;
	uint32_t	 nacks;
	uint64_t	 direct_deadline_ms;
	uint64_t	 end_ms;
	int		 from_ring;	/* the shared schedule's target */
};

/*
 * A failed probe from the shared schedule, waiting one probe timeout for
 * a late ack before it raises a suspicion (swim_ring.c, "grace").
 */
struct swim_grace {
	int		 active;
	uint32_t	 member;
	uint32_t	 seq;		/* the failed probe's */
	uint32_t	 inc;		/* the member's when the probe failed */
	uint64_t	 until_ms;
};

#define SWIM_STALE_MAX	8	/* stale claims answered per datagram */
#define SWIM_PROBE_SOON	6	/* nodes probing a fresh suspect out of turn */

struct swim {
	struct swim_config cfg;
	struct swim_pool *pool;
	int		 own_pool;
	int		 leaving;

	struct swim_mbr	*m;		/* [0] is self */
	size_t		 n, cap;
	uint32_t	*idtab;		/* member idx + 1; 0 empty */
	uint32_t	*nametab;
	size_t		 tabcap;	/* power of two */
	size_t		 name_stale;	/* stale nametab entries (renames) */
	size_t		 nstatus[4];	/* members per status, self incl. */

	uint32_t	*order;		/* probe order (member indices) */
	size_t		 norder, order_pos, cap_order;
	/* The shared probe schedule (swim_ring.c): alive and suspect
	 * members, self included, sorted by swim_ring_key, except the
	 * last ring_tail entries, added since and not yet sorted in. */
	uint32_t	*ring;
	size_t		 nring, ring_tail, cap_ring;
	uint64_t	 ring_round;	/* last round probed from the
					   ring + 1; 0: none */
	struct swim_grace grace;
	struct swim_probe probe;
	uint32_t	 probe_soon;	/* member idx + 1 to probe next; 0 none */
	uint32_t	 awareness;

	struct swim_bcast *bc;		/* slots */
	uint32_t	*bc_free;
	size_t		 nbc_free, cap_bc;
	uint32_t	*heap;		/* slot ids, min (transmits, -order) */
	size_t		 nheap;
	uint32_t	 bc_order;

	struct swim_susp *susp;		/* active suspicions, dense */
	size_t		 nsusp, cap_susp;
	struct swim_dead *dead;		/* dead members, dense */
	size_t		 ndead, cap_dead;
	struct swim_parked *parked;	/* FIFO; the wait shrinks with N, so
					   an entry may wait for an older one */
	size_t		 park_head, npark, cap_park;
	struct swim_fwd	 fwd[SWIM_FWD_MAX];
	size_t		 nfwd;
	uint32_t	 stale[SWIM_STALE_MAX];	/* members the datagram being
						   read made stale claims on */
	size_t		 nstale;

	char		 seeds[SWIM_SEEDS_MAX][SWIM_ADDR_MAX + 1];
	size_t		 nseeds, seed_pos;
	uint32_t	 seed_backoff_ms;

	uint64_t	 next_probe_ms, next_gossip_ms, next_pushpull_ms;
	uint64_t	 next_retry_ms, next_seed_ms, last_revive_pp_ms;
	uint64_t	 last_revival_ms;	/* a dead member came back */
	uint64_t	 last_refute_ms;	/* our last refutation */
	uint64_t	 last_proof_ask_ms;	/* answered a claim above us */
	uint64_t	 refute_due_ms;	/* a held refutation; 0 none */
	uint32_t	 refute_above;	/* incarnation it must go above */
	char		 refute_to[SWIM_ADDR_MAX + 1]; /* its claimer, or "" */
	uint64_t	 tick_due_ms;	/* when our last tick asked to run again */
	int		 started;
	uint32_t	 pp_entry_bytes;	/* measured by the last encode */

	uint8_t		 tmp_id[SWIM_ID_LEN];	/* self, until signed */
	char		 tmp_name[SWIM_NAME_MAX + 1];
	char		 tmp_addr[SWIM_ADDR_MAX + 1];
	struct buf	*pkt;		/* scratch for the packet we build */
	enum swim_dgram_kind pkt_kind;	/* what pkt is for (counters) */
	struct buf	*tmp;
	struct swim_stats st;
	struct swim_hc	*hc;		/* health flips (swim_health.c) */
};

/* swim.c: members; swim_rules.c: state changes */
uint32_t swim_find(const struct swim *s, const uint8_t *id);
uint32_t swim_find_name(const struct swim *s, const char *name);
void	swim_member_renamed(struct swim *s, uint32_t idx,
	    const struct swim_stmt *old);
void	swim_event(struct swim *s, struct swim_io *io, int kind,
	    uint32_t idx, const uint8_t *other_id);
void	swim_set_status(struct swim *s, struct swim_io *io, uint32_t idx,
	    uint8_t status, uint32_t inc);
uint32_t swim_member_add(struct swim *s, struct swim_io *io,
	    struct swim_stmt *st);
int	swim_apply_stmt(struct swim *s, struct swim_io *io,
	    const uint8_t *body, size_t body_len, const uint8_t *sig,
	    const char *from_addr, int via_pushpull, uint32_t *idx);
void	swim_apply_suspect(struct swim *s, struct swim_io *io, uint32_t idx,
	    uint32_t inc, uint32_t from, const char *from_addr);
void	swim_apply_dead(struct swim *s, struct swim_io *io, uint32_t idx,
	    uint32_t inc, uint32_t from, const char *from_addr, int soften);
void	swim_apply_merged_claim(struct swim *s, struct swim_io *io,
	    uint32_t idx, uint8_t status, uint32_t inc, int new_to_us);
/* Turns parked claims nobody refuted in time into our suspicions. */
void	swim_parked_expire(struct swim *s, struct swim_io *io);
int	swim_self_resign(struct swim *s, uint32_t inc, uint8_t status);
int	swim_refute(struct swim *s, struct swim_io *io, uint32_t above,
	    const char *to_addr);
/* Sends our current statement to to_addr alone. */
void	swim_send_self(struct swim *s, struct swim_io *io,
	    const char *to_addr);
uint32_t swim_retransmit_limit(const struct swim *s);
uint64_t swim_suspicion_timeout(const struct swim *s, uint32_t nconfirm);

/* swim_ring.c: the shared probe schedule (docs/membership.md, "Probing") */
/* The order every node gives member ids: a hash of the whole id, read
 * byte by byte so that every platform computes the same. */
uint64_t swim_ring_key(const uint8_t id[SWIM_ID_LEN]);
/* Member idx became alive or suspect (joined, revived) / stopped being
 * both (dead, left). O(1) to add; O(log N + N) memmove to remove. */
void	swim_ring_add(struct swim *s, uint32_t idx);
void	swim_ring_remove(struct swim *s, uint32_t idx);
/*
 * The member this round's schedule gives us to probe, or SWIM_NONE: no
 * shared clock (io->wall_ms 0), nobody else alive, or this round's probe
 * already went out (then the caller's own order picks). Spends the round.
 */
uint32_t swim_ring_target(struct swim *s, const struct swim_io *io);
/*
 * The probe that just failed came from the schedule and its member is
 * alive: holds its suspicion back for one probe timeout (returns 1), or
 * returns 0 when it may be raised now. An earlier held one is settled.
 */
int	swim_ring_grace(struct swim *s, struct swim_io *io,
	    const struct swim_probe *pr);
/* An ack for the held probe's seq: the member answered late (returns 1). */
int	swim_ring_late_ack(struct swim *s, uint32_t seq);
/* Raises the held suspicion once its grace ran out (swim_on_tick). */
void	swim_ring_tick(struct swim *s, struct swim_io *io);

/* swim_proto.c: the broadcast queue and packets */
void	swim_bq_push(struct swim *s, uint32_t member, uint8_t type,
	    uint32_t inc, uint32_t from);
void	swim_bq_drop(struct swim *s, uint32_t member);
/*
 * Marks member's queued statement as news of a new member, sent twice as
 * many times. A node that misses a death or a suspicion finds out by
 * probing; one that misses a join never probes the newcomer and waits for
 * a push-pull, minutes apart in a large cluster. At the plain limit about
 * one node in 20,000 misses a join (bench/sim crash1k, seed 1).
 */
void	swim_bq_mark_news(struct swim *s, uint32_t member);
/*
 * Marks member's queued statement as a refutation, sent before any claim.
 * Entries are taken fewest transmissions first, so a stream of fresh
 * claims (a partition's onset: thousands of suspicions and deaths, each
 * new) starves an older refutation; at 3,000 nodes a third of one side
 * waited 25-40 s for one and 21 nodes declared a live member dead (bench/sim
 * partition, before the change). Refutations are rare and each saves a
 * life.
 */
void	swim_bq_mark_urgent(struct swim *s, uint32_t member);
/* Leaves member's queued entry only `left` more transmissions. */
void	swim_bq_thin(struct swim *s, uint32_t member, uint32_t left);
/* Tells member idx, in one datagram, that we suspect it (buddy system);
 * kind says why, for the counters. */
void	swim_tell_suspect(struct swim *s, struct swim_io *io, uint32_t idx,
	    enum swim_dgram_kind kind);
/* Restores the suspicion heap (earliest deadline first) after the deadline
 * of the suspicion in slot changed, or it was added there. */
void	swim_susp_fix(struct swim *s, uint32_t slot);
/* Rebuilds the heap after many deadlines changed. */
void	swim_susp_heapify(struct swim *s);
/* A fresh probe sequence number, never 0 (see swim_proto.c). */
uint32_t swim_new_seq(struct swim_io *io);
/* Starts s->pkt, a datagram sent for kind (counted by swim_pkt_send). */
void	swim_pkt_begin(struct swim *s, enum swim_dgram_kind kind);
void	swim_pkt_send(struct swim *s, struct swim_io *io, const char *addr,
	    int piggyback);
size_t	swim_pick_random(struct swim *s, struct swim_io *io, uint32_t *out,
	    size_t want, unsigned mask, uint32_t exclude,
	    uint64_t dead_since_ms);
void	swim_probe_indirect(struct swim *s, struct swim_io *io);
/* Lifeguard's local health multiplier: probe times are stretched by it. */
uint32_t swim_lhm(const struct swim *s);
/* Our probe of member idx failed and we held it alive: suspect it and tell
 * it (buddy system). */
void	swim_probe_suspect(struct swim *s, struct swim_io *io, uint32_t idx);
void	swim_probe_start(struct swim *s, struct swim_io *io);
void	swim_out_pushpull(struct swim *s, struct swim_io *io,
	    const char *addr, int is_join);
void	swim_put_member_msg(struct swim *s, struct buf *b, uint8_t type,
	    uint32_t member, uint32_t inc, uint32_t from);

/* ---- Health flips (swim_health.c) ---- */

#define SWIM_HC_GAP_MAX	16	/* flips one message may skip (hashes) */
#define SWIM_HC_EAGER	3	/* transmissions that may take a datagram
				   of their own; the rest piggyback */
#define SWIM_HC_RT_MULT	3	/* limit = this * ceil(log10(N + 1)) */

struct swim_hc;

uint64_t swim_hash_id(const uint8_t *id);
void	swim_hc_free(struct swim_hc *hc);
/* The member's flips since its current statement (0: none, or no chain). */
uint32_t swim_hc_flips(const struct swim *s, uint32_t member);
/* The member's latest verified flip for its current statement and its
 * element in *elem (borrowed); 0 when there is none. */
uint32_t swim_hc_latest(const struct swim *s, uint32_t member,
	    const uint8_t **elem);
/* A flip from push-pull, sent beside the statement whose body is given:
 * verified as a gossiped one if that is the statement we hold for idx;
 * refused (counted) or ignored, never an error. */
void	swim_hc_on_pushpull(struct swim *s, struct swim_io *io, uint32_t idx,
	    const uint8_t *body, size_t body_len, uint64_t step,
	    const uint8_t *elem, size_t elem_len);
/* Reads one HEALTH message's items after the type. */
int	swim_hc_on_msg(struct swim *s, struct swim_io *io, struct rd *rd);
/* Appends pending flips to s->pkt while it stays within limit. */
void	swim_hc_fill(struct swim *s, size_t limit);
/* Whether a flip still wants datagrams of its own. */
int	swim_hc_wants_gossip(const struct swim *s);

#endif
