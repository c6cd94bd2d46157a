#ifndef TLALOC_SIM_PACK_SIM_H
#define TLALOC_SIM_PACK_SIM_H

/*
 * tlaloc-sim's pack modes: the real pack election machine (src/cluster/
 * pack*.c) for one pack on a virtual clock with drifting node clocks and
 * a lossy, reordering virtual network. See docs/simulator.md ("Packs").
 *
 *   mode = pack-chaos     schedules of crashes, restarts, partitions, loss
 *                         bursts, delay spikes and step-downs, one seed
 *                         each; lease and election safety checked after
 *                         every step; a failing seed is printed and
 *                         replays exactly with --seed=N --schedules=1
 *   mode = pack-failover  kill the leader again and again; time until
 *                         every live member agrees on the new one, rounds
 *                         per failover, term changes caused by rejoins
 */

struct sim_params;

/* Runs the scenario, prints the report on stdout; returns 0 or 1. */
int	pack_sim_run(const struct sim_params *p);

#endif
