#ifndef TLALOC_SIM_TRACE_H
#define TLALOC_SIM_TRACE_H

/*
 * Diagnostic traces that look inside the machines (stderr only; they
 * read state and never change a run). See docs/simulator.md.
 */

#include <stdint.h>

#include "cluster/swim.h"

/* What the live nodes believe about one crashed member at one moment. */
struct crash_tally {
	uint32_t	 alive, suspect, dead, unknown;
	uint32_t	 by_confirm[4];	/* suspects holding 0, 1, 2, 3+
					   independent confirmations */
	uint64_t	 first_deadline_ms;	/* earliest suspicion deadline */
};

void	crash_tally_init(struct crash_tally *t);
/* Adds what machine s believes about id. */
void	crash_tally_add(struct crash_tally *t, const struct swim *s,
	    const uint8_t id[SWIM_ID_LEN]);

#endif
