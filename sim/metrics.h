#ifndef TLALOC_SIM_METRICS_H
#define TLALOC_SIM_METRICS_H

/* What the simulator measures for one cluster, and its report. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim_crash {
	uint32_t	 victim;
	uint32_t	 known;		/* live nodes that declared it dead */
	uint64_t	 t;		/* crash time, us */
	uint64_t	 t999, tall;	/* us after t; 0 not yet */
};

struct sim_join {
	uint32_t	 node;
	uint32_t	 known;
	uint64_t	 t;
	uint64_t	 tall;
};

struct metrics {
	uint64_t	 dgrams, dgram_bytes, max_dgram, tcp_bytes;
	uint64_t	 false_susp, false_dead, part_susp, part_dead;
	uint64_t	 false_susp_orig;	/* raised by a failed probe */
	uint64_t	 false_dead_orig;	/* declared by own timeout */
	/* About nodes stalled now or in the last 3 s (subset of above). */
	uint64_t	 stall_susp_orig, stall_dead_orig;
	struct sim_crash *crashes;
	size_t		 ncrashes, cap_crashes;
	struct sim_join	*joins;
	size_t		 njoins, cap_joins;
	int32_t		*crash_of;	/* per global node index, -1 none */
	int32_t		*join_of;
	uint32_t	 live;		/* up nodes in this cluster */
	uint64_t	 node_us;	/* sum over nodes of time up */
	uint64_t	 heal_t, converge_t;	/* us; 0 none */
	int		 trace_false;	/* TLALOC_SIM_FALSE_TRACE: each death
					   of a live node on stderr */
	int		 trace_crash;	/* TLALOC_SIM_CRASH_TRACE: who
					   suspects a crashed node first,
					   and who declares it dead */
};

void	metrics_init(struct metrics *m, size_t total_nodes);
void	metrics_release(struct metrics *m);
void	metrics_dgram(struct metrics *m, size_t len);
void	metrics_tcp(struct metrics *m, size_t len);
void	metrics_crash(struct metrics *m, uint32_t victim, uint64_t now);
void	metrics_join(struct metrics *m, uint32_t node, uint64_t now);
/* kind is enum swim_event_kind; about_up: the subject is running;
 * stalled: it is or was stalled in the last 3 s; cut: viewer and subject
 * are on two sides of a partition. */
void	metrics_event(struct metrics *m, uint64_t now, uint32_t viewer,
	    int kind, uint32_t about, uint32_t accuser, int about_up,
	    int stalled, int cut);
void	metrics_report(const struct metrics *m, FILE *f, double seconds);
struct swim_stats;
/* Adds one node's counters of datagrams by kind to sum (zeroed first). */
void	metrics_kinds_add(struct swim_stats *sum, const struct swim_stats *st);
/* Prints sum's datagrams by kind, per node-second of m's cluster. */
void	metrics_kinds_report(const struct metrics *m,
	    const struct swim_stats *sum, FILE *f);

#endif
