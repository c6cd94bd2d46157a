#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/swim.h"
#include "core/xalloc.h"

void
metrics_init(struct metrics *m, size_t total)
{
	memset(m, 0, sizeof(*m));
	m->crash_of = xmalloc(total * sizeof(*m->crash_of));
	m->join_of = xmalloc(total * sizeof(*m->join_of));
	memset(m->crash_of, 0xff, total * sizeof(*m->crash_of));
	memset(m->join_of, 0xff, total * sizeof(*m->join_of));
}

void
metrics_release(struct metrics *m)
{
	free(m->crashes);
	free(m->joins);
	free(m->crash_of);
	free(m->join_of);
}

void
metrics_dgram(struct metrics *m, size_t len)
{
	m->dgrams++;
	m->dgram_bytes += len;
	if (len > m->max_dgram)
		m->max_dgram = len;
}

void
metrics_tcp(struct metrics *m, size_t len)
{
	m->tcp_bytes += len;
}

void
metrics_crash(struct metrics *m, uint32_t victim, uint64_t now)
{
	m->crashes = xgrow(m->crashes, &m->cap_crashes, m->ncrashes + 1,
	    sizeof(*m->crashes));
	m->crash_of[victim] = (int32_t)m->ncrashes;
	m->crashes[m->ncrashes++] = (struct sim_crash){ victim, 0, now, 0, 0 };
}

void
metrics_join(struct metrics *m, uint32_t node, uint64_t now)
{
	m->joins = xgrow(m->joins, &m->cap_joins, m->njoins + 1,
	    sizeof(*m->joins));
	m->join_of[node] = (int32_t)m->njoins;
	m->joins[m->njoins++] = (struct sim_join){ node, 0, now, 0 };
}

static void
crash_known(struct metrics *m, struct sim_crash *c, uint64_t now)
{
	c->known++;
	if (c->t999 == 0 && c->known >= (uint32_t)ceil(0.999 * m->live))
		c->t999 = now - c->t;
	if (c->tall == 0 && c->known >= m->live)
		c->tall = now - c->t;
}

void
metrics_event(struct metrics *m, uint64_t now, uint32_t viewer, int kind,
    uint32_t about, uint32_t accuser, int about_up, int stalled, int cut)
{
	switch (kind) {
	case SWIM_EV_FAILED:
		if (!about_up && m->crash_of[about] >= 0) {
			struct sim_crash *c = &m->crashes[m->crash_of[about]];

			if (m->trace_crash && accuser == viewer &&
			    c->known < 3)
				fprintf(stderr, "crash %u +%.3f s: %u declares "
				    "it dead (known to %u)\n", about,
				    (now - c->t) / 1e6, viewer, c->known);
			crash_known(m, c, now);
		} else if (about_up && cut)
			m->part_dead++;
		else if (about_up) {
			if (m->trace_false)
				fprintf(stderr, "false death at %.3f s: %u says "
				    "%u (accuser %u%s)\n", now / 1e6, viewer,
				    about, accuser, stalled ? ", stalled" : "");
			m->false_dead++;
			m->false_dead_orig += accuser == viewer;
			m->stall_dead_orig += accuser == viewer && stalled;
		}
		break;
	case SWIM_EV_SUSPECT:
		if (!about_up && m->crash_of[about] >= 0 && m->trace_crash &&
		    accuser == viewer)
			fprintf(stderr, "crash %u +%.3f s: %u suspects it\n",
			    about, (now - m->crashes[m->crash_of[about]].t) /
			    1e6, viewer);
		if (about_up && cut)
			m->part_susp++;
		else if (about_up) {
			m->false_susp++;
			m->false_susp_orig += accuser == viewer;
			m->stall_susp_orig += accuser == viewer && stalled;
		}
		break;
	case SWIM_EV_JOINED:
		if (m->join_of[about] >= 0) {
			struct sim_join *j = &m->joins[m->join_of[about]];

			if (++j->known + 1 >= m->live && j->tall == 0)
				j->tall = now - j->t;
		}
		break;
	default:
		break;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Prints p50/p99/max in seconds of n values (0 = never: counted apart). */
static void
print_dist(FILE *f, const char *what, uint64_t *v, size_t n)
{
	size_t never = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] == 0)
			never++;
		else
			v[k++] = v[i];
	}
	qsort(v, k, sizeof(*v), cmp_u64);
	if (k == 0) {
		fprintf(f, "  %s: none of %zu\n", what, n);
		return;
	}
	fprintf(f, "  %s: p50 %.2f s, p99 %.2f s, max %.2f s (n=%zu",
	    what, v[k / 2] / 1e6, v[(k * 99) / 100 < k ? (k * 99) / 100 :
	    k - 1] / 1e6, v[k - 1] / 1e6, k);
	if (never)
		fprintf(f, ", %zu never", never);
	fprintf(f, ")\n");
}

void
metrics_report(const struct metrics *m, FILE *f, double seconds)
{
	size_t n = m->ncrashes > m->njoins ? m->ncrashes : m->njoins;
	uint64_t *v = xmalloc((n + 1) * sizeof(*v));
	double node_s = m->node_us / 1e6;

	if (m->ncrashes > 0) {
		for (size_t i = 0; i < m->ncrashes; i++)
			v[i] = m->crashes[i].t999;
		print_dist(f, "crash known to 99.9% of live", v, m->ncrashes);
		for (size_t i = 0; i < m->ncrashes; i++)
			v[i] = m->crashes[i].tall;
		print_dist(f, "crash known to all live     ", v, m->ncrashes);
	}
	if (m->njoins > 0) {
		for (size_t i = 0; i < m->njoins; i++)
			v[i] = m->joins[i].tall;
		print_dist(f, "join known to all live      ", v, m->njoins);
	}
	fprintf(f, "  false suspicions: %llu raised (heard %llu times); "
	    "false deaths: %llu declared (heard %llu times)\n",
	    (unsigned long long)m->false_susp_orig,
	    (unsigned long long)m->false_susp,
	    (unsigned long long)m->false_dead_orig,
	    (unsigned long long)m->false_dead);
	if (m->part_susp || m->part_dead)
		fprintf(f, "  across the partition: %llu suspicions, %llu "
		    "deaths heard (expected)\n",
		    (unsigned long long)m->part_susp,
		    (unsigned long long)m->part_dead);
	if (m->stall_susp_orig || m->stall_dead_orig)
		fprintf(f, "    about stalled nodes: %llu raised, %llu "
		    "declared dead; about healthy nodes: %llu raised, %llu "
		    "declared dead\n", (unsigned long long)m->stall_susp_orig,
		    (unsigned long long)m->stall_dead_orig,
		    (unsigned long long)(m->false_susp_orig -
		    m->stall_susp_orig),
		    (unsigned long long)(m->false_dead_orig -
		    m->stall_dead_orig));
	if (node_s > 0)
		fprintf(f, "  per node: udp %.1f B/s in %.2f pkt/s "
		    "(+%.1f B/s at 68 B/pkt transport overhead), "
		    "push-pull tcp %.1f B/s; max datagram %llu B\n",
		    m->dgram_bytes / node_s, m->dgrams / node_s,
		    68.0 * m->dgrams / node_s, m->tcp_bytes / node_s,
		    (unsigned long long)m->max_dgram);
	if (m->heal_t)
		fprintf(f, "  partition healed at %.0f s: one view %s%.2f s "
		    "later\n", m->heal_t / 1e6, m->converge_t ? "" : "NOT ",
		    m->converge_t ? (m->converge_t - m->heal_t) / 1e6 :
		    seconds - m->heal_t / 1e6);
	free(v);
}

void
metrics_kinds_add(struct swim_stats *sum, const struct swim_stats *st)
{
	for (size_t k = 0; k < SWIM_DK_COUNT; k++) {
		sum->sent_dgrams[k] += st->sent_dgrams[k];
		sum->sent_bytes[k] += st->sent_bytes[k];
		sum->sent_pig_bytes[k] += st->sent_pig_bytes[k];
	}
	for (size_t k = 0; k < SWIM_PK_COUNT; k++) {
		sum->pig_msgs[k] += st->pig_msgs[k];
		sum->pig_bytes[k] += st->pig_bytes[k];
	}
	sum->probes += st->probes;
	sum->probes_of_suspects += st->probes_of_suspects;
	sum->indirect_probes += st->indirect_probes;
	sum->indirect_of_suspects += st->indirect_of_suspects;
	sum->last_words += st->last_words;
	sum->ring_graces += st->ring_graces;
	sum->ring_late_acks += st->ring_late_acks;
	sum->refutations += st->refutations;
	sum->suspicions += st->suspicions;
}

static const char *const dk_names[SWIM_DK_COUNT] = {
	[SWIM_DK_PING] = "ping", [SWIM_DK_PING_FWD] = "ping for ping-req",
	[SWIM_DK_PINGREQ] = "ping-req", [SWIM_DK_ACK] = "ack",
	[SWIM_DK_ACK_FWD] = "ack relayed", [SWIM_DK_NACK] = "nack",
	[SWIM_DK_TELL] = "suspicion told", [SWIM_DK_LAST_WORD] = "last word",
	[SWIM_DK_GOSSIP] = "gossip", [SWIM_DK_SELF] = "own statement",
	[SWIM_DK_CLAIM] = "claim answered", [SWIM_DK_STALE] = "stale answer",
	[SWIM_DK_DEAD_RETRY] = "dead retry",
};

static const char *const pk_names[SWIM_PK_COUNT] = {
	"alive", "suspect", "dead", "health",
};

void
metrics_kinds_report(const struct metrics *m, const struct swim_stats *sum,
    FILE *f)
{
	double ns = m->node_us / 1e6;

	if (ns <= 0)
		return;
	fprintf(f, "  udp by datagram kind, per node (own B/s + piggybacked "
	    "B/s in pkt/s):\n");
	for (size_t k = 0; k < SWIM_DK_COUNT; k++)
		if (sum->sent_dgrams[k] > 0)
			fprintf(f, "    %-18s %8.1f + %8.1f B/s in %6.3f pkt/s\n",
			    dk_names[k], sum->sent_bytes[k] / ns,
			    sum->sent_pig_bytes[k] / ns,
			    sum->sent_dgrams[k] / ns);
	fprintf(f, "  piggybacked, per node:");
	for (size_t k = 0; k < SWIM_PK_COUNT; k++)
		fprintf(f, " %s %.1f B/s (%.3f msg/s)%s", pk_names[k],
		    sum->pig_bytes[k] / ns, sum->pig_msgs[k] / ns,
		    k + 1 < SWIM_PK_COUNT ? "," : "\n");
	fprintf(f, "  probes %.3f/s per node (of suspects %.4f), ping-reqs "
	    "%.3f/s (about suspects %.4f), suspicions raised %llu, last "
	    "words %llu, refutations %llu\n", sum->probes / ns,
	    sum->probes_of_suspects / ns, sum->indirect_probes / ns,
	    sum->indirect_of_suspects / ns,
	    (unsigned long long)sum->suspicions,
	    (unsigned long long)sum->last_words,
	    (unsigned long long)sum->refutations);
	if (sum->ring_graces > 0)
		fprintf(f, "  schedule probes failed %llu times; %llu late "
		    "acks in their grace\n",
		    (unsigned long long)sum->ring_graces,
		    (unsigned long long)sum->ring_late_acks);
}
