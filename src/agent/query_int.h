#ifndef TLALOC_AGENT_QUERY_INT_H
#define TLALOC_AGENT_QUERY_INT_H

/* Shared by query.c (answering) and query_ask.c (asking) only. */

#include "agent/agent_int.h"
#include "agent/query.h"
#include "cluster/query.h"

#define QUERY_WINDOW_MS	60000	/* exec queries older/newer: refused */
#define QUERY_NONCES	4096	/* nonces remembered against replays */
#define QUERY_RUNNING	4	/* commands running at once */
#define QUERY_PENDING	16	/* our own queries awaiting replies */
#define QUERY_GRACE_MS	2000	/* the asker waits timeout + this */

struct pending;

struct agent_query {
	struct pending		*pending[QUERY_PENDING];
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
void	query_ask_tick(struct agent *a);
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
