#ifndef TLALOC_SIM_SIM_H
#define TLALOC_SIM_SIM_H

/*
 * tlaloc-sim: the SWIM state machine (src/cluster) for N nodes on a
 * virtual clock and a virtual network. See docs/simulator.md.
 */

#include <stddef.h>
#include <stdint.h>

struct sim_params {
	char		 name[64];
	uint64_t	 seed;
	uint32_t	 nodes;
	uint32_t	 duration_s;
	char		 profile[16];	/* lan, wan, local */
	double		 loss;		/* per datagram, 0..1 */
	uint32_t	 lat_min_us, lat_max_us;	/* one-way, uniform */
	uint32_t	 lifeguard;	/* SWIM_LG_* for cluster A */
	int		 ab;		/* also run cluster B, lifeguard off */
	double		 suspicion_mult;	/* 0: profile's */
	double		 suspicion_floor;	/* 0: profile's; 1: off */
	int		 pushpull;	/* 0 turns anti-entropy off */
	uint32_t	 pushpull_bps;	/* 0: profile's budget */
	int		 warm;		/* start with every node knowing all */
	int		 shared_clock;	/* nodes get swim_io.wall_ms: the
					   shared probe schedule (default 1) */
	uint32_t	 clock_skew_ms;	/* each node's wall clock off by a
					   fixed draw in +- this */
	/* faults */
	uint32_t	 crash_at_s, crash_every_s, crashes;
	uint32_t	 join_at_s, join_every_s, joins;
	double		 stall_frac;	/* of nodes that stall */
	uint32_t	 stall_ms, stall_every_s;
	int		 stall_slow;	/* 1: timers run, inbound waits
					   (a starved receive path); 0:
					   the whole process freezes */
	uint32_t	 partition_at_s, partition_for_s;
	uint32_t	 report_s;	/* progress line every s (0: none) */
	/* policy mode (sim/policy_sim.c) */
	int		 policy;	/* 1: simulate a policy publish */
	uint64_t	 bundle_bytes;
	uint32_t	 upload_bps;	/* per node upload link, bytes/s */
	uint32_t	 gossip_ms;	/* tag spread: one peer per node per */
	/* pack modes (pack_sim.c) */
	char		 mode[16];	/* swim, pack-chaos, pack-failover */
	uint32_t	 pack_size;	/* voters */
	uint32_t	 pack_min;	/* chaos: sizes drawn in [min, size] */
	uint32_t	 schedules;	/* chaos: seeds seed .. seed + n - 1 */
	uint32_t	 failovers;	/* failover: leader kills */
	uint32_t	 drift_ppm;	/* node clock rates within +- this */
	uint32_t	 reap_s;	/* 0: the profile's reap delay */
	double		 spike_prob;	/* a datagram delayed up to... */
	uint32_t	 spike_ms;	/* ...this much more */
	/* broadcast mode (sim/bsim.c): messages instead of membership */
	int		 bcast;		/* 1: run the broadcast simulation */
	uint32_t	 bcast_msgs;	/* channel messages and queries */
	uint32_t	 bcast_every_ms;	/* one message every ... */
	double		 query_frac;	/* nodes a query matches */
	double		 dead_frac;	/* nodes down the whole run */
	/* services (sim/hsim.c): every node carries svc= and health= tags;
	 * flap_frac of them have a check whose service is up flap_up_s,
	 * down flap_down_s, checked every check_ms with rise/fall/damping */
	int		 services;
	double		 flap_frac;
	uint32_t	 flap_up_s, flap_down_s, check_ms;
	uint32_t	 rise, fall;
	int		 damping;
	uint32_t	 recover_hold_s;	/* health_config.recover_hold_ms */
	uint32_t	 hc_eager, hc_rt_mult;	/* swim_config.health_* */
	int		 flips;		/* health changes as swim health
					   flips, not new statements */
	uint32_t	 measure_at_s;	/* also report traffic from then on */
};

void	sim_params_default(struct sim_params *p);
/* Applies one "key = value" (or "key=value"); returns -1 if unknown. */
int	sim_params_set(struct sim_params *p, const char *key, const char *val);
/* Reads a scenario file of key = value lines ('#' comments). */
int	sim_params_load(struct sim_params *p, const char *path);

/* Runs the scenario, prints the report on stdout; returns 0 or 1. */
int	sim_run(const struct sim_params *p);
/* Policy mode: one publish spread to every node; 0 when all got it. */
int	sim_policy_run(const struct sim_params *p);
/* The broadcast simulation (docs/simulator.md, "Broadcast"). */
int	bsim_run(const struct sim_params *p);

#endif
