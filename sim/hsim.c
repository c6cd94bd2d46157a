/*
 * Flapping checks in the simulator (hsim.h). A flapping node's service is
 * up for flap_up_s and down for flap_down_s, from a random phase; its
 * check runs every check_ms through the agent's verdict machine (rise,
 * fall, damping) and each change of the verdict becomes new tags.
 */
#include "hsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/health.h"
#include "cluster/swim.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "sim.h"

size_t
hsim_tags(int is_passing, const uint8_t *anchor, char *out, size_t cap)
{
	static const char up[] = "role=sim\0svc=web:80:p\0health=passing";
	static const char down[] =
	    "role=sim\0svc=web:80:c\0health=critical:web-http";
	const char *t = is_passing ? up : down;
	size_t n = is_passing ? sizeof(up) : sizeof(down);

	TL_ASSERT(n + 4 + 2 * SWIM_HC_LEN <= cap);
	memcpy(out, t, n);
	if (anchor != NULL) {
		memcpy(out + n, "hc=", 3);
		n += 3;
		for (size_t i = 0; i < SWIM_HC_LEN; i++)
			n += (size_t)snprintf(out + n, 3, "%02x", anchor[i]);
		n++;	/* the NUL snprintf left */
	}
	return n;
}

void
hsim_element(uint64_t seed, uint32_t i, uint32_t gen, uint32_t k,
    uint8_t *out)
{
	uint8_t s[SWIM_HC_LEN];

	memcpy(s, &seed, 8);
	memcpy(s + 8, &i, 4);
	memcpy(s + 12, &gen, 4);
	swim_hc_element(ident_chain_hash, NULL, s, SWIM_HC_STEPS_MAX, k, out);
}

void
hsim_init(struct hsim *hs, uint32_t nodes)
{
	memset(hs, 0, sizeof(*hs));
	hs->h = xcalloc(nodes, sizeof(*hs->h));
	hs->flaps = xcalloc(nodes, 1);
	hs->phase_us = xcalloc(nodes, sizeof(*hs->phase_us));
	hs->open = xmalloc(nodes * sizeof(*hs->open));
	hs->gen = xcalloc(nodes, sizeof(*hs->gen));
	hs->stmt_ok = xmalloc(nodes);
	memset(hs->stmt_ok, 1, nodes);
	memset(hs->open, 0xff, nodes * sizeof(*hs->open));
}

void
hsim_release(struct hsim *hs)
{
	free(hs->h);
	free(hs->flaps);
	free(hs->phase_us);
	free(hs->open);
	free(hs->gen);
	free(hs->stmt_ok);
	free(hs->changes);
}

int
hsim_result(struct hsim *hs, const struct sim_params *p, uint32_t i,
    uint64_t now_us, int *is_passing)
{
	uint64_t period = ((uint64_t)p->flap_up_s + p->flap_down_s) * 1000000;
	int up = (now_us + hs->phase_us[i]) % period <
	    (uint64_t)p->flap_up_s * 1000000;

	hs->results++;
	if (!health_result(&hs->h[i], up ? HEALTH_PASSING : HEALTH_CRITICAL,
	    now_us / 1000))
		return 0;
	*is_passing = hs->h[i].status == HEALTH_PASSING;
	return 1;
}

void
hsim_changed(struct hsim *hs, uint32_t node, uint32_t inc, uint32_t flips,
    uint64_t now_us)
{
	if (hs->nchanges == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 256;
		hs->changes = xrealloc(hs->changes, hs->cap *
		    sizeof(*hs->changes));
	}
	hs->open[node] = (int32_t)hs->nchanges;
	hs->changes[hs->nchanges++] = (struct hsim_change){ node, inc, flips,
	    0, now_us, 0, 0 };
}

void
hsim_seen(struct hsim *hs, uint32_t about, uint32_t inc, uint32_t flips,
    uint64_t now_us, uint32_t live)
{
	struct hsim_change *c;

	if (hs->open[about] < 0)
		return;
	c = &hs->changes[hs->open[about]];
	if (inc < c->inc || (inc == c->inc && flips < c->flips))
		return;
	c->known++;
	/* The subject knows its own change: live - 1 others to tell. */
	if (c->t99 == 0 && c->known >= (uint32_t)ceil(0.99 * (live - 1)))
		c->t99 = now_us - c->t;
	if (c->tall == 0 && c->known + 1 >= live)
		c->tall = now_us - c->t;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
dist(FILE *f, const char *what, uint64_t *v, size_t n)
{
	size_t k = 0, never;

	for (size_t i = 0; i < n; i++)
		if (v[i] != 0)
			v[k++] = v[i];
	never = n - k;
	if (k == 0) {
		fprintf(f, "  %s: none of %zu\n", what, n);
		return;
	}
	qsort(v, k, sizeof(*v), cmp_u64);
	fprintf(f, "  %s: p50 %.2f s, p99 %.2f s, max %.2f s (n=%zu",
	    what, v[k / 2] / 1e6, v[k * 99 / 100] / 1e6, v[k - 1] / 1e6, k);
	if (never)
		fprintf(f, ", not reached %zu", never);
	fprintf(f, ")\n");
}

void
hsim_report(const struct hsim *hs, FILE *f, double seconds)
{
	uint64_t *v = xcalloc(hs->nchanges + 1, sizeof(*v));

	fprintf(f, "health: %u nodes with a flapping check, %llu check "
	    "results, %zu health changes gossiped (%.3f per flapping node "
	    "per minute)\n", hs->nflapping, (unsigned long long)hs->results,
	    hs->nchanges, hs->nflapping ? hs->nchanges * 60.0 / seconds /
	    hs->nflapping : 0.0);
	for (size_t i = 0; i < hs->nchanges; i++)
		v[i] = hs->changes[i].t99;
	dist(f, "health change known to 99% ", v, hs->nchanges);
	for (size_t i = 0; i < hs->nchanges; i++)
		v[i] = hs->changes[i].tall;
	dist(f, "health change known to all ", v, hs->nchanges);
	free(v);
}
