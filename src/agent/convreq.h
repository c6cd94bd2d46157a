#ifndef TLALOC_AGENT_CONVREQ_H
#define TLALOC_AGENT_CONVREQ_H

/*
 * Converge requests of programs for other nodes (convreq.c), signed by
 * an operator key and carried in policy parts, and the converge reports
 * that come back straight to the asker (convreq_wait.c). Only its table
 * entry.
 */

struct agent_sub;

extern const struct agent_sub agent_convreq_sub;

#endif
