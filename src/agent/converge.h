#ifndef TLALOC_AGENT_CONVERGE_H
#define TLALOC_AGENT_CONVERGE_H

/*
 * The converge loop (converge.c): a child `tlaloc apply` of the policy
 * this node holds, on a new policy, on a schedule, on request
 * (AGENT_EV_CONVERGE, `tlaloc converge`) and on drift (drift.c); never
 * two at once. Each run's end is emitted as AGENT_EV_RUN_DONE, and its
 * summary gossiped in the tags run= and runs=.
 */

#include <stdint.h>

struct agent;
struct agent_sub;
struct buf;
struct convrep;

extern const struct agent_sub agent_conv_sub;

/* Runs started so far; the one in progress (if any) is the last. */
uint64_t agent_conv_starts(const struct agent *a);
/* 1 while a converge run is under way. */
int	agent_conv_is_running(const struct agent *a);
/* Fills the last run's summary into r (nonce and node left alone). */
void	agent_conv_summary(const struct agent *a, struct convrep *r);
/* The last run's summary as a JSON object, or null before any run. */
void	agent_conv_report_json(const struct agent *a, struct buf *out);

#endif
