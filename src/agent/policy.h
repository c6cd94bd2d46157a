#ifndef TLALOC_AGENT_POLICY_H
#define TLALOC_AGENT_POLICY_H

/*
 * Policy with no master, the agent's side (policy.c): the store of
 * signed bundles, the announcement (tag policy=SERIAL and a push to a
 * few members), the transfer from peers over TCP, `tlaloc publish` and
 * `tlaloc policy status`. Accepting a serial asks for a converge
 * (AGENT_EV_CONVERGE).
 */

#include <stdint.h>

struct agent;
struct agent_sub;

/* PKT_PART_POLICY parts: their first byte (a claim: POLICY_OP_CLAIM,
 * cluster/policy.h). */
#define POL_PART_CONVERGE	2	/* a converge request alone
					   (convreq.c) */
#define POL_PART_CONVERGE_R	3	/* reply address, then request */

extern const struct agent_sub agent_policy_sub;

/* The serial this node holds (0 none). */
uint64_t agent_policy_current(const struct agent *a);
/* The newest serial we believe: held, or its manifest verified. */
uint64_t agent_policy_newest(const struct agent *a);
/* The last serial that converged here (0 none). */
uint64_t agent_policy_good(const struct agent *a);
/* Marks serial as the last one that converged here. */
void	agent_policy_mark_good(struct agent *a, uint64_t serial);
/*
 * Writes serial's tree out of the store; *dir gets its path (caller
 * frees). 0, or < 0 (TL_ENOENT for serial 0; logged otherwise).
 */
int	agent_policy_tree(struct agent *a, uint64_t serial, char **dir);

#endif
