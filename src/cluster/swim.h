#ifndef TLALOC_CLUSTER_SWIM_H
#define TLALOC_CLUSTER_SWIM_H

/*
 * Membership: SWIM (Das, Gupta, Motivala 2002) with the Lifeguard
 * extensions (Dadgar, Phillips, Currey 2017), as a pure state machine.
 *
 * The caller (agent/ or sim/) owns sockets, clocks and randomness. It feeds
 * the machine with swim_on_datagram(), swim_on_tick(), swim_join(),
 * swim_leave() and the push-pull calls, each with a struct swim_io that
 * carries the current time, a seeded rng and an outbox. After each call the
 * caller drains the outbox: datagrams to send over UDP, push-pull exchanges
 * to start over TCP, and membership events to report. Nothing in here calls
 * a clock, a socket, a random source or the logger.
 *
 * Identity: a node is its 32-byte Ed25519 public key. The name is a label;
 * two ids claiming one name raise SWIM_EV_NAME_CONFLICT and are never merged.
 * Only a node itself can raise its incarnation or announce that it left:
 * those statements carry its signature, made and checked through the
 * sign/verify hooks in struct swim_config.
 *
 * Datagrams given to swim_on_datagram() must already be authenticated and
 * decrypted by the transport; they are still parsed as hostile (bounded
 * decoders, fuzzed). Every datagram the machine emits is at most
 * swim_config.max_datagram bytes, never more than SWIM_DATAGRAM_MAX.
 *
 * See docs/membership.md for the protocol, the wire format and timings.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct tl_rng;

#define SWIM_ID_LEN		32	/* Ed25519 public key */
#define SWIM_SIG_LEN		64	/* Ed25519 signature */
#define SWIM_HC_LEN		16	/* a health chain element */
#define SWIM_HC_STEPS_MAX	64	/* health flips per statement */
#define SWIM_NAME_MAX		64	/* bytes, without the NUL */
#define SWIM_ADDR_MAX		64	/* "ip:port" or "[v6]:port", opaque */
#define SWIM_TAGS_MAX		512	/* "k=v\0k=v\0..." bytes */
#define SWIM_DATAGRAM_MAX	1200	/* hard cap for any datagram */
#define SWIM_PUSHPULL_MAX	(64u << 20) /* refuse larger push-pull input */

struct swim;			/* opaque */
struct swim_pool;		/* opaque: interned member statements */

enum swim_status {
	SWIM_ALIVE = 0,
	SWIM_SUSPECT = 1,
	SWIM_DEAD = 2,
	SWIM_LEFT = 3
};

/* Lifeguard extensions, each can be turned off for A/B runs. */
#define SWIM_LG_LHM	0x1u	/* local health multiplier on probe timing */
#define SWIM_LG_DYNSUSP	0x2u	/* suspicion timeout shrinks w/ confirmations */
#define SWIM_LG_BUDDY	0x4u	/* pings to a suspect carry the suspicion */
#define SWIM_LG_NACK	0x8u	/* indirect probes answer nack on timeout */
#define SWIM_LG_ALL	0xfu

/*
 * Signs msg with this node's secret key into sig (64 bytes); returns 0 or
 * a negative TL_E* code. verify returns 0 when sig is a valid signature of
 * msg by id, negative otherwise. The agent passes libsodium Ed25519; the
 * simulator passes cheap fakes (documented in docs/simulator.md).
 */
typedef int (*swim_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[SWIM_SIG_LEN]);
typedef int (*swim_verify_fn)(void *ctx, const uint8_t id[SWIM_ID_LEN],
    const uint8_t *msg, size_t len, const uint8_t sig[SWIM_SIG_LEN]);
/*
 * One step of a health chain (swim_health.c): out = H(in), a one-way hash
 * cut to 16 bytes; in and out may be the same buffer. The agent passes
 * keyed BLAKE2b. NULL: health flips are neither sent nor believed.
 */
typedef void (*swim_hash16_fn)(void *ctx, const uint8_t in[SWIM_HC_LEN],
    uint8_t out[SWIM_HC_LEN]);

struct swim_config {
	/* Failure detection. All times in ms. */
	uint32_t	probe_interval_ms;	/* one probe per interval */
	uint32_t	probe_timeout_ms;	/* direct ack deadline */
	uint32_t	indirect_k;		/* peers asked for ping-req */
	double		suspicion_mult;		/* min timeout: mult*log10(N)*pi */
	uint32_t	suspicion_max_mult;	/* Lifeguard max = this * min */
	uint32_t	suspicion_k;	/* confirmations that bring the
					   timeout down to min (>= 1) */
	double		suspicion_floor;	/* with 2*suspicion_k
					   confirmations: this * min (<= 1;
					   0 or 1, the presets: no floor) */
	uint32_t	awareness_max;		/* LHM ceiling (8) */

	/* Dissemination. */
	uint32_t	retransmit_mult;	/* limit = mult*ceil(log10(N+1)) */
	uint32_t	gossip_interval_ms;	/* 0 disables gossip-only sends */
	uint32_t	gossip_nodes;		/* fan-out per gossip tick */
	uint32_t	gossip_to_dead_ms;	/* keep gossiping to the dead */
	uint32_t	broadcast_queue_max;	/* pending broadcasts kept */

	/* Anti-entropy: TCP push-pull of the full state. */
	uint32_t	pushpull_interval_ms;	/* base; 0 disables periodic */
	uint32_t	pushpull_bytes_per_s;	/* budget: interval grows with N
						   so full state stays under it */

	/* Dead peers are retried forever, with capped per-peer backoff. */
	uint32_t	dead_retry_interval_ms;	/* one dead peer per interval */
	uint32_t	dead_backoff_min_ms;
	uint32_t	dead_backoff_max_ms;

	uint32_t	max_datagram;	/* <= SWIM_DATAGRAM_MAX; the agent
					   subtracts its AEAD/header overhead */
	uint32_t	max_members;	/* refuse new members beyond this */
	unsigned	lifeguard;	/* SWIM_LG_* bits */

	swim_sign_fn	 sign;		/* required */
	swim_verify_fn	 verify;	/* required */
	swim_hash16_fn	 hash16;	/* optional: health flips */
	/* Health flips: transmissions of each that may take a datagram of
	 * their own, and the limit as retransmit_mult's; 0: the defaults
	 * (swim_health.c says why). */
	uint32_t	 health_eager;
	uint32_t	 health_retransmit_mult;
	void		*crypto_ctx;	/* passed to sign, verify, hash16 */

	/*
	 * Optional pool shared by several machines in one process (the
	 * simulator runs 10,000 and shares identical member statements);
	 * NULL gives each machine its own. Borrowed; must outlive them.
	 */
	struct swim_pool *pool;
};

/* Presets (memberlist-like timings). Fill in sign/verify afterwards. */
void	swim_config_lan(struct swim_config *c);	/* 1 s probes, 500 ms */
void	swim_config_wan(struct swim_config *c);	/* 5 s probes, 3 s */
void	swim_config_local(struct swim_config *c); /* loopback: 1 s, 200 ms */

/* Who we are. Strings are copied by swim_new(). */
struct swim_self {
	uint8_t		 id[SWIM_ID_LEN];
	const char	*name;		/* 1..SWIM_NAME_MAX bytes, no NUL */
	const char	*addr;		/* "ip:port" others reach us at */
	const char	*tags;		/* "k=v\0k=v\0", may be NULL */
	size_t		 tags_len;	/* <= SWIM_TAGS_MAX */
	uint32_t	 incarnation;	/* start value (snapshot restores it) */
};

/* ---- Outputs ---------------------------------------------------------- */

enum swim_event_kind {
	SWIM_EV_JOINED,		/* first seen alive */
	SWIM_EV_ALIVE,		/* back to alive (refuted, or revived) */
	SWIM_EV_SUSPECT,	/* suspected, not yet dead */
	SWIM_EV_FAILED,		/* declared dead */
	SWIM_EV_LEFT,		/* left gracefully (signed) */
	SWIM_EV_UPDATED,	/* new address or tags */
	SWIM_EV_NAME_CONFLICT,	/* id claims a name other_id holds */
	SWIM_EV_REFUTED		/* we refuted a claim about ourselves */
};

struct swim_event {
	enum swim_event_kind kind;
	uint8_t		 id[SWIM_ID_LEN];
	/* NAME_CONFLICT: the id holding the name; SUSPECT and FAILED: the
	 * accuser (our own id when we accuse, or relay an unknown one);
	 * zeros otherwise. */
	uint8_t		 other_id[SWIM_ID_LEN];
	uint32_t	 incarnation;
	uint32_t	 health_flips;	/* as swim_member's */
	char		 name[SWIM_NAME_MAX + 1];
	char		 addr[SWIM_ADDR_MAX + 1];
};

struct swim_dgram {
	char		 addr[SWIM_ADDR_MAX + 1];	/* destination */
	size_t		 len;
	uint8_t		 data[SWIM_DATAGRAM_MAX];
};

struct swim_pushpull_req {
	char		 addr[SWIM_ADDR_MAX + 1];	/* TCP peer */
	int		 is_join;	/* we are joining: merge all it says */
};

/*
 * Filled by the machine, drained by the caller. Entries are appended; the
 * caller reads them after a call and empties the box with
 * swim_outbox_reset(), which keeps the memory (no allocation per message in
 * steady state). Owned by the caller: swim_outbox_init()/_release().
 */
struct swim_outbox {
	struct swim_dgram	*dgrams;
	size_t			 ndgrams, cap_dgrams;
	struct swim_pushpull_req *pushpulls;
	size_t			 npushpulls, cap_pushpulls;
	struct swim_event	*events;
	size_t			 nevents, cap_events;
	unsigned		 no_events;	/* set: events are not recorded */
};

void	swim_outbox_init(struct swim_outbox *ob);
void	swim_outbox_reset(struct swim_outbox *ob);
void	swim_outbox_release(struct swim_outbox *ob);

/*
 * What the caller hands in on every call. wall_ms is the clock the nodes
 * of a cluster agree on (the agent's CLOCK_REALTIME, NTP-disciplined): in
 * probe round wall_ms / probe_interval_ms every node probes the member a
 * shared schedule gives it, so each member is probed once a round
 * (docs/membership.md, "Probing"). Skew between nodes only blurs round
 * edges; 0 means no such clock, and each node walks its own shuffled
 * round-robin as in SWIM.
 */
struct swim_io {
	uint64_t		 now_ms;	/* monotonic, never goes back */
	struct tl_rng		*rng;		/* seeded; borrowed */
	struct swim_outbox	*out;		/* borrowed; appended to */
	uint64_t		 wall_ms;	/* shared clock, ms; 0: none */
};

/* ---- Lifecycle -------------------------------------------------------- */

/*
 * Returns a new machine, or NULL with err filled when cfg or self is
 * invalid (bad name/addr/tags length, missing hooks, max_datagram over
 * SWIM_DATAGRAM_MAX). Copies cfg and self. Free with swim_free().
 */
struct tl_err;
struct swim *swim_new(const struct swim_config *cfg,
	    const struct swim_self *self, struct tl_err *err);
/* Accepts NULL. */
void	swim_free(struct swim *s);

/* ---- Inputs ----------------------------------------------------------- */

/*
 * One datagram from from_addr (authenticated by the transport). Returns 0,
 * or a negative TL_E* code when it was malformed or carried a bad
 * signature; what was valid before the bad part has been applied, the rest
 * is dropped and counted (swim_stats.bad_packets). Never aborts on input.
 */
int	swim_on_datagram(struct swim *s, struct swim_io *io,
	    const char *from_addr, const uint8_t *p, size_t len);

/*
 * Advances timers: probes, probe timeouts, suspicion timeouts, gossip,
 * push-pull, dead-peer retries, snapshot seeds. Returns the number of ms
 * until it next needs to run (>= 1); calling earlier or later is fine.
 */
int	swim_on_tick(struct swim *s, struct swim_io *io);

/*
 * Starts joining through addr: queues a push-pull request (is_join = 1) and
 * a ping. Call swim_pushpull_merge() with the answer. Returns 0 or TL_EINVAL
 * for an address over SWIM_ADDR_MAX.
 */
int	swim_join(struct swim *s, struct swim_io *io, const char *addr);

/*
 * Leaves gracefully: raises our incarnation, signs a LEFT statement and
 * sends it to gossip_nodes peers at once and on later ticks. The caller
 * keeps ticking for about gossip_interval * retransmit limit before
 * stopping. Returns 0 or the sign hook's error.
 */
int	swim_leave(struct swim *s, struct swim_io *io);

/*
 * Replaces our tags ("k=v\0..." bytes): raises our incarnation and gossips
 * a new signed statement. TL_ETOOBIG over SWIM_TAGS_MAX.
 */
int	swim_set_tags(struct swim *s, struct swim_io *io, const char *tags,
	    size_t len);

/* ---- Push-pull (TCP anti-entropy) ------------------------------------- */

/*
 * Appends our full state to out (the signed statement of every member we
 * know, with its status and incarnation as we see it). is_join marks a
 * join request. Both ends of a TCP exchange send one of these and merge
 * the other's.
 */
void	swim_pushpull_encode(struct swim *s, int is_join, struct buf *out);

/*
 * Merges a peer's full state (from swim_pushpull_encode()). Dead claims
 * about members we hold alive are taken as suspicions, as memberlist does,
 * so a stale peer cannot kill anyone outright. Returns 0, or a negative
 * TL_E* code for malformed input (TL_ETOOBIG over SWIM_PUSHPULL_MAX);
 * *is_join (may be NULL) reports the peer's flag.
 */
int	swim_pushpull_merge(struct swim *s, struct swim_io *io,
	    const uint8_t *p, size_t len, int *is_join);

/* ---- Snapshot (fast rejoin) ------------------------------------------- */

/*
 * Drops every queued broadcast, as if gossip had long since carried them:
 * the state of a node in a settled cluster. For the simulator's warm
 * start, which builds that state by push-pull merges that would otherwise
 * leave each node re-gossiping the whole cluster.
 */
void	swim_settle(struct swim *s);

/*
 * Appends a snapshot of our incarnation and the addresses and ids of the
 * peers we know (alive first, then suspect, then dead), for the agent to
 * save atomically. Left members are not saved.
 */
void	swim_snapshot_encode(const struct swim *s, struct buf *out);

/*
 * Restores a snapshot into a fresh machine: our incarnation goes above the
 * saved one (so we refute any death claim), and the saved peers become
 * rejoin seeds that the next ticks contact with push-pull joins (a few at a
 * time, with backoff) until one answers. Returns 0 or a TL_E* code.
 */
int	swim_snapshot_restore(struct swim *s, const uint8_t *p, size_t len);

/* ---- Reading ---------------------------------------------------------- */

/* A borrowed view of a member; valid until the next call that mutates. */
struct swim_member {
	const uint8_t	*id;		/* SWIM_ID_LEN bytes */
	const char	*name;
	const char	*addr;
	const char	*tags;		/* "k=v\0...", tags_len bytes */
	size_t		 tags_len;
	uint32_t	 incarnation;
	enum swim_status status;
	uint64_t	 status_since_ms; /* io->now_ms when status changed */
	int		 is_self;
	/* Health flips since this statement (swim_health_flip): odd means
	 * critical whatever its health tag says. */
	uint32_t	 health_flips;
};

/* Number of members we hold, self included (index 0 is self). */
size_t	swim_member_count(const struct swim *s);
/* Fills m with member i (0 <= i < swim_member_count()); TL_ENOENT past. */
int	swim_member_at(const struct swim *s, size_t i, struct swim_member *m);
int	swim_member_find(const struct swim *s, const uint8_t id[SWIM_ID_LEN],
	    struct swim_member *m);
/* Counts members in status (self counts as alive). */
size_t	swim_count_status(const struct swim *s, enum swim_status status);
/*
 * Returns the value of tag key in m (borrowed, NUL-terminated), or NULL.
 */
const char *swim_tag_get(const struct swim_member *m, const char *key);

/*
 * Health flips (docs/membership.md, "Health flips"): our statement carries
 * in its tag hc=HEX the anchor e_0 = H^n(seed) of a hash chain; flip k
 * reveals e_k = H^(n-k)(seed) (swim_hc_element) and says, in ~30 bytes
 * and without a signature, that our health is now the statement's (k
 * even) or critical (k odd). k counts from the statement, grows by 1 at
 * a time, at most 64; a new statement needs a new seed (the caller's: the
 * machine draws nothing). Returns TL_EINVAL when the statement has no
 * anchor, k is not above the last flip, or e_k does not hash to it;
 * TL_ETOOBIG when k is over SWIM_HC_STEPS_MAX.
 */
int	swim_health_flip(struct swim *s, struct swim_io *io, uint32_t k,
	    const uint8_t e_k[SWIM_HC_LEN]);
/* Our flips since our current statement. */
uint32_t swim_health_flips(const struct swim *s);
/* e_k = H^(n-k)(seed) for k <= n; e_0 is the anchor. */
void	swim_hc_element(swim_hash16_fn hash, void *ctx,
	    const uint8_t seed[SWIM_HC_LEN], uint32_t n, uint32_t k,
	    uint8_t e_k[SWIM_HC_LEN]);
/* Finds the anchor in tags ("hc=" and 32 hex digits, written lowercase). */
int	swim_hc_anchor_parse(const char *tags, size_t tags_len,
	    uint8_t anchor[SWIM_HC_LEN]);

/*
 * What a datagram was sent for (swim_stats.sent_*): the part of it that
 * is its own, before gossip is piggybacked on it. For measuring where the
 * bytes go (the simulator's report); nothing else depends on it.
 */
enum swim_dgram_kind {
	SWIM_DK_PING,		/* our probe */
	SWIM_DK_PING_FWD,	/* a ping on behalf of a ping-req */
	SWIM_DK_PINGREQ,	/* asking a helper to probe indirectly */
	SWIM_DK_ACK,		/* answering a ping */
	SWIM_DK_ACK_FWD,	/* an indirect ack, relayed to the asker */
	SWIM_DK_NACK,
	SWIM_DK_TELL,		/* a new suspicion told to its member */
	SWIM_DK_LAST_WORD,	/* a lone suspicion asked of its member */
	SWIM_DK_GOSSIP,		/* only piggybacked messages */
	SWIM_DK_SELF,		/* our statement: refutation, join, leave */
	SWIM_DK_CLAIM,		/* a claim answered with its standing */
	SWIM_DK_STALE,		/* statements answering stale claims */
	SWIM_DK_DEAD_RETRY,	/* a dead peer told so, with a ping */
	SWIM_DK_COUNT
};

/* Piggybacked messages by type (swim_stats.pig_*). */
enum swim_pig_kind {
	SWIM_PK_ALIVE, SWIM_PK_SUSPECT, SWIM_PK_DEAD, SWIM_PK_HEALTH,
	SWIM_PK_COUNT
};

struct swim_stats {
	/* Datagrams sent by kind: count, their own bytes, and the bytes of
	 * gossip piggybacked on them (the two add up to dgram_bytes_sent). */
	uint64_t	sent_dgrams[SWIM_DK_COUNT];
	uint64_t	sent_bytes[SWIM_DK_COUNT];
	uint64_t	sent_pig_bytes[SWIM_DK_COUNT];
	/* Piggybacked gossip by message type: messages and bytes. */
	uint64_t	pig_msgs[SWIM_PK_COUNT], pig_bytes[SWIM_PK_COUNT];
	uint64_t	probes_of_suspects;	/* direct probes of a member
						   we already suspected */
	uint64_t	indirect_of_suspects;	/* ping-reqs about one */
	uint64_t	ring_graces;		/* failed schedule probes whose
						   suspicion waited a timeout */
	uint64_t	ring_late_acks;		/* of those, answered in it */
	uint64_t	probes;			/* direct probes sent */
	uint64_t	probe_failures;		/* no ack, even indirect */
	uint64_t	indirect_probes;	/* ping-req sent */
	uint64_t	nacks_received;
	uint64_t	suspicions;		/* members we started suspecting */
	uint64_t	refutations;		/* times we refuted about us */
	uint64_t	deaths;			/* members we declared dead */
	uint64_t	revivals;		/* dead/suspect back to alive */
	uint64_t	dgrams_sent, dgram_bytes_sent;
	uint64_t	dgrams_received, dgram_bytes_received;
	uint64_t	bad_packets;		/* dropped (malformed/signature) */
	uint64_t	pushpulls;		/* push-pull requests queued */
	uint64_t	max_dgram;		/* largest datagram emitted */
	uint64_t	name_conflicts;
	uint64_t	claims_parked;		/* push-pull claims against members
						   we hold alive, held back */
	uint64_t	claims_unrefuted;	/* of those, made suspicions */
	uint64_t	last_words;		/* lone suspicions asked of the
						   member at their deadline */
	uint64_t	stale_answers;		/* datagrams answering claims
						   older than the member's
						   refutation */
	uint64_t	stalls;			/* ticks that came late enough to
						   say we were frozen */
	uint64_t	claims_refused;		/* suspect/dead claims naming an
						   incarnation above the
						   member's highest signed one */
	uint64_t	refutes_held;		/* refutations held back to pace
						   our incarnation (at most one
						   per probe timeout) */
	uint64_t	health_flips_sent;	/* flip messages put in datagrams */
	uint64_t	health_flip_bytes;
	uint64_t	health_dgrams;		/* gossip datagrams only flips
						   asked for */
	uint64_t	health_flips_refused;	/* did not hash to what we hold,
						   or skipped too many */
	uint32_t	awareness;		/* current LHM score */
	uint32_t	incarnation;		/* ours */
	/* The last claim refused (claims_refused), for the log line that
	 * names it: whom it accused, the incarnation it named and the
	 * highest one that member signed. */
	uint8_t		refused_id[SWIM_ID_LEN];
	uint32_t	refused_inc, refused_signed;
};

void	swim_get_stats(const struct swim *s, struct swim_stats *st);

/* ---- Shared pool (for the simulator) ---------------------------------- */

/* Returns a new empty pool; free with swim_pool_free() after the machines. */
struct swim_pool *swim_pool_new(void);
void	swim_pool_free(struct swim_pool *pool);

#endif
