/*
 * TLALOC_SIM_CRASH_TRACE: how a crash is detected, half a second at a
 * time: how many live nodes hold the crashed member suspect (and with how
 * many independent confirmations) or dead. Reads the machines' internals
 * (swim_int.h), which only the simulator's traces and the unit tests do.
 */
#include "trace.h"

#include <string.h>

#include "cluster/swim_int.h"

void
crash_tally_init(struct crash_tally *t)
{
	memset(t, 0, sizeof(*t));
	t->first_deadline_ms = UINT64_MAX;
}

void
crash_tally_add(struct crash_tally *t, const struct swim *s,
    const uint8_t id[SWIM_ID_LEN])
{
	uint32_t idx = swim_find(s, id);
	const struct swim_mbr *mb;
	const struct swim_susp *sp;

	if (idx == SWIM_NONE) {
		t->unknown++;
		return;
	}
	mb = &s->m[idx];
	if (mb->status == SWIM_ALIVE) {
		t->alive++;
		return;
	}
	if (mb->status != SWIM_SUSPECT) {
		t->dead++;
		return;
	}
	t->suspect++;
	sp = &s->susp[mb->susp];
	t->by_confirm[sp->nconfirm > 3 ? 3 : sp->nconfirm]++;
	if (sp->deadline_ms < t->first_deadline_ms)
		t->first_deadline_ms = sp->deadline_ms;
}
