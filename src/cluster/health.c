/*
 * A check's verdict: thresholds, start-up grace and flap damping
 * (health.h says why each is there).
 */
#include "cluster/health.h"

#include <string.h>

#include "core/err.h"

static const char *const names[] = { "passing", "warning", "critical" };

const char *
health_status_name(enum health_status s)
{
	return (unsigned)s < 3 ? names[s] : "critical";
}

int
health_status_parse(const char *s, enum health_status *out)
{
	*out = HEALTH_CRITICAL;
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum health_status)i;
			return 0;
		}
	return TL_EINVAL;
}

void
health_init(struct health *h, const struct health_config *cfg,
    uint64_t now_ms)
{
	memset(h, 0, sizeof(*h));
	h->cfg = *cfg;
	if (h->cfg.rise == 0)
		h->cfg.rise = 1;
	if (h->cfg.fall == 0)
		h->cfg.fall = 1;
	h->status = h->raw = h->last = HEALTH_CRITICAL;
	h->start_ms = h->changed_ms = h->penalty_ms = h->raw_ms = now_ms;
}

/* Exponential decay by halves, in whole half-lives plus a linear part. */
uint32_t
health_penalty(const struct health *h, uint64_t now_ms)
{
	uint64_t dt = now_ms > h->penalty_ms ? now_ms - h->penalty_ms : 0;
	uint64_t halves = dt / HEALTH_HALF_LIFE_MS, rest;
	uint64_t p = h->penalty;

	if (halves >= 32)
		return 0;
	p >>= halves;
	rest = dt % HEALTH_HALF_LIFE_MS;
	/* Within a half-life: p * (1 - rest / (2 * half-life)), a chord
	 * under the curve, so the decay is never slower than promised. */
	p -= p * rest / (2 * (uint64_t)HEALTH_HALF_LIFE_MS);
	return (uint32_t)p;
}

static void
penalize(struct health *h, uint64_t now_ms)
{
	uint32_t p = health_penalty(h, now_ms) + HEALTH_PENALTY;

	h->penalty = p > HEALTH_PENALTY_MAX ? HEALTH_PENALTY_MAX : p;
	h->penalty_ms = now_ms;
}

/* The reported status from raw and the damping state; 1 if it changed. */
static int
report(struct health *h, uint64_t now_ms)
{
	enum health_status want = h->raw;
	uint32_t p = health_penalty(h, now_ms);

	/* Held recovery: a check that comes back is believed once it
	 * stayed up a while, so one that flaps faster than the hold is told
	 * once (its failure), not at every turn. */
	if (want == HEALTH_PASSING && h->status == HEALTH_CRITICAL &&
	    h->is_recovery && now_ms - h->raw_ms < h->cfg.recover_hold_ms)
		want = HEALTH_CRITICAL;
	if (!h->cfg.no_damping) {
		if (!h->is_suppressed && p > HEALTH_SUPPRESS)
			h->is_suppressed = 1;
		else if (h->is_suppressed && p < HEALTH_REUSE)
			h->is_suppressed = 0;
		if (h->is_suppressed)
			want = HEALTH_CRITICAL;
	}
	if (want == h->status)
		return 0;
	h->status = want;
	h->changed_ms = now_ms;
	h->changes++;
	return 1;
}

int
health_result(struct health *h, enum health_status result, uint64_t now_ms)
{
	uint32_t need;

	if ((unsigned)result > HEALTH_CRITICAL)
		result = HEALTH_CRITICAL;
	/* Grace: a service still starting is not failing yet. */
	if (result != HEALTH_PASSING &&
	    now_ms - h->start_ms < h->cfg.grace_ms)
		return health_tick(h, now_ms);
	if (result == h->last)
		h->run++;
	else {
		h->last = result;
		h->run = 1;
	}
	need = result == HEALTH_PASSING ? h->cfg.rise : h->cfg.fall;
	/* Warning and critical both count towards fall: a check that goes
	 * from warning to critical does not start counting again. */
	if (result != HEALTH_PASSING && h->raw != HEALTH_PASSING)
		need = 1;
	if (h->run >= need && h->raw != result) {
		h->raw = result;
		h->raw_ms = now_ms;
		h->is_recovery = result == HEALTH_PASSING && h->has_passed;
		/* Coming up the first time is not a flap. */
		if (!h->cfg.no_damping && h->has_passed)
			penalize(h, now_ms);
		if (result == HEALTH_PASSING)
			h->has_passed = 1;
	}
	return report(h, now_ms);
}

int
health_tick(struct health *h, uint64_t now_ms)
{
	return report(h, now_ms);
}
