/* Rate-limited refusal logging (refusals.h). */
#include "agent/refusals.h"

#include <stdlib.h>

#include "agent/agent_int.h"
#include "core/xalloc.h"

struct refusal_kind {
	uint64_t	last_ms;	/* when the last line went out */
	uint64_t	pending;	/* refused since, not yet said */
	int		is_said;	/* a line went out at least once */
};

struct refusals {
	struct refusal_kind k[REFUSALS_KINDS];
};

struct refusals *
refusals_new(void)
{
	return xcalloc(1, sizeof(struct refusals));
}

void
refusals_free(struct refusals *r)
{
	free(r);
}

int
refusals_due(struct refusals *r, unsigned kind, uint64_t now_ms,
    uint64_t *n)
{
	struct refusal_kind *k;

	*n = 0;
	if (r == NULL || kind >= REFUSALS_KINDS)
		return 0;
	k = &r->k[kind];
	k->pending++;
	if (k->is_said && now_ms < k->last_ms + REFUSALS_PERIOD_MS)
		return 0;
	*n = k->pending;
	k->pending = 0;
	k->last_ms = now_ms;
	k->is_said = 1;
	return 1;
}

int
agent_refusal_due(struct agent *a, unsigned kind, uint64_t *n)
{
	if (a->refusals == NULL)
		a->refusals = refusals_new();
	return refusals_due(a->refusals, kind, agent_now(a), n);
}

void
agent_refusals_free(struct agent *a)
{
	refusals_free(a->refusals);
	a->refusals = NULL;
}
