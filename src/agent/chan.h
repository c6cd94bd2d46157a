#ifndef TLALOC_AGENT_CHAN_H
#define TLALOC_AGENT_CHAN_H

/*
 * Channels in the agent (chan.c, docs/channels.md): the channels this
 * node is in (tag channels=, STATE_DIR/channels), `tlaloc channel
 * join|part`, `channels`, `who`, `say`, `listen`. A message delivered on
 * a channel we are in, or to us, is emitted as AGENT_EV_CHAN_MSG after
 * the listeners had it.
 */

#include <stddef.h>

struct agent;
struct agent_sub;
struct buf;
struct tl_err;

extern const struct agent_sub agent_chan_sub;

/*
 * Joins (is_join) or parts channel name, gossips the new list and keeps
 * it across restarts: what `tlaloc channel join` and a recipe's
 * `channel "#web"` do. 0 (also when nothing changed), < 0 with err.
 */
int	agent_chan_set(struct agent *a, const char *name, int is_join,
	    struct tl_err *err);
/* 1 when this node is in channel name (#all: always). */
int	agent_chan_is_member(const struct agent *a, const char *name);
/*
 * Appends a JSON array of the last max messages delivered here on chan
 * ("#web", "@name", or "*" for all), oldest first.
 */
void	agent_chan_recent_json(struct agent *a, const char *chan, size_t max,
	    struct buf *out);

#endif
