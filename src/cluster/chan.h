#ifndef TLALOC_CLUSTER_CHAN_H
#define TLALOC_CLUSTER_CHAN_H

/*
 * Channel names and the channel list a node gossips in its "channels" tag
 * ("#web,#db"). Pure string work, shared by the agent and the simulator.
 *
 * A channel name starts with '#', has 1 to CHAN_NAME_MAX - 1 more bytes,
 * none of them a space, a comma, a control character or '@' (the rule of
 * the recipe's `channel "#web"`, which allows no spaces or commas either).
 * "#all" holds every node and is never listed in the tag.
 */

#include <stddef.h>

struct buf;
struct tl_err;

#define CHAN_NAME_MAX	64	/* bytes, '#' included */
#define CHAN_TAG	"channels"
#define CHAN_TAG_MAX	384	/* bytes of tag value, of swim's 512 */
#define CHAN_ALL	"#all"

/* 0, or TL_EINVAL with err naming the rule. */
int	chan_name_check(const char *name, struct tl_err *err);
/* 1 when the comma-separated list holds name (NULL list: no). */
int	chan_list_has(const char *list, const char *name);
/*
 * Writes list with name added (is_add) or removed into out (reset
 * first). TL_ETOOBIG when the result would pass CHAN_TAG_MAX.
 */
int	chan_list_edit(const char *list, const char *name, int is_add,
	    struct buf *out, struct tl_err *err);

#endif
