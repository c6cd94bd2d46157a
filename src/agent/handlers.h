#ifndef TLALOC_AGENT_HANDLERS_H
#define TLALOC_AGENT_HANDLERS_H

/*
 * Recipe channel handlers, the agent's half (handlers.c): a recipe's
 * on("#ch", pattern, fn), kept in STATE_DIR/handlers. A channel message
 * that matches queues a converge that hands the message to the child.
 */

struct agent;
struct agent_sub;

extern const struct agent_sub agent_handlers_sub;

/*
 * Hands the next queued message to a starting converge: 1 and *arg
 * ("#ch text") and *from (sender's name), or 0 when none waits. The
 * strings live until the next call.
 */
int	agent_handlers_take(struct agent *a, const char **arg,
	    const char **from);
/* 1 when a message waits for a converge. */
int	agent_handlers_waiting(const struct agent *a);

#endif
