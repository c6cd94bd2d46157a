#ifndef TLALOC_AGENT_QUERY_H
#define TLALOC_AGENT_QUERY_H

/*
 * Cluster-wide queries (query.c answers, query_ask.c asks): `tlaloc run`
 * and `tlaloc query` fan out as broadcast messages; matching nodes
 * answer the asker over TCP (PKT_QREPLY). Only its table entry.
 */

#include <stdint.h>

struct agent;
struct agent_sub;

extern const struct agent_sub agent_query_sub;

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

/* The query counters (`tlaloc info`, /metrics). */
const struct query_stats *agent_query_stats(const struct agent *a);

#endif
