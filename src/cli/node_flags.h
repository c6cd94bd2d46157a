#ifndef TLALOC_CLI_NODE_FLAGS_H
#define TLALOC_CLI_NODE_FLAGS_H

/*
 * The flags `tlaloc bootstrap` and `tlaloc init` share: --join (repeatable,
 * or comma-separated), --tag, --trust, --pack, --policy-from, --port.
 */

#include <stddef.h>

#include "bootstrap/bootstrap.h"

struct node_flags {
	struct bootstrap_member member;
	char		*owned[BOOTSTRAP_LIST_MAX];	/* split --join copies */
	size_t		 nowned;
};

/* What node_flags_take() made of argv[*i]. */
enum node_flag {
	NODE_FLAG_TAKEN,	/* a shared flag: its value taken, *i advanced */
	NODE_FLAG_HELP,		/* --help or -h */
	NODE_FLAG_OWN		/* the command's own, argv[*i + 1] its value */
};

/*
 * The part of the flag loop that bootstrap and init share, called after
 * each has looked for its flags that take no value. Returns an enum
 * node_flag, or -1 after printing an error (a bad value, or a last flag
 * with no value after it).
 */
int	node_flags_take(struct node_flags *f, int argc, char **argv, int *i);
void	node_flags_release(struct node_flags *f);

#endif
