#ifndef TLALOC_AGENT_REFUSALS_H
#define TLALOC_AGENT_REFUSALS_H

/*
 * Refusals said once: a node that refuses a forged or misdirected
 * statement logs it with the sender, but a flood of them must cost one
 * line a minute, not one per packet. Each kind of refusal gets at most
 * one line per REFUSALS_PERIOD_MS, which names the sender of the refusal
 * that got the line and counts the others since the last one. The
 * counters that `tlaloc info` shows are kept by each subsystem; this only
 * decides when to speak.
 */

#include <stddef.h>
#include <stdint.h>

#define REFUSALS_PERIOD_MS	60000
#define REFUSALS_KINDS		64

/* Kinds, by subsystem (each adds its own reason below its base). */
enum refusal_base {
	REFUSAL_BCAST = 0,	/* + enum bcast_refusal */
	REFUSAL_QREPLY = 8,	/* query replies: + 0 forged, 1 untargeted,
				   2 unsolicited */
	REFUSAL_QUERY_ASKER = 12, /* a query broadcast by a non-asker */
	REFUSAL_CREPORT = 16,	/* converge reports */
	REFUSAL_POLICY = 24,	/* policy announcements */
	REFUSAL_SWIM = 32,	/* suspect/dead claims above the signed
				   incarnation */
	REFUSAL_PACK = 36	/* pack messages: + 0 forged, 1 not an
				   admitted member of the pack */
};

struct refusals;

struct refusals *refusals_new(void);
void	refusals_free(struct refusals *r);	/* accepts NULL */

/*
 * Counts one refusal of kind (< REFUSALS_KINDS) at now_ms. Returns 1 when
 * it should be logged now, with *n the refusals of this kind since the
 * last line (this one included), else 0.
 */
int	refusals_due(struct refusals *r, unsigned kind, uint64_t now_ms,
	    uint64_t *n);

#endif
