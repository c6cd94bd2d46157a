#ifndef TLALOC_SIM_HSIM_H
#define TLALOC_SIM_HSIM_H

/*
 * Health in the membership simulator (docs/simulator.md, "Services"): the
 * real check verdict machine (cluster/health.h) on the nodes whose check
 * flaps, their health riding in the tags of their signed statements as
 * on a real node (svc=, health=), and how fast each change is known.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct health;
struct sim_params;

struct hsim_change {
	uint32_t	 node;
	uint32_t	 inc;		/* incarnation carrying the change */
	uint32_t	 flips;		/* and health flips since it */
	uint32_t	 known;
	uint64_t	 t;		/* us */
	uint64_t	 t99, tall;	/* us after t; 0 not yet */
};

struct hsim {
	struct health	*h;		/* per node; only flapping ones used */
	uint8_t		*flaps;
	uint64_t	*phase_us;
	int32_t		*open;		/* per node: its latest change */
	uint32_t	*gen;		/* per node: its chain (statement) */
	uint8_t		*stmt_ok;	/* its statement says passing */
	struct hsim_change *changes;
	size_t		 nchanges, cap;
	uint64_t	 results;	/* check results handed in */
	uint32_t	 nflapping;
};

/* The tags of a node with health status st ("critical" when bad), with
 * hc=ANCHOR when anchor is not NULL. */
size_t	hsim_tags(int is_passing, const uint8_t *anchor, char *out,
	    size_t cap);
/* Element k of node i's chain number gen (its seed: from the run's seed,
 * i and gen; the agent draws it at random). */
void	hsim_element(uint64_t seed, uint32_t i, uint32_t gen, uint32_t k,
	    uint8_t *out);
void	hsim_init(struct hsim *hs, uint32_t nodes);
void	hsim_release(struct hsim *hs);
/* Node i's check result at now; 1 when its reported status changed (then
 * *is_passing holds the new one). */
int	hsim_result(struct hsim *hs, const struct sim_params *p, uint32_t i,
	    uint64_t now_us, int *is_passing);
void	hsim_changed(struct hsim *hs, uint32_t node, uint32_t inc,
	    uint32_t flips, uint64_t now_us);
/* A viewer learned node about's statement at incarnation inc, with flips
 * health flips since. */
void	hsim_seen(struct hsim *hs, uint32_t about, uint32_t inc,
	    uint32_t flips, uint64_t now_us, uint32_t live);
void	hsim_report(const struct hsim *hs, FILE *f, double seconds);

#endif
