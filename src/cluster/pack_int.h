#ifndef TLALOC_CLUSTER_PACK_INT_H
#define TLALOC_CLUSTER_PACK_INT_H

/*
 * Internals shared by pack*.c, the unit tests and the fuzz target: the
 * machine's fields and the wire message layer. Not a public API.
 */

#include <stddef.h>
#include <stdint.h>

#include "cluster/pack.h"

struct buf;

#define PACK_WIRE_VERSION	1
#define PACK_PERSIST_VERSION	1
#define PACK_RING		64	/* heartbeat send times kept */
#define PACK_MEMBERS_MAX	(4 * PACK_VOTERS_MAX)

enum pack_msg_type {
	PACK_MSG_PREVOTE = 1,
	PACK_MSG_PREVOTE_RESP = 2,
	PACK_MSG_VOTE = 3,
	PACK_MSG_VOTE_RESP = 4,
	PACK_MSG_HEARTBEAT = 5,
	PACK_MSG_ACK = 6,
	PACK_MSG_TIMEOUT_NOW = 7,
	PACK_MSG_RELEASE = 8,
	PACK_MSG_LAST = 8
};

/*
 * A decoded message. Which fields mean something depends on type (see
 * the table in pack_proto.c); the rest are zero.
 */
struct pack_msg {
	int		 type;
	const char	*name;		/* borrowed from the input */
	size_t		 name_len;
	uint8_t		 from[PACK_ID_LEN];
	uint64_t	 term;
	uint64_t	 ballot;	/* PREVOTE_RESP: responder's term */
	uint64_t	 cfg_term, cfg_version;
	uint64_t	 seq;
	int		 flag;		/* granted, ok, committed, transfer */
	int		 has_voters;
	struct pack_voters voters;	/* HEARTBEAT, when has_voters */
};

/* Appends the encoding of m (name from m->name) to out. */
void	pack_msg_encode(const struct pack_msg *m, struct buf *out);
/* Decodes one message; every field bounded. TL_EINVAL/ETRUNC/ETOOBIG. */
int	pack_msg_decode(struct pack_msg *m, const uint8_t *p, size_t len);

/* Binary search in sorted ids: 1 and *pos if found, else 0 and where
 * id would go. */
int	pack_ids_find(const uint8_t (*ids)[PACK_ID_LEN], size_t n,
	    const uint8_t *id, size_t *pos);
/* Voter-set helpers (pack_proto.c). ids are kept sorted. */
int	pack_voters_has(const struct pack_voters *v, const uint8_t *id);
/* Is id in the set before the pending change? */
int	pack_voters_prev_has(const struct pack_voters *v, const uint8_t *id);
/* Inserts (1) or removes (0) id keeping the order; 0 or TL_E*. */
int	pack_voters_edit(struct pack_voters *v, const uint8_t *id, int add);
int	pack_voters_check(const struct pack_voters *v);

struct pack_peer {
	uint8_t		 id[PACK_ID_LEN];
	uint64_t	 acked_seq;	/* highest round acked this term */
	uint64_t	 cfg_term, cfg_version;	/* what it last said */
	int		 cfg_known;
};

struct pack_absent {
	uint8_t		 id[PACK_ID_LEN];
	uint64_t	 since_ms;	/* first seen missing */
};

struct pack {
	struct pack_config cfg;
	char		 name[PACK_NAME_MAX + 1];
	size_t		 name_len;
	uint8_t		 self[PACK_ID_LEN];

	/* Persistent (pack_persist). */
	uint64_t	 term;
	int		 has_vote;
	uint8_t		 voted_for[PACK_ID_LEN];
	struct pack_voters v;

	/* Volatile. */
	enum pack_role	 role;
	int		 has_leader;
	uint8_t		 leader[PACK_ID_LEN];
	uint64_t	 election_due;	/* ms: start a pre-vote then */
	uint64_t	 promise_until;	/* ms: vote for nobody but... */
	int		 has_promise_to;
	uint8_t		 promise_to[PACK_ID_LEN];	/* ...this node */
	uint64_t	 last_change_ms;
	/* ms: an election we take part in runs; no pre-votes until then. */
	uint64_t	 quiet_until;

	/* Ballot window: the votes of term window_term wait for it. */
	int		 window_open;
	uint64_t	 window_term;
	uint64_t	 window_end;
	uint8_t		 best[PACK_ID_LEN];
	uint64_t	 best_ballot;
	uint8_t		 (*pending)[PACK_ID_LEN];	/* to deny on close */
	size_t		 npending;

	/* Pre-candidate and candidate. */
	uint64_t	 ballot;
	uint8_t		 (*granted)[PACK_ID_LEN];
	size_t		 ngranted;

	/* Leader. */
	struct pack_peer *peers;	/* voters and members but us */
	size_t		 npeers, cap_peers;
	uint64_t	 seq;		/* last round sent */
	uint64_t	 sent_ms[PACK_RING];	/* round seq: sent_ms[seq%RING] */
	uint64_t	 quorum_seq;	/* newest round a quorum acked */
	uint64_t	 quorum_sent_ms;	/* its send time */
	uint64_t	 lease_until;
	uint64_t	 next_round;

	/* Membership view from pack_set_members(). */
	uint8_t		 (*members)[PACK_ID_LEN];	/* sorted */
	size_t		 nmembers;
	int		 has_members;
	struct pack_absent *absent;
	size_t		 nabsent;

	uint8_t		 (*scratch)[PACK_ID_LEN];	/* quorum counting */
	size_t		 cap_scratch;

	struct pack_stats st;
};

/* pack.c */
void	pack_emit(struct pack_io *io, enum pack_event_kind kind,
	    uint64_t term, const uint8_t *id, enum pack_reason reason);
void	pack_send(struct pack *p, struct pack_io *io, const uint8_t *to,
	    struct pack_msg *m);
void	pack_msg_init(const struct pack *p, struct pack_msg *m, int type);
int	pack_quorum(const struct pack *p, const uint8_t (*ids)[PACK_ID_LEN],
	    size_t n);
int	pack_is_voter(const struct pack *p, const uint8_t *id);
int	pack_up_to_date(const struct pack *p, const struct pack_msg *m);
void	pack_set_leader(struct pack *p, struct pack_io *io,
	    const uint8_t *id);
void	pack_clear_leader(struct pack *p, struct pack_io *io);
void	pack_adopt_term(struct pack *p, struct pack_io *io, uint64_t term);
void	pack_become_follower(struct pack *p, struct pack_io *io,
	    enum pack_reason why);
void	pack_reset_election(struct pack *p, struct pack_io *io);
struct pack_peer *pack_peer_get(struct pack *p, const uint8_t *id);
void	pack_sync_peers(struct pack *p);
void	pack_track_absent(struct pack *p, uint64_t now);

/*
 * What a message of one type does: pack_on_message() calls it through a
 * table indexed by type, once the message has decoded, names this pack
 * and is not this node's own.
 */
typedef int	pack_handler(struct pack *p, struct pack_io *io,
		    const struct pack_msg *m);

/* pack_elect.c */
pack_handler	pack_handle_prevote, pack_handle_prevote_resp;
pack_handler	pack_handle_vote, pack_handle_vote_resp;
void	pack_start_prevote(struct pack *p, struct pack_io *io);
void	pack_start_election(struct pack *p, struct pack_io *io);
void	pack_close_window(struct pack *p, struct pack_io *io);

/* pack_lead.c */
pack_handler	pack_handle_heartbeat, pack_handle_ack;
pack_handler	pack_handle_timeout_now, pack_handle_release;
void	pack_become_leader(struct pack *p, struct pack_io *io);
void	pack_send_round(struct pack *p, struct pack_io *io);
void	pack_leader_tick(struct pack *p, struct pack_io *io);

#endif
