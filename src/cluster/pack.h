#ifndef TLALOC_CLUSTER_PACK_H
#define TLALOC_CLUSTER_PACK_H

/*
 * Packs: one leader per group of nodes, elected Raft-style, as a pure
 * state machine (the design essay is at the top of pack.c).
 *
 * The caller (agent/ or sim/) owns sockets, clocks and randomness, as with
 * swim.h. It feeds the machine with pack_on_message(), pack_on_tick(),
 * pack_set_members() and pack_step_down(), each with a struct pack_io that
 * carries the local monotonic time, a seeded rng and an outbox. After each
 * call the caller:
 *   1. if pack_outbox.persist is set, saves pack_persist_encode() durably
 *      (the vote and term must hit the disk before any reply leaves),
 *   2. sends each message to its destination id,
 *   3. reports the events,
 * then empties the box with pack_outbox_reset().
 *
 * Identity: a node is its 32-byte id (the SWIM id, an Ed25519 public key).
 * Messages must come through the authenticated transport; they are still
 * parsed as hostile (bounded decoders, fuzzed). Messages for another pack,
 * with a stale term, or from a node that is not a voter when only a voter
 * may send them are dropped and counted (struct pack_stats).
 *
 * See docs/pack.md for the protocol, timings and the wire format.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct tl_err;
struct tl_rng;

#define PACK_ID_LEN		32
#define PACK_NAME_MAX		64	/* bytes, [a-z0-9_-] */
#define PACK_VOTERS_MAX		101	/* voters in one pack */
#define PACK_MSG_MAX		4096	/* largest encoded message */

struct pack;			/* opaque */

enum pack_role {
	PACK_FOLLOWER = 0,
	PACK_PRECANDIDATE = 1,	/* asking for pre-votes; term unchanged */
	PACK_CANDIDATE = 2,
	PACK_LEADER = 3
};

/*
 * Timings, all in ms on the node's own clock. pack_config_check() enforces
 *   heartbeat_ms < promise_ms < election_ms
 *   lease_ms <= promise_ms * (1e6 - drift_ppm) / (1e6 + drift_ppm)
 * which is what keeps two leases apart when clocks run at rates within
 * drift_ppm of real time (see the essay in pack.c).
 */
struct pack_config {
	uint32_t	heartbeat_ms;	/* leader's round interval */
	uint32_t	election_ms;	/* silence before a pre-vote */
	uint32_t	jitter_ms;	/* random extra, [0, jitter) */
	uint32_t	ballot_window_ms; /* voters collect ballots this long */
	uint32_t	promise_ms;	/* a heartbeat binds a voter this long */
	uint32_t	lease_ms;	/* lease from a quorum round's send */
	uint32_t	drift_ppm;	/* bound on clock rate error */
	uint32_t	reap_ms;	/* a voter gone this long is removed */
	uint32_t	bootstrap_expect; /* voters of the first config */
};

/* LAN: 100 ms rounds, 750 ms election, 650 ms promise, 2% drift. */
void	pack_config_lan(struct pack_config *c);
/* WAN: 500 ms rounds, 5 s election. */
void	pack_config_wan(struct pack_config *c);
/* Returns 0, or TL_EINVAL with err filled when the bounds above fail. */
int	pack_config_check(const struct pack_config *c, struct tl_err *err);

/* ---- Persistent state --------------------------------------------------- */

/*
 * What must survive a restart so a node never votes twice in a term and
 * never forgets a voter-set it acknowledged. The agent saves it (atomic
 * write + fsync) whenever pack_outbox.persist is set, before sending.
 */
struct pack_voters {
	uint64_t	term;		/* term of the leader that made it */
	uint64_t	version;	/* +1 per change (and per new leader) */
	int		committed;	/* a quorum acknowledged it */
	size_t		n;
	uint8_t		ids[PACK_VOTERS_MAX][PACK_ID_LEN];	/* sorted */
	/* The single change from the previous set: delta added (1) or
	 * removed (0); no change when has_delta is 0. */
	int		has_delta;
	int		delta_added;
	uint8_t		delta_id[PACK_ID_LEN];
};

struct pack_persist {
	uint64_t	term;
	int		has_vote;
	uint8_t		voted_for[PACK_ID_LEN];	/* in term */
	struct pack_voters voters;
};

/* Appends the state (versioned CBOR) to out. */
void	pack_persist_encode(const struct pack *p, struct buf *out);
/* Decodes a saved state into ps; TL_EINVAL/TL_ETRUNC/TL_ETOOBIG. */
int	pack_persist_decode(struct pack_persist *ps, const uint8_t *b,
	    size_t len);

/* ---- Outputs ------------------------------------------------------------ */

enum pack_event_kind {
	PACK_EV_LEADER,		/* leader (id) known for term */
	PACK_EV_LEADER_LOST,	/* we no longer know a leader */
	PACK_EV_ELECTED,	/* we became leader (id is ours) */
	PACK_EV_STEPPED_DOWN,	/* we stopped leading; reason below */
	PACK_EV_VOTERS,		/* voter set changed (committed) */
	PACK_EV_ELECTION	/* we started an election for term */
};

enum pack_reason {
	PACK_R_NONE = 0,
	PACK_R_HIGHER_TERM,	/* saw a newer term */
	PACK_R_NO_QUORUM,	/* check-quorum: majority not heard */
	PACK_R_REQUESTED,	/* pack_step_down() */
	PACK_R_REMOVED		/* we are no longer a voter */
};

struct pack_event {
	enum pack_event_kind kind;
	uint64_t	 term;
	uint8_t		 id[PACK_ID_LEN];
	enum pack_reason reason;
};

struct pack_out_msg {
	uint8_t		 to[PACK_ID_LEN];
	size_t		 off, len;	/* in pack_outbox.bytes */
};

/*
 * Filled by the machine, drained by the caller; owned by the caller.
 * pack_outbox_reset() keeps the memory.
 */
struct pack_outbox {
	struct pack_out_msg *msgs;
	size_t		 nmsgs, cap_msgs;
	uint8_t		*bytes;
	size_t		 nbytes, cap_bytes;
	struct pack_event *events;
	size_t		 nevents, cap_events;
	int		 persist;	/* save pack_persist_encode() first */
};

void	pack_outbox_init(struct pack_outbox *ob);
void	pack_outbox_reset(struct pack_outbox *ob);
void	pack_outbox_release(struct pack_outbox *ob);

struct pack_io {
	uint64_t		 now_ms;	/* local monotonic clock */
	struct tl_rng		*rng;		/* seeded; borrowed */
	struct pack_outbox	*out;		/* borrowed; appended to */
};

/* ---- Lifecycle ---------------------------------------------------------- */

/*
 * Returns a new machine for pack name with our id, or NULL with err filled
 * (bad name, bad config). saved (may be NULL) is the state from the last
 * run. Because a restarted node may have promised a leader before it
 * crashed, it grants no vote and starts no election for promise_ms from
 * now_ms. Copies everything. Free with pack_free().
 */
struct pack *pack_new(const struct pack_config *cfg, const char *name,
	    const uint8_t id[PACK_ID_LEN], const struct pack_persist *saved,
	    uint64_t now_ms, struct tl_err *err);
void	pack_free(struct pack *p);	/* accepts NULL */

/*
 * Sets the first voter set (version 1, term 0, committed) when we have
 * none: ids need not be sorted; duplicates are dropped. Every node of a
 * new pack must be given the same set (the agent derives it from
 * bootstrap_expect, see docs/pack.md). TL_EEXIST when we already have a
 * voter set, TL_EINVAL for 0 or over PACK_VOTERS_MAX ids.
 */
int	pack_bootstrap(struct pack *p, struct pack_io *io,
	    const uint8_t (*ids)[PACK_ID_LEN], size_t n);

/* ---- Inputs ------------------------------------------------------------- */

/*
 * One message from the transport. Returns 0 when it was used, or a
 * negative TL_E* code when it was dropped (malformed: TL_EINVAL/TL_ETRUNC;
 * another pack, stale term, not a voter: TL_EPERM); every drop is counted.
 */
int	pack_on_message(struct pack *p, struct pack_io *io,
	    const uint8_t *msg, size_t len);

/*
 * Runs timers: heartbeats, election timeouts, ballot windows, lease and
 * check-quorum, voter-set changes. Returns ms until it next needs to run
 * (>= 1); calling earlier or later is fine.
 */
int	pack_on_tick(struct pack *p, struct pack_io *io);

/*
 * The live members of the pack as the membership layer sees them (alive
 * SWIM members with tag pack=NAME, self included). The leader adds
 * members that are not voters, one at a time, and removes voters that
 * have been absent for reap_ms. Copies ids; n <= 4 * PACK_VOTERS_MAX.
 */
int	pack_set_members(struct pack *p, struct pack_io *io,
	    const uint8_t (*ids)[PACK_ID_LEN], size_t n);

/*
 * Leader only: gives up the lease at once, tells the voters so, and asks
 * the most recently heard voter to start an election now. TL_EPERM when
 * we are not the leader, TL_ENOENT when there is no other voter.
 */
int	pack_step_down(struct pack *p, struct pack_io *io);

/* ---- Reading ------------------------------------------------------------ */

enum pack_role pack_role(const struct pack *p);
uint64_t pack_term(const struct pack *p);
/* Copies the known leader's id into id and returns 1, or 0 if none. */
int	pack_leader(const struct pack *p, uint8_t id[PACK_ID_LEN]);
/* Borrowed; valid until the next call that mutates. */
const struct pack_voters *pack_voters(const struct pack *p);
const char *pack_name(const struct pack *p);
/*
 * 1 only while we are the leader and hold a lease that no other node of
 * the pack can hold at the same time (now_ms on our clock).
 */
int	pack_am_leader_with_lease(const struct pack *p, uint64_t now_ms);
/* Local time the lease ends (0: none). */
uint64_t pack_lease_until(const struct pack *p);
/* Local time of the last voter-set or leader change. */
uint64_t pack_last_change_ms(const struct pack *p);

struct pack_stats {
	uint64_t	bad_msgs;	/* malformed */
	uint64_t	wrong_pack;	/* for another pack */
	uint64_t	stale_term;	/* older term than ours */
	uint64_t	not_voter;	/* from a non-voter where one must be */
	uint64_t	refused_votes;	/* vote/pre-vote requests denied */
	uint64_t	prevotes;	/* pre-vote rounds we started */
	uint64_t	elections;	/* candidacies we started */
	uint64_t	elected;	/* times we became leader */
	uint64_t	step_downs;
	uint64_t	voter_changes;	/* committed by us as leader */
	uint64_t	msgs_sent, msgs_received;
};

void	pack_get_stats(const struct pack *p, struct pack_stats *st);

/* ---- Wire helpers (tests, fuzzing, the agent) --------------------------- */

/*
 * Reads the pack name and the sender of an encoded message without the
 * rest, so the agent can check the sender's signature and its pack
 * before the machine sees the message. Returns 0 and sets *name
 * (borrowed from msg, not NUL-terminated), *n and from, or a TL_E* code.
 */
int	pack_msg_peek(const uint8_t *msg, size_t len, const char **name,
	    size_t *n, uint8_t from[PACK_ID_LEN]);

#endif
