#ifndef TLALOC_AGENT_CONVREQ_INT_H
#define TLALOC_AGENT_CONVREQ_INT_H

/*
 * Shared by convreq.c (requests, and the reports this node owes) and
 * convreq_wait.c (reports coming back to this node, and the programs
 * waiting for them) only.
 */

#include "agent/agent_int.h"
#include "agent/convreq.h"
#include "cluster/convrep.h"

#define CONVREQ_OWED		64	/* reports to send after a run */
#define CONVREQ_ASKED		1024	/* nonces we carried, by node */
#define CONVREQ_REPORTS		256	/* reports kept for programs */
#define CONVREQ_WAITERS		16	/* programs polling at once */
#define CONVREQ_WAIT_MAX_MS	10000
#define CONVREQ_SEEN		4096	/* request nonces remembered */

/* A report this node owes: sent when run number `after` + 1 ends. */
struct convreq_owed {
	int		 is_used;
	uint8_t		 nonce[CONVREQ_NONCE_LEN];
	char		 addr[CONVREP_ADDR_MAX + 1];
	uint64_t	 after;
};

/* A request this agent carried for a program: who may report on it. */
struct convreq_asked {
	uint8_t		 nonce[CONVREQ_NONCE_LEN];
	char		 node[CONVREQ_NAME_MAX + 1];
	int		 is_answered;
};

struct convreq_waiter {
	struct stream_conn *c;
	uint64_t	 cursor;
	uint64_t	 deadline_ms;	/* agent_now() */
};

struct agent_convreq {
	struct convreq_owed	 owed[CONVREQ_OWED];	/* ring */
	unsigned		 owed_next;
	struct convreq_asked	 asked[CONVREQ_ASKED];	/* ring */
	unsigned		 asked_next;
	struct convrep		 reports[CONVREQ_REPORTS]; /* ring */
	uint64_t		 nreports;	/* ever kept: the cursor */
	struct convreq_waiter	 w[CONVREQ_WAITERS];
	size_t			 nw;
	uv_timer_t		*timer;		/* earliest waiter deadline */
	struct nonces		*seen;		/* requests acted on, kept in
						   STATE_DIR/convreq.nonces;
						   NULL: it could not be read
						   (requests are refused) */
	uint64_t		 done, refused;	/* requests acted on, not */
	uint64_t		 reports_in, unsolicited, duplicates;
	uint64_t		 forged;	/* not signed by the node */
	uint64_t		 malformed, reports_out, report_failures;
};

/* Remembers that we carried the request with nonce for node. */
void	convrep_asked(struct agent *a, const uint8_t *nonce,
	    const char *node);
/* CTL_CONVREQ_POLL. */
void	convrep_poll_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* A converge report frame (PKT_CREPORT), opened. */
void	convrep_on_report(struct agent *a, const char *from,
	    const uint8_t *p, size_t n);
/* Answers the programs still waiting (the agent is stopping). */
void	convrep_close(struct agent *a);

#endif
