#ifndef TLALOC_AGENT_AGENT_INT_H
#define TLALOC_AGENT_AGENT_INT_H

/* Shared by the agent .c files only: the agent state and internal calls. */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "agent/config.h"
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
struct agent_chan;
struct agent_query;
struct ctl_req;

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
	struct bcast		*bcast;		/* msgs.c */
	struct bcast_outbox	 bob;
	struct agent_chan	*chan;		/* chan.c */
	struct agent_query	*query;		/* query.c */
	struct agent_stats	 st;
};

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
void	agent_keys_ctl(struct agent *a, struct stream_conn *c, uint8_t op,
	    uint8_t flags, const char *arg);
/* Resends, times out the operation in flight; from the 1 s timer. */
void	agent_keys_house(struct agent *a);
/* Sends our primary to a peer that used an old key (rate limited). */
void	agent_keys_offer(struct agent *a, struct peer_key *pk);
/* Persists the keyring; logs on failure. */
void	agent_keys_save(struct agent *a);

/* ctl_srv.c: control socket requests */
void	agent_ctl_serve(void *ctx, struct stream_conn *c, const uint8_t *p,
	    size_t len);
/* Answers c with status and text. */
void	agent_ctl_reply(struct stream_conn *c, int status, const char *text,
	    size_t len);

/* msgs.c: the broadcast machine <-> sockets and local consumers */
int	agent_msgs_open(struct agent *a, struct tl_err *err);
void	agent_msgs_close(struct agent *a);
void	agent_msgs_on_part(struct agent *a, const uint8_t *p, size_t len);
/* Ticks the machine and flushes; returns ms until it wants a tick. */
int	agent_msgs_tick(struct agent *a);
/* Sends what the machine queued and hands out what it delivered. */
void	agent_msgs_flush(struct agent *a);
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
/* Puts our channel list into tags (config reload). */
void	agent_chan_tags(struct agent *a, struct buf *tags);
/* A channel or direct message for us: listeners, then handlers. */
void	agent_chan_deliver(struct agent *a, const struct bcast_msg *m);
void	agent_chan_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
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
/* Appends broadcast and query counters to `tlaloc info` (ends the JSON). */
void	agent_query_info(struct agent *a, struct buf *out, int json);

/* agent.c */
void	agent_leave(struct agent *a);
void	agent_join(struct agent *a, const char *addr);
/* SIGHUP: re-reads config file and flags; applies tags, log level and
 * keyring. Keeps the old settings when the new ones are bad. */
void	agent_reload(struct agent *a);

#endif
