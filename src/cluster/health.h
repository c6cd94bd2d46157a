#ifndef TLALOC_CLUSTER_HEALTH_H
#define TLALOC_CLUSTER_HEALTH_H

/*
 * One health check's verdict over time, as a pure state machine: the agent
 * runs the check (script, HTTP, TCP, TTL) and hands each result in with
 * the time; this decides what the cluster is told. It never reads a clock.
 *
 *  - Thresholds (AWS target groups' healthy/unhealthy counts, Consul's
 *    success_before_passing / failures_before_critical): `rise` results in
 *    a row move a check to passing, `fall` in a row to critical, so one
 *    lost probe or one slow answer is not news (consul#1208, #2890).
 *  - Start-up grace: results that are not passing during `grace_ms` after
 *    the check was declared are ignored (the service is still starting).
 *  - A check starts critical: an instance enters the pool only once it
 *    has passed `rise` times (AWS's "initial" state).
 *  - Flap damping (BGP route-flap damping, RFC 2439): every change of the
 *    verdict adds a penalty that halves every `HEALTH_HALF_LIFE_MS`; above
 *    the suppress level the check is held critical until the penalty has
 *    decayed below the reuse level. A check that keeps flapping therefore
 *    stays out of the pool and stops costing gossip: after the first
 *    three changes nothing more is said until it has been stable.
 *  - Held recovery (`recover_hold_ms`): a check that failed after having
 *    passed is reported passing again only once it stayed passing that
 *    long; failures are reported at once. A check flapping faster than
 *    the hold is told once.
 */

#include <stdint.h>

enum health_status {
	HEALTH_PASSING = 0,
	HEALTH_WARNING = 1,
	HEALTH_CRITICAL = 2
};

/*
 * A restart (down, then up) costs 1,000 + ~1,800 and is reported as it
 * happens; a third change within a minute or so crosses the suppress
 * level. Held checks are released after 2 half-lives (from 2,000) to
 * 3.6 (from the cap) of stability: 2 to 3.6 minutes.
 */
#define HEALTH_PENALTY		1000u	/* per change of the verdict */
#define HEALTH_SUPPRESS		2000u	/* above: held critical */
#define HEALTH_REUSE		500u	/* below: released */
#define HEALTH_PENALTY_MAX	6000u	/* cap, so release is bounded */
#define HEALTH_HALF_LIFE_MS	60000u
/*
 * The agent's recover_hold_ms: a backend that failed comes back into the
 * pool after 30 s of passing (AWS target groups wait 5 x 30 s by default).
 * A check flapping faster than that is told once, its first failure, not
 * three times (at 10,000 nodes with 1% flapping, three changes each cost
 * every node over 200 B/s: bench/sim/README.md). A new instance's first
 * pass is not held.
 */
#define HEALTH_RECOVER_HOLD_MS	30000u

struct health_config {
	uint32_t	rise;		/* >= 1 */
	uint32_t	fall;		/* >= 1 */
	uint32_t	grace_ms;
	int		no_damping;	/* for tests and A/B runs */
	/* A recovery (critical to passing, after having passed before) is
	 * reported only once the check stayed passing this long; a failure
	 * is reported at once (it takes traffic away). 0: at `rise`. */
	uint32_t	recover_hold_ms;
};

struct health {
	struct health_config cfg;
	enum health_status status;	/* what is reported */
	enum health_status raw;		/* after thresholds, before damping */
	enum health_status last;	/* the last result handed in */
	uint32_t	run;		/* results in a row equal to last */
	uint64_t	start_ms;
	uint64_t	changed_ms;	/* when status last changed */
	uint64_t	raw_ms;		/* when raw last changed */
	int		is_recovery;	/* raw passing again after a failure */
	uint32_t	penalty;	/* as of penalty_ms */
	uint64_t	penalty_ms;
	int		is_suppressed;
	int		has_passed;	/* left the initial critical */
	uint64_t	changes;	/* of status, for `tlaloc info` */
};

void	health_init(struct health *h, const struct health_config *cfg,
	    uint64_t now_ms);
/*
 * Hands in one result. Returns 1 when the reported status changed, 0
 * otherwise.
 */
int	health_result(struct health *h, enum health_status result,
	    uint64_t now_ms);
/*
 * Lets time pass without a result (a suppressed check is released once its
 * penalty decayed). Returns 1 when the reported status changed.
 */
int	health_tick(struct health *h, uint64_t now_ms);
/* The penalty now (decayed), for display. */
uint32_t health_penalty(const struct health *h, uint64_t now_ms);

/* "passing", "warning", "critical". */
const char *health_status_name(enum health_status s);
/* Parses one of the names above; < 0 when it is none of them. */
int	health_status_parse(const char *s, enum health_status *out);

#endif
