#ifndef TLALOC_AGENT_QUERY_INT_H
#define TLALOC_AGENT_QUERY_INT_H

/* Shared by query.c (answering) and query_ask.c (asking) only. */

#include "agent/agent_int.h"
#include "cluster/query.h"

#define QUERY_WINDOW_MS	60000	/* exec queries older/newer: refused */
#define QUERY_NONCES	4096	/* nonces remembered against replays */
#define QUERY_RUNNING	4	/* commands running at once */
#define QUERY_PENDING	16	/* our own queries awaiting replies */
#define QUERY_GRACE_MS	2000	/* the asker waits timeout + this */

struct pending;

struct query_stats {
	uint64_t	ran;
	uint64_t	refused_unsigned, refused_untrusted, refused_forged;
	uint64_t	refused_stale, refused_replayed, busy;
	uint64_t	refused_not_asker;	/* broadcast by another member */
	uint64_t	malformed;
	uint64_t	replies_in, replies_out, reply_failures;
	uint64_t	replies_forged;		/* bad signature or name */
	uint64_t	replies_untargeted;	/* from a node the filter
						   did not pick */
	uint64_t	replies_unsolicited;	/* no query of ours waits */
};

/* A reply (query reply, converge report) on its way to an asker; tried
 * again when the asker refused. */
struct reply_send {
	struct agent		*a;
	struct reply_send	*next;		/* in agent_query.retry */
	char			*addr;
	uint8_t			*pkt;
	size_t			 len;
	unsigned		 tries;
	const char		*what;		/* for the log */
	uint64_t		*sent, *failed;	/* counters to bump */
};

struct agent_query {
	struct pending		*pending[QUERY_PENDING];
	struct reply_send	*retry;		/* sent again by the house tick */
	struct nonces		*nonces;	/* exec nonces acted on, kept
						   in STATE_DIR/query.nonces;
						   NULL when that failed */
	char			 nonces_err[512];	/* why it is NULL */
	unsigned		 running;
	struct query_stats	 st;
};

/* The query counters, for /metrics. */
const struct query_stats *agent_query_stats(const struct agent *a);

/* query_ask.c */
void	query_ask_release(struct agent_query *aq);
void	query_ask_house(struct agent *a);
/*
 * A reply whose signature and author were checked (query.c): 0 when it
 * answers a query of ours still waiting, with its nonce, from a node its
 * filter picks; TL_EPERM when that node was not picked, TL_ENOENT when
 * no such query waits (both counted by the caller).
 */
int	query_ask_on_reply(struct agent *a, const struct query_reply *r);
void	query_ask_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);

#endif
