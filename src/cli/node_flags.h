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

/*
 * If argv[*i] is one of the shared flags, takes its value (advancing *i)
 * and returns 1; 0 when it is not one; -1 after printing an error.
 */
int	node_flags_take(struct node_flags *f, int argc, char **argv, int *i);
void	node_flags_release(struct node_flags *f);

#endif
