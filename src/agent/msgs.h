#ifndef TLALOC_AGENT_MSGS_H
#define TLALOC_AGENT_MSGS_H

/*
 * Broadcast messages (msgs.c): the broadcast machine (cluster/bcast.h)
 * with the loop's clocks, the live members as peers and the UDP socket.
 * What it delivers is emitted as AGENT_EV_MSG, for channels and queries.
 */

#include <stddef.h>
#include <stdint.h>

struct agent;
struct agent_sub;
struct tl_err;

extern const struct agent_sub agent_msgs_sub;

/*
 * Sends one message (BCAST_CHANNEL, BCAST_DIRECT or BCAST_QUERY) to
 * target with payload p; its Lamport time into *ltime when not NULL.
 * < 0 with err (too big, rate limited).
 */
int	agent_msgs_send(struct agent *a, uint8_t kind, const char *target,
	    const void *p, size_t len, uint64_t *ltime, struct tl_err *err);

struct bcast_stats;

/* The broadcast machine's counters (cluster/bcast.h). */
void	agent_msgs_stats(const struct agent *a, struct bcast_stats *st);

#endif
