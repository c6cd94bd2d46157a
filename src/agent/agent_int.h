#ifndef TLALOC_AGENT_AGENT_INT_H
#define TLALOC_AGENT_AGENT_INT_H

/* Shared by the agent .c files only: the agent state and internal calls. */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "agent/config.h"
#include "cluster/pack.h"
#include "cluster/bcast.h"
#include "cluster/swim.h"
#include "core/buf.h"
#include "core/rng.h"
#include "net/addr.h"
#include "net/keyring.h"
#include "net/packet.h"

struct ident;
struct replay;
struct stream_conn;
struct stream_srv;
struct udp;
struct keyop;
struct agent_policy;
struct agent_conv;
struct agent_chan;
struct agent_handlers;
struct agent_query;
struct agent_repl;
struct agent_guard;
struct agent_keyauth;
struct ctl_req;
struct refusals;
struct agent_hist;
struct agent_http;
struct ctl_req;
struct history_run;

#define AGENT_PEER_KEYS	128	/* peers remembered speaking an old key */
#define AGENT_TCP_MAX	(16u << 20) /* push-pull frame bound, bytes */
#define AGENT_TCP_TIMEOUT_MS 10000
#define AGENT_SEED_BACKOFF_MIN_MS 1000
#define AGENT_SEED_BACKOFF_MAX_MS 30000
#define AGENT_SAY_MAX	512	/* bytes of text in one message */

struct agent_stats {
	uint64_t	pkts_in, bytes_in;	/* UDP, before opening */
	uint64_t	pkts_out, bytes_out;
	uint64_t	send_errors;
	uint64_t	tcp_in, tcp_out, tcp_failures;
	struct pkt_stats pkt;		/* UDP and TCP opens */
	uint64_t	logged_drops;	/* drops already summarised in logs */
	uint64_t	convreq_done, convreq_refused; /* convreq_glue.c */
	uint64_t	handler_runs, handler_overflows; /* handlers.c */
};

/* Pack messages the agent dropped before the machine saw them. */
struct agent_pack_stats {
	uint64_t	forged;		/* bad node signature */
	uint64_t	wrong_claim;	/* sender not a live member of our pack */
	uint64_t	not_in_pack;	/* we are in no pack */
	uint64_t	malformed;
	uint64_t	unreachable;	/* no address for a destination */
	uint64_t	leader_changes;	/* a leader (us too) became known */
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
	struct agent_config	 cfg;
	int			 argc;
	char			**argv;

	struct keyring		*kr;
	struct ident		*ident;
	struct replay		*replay;
	struct swim		*swim;
	struct swim_config	 swim_cfg;
	struct swim_outbox	 ob;
	struct tl_rng		 rng;

	struct udp		*udp;
	struct stream_srv	*tcp;
	struct stream_srv	*ctl;
	uv_timer_t		 tick;
	uv_timer_t		 house;		/* 1 s housekeeping */
	uv_timer_t		 leave_timer;
	uv_signal_t		 sig_term, sig_int, sig_hup;

	char			*sock_path;
	char			*snap_path;
	int			 is_leaving;
	int			 is_snap_dirty;
	uint64_t		 last_drop_log_ms;

	struct seed		 seeds[AGENT_JOINS_MAX];
	size_t			 nseeds;
	struct peer_key		 peer_keys[AGENT_PEER_KEYS];
	struct keyop		*keyop;		/* at most one at a time */

	struct pack		*pack;		/* NULL: in no pack */
	struct pack_config	 pack_cfg;
	struct pack_outbox	 pack_ob;
	uv_timer_t		 pack_tick;
	char			*pack_path;	/* saved term, vote, voters */
	uint64_t		 pack_changed_wall; /* last leader change */
	struct agent_pack_stats	 pack_st;
	struct bcast		*bcast;		/* msgs.c */
	struct bcast_outbox	 bob;
	struct agent_chan	*chan;		/* chan.c */
	struct agent_query	*query;		/* query.c */
	struct agent_stats	 st;
	struct agent_policy	*pol;		/* policy.c */
	struct agent_conv	*conv;		/* converge.c */
	struct agent_convreq	*convreq;	/* convreq_glue.c, lazily */
	struct agent_handlers	*handlers;	/* handlers.c */
	struct agent_prog	*prog;		/* program_sched.c */
	struct agent_repl	*repl;		/* replica_*.c */
	struct agent_svc	*svc;		/* svc*.c (agent/svc.h) */
	struct agent_rollout	*rollout;	/* rollout.c */
	struct refusals		*refusals;	/* refusals.h, lazily */
	struct agent_guard	*guard;		/* guard.c */
	struct agent_hist	*hist;		/* history_glue.c */
	struct agent_http	*http;		/* http_glue.c; NULL: off */
	struct agent_keyauth	*keyauth;	/* keyauth.c */
};

/*
 * A refusal of kind (refusals.h) happened now: 1 when it is to be logged
 * (at most once a minute per kind), with *n the refusals since the last
 * line. Freed by agent_refusals_free().
 */
int	agent_refusal_due(struct agent *a, unsigned kind, uint64_t *n);
void	agent_refusals_free(struct agent *a);

/* First 8 bytes of a node id as 16 hex digits (out: 17 bytes). */
void	agent_id_hex(const uint8_t *id, char out[17]);
/* Wall clock in ms (packet timestamps). */
uint64_t agent_wall_ms(void);
/* Monotonic loop time in ms (what swim gets). */
uint64_t agent_now(const struct agent *a);
/* A swim_io for one call. */
void	agent_io(struct agent *a, struct swim_io *io);

/* wire.c: sockets <-> swim */
void	agent_udp_recv(void *ctx, const char *from, const uint8_t *p,
	    size_t len, int is_truncated);
void	agent_tcp_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
	    size_t len);
/* Sends what swim queued, starts push-pulls, logs events. */
void	agent_flush(struct agent *a);
/* Seals body (parts) for addr and sends it; 0 or < 0. */
int	agent_send_body(struct agent *a, const char *addr,
	    const uint8_t *body, size_t len);
/* Forgets remembered old keys that left the ring. */
void	agent_peer_keys_prune(struct agent *a);

/* keys.c: keyring rotation across the cluster */
void	agent_keys_on_part(struct agent *a, const char *from,
	    const uint8_t *p, size_t len);
/* CTL_KEYS_*: args[0] the key, id or node, args[1] the operator's
 * statement (base64, net/keystmt.h). */
void	agent_keys_ctl(struct agent *a, struct stream_conn *c, uint8_t op,
	    uint8_t flags, int nargs, const char *const *args);
struct keystmt;
/* Sends statement s (an eviction) to addr as a KEYS part. */
void	agent_keys_send_stmt(struct agent *a, const char *addr,
	    const struct keystmt *s);
/* Resends, times out the operation in flight; from the 1 s timer. */
void	agent_keys_house(struct agent *a);
/* Sends our primary to a peer that used an old key (rate limited). */
void	agent_keys_offer(struct agent *a, struct peer_key *pk);
/* Persists the keyring; logs on failure. */
void	agent_keys_save(struct agent *a);

/* pack_glue.c: the pack election machine (docs/pack.md) */
int	agent_pack_open(struct agent *a, struct tl_err *err);
void	agent_pack_start(struct agent *a);
void	agent_pack_release(struct agent *a);
/* Sets pack=NAME and (leader) pack_leader=TERM in tags (swim's list). */
void	agent_pack_tags(struct agent *a, struct buf *tags);
/* Before a graceful leave: a leader steps down and hands over. */
void	agent_pack_leave(struct agent *a);
void	agent_pack_on_part(struct agent *a, const char *from,
	    const uint8_t *p, size_t n);
/* Feeds the SWIM view of the pack's live members; from the 1 s timer. */
void	agent_pack_house(struct agent *a);
void	agent_pack_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* Appends the pack drop counters to `tlaloc info` output. */
void	agent_pack_info(struct agent *a, struct buf *out, int json);
/*
 * Every leadership event of our pack (elected, new leader, leader lost,
 * stepped down, voters changed, election started) passes through here
 * once, after the state is saved: it logs them, and is the hook for
 * announcing them on channel #pack-NAME.
 */
void	agent_pack_announce(struct agent *a, const struct pack_event *ev);

/* ctl_srv.c: control socket requests */
void	agent_ctl_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
	    size_t len);
/* The address of the live (or suspect) member called name, not us:
 * 0, or TL_ENOENT (replica_serve.c). */
int	agent_member_addr(struct agent *a, const char *name, char *addr,
	    size_t size);
/* A member as the JSON object `tlaloc members --json` prints. */
void	agent_member_json(struct buf *out, const struct swim_member *m);
/* "alive", "suspect", "failed", "left". */
const char *agent_status_name(int status);
/* Answers c with status and text. */
void	agent_ctl_reply(struct stream_conn *c, int status, const char *text,
	    size_t len);

/* policy.c: signed bundles, announce (tag "policy"), fetch, serve */
int	agent_policy_open(struct agent *a, struct tl_err *err);
void	agent_policy_close(struct agent *a);
/* A sealed PKT_POLICY frame from a peer over TCP. */
void	agent_policy_serve(struct agent *a, struct stream_conn *c,
	    const uint8_t *p, size_t len);
/* Reads every member's advertised serial and starts fetches. */
void	agent_policy_scan(struct agent *a);
/* A PKT_PART_POLICY datagram part from addr: a serial announcement. */
void	agent_policy_on_part(struct agent *a, const char *from,
	    const uint8_t *p, size_t n);
/* A member event: peers that fail or leave stop being asked. */
void	agent_policy_on_event(struct agent *a, const struct swim_event *ev);
/* The serial this node holds (0 none) and the store's tree for it. */
uint64_t agent_policy_current(const struct agent *a);
/* The newest serial we believe: held, or its manifest verified. */
uint64_t agent_policy_newest(const struct agent *a);
/* Appends the policy and run-report tags to tags. */
void	agent_policy_tags(const struct agent *a, struct buf *tags);
/* Sets base tags plus ours on swim; < 0 when they do not fit. */
int	agent_tags_push(struct agent *a, const struct buf *base);
/*
 * Makes *tags (taken) the node's own tags and gossips them: 1 when they
 * changed, 0 when they were those already (nothing is sent), < 0 with
 * err.
 */
int	agent_tags_replace(struct agent *a, struct buf *tags,
	    struct tl_err *err);
void	agent_policy_ctl(struct agent *a, struct stream_conn *c, uint8_t op,
	    uint8_t flags, int nargs, const char *const *args);
/* 1 s housekeeping: retries peers, rescans members. */
void	agent_policy_house(struct agent *a);
/* Counters for `tlaloc info`, as JSON fields (leading comma). */
void	agent_policy_info(const struct agent *a, struct buf *out, int json);
/* Tree and serial to converge: current unless it does not compile. */
int	agent_policy_tree(struct agent *a, uint64_t *serial, char **dir);

/* Marks serial as the last one that compiled here. */
void	agent_policy_mark_good(struct agent *a, uint64_t serial);
/* status.c: `tlaloc status`, every node's last converge */
void	agent_status_ctl(struct agent *a, struct stream_conn *c, int json);
/* A member's last run, from its "run" tag. */
struct agent_node_run {
	int		 has_run;
	uint64_t	 serial, when_s;
	unsigned	 changed, failed, drift, dur_ms;
	const char	*error;		/* borrowed from the tag, "" none */
};
void	agent_run_parse(const struct swim_member *m, struct agent_node_run *r);
/* "ok", "behind", "failing", "silent" or "drift" (docs/policy.md). */
const char *agent_node_judge(const struct agent *a,
	    const struct swim_member *m, const struct agent_node_run *r,
	    uint64_t newest, uint64_t now_s);
/* The newest policy serial an alive member announces. */
uint64_t agent_policy_newest(const struct agent *a);
/*
 * Calls fn for every member but those that left, with its last run and
 * its state as judged against newest; the pointers live for the call.
 */
typedef void (*agent_node_fn)(void *ctx, const struct swim_member *m,
    const struct agent_node_run *r, const char *state);
void	agent_nodes_each(struct agent *a, uint64_t newest, agent_node_fn fn,
	    void *ctx);

/* converge.c: the converge loop (child `tlaloc apply`), schedule, drift */
int	agent_conv_open(struct agent *a, struct tl_err *err);
/* Closes the watches (loop still running); _free after the loop ends. */
void	agent_conv_close(struct agent *a);
void	agent_conv_free(struct agent *a);
/*
 * Asks for a converge of the current policy; why is logged. Never two at
 * once: a request during a run makes one more run after it. Channel
 * handlers call this too.
 */
void	agent_converge_request(struct agent *a, const char *why);
/* Appends the run-report tag ("run=...") to tags. */
void	agent_conv_tag(const struct agent *a, struct buf *tags);
/* The last run's summary as a JSON object, or null before any run. */
void	agent_conv_report_json(const struct agent *a, struct buf *out);
/* Runs started so far; the one in progress (if any) is the last. */
uint64_t agent_conv_starts(const struct agent *a);
/* 1 while a converge run is under way. */
int	agent_conv_is_running(const struct agent *a);
struct convrep;
/* Fills the last run's summary into r (nonce and node left alone). */
void	agent_conv_summary(const struct agent *a, struct convrep *r);
/* The compile error of serial if it failed to compile here, else NULL. */
int	agent_conv_failed_serial(const struct agent *a, uint64_t serial);
/* msgs.c: the broadcast machine <-> sockets and local consumers */
int	agent_msgs_open(struct agent *a, struct tl_err *err);
void	agent_msgs_close(struct agent *a);
void	agent_msgs_on_part(struct agent *a, const uint8_t *p, size_t len);
/* Ticks the machine and flushes; returns ms until it wants a tick. */
int	agent_msgs_tick(struct agent *a);
/* Sends what the machine queued and hands out what it delivered. */
void	agent_msgs_flush(struct agent *a);
/* A membership event: a member that left or failed is forgotten. */
void	agent_msgs_on_event(struct agent *a, const struct swim_event *ev);
/* Sends one message (kind, target, payload); < 0 with err. */
int	agent_msgs_send(struct agent *a, uint8_t kind, const char *target,
	    const void *p, size_t len, uint64_t *ltime, struct tl_err *err);

/*
 * chan.c: channels. Handlers (the converge loop's `on("#web", ...)`)
 * subscribe here: fn is called once for every channel message delivered
 * on a channel this node is in (#all included) and every direct message
 * to this node, after listeners got it. m is borrowed for the call.
 */
typedef void (*agent_msg_fn)(void *ctx, struct agent *a,
    const struct bcast_msg *m);
int	agent_msg_subscribe(struct agent *a, agent_msg_fn fn, void *ctx);
/* Loads STATE_DIR/channels into cfg.tags; before swim starts. */
int	agent_chan_open(struct agent *a, struct tl_err *err);
void	agent_chan_close(struct agent *a);
/*
 * Joins (is_join) or parts a channel, gossips and persists it: what
 * `tlaloc channel join` and a converged recipe's `channel "#web"` call.
 */
int	agent_chan_set(struct agent *a, const char *name, int is_join,
	    struct tl_err *err);
/* 1 when this node is in channel name (#all: always). */
int	agent_chan_is_member(struct agent *a, const char *name);
/*
 * handlers.c: a recipe's on("#ch", pattern, fn). _open loads the saved
 * set and subscribes; a matching message queues a converge. _take hands
 * the next queued message to a starting converge (1, or 0 when none);
 * the strings live until the next _take.
 */
void	agent_handlers_open(struct agent *a);
void	agent_handlers_free(struct agent *a);
int	agent_handlers_take(struct agent *a, const char **arg,
	    const char **from);
int	agent_handlers_waiting(const struct agent *a);
struct ctl_req;
void	agent_handlers_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/*
 * recipe_decl.c: the channels and tags the last converged recipe declared
 * (CTL_RECIPE_DECL); what a later recipe drops is parted or deleted.
 */
void	agent_recipe_decl_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* Puts our channel list into tags (config reload). */
void	agent_chan_tags(struct agent *a, struct buf *tags);
/* A channel or direct message for us: listeners, then handlers. */
void	agent_chan_deliver(struct agent *a, const struct bcast_msg *m);
void	agent_chan_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/*
 * Appends a JSON array of the last max messages delivered here on chan
 * ("#web", "@name", or "*" for all), oldest first.
 */
void	agent_chan_recent_json(struct agent *a, const char *chan, size_t max,
	    struct buf *out);
/* Answers listeners whose wait is over; from the 1 s timer. */
void	agent_chan_house(struct agent *a);

/* query.c: cluster-wide queries */
void	agent_query_open(struct agent *a);
void	agent_query_close(struct agent *a);
void	agent_query_on_msg(struct agent *a, const struct bcast_msg *m);
void	agent_query_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* A reply frame over TCP (PKT_TCP_REPLY), already opened. */
void	agent_query_on_reply(struct agent *a, const uint8_t *p, size_t len);
void	agent_query_house(struct agent *a);
/*
 * Seals body as a frame of type and sends it to addr over TCP, tried
 * again (now, then from the house tick) while the peer refuses; bumps
 * *sent or *failed at the end.
 */
void	agent_frame_send(struct agent *a, const char *addr, uint8_t type,
	    const struct buf *body, uint64_t *sent, uint64_t *failed);
/* Appends broadcast and query counters to `tlaloc info` (ends the JSON). */
void	agent_query_info(struct agent *a, struct buf *out, int json);

/*
 * convreq_glue.c: converge requests of programs for other nodes, signed
 * by an operator key (program/convreq.h), carried in policy parts.
 */
#define POL_PART_CONVERGE	2	/* request alone (no report wanted) */
#define POL_PART_CONVERGE_R	3	/* reply address, then request */
/* CTL_CONVERGE_NODE and CTL_CONVREQ_POLL. */
void	agent_convreq_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
void	agent_convreq_on_part(struct agent *a, const char *from, int kind,
	    const uint8_t *p, size_t n);
/* A converge report frame (PKT_CREPORT), already opened. */
void	agent_convreq_on_report(struct agent *a, const char *from,
	    const uint8_t *p, size_t n);
/* The converge loop finished run number `run` (agent_conv_starts). */
void	agent_convreq_run_done(struct agent *a, uint64_t run);
/* Counters for `tlaloc info`. */
void	agent_convreq_info(const struct agent *a, struct buf *out, int json);
/* Answers waiting control clients (agent stopping). */
void	agent_convreq_close(struct agent *a);
void	agent_convreq_free(struct agent *a);

/* program_sched.c: the pack leader's scheduled program */
void	agent_prog_house(struct agent *a);
void	agent_prog_info(const struct agent *a, struct buf *out, int json);
void	agent_prog_free(struct agent *a);
/* SIGHUP: takes program, program_key and program_interval from nc. */
void	agent_prog_reload(struct agent *a, struct agent_config *nc);

/*
 * replica_push.c, replica_serve.c: bucket backups copied to k peers of
 * our pack and fetched back (docs/backups.md).
 */
int	agent_repl_open(struct agent *a);
/* Before the sockets close: waits for PUSHes being stored. */
void	agent_repl_stop(struct agent *a);
/* After the loop has ended. */
void	agent_repl_close(struct agent *a);
/* Sends backups not yet replicated (after a converge; at most one push
 * in flight per peer). */
void	agent_repl_kick(struct agent *a);
/* 1 s timer: a scan every few seconds (start, a chosen peer died). */
void	agent_repl_house(struct agent *a);
/* A sealed PKT_REPLICA frame from a peer over TCP. */
void	agent_repl_serve(struct agent *a, struct stream_conn *c,
	    const uint8_t *p, size_t len);
/* CTL_BACKUPS_FROM: list or fetch our backups held by a peer. */
void	agent_repl_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* Counters for `tlaloc info` (JSON fields end with a comma). */
void	agent_repl_info(const struct agent *a, struct buf *out, int json);

/*
 * guard.c: transport guards. _open guards the TCP listener (net/stream.h)
 * once it exists; _free after the loop ended.
 */
void	agent_guard_open(struct agent *a);
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

/*
 * history_glue.c: every node's last runs (engine/history.h), asked here
 * or of another node over PKT_HISTORY, and counted for /metrics.
 */
enum agent_run_result {
	AGENT_RUN_UNCHANGED, AGENT_RUN_CHANGED, AGENT_RUN_FAILED,
	AGENT_RUN_ERROR, AGENT_RUN_RESULTS
};
#define AGENT_HIST_BUCKETS	12	/* run duration histogram, +Inf too */
extern const double agent_hist_bounds[AGENT_HIST_BUCKETS - 1];
struct agent_hist_stats {
	uint64_t	runs[AGENT_RUN_RESULTS];	/* since start */
	uint64_t	res_changed, res_failed;	/* resources, summed */
	uint64_t	drift_repairs;	/* drift runs that changed something */
	uint64_t	dur_buckets[AGENT_HIST_BUCKETS]; /* not cumulative */
	double		dur_sum_s;
	uint64_t	last_run_s;	/* unix seconds; 0 none yet */
	uint64_t	bucket_bytes;	/* STATE_DIR/bucket, after each run */
	uint64_t	history_runs, history_bytes;
	uint64_t	served, refused;	/* PKT_HISTORY asked of us */
	uint64_t	asked, ask_failures;	/* we asked others */
};
int	agent_hist_open(struct agent *a, struct tl_err *err);
void	agent_hist_close(struct agent *a);
/* A converge finished (converge.c): records and counts it. */
void	agent_hist_on_run(struct agent *a, const struct history_run *run,
	    const char *report, size_t len, unsigned changed,
	    unsigned failed);
const struct agent_hist_stats *agent_hist_stats(const struct agent *a);
/*
 * The runs of node ("" or our name: here) at or after since (0 all),
 * touching ref ("" any), at most limit (0 all), with what
 * HISTORY_WHAT_RUNS; its built-in facts with HISTORY_WHAT_FACTS: fn gets
 * status 0 and the JSON, or 1 and a sentence; now or later, once.
 */
typedef void (*agent_hist_fn)(void *ctx, int status, const char *text,
    size_t len);
void	agent_hist_ask(struct agent *a, const char *node, int what,
	    uint64_t since, const char *ref, unsigned limit, agent_hist_fn fn,
	    void *ctx);
/* CTL_HISTORY: args node, since, resource, limit. */
void	agent_hist_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* A sealed PKT_HISTORY request from a peer over TCP. */
void	agent_hist_serve(struct agent *a, struct stream_conn *c,
	    const uint8_t *p, size_t len);

/*
 * http_glue.c: the read-only HTTP endpoint (--http, docs/http.md).
 * _notify tells live dashboards that what is called `what` changed
 * ("members", "run", "message"); a no-op while nobody listens.
 */
int	agent_http_open(struct agent *a, struct tl_err *err);
void	agent_http_close(struct agent *a);
void	agent_http_notify(struct agent *a, const char *what);

/*
 * keyauth.c: operator statements about keys and evicted node keys
 * (net/keystmt.h, docs/security.md).
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

/* agent.c */
void	agent_leave(struct agent *a);
void	agent_join(struct agent *a, const char *addr);
/*
 * SIGHUP: re-reads config file and flags; applies tags, log level,
 * keyring and the replica settings. Keeps the old settings when the new
 * ones are bad.
 */
void	agent_reload(struct agent *a);

#endif
