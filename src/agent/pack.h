#ifndef TLALOC_AGENT_PACK_H
#define TLALOC_AGENT_PACK_H

/*
 * Packs in the agent (pack.c, docs/pack.md): the election machine of
 * cluster/pack.h driven with the loop's clock and the SWIM view, its
 * signed messages, its saved state, tags pack= and pack_leader=,
 * `tlaloc packs` and `tlaloc pack step-down`, and leaders announcing
 * themselves on channel #pack-NAME.
 */

#include <stdint.h>

struct agent;
struct agent_sub;
struct pack;

/* Pack messages the agent dropped before the machine saw them. */
struct agent_pack_stats {
	uint64_t	forged;		/* bad node signature */
	uint64_t	wrong_claim;	/* sender not a live member of our pack */
	uint64_t	not_in_pack;	/* we are in no pack */
	uint64_t	malformed;
	uint64_t	unreachable;	/* no address for a destination */
	uint64_t	leader_changes;	/* a leader (us too) became known */
};

extern const struct agent_sub agent_pack_sub;

/* Our pack's name (borrowed), or NULL in no pack. */
const char *agent_pack_name(const struct agent *a);
/* 1 while this node holds its pack's leader lease, now. */
int	agent_pack_am_leader(const struct agent *a);
/* The election machine of our pack (cluster/pack.h), to read; NULL in
 * no pack. */
const struct pack *agent_pack_machine(const struct agent *a);
/* The drop counters (for tests, `tlaloc info`, /metrics). */
void	agent_pack_drops(const struct agent *a, struct agent_pack_stats *st);

#endif
