#ifndef TLALOC_AGENT_AGENT_INT_H
#define TLALOC_AGENT_AGENT_INT_H

/*
 * The agent's core, as every subsystem sees it (docs/hacking.md): the
 * loop, the configuration, the node's identity and keyring, the
 * membership machine and the sockets, and the contract a subsystem
 * fills in to take part (struct agent_sub). Nothing here knows any
 * subsystem by name: agent.c lists them in one table, and the core
 * drives them through it. A subsystem's own state is opaque (a pointer
 * below, its fields in its .c file); its header says what other
 * subsystems may call.
 */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "agent/config.h"
#include "cluster/swim.h"
#include "core/buf.h"
#include "core/rng.h"
#include "net/addr.h"
#include "net/keyring.h"
#include "net/packet.h"
#include "net/stream.h"

struct agent;
struct bcast_msg;
struct ctl_cursor;
struct ctl_req;
struct ident;
struct nonces;
struct replay;
struct stream_conn;
struct stream_srv;
struct tl_err;
struct udp;

#define AGENT_TCP_MAX	(16u << 20) /* push-pull frame bound, bytes */
#define AGENT_TCP_TIMEOUT_MS 10000
#define AGENT_PEER_KEYS	128	/* peers remembered speaking an old key */

/* ---- The subsystem contract ---------------------------------------- */

/*
 * What happens in the agent that more than one subsystem may care about.
 * agent_emit() hands an event to every subsystem's on_event, in table
 * order; a subsystem that does not care ignores it.
 */
enum agent_ev_kind {
	AGENT_EV_MEMBER = 1,	/* member: a membership event (swim) */
	AGENT_EV_MSG,		/* msg: a broadcast delivered here */
	AGENT_EV_CHAN_MSG,	/* msg: ... for a channel we are in, or
				   for us, after the listeners had it */
	AGENT_EV_CONVERGE,	/* why: someone wants a converge */
	AGENT_EV_RUN_DONE,	/* done: a converge run ended */
	AGENT_EV_OLD_KEY,	/* peer: a peer spoke with an old key */
	AGENT_EV_LEAVE,		/* the node is leaving the cluster */
	AGENT_EV_RELOAD		/* config: SIGHUP's new settings */
};

struct peer_key;
struct refusals;

/* A converge run that ended, as AGENT_EV_RUN_DONE tells it. */
struct agent_run {
	uint64_t	 starts;	/* runs started: this one's number */
	uint64_t	 runs;		/* runs finished, this one included */
	uint64_t	 serial;	/* the policy it converged */
	int		 status;	/* apply's exit status */
	uint64_t	 when_s;	/* unix seconds, at its end */
	unsigned	 duration_ms, changed, failed;
	const char	*why;
	const char	*error;		/* "" when none */
	const char	*json;		/* apply's JSON report, "" none */
	size_t		 json_len;
};

struct agent_event {
	enum agent_ev_kind		 kind;
	const struct swim_event		*member;
	const struct bcast_msg		*msg;
	const char			*why;
	const struct agent_run		*done;
	struct peer_key			*peer;
	struct agent_config		*config;	/* may be taken from */
};

typedef void (*agent_ctl_fn)(struct agent *, struct stream_conn *,
    const struct ctl_req *);

/* A control-socket operation a subsystem answers (agent/ctl.h). */
struct agent_ctl_op {
	uint8_t		 op;		/* enum ctl_op; 0 ends a list */
	agent_ctl_fn	 fn;		/* must answer c, now or later */
};

/*
 * One subsystem. Every hook but name may be NULL.
 *   open     sets up its state (a->X); the loop exists but does not run
 *            yet, the membership machine does not exist yet. < 0 with
 *            err stops the start.
 *   tick     once a second.
 *   tags     adds (or deletes) its own keys in the node's tag set;
 *            agent_tags_publish() calls every subsystem's in turn.
 *   info     appends its counters to `tlaloc info`: JSON fields, each
 *            with a trailing comma, or text lines.
 *   close    answers whoever waits on it and frees its state; called
 *            in reverse table order while the loop still runs (handles
 *            it owns must be closed here), after the sockets closed. It
 *            is called after a failed open too: state may be half made
 *            or NULL. Callbacks still in flight find their state NULL.
 *   ctl      the control operations it answers, ending with { 0 }.
 *   on_event see enum agent_ev_kind.
 *   on_part  a datagram part of a kind it owns: 1 taken, 0 not its own.
 *   on_frame a sealed TCP frame of a packet type it owns, still sealed
 *            (agent_frame_open()); 1 taken (it answers c), 0 not its own.
 */
struct agent_sub {
	const char		 *name;
	int			(*open)(struct agent *, struct tl_err *);
	void			(*tick)(struct agent *);
	void			(*tags)(const struct agent *, struct buf *);
	void			(*info)(const struct agent *, struct buf *,
				    int json);
	void			(*close)(struct agent *);
	const struct agent_ctl_op *ctl;
	void			(*on_event)(struct agent *,
				    const struct agent_event *);
	int			(*on_part)(struct agent *, uint8_t kind,
				    const char *from, const uint8_t *,
				    size_t);
	int			(*on_frame)(struct agent *,
				    struct stream_conn *, uint8_t type,
				    const uint8_t *, size_t);
};

/* ---- The agent ------------------------------------------------------ */

struct agent_stats {
	uint64_t	pkts_in, bytes_in;	/* UDP, before opening */
	uint64_t	pkts_out, bytes_out;
	uint64_t	send_errors;
	uint64_t	tcp_in, tcp_out, tcp_failures;
	struct pkt_stats pkt;		/* UDP and TCP opens */
	uint64_t	logged_drops;	/* drops already summarised in logs */
};

/* A peer that talked to us with a key other than our primary. */
struct peer_key {
	char		addr[ADDR_STR_MAX];
	uint8_t		id[KEYRING_ID_LEN];
	uint64_t	seen_ms;	/* uv time; 0 = free slot */
	uint64_t	offered_ms;	/* last catch-up offer sent */
};

struct seed {
	char		addr[ADDR_STR_MAX];
	uint64_t	next_ms;	/* uv time of the next attempt */
	uint32_t	backoff_ms;
};

struct agent {
	uv_loop_t		*loop;
	struct agent_config	 cfg;	/* cfg.tags: configured and set
					   tags, without what subsystems
					   add (agent_tags_publish) */
	int			 argc;
	char			**argv;
	const struct agent_sub *const *subs;	/* agent.c's table */
	size_t			 nsubs;

	struct keyring		*kr;
	struct ident		*ident;
	struct replay		*replay;
	struct swim		*swim;
	struct swim_config	 swim_cfg;
	struct swim_outbox	 ob;
	struct tl_rng		 rng;

	uv_timer_t		 house;		/* 1 s ticks */
	uv_timer_t		 leave_timer;
	uv_signal_t		 sig_term, sig_int, sig_hup;
	struct udp		*udp;
	struct stream_srv	*tcp;
	struct stream_srv	*ctl;
	char			*sock_path;
	char			*snap_path;
	int			 is_leaving;
	int			 is_snap_dirty;
	uint64_t		 last_drop_log_ms;
	struct agent_stats	 st;
	struct seed		 seeds[AGENT_JOINS_MAX];
	size_t			 nseeds;
	struct peer_key		 peer_keys[AGENT_PEER_KEYS];
	struct buf		 tags_own;	/* the whole set, as gossiped */
	struct agent_frames	*frames;	/* frames.c */
	struct agent_members	*members;	/* membership.c */
	struct refusals		*refusals;	/* refusals.h, lazily */
	struct agent_guard	*guard;		/* guard.c */
	struct agent_later	*later;		/* agent_after_loop() */

	/* Subsystems' state, opaque (agent.c's table, in that order). */
	struct agent_keys	*keys;
	struct agent_msgs	*msgs;
	struct agent_policy	*pol;
	struct agent_chan	*chan;
	struct agent_pack	*pack;
	struct agent_query	*query;
	struct agent_handlers	*handlers;
	struct agent_conv	*conv;
	struct agent_convreq	*convreq;
	struct agent_prog	*prog;
	struct agent_repl	*repl;
	struct agent_svc	*svc;
	/* Set by a subsystem that publishes the node's tags itself (the
	 * services' health flips, svc_flip.c); NULL: swim_set_tags(). */
	int			(*tags_publish)(struct agent *,
				    struct swim_io *, const struct buf *);
	struct agent_rollout	*rollout;
	struct agent_hist	*hist;		/* history_glue.c */
	struct agent_http	*http;		/* http_glue.c; NULL: off */
	struct agent_keyauth	*keyauth;	/* keyauth.c (core) */
};

/* ---- Time, identity, events (core.c) -------------------------------- */

/* Wall clock in ms (packet timestamps). */
uint64_t agent_wall_ms(void);
/* Monotonic loop time in ms (what swim gets). */
uint64_t agent_now(const struct agent *a);
/* A swim_io for one call. */
void	agent_io(struct agent *a, struct swim_io *io);
/* First 8 bytes of a node id as 16 hex digits (out: 17 bytes). */
void	agent_id_hex(const uint8_t *id, char out[17]);
/* Hands ev to every subsystem's on_event, in table order. */
void	agent_emit(struct agent *a, const struct agent_event *ev);
/* Emits AGENT_EV_CONVERGE: a converge is wanted, for reason why. */
void	agent_converge_request(struct agent *a, const char *why);
/* Starts a graceful leave (SIGTERM, `tlaloc leave`): the subsystems
 * hear AGENT_EV_LEAVE, the leave is gossiped a while, then the loop
 * stops. */
void	agent_leave(struct agent *a);
/* A timer on the loop whose data is a; free with agent_timer_free(). */
uv_timer_t *agent_timer_new(struct agent *a);
/* Stops and closes t; the loop frees it. NULL ok. */
void	agent_timer_free(uv_timer_t *t);
/* Closes a handle we allocated (a child process, a timer); the loop
 * frees it once libuv is done with it. NULL ok. */
void	agent_handle_free(uv_handle_t *h);
/* Saves the membership snapshot and stops the loop now. */
void	agent_stop(struct agent *a);
/*
 * Opens STATE_DIR/file (core/nonces.h): the signed requests already acted
 * on, which must not act again even after a restart. NULL with err, logged
 * as "WHAT will be refused: ...", when it cannot be read: the requests it
 * guards are then refused. Free with nonces_free().
 */
struct nonces *agent_nonces_open(struct agent *a, const char *file,
	    size_t max, uint64_t window_ms, const char *what,
	    struct tl_err *err);
/*
 * Calls fn(ctx) once the loop has ended: for a subsystem whose close
 * leaves handles that live inside its state (the loop closes them).
 */
void	agent_after_loop(struct agent *a, void (*fn)(void *), void *ctx);
/* Runs and forgets what agent_after_loop() queued. */
void	agent_after_loop_run(struct agent *a);
/*
 * A refusal of kind (refusals.h) happened now: 1 when it is to be logged
 * (at most once a minute per kind), with *n the refusals since the last
 * line. Freed by agent_refusals_free().
 */
int	agent_refusal_due(struct agent *a, unsigned kind, uint64_t *n);
void	agent_refusals_free(struct agent *a);

/* ---- Membership (membership.c) -------------------------------------- */

/* Asks swim to join through addr (resolved) and sends what it queued. */
void	agent_join(struct agent *a, const char *addr);
/*
 * Sends what swim queued, starts push-pulls, logs membership events and
 * emits them (AGENT_EV_MEMBER).
 */
void	agent_flush(struct agent *a);

/* Is the member called name alive (or also suspect, with even_suspect),
 * and not us? Its address into addr (ADDR_STR_MAX) when it is. */
int	agent_member_named(struct agent *a, const char *name,
	    int even_suspect, char *addr);

/*
 * 0 when sig over msg was made by the member whose node id is id, under
 * its name, with a key this node has not evicted; the member may be any
 * status but left. Query replies and converge reports name their author
 * this way.
 */
int	agent_member_signed(struct agent *a, const uint8_t *id,
	    const char *name, const struct buf *msg, const uint8_t *sig);
/*
 * Did a live peer sign msg[0..len)? 0 when sig verifies under the key of
 * id and id is another member, alive or suspect (*m, when not NULL, is
 * that member); TL_ECRYPTO for a bad signature, else TL_ENOENT when id is
 * no live peer. What only members may ask (history, replicas, policy
 * claims) is checked this way.
 */
int	agent_peer_signed(struct agent *a, const uint8_t *id,
	    const uint8_t *msg, size_t len, const uint8_t *sig,
	    struct swim_member *m);

/* ---- The node's tags (tags.c): one owner ---------------------------- */

/*
 * Builds the node's whole tag set into out: cfg.tags, then what each
 * subsystem's tags hook adds or deletes, in table order.
 */
void	agent_tags_compose(const struct agent *a, struct buf *out);
/*
 * Composes the set and, when it differs from what the node gossips,
 * makes swim gossip it: the only caller of swim_set_tags(). 1 when it
 * changed, 0 when not, < 0 (TL_ETOOBIG) when it does not fit (logged
 * once; the old set stays).
 */
int	agent_tags_publish(struct agent *a);
/* The node's whole tag set as it is gossiped now (borrowed). */
const struct buf *agent_tags_own(const struct agent *a);
/*
 * Makes *tags (taken) the node's configured tags and publishes: 1 when
 * the gossiped set changed, 0 when not, < 0 with err.
 */
int	agent_tags_replace(struct agent *a, struct buf *tags,
	    struct tl_err *err);

/* ---- Sockets (wire.c, frames.c) ------------------------------------- */

void	agent_udp_recv(void *ctx, const char *from, const uint8_t *p,
	    size_t len, int is_truncated);
void	agent_tcp_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
	    size_t len);
/* Seals body (parts) for addr and sends it; 0 or < 0. */
int	agent_send_body(struct agent *a, const char *addr,
	    const uint8_t *body, size_t len);
/* Seals body as a packet of type for addr, with the key addr last spoke
 * (the primary, unless it slept through a rotation). 0 or < 0. */
int	agent_seal_for(struct agent *a, const char *addr, uint8_t type,
	    const struct buf *body, struct buf *pkt);
/* Sends one part of kind to addr, alone in its datagram. */
int	agent_send_part(struct agent *a, const char *addr, uint8_t kind,
	    const void *p, size_t len);
/* Forgets remembered old keys that left the ring. */
void	agent_peer_keys_prune(struct agent *a);
/*
 * Opens a sealed TCP frame of packet type (max bytes of plain text) into
 * body (appended), counting the result; id gets the key it was sealed
 * with (to answer with the same), when not NULL. 0 or < 0.
 */
int	agent_frame_open(struct agent *a, uint8_t type, const uint8_t *p,
	    size_t len, size_t max, struct buf *body, uint8_t *id);
/*
 * Seals body as a frame of type with the primary key and sends it to addr
 * as one TCP exchange (stream_request_tcp()): fn gets the sealed answer,
 * at most max bytes. < 0 when it could not be sealed; fn is not called.
 */
int	agent_frame_request(struct agent *a, const char *addr, uint8_t type,
	    const struct buf *body, size_t max, uint32_t timeout_ms,
	    stream_reply_fn fn, void *ctx);
/*
 * A one-way frame of type (a query reply, a converge report): opened
 * (AGENT_TCP_MAX) and handed to deliver with the sender's address, or
 * logged as "WHAT from PEER refused"; then c is answered with the empty
 * frame the sender waits for.
 */
void	agent_frame_deliver(struct agent *a, struct stream_conn *c,
	    uint8_t type, const uint8_t *p, size_t len, const char *what,
	    void (*deliver)(struct agent *a, const char *from,
	    const uint8_t *body, size_t len));
/*
 * Seals body as a frame of type and sends it to addr over TCP, tried
 * again (now, then from the 1 s tick) while the peer refuses; bumps
 * *sent or *failed at the end (counters must outlive the agent's loop).
 */
void	agent_frame_send(struct agent *a, const char *addr, uint8_t type,
	    const struct buf *body, uint64_t *sent, uint64_t *failed);
/* Retries frames refused; from the 1 s tick. */
void	agent_frames_tick(struct agent *a);
void	agent_frames_close(struct agent *a);

/* ---- Control socket (ctl_srv.c) ------------------------------------- */

void	agent_ctl_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
	    size_t len);
/* Answers c with status and text. */
void	agent_ctl_reply(struct stream_conn *c, int status, const char *text,
	    size_t len);
/* Answers c with status and the string s. */
void	agent_ctl_reply_str(struct stream_conn *c, int status, const char *s);
/*
 * Answers c with status 0 and out, after closing the JSON list out opened
 * ("{\"x\":[") when json is set; releases out.
 */
void	agent_ctl_reply_list(struct stream_conn *c, int json, struct buf *out);
/* Answers a long poll: cur (ctl/ctl_frame.h) carrying text, status 0. */
void	agent_ctl_reply_cursor(struct stream_conn *c, struct ctl_cursor *cur,
	    const struct buf *text);
/* A member as the JSON object `tlaloc members --json` prints. */
void	agent_member_json(struct buf *out, const struct swim_member *m);
/* "alive", "suspect", "failed", "left". */
const char *agent_status_name(int status);
/*
 * The members held, sorted by name then id, as `tlaloc members` and
 * `tlaloc status` list them; *n of them. Free the array; its strings
 * are swim's, valid until the machine next runs.
 */
struct swim_member *agent_members_sorted(struct agent *a, size_t *n);
/*
 * Appends p (n bytes) for a terminal, control bytes as \xHH, padded with
 * blanks to width: what a member says cannot start a line of ours.
 */
void	agent_text_safe(struct buf *out, const char *p, size_t n,
	    size_t width);
/* Answers c with status 1 and err's message on a line. */
void	agent_ctl_reply_err(struct stream_conn *c, const struct tl_err *err);

/* ---- Transport guards (guard.c) ------------------------------------- */

/* Guards the TCP listener (net/stream.h) once it exists. */
void	agent_guard_open(struct agent *a);
/* After the loop ended. */
void	agent_guard_free(struct agent *a);
/* Reasons for agent_guard_note(); the TCP ones add enum stream_refusal. */
enum { GUARD_WHY_FUTURE = 1, GUARD_WHY_KEYS = 2, GUARD_WHY_EVICT = 3,
    GUARD_WHY_TCP = 16, GUARD_WHY_OTHER = 64 };
/*
 * Logs what (a sentence: what was refused) with the sender's address
 * (from, "ip:port"; the port is left out) and detail (why; may be NULL)
 * the first time this reason comes from that address; 1 when it logged,
 * 0 when it had already.
 */
int	agent_guard_note(struct agent *a, int why, const char *from,
	    const char *what, const char *detail);
/* A packet from `from` that pkt_open() refused with rc. */
void	agent_guard_on_drop(struct agent *a, const char *from, int rc);
/* Counters for `tlaloc info` (JSON fields end with a comma). */
void	agent_guard_info(const struct agent *a, struct buf *out, int json);

/* ---- Operator statements about keys (keyauth.c) --------------------- */

struct keystmt;

/*
 * Operator statements about keys and evicted node keys (net/keystmt.h,
 * docs/security.md): part of the core, since every signature check, the
 * packet path and the pack's voters ask it.
 */
int	agent_keyauth_open(struct agent *a, struct tl_err *err);
void	agent_keyauth_free(struct agent *a);
/*
 * 0 when s is a statement for op that this node believes: signed by a
 * trusted operator key and, but for evictions, not older than the last
 * key change made here. Else < 0 with err; from (the sender, NULL for
 * our own control socket) makes it counted and logged.
 */
int	agent_keyauth_check(struct agent *a, const struct keystmt *s,
	    uint8_t op, const char *from, struct tl_err *err);
/* s was acted on: remembered (its time; an install's statement). */
void	agent_keyauth_done(struct agent *a, const struct keystmt *s);
/* The statement key id was installed by, or NULL (borrowed). */
const struct keystmt *agent_keyauth_installed_by(struct agent *a,
	    const uint8_t id[KEYRING_ID_LEN]);
/* The node id of the member at addr: 0, TL_ENOENT, TL_EPERM (evicted). */
int	agent_keyauth_member(struct agent *a, const char *addr,
	    uint8_t id[32]);
/* Opens a key sealed to us and checks it is the one s names. */
int	agent_keyauth_open_key(struct agent *a, const struct keystmt *s,
	    const uint8_t *box, size_t n, uint8_t key[KEYRING_KEY_LEN]);
/* 1 when id is evicted here. */
int	agent_keyauth_revoked(const struct agent *a, const uint8_t id[32]);
/* Keeps an (checked) eviction: 1 when new. */
int	agent_keyauth_evict(struct agent *a, const struct keystmt *s);
/* 1 (counted) when a datagram from `from` comes from an evicted member. */
int	agent_keyauth_blocked(struct agent *a, const char *from);
void	agent_keyauth_on_event(struct agent *a, const struct swim_event *ev);
/* 1 s timer: the evictions to one random member now and then. */
void	agent_keyauth_house(struct agent *a);
void	agent_keyauth_info(const struct agent *a, struct buf *out, int json);
/*
 * 1 when node id may vote in pack: an operator admitted it (tlaloc pack
 * admit), or this node trusts no operator key (then the tag decides).
 */
int	agent_keyauth_admitted(const struct agent *a, const uint8_t id[32],
	    const char *pack);
/* Keeps a (checked) admission: 1 when new. */
int	agent_keyauth_admit(struct agent *a, const struct keystmt *s);
void	agent_keyauth_admit_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);

/* The core's own operations: members, join, leave, info, tags. */
extern const struct agent_sub agent_core_sub;

#endif
