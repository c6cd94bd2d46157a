#ifndef TLALOC_ENGINE_GRAPH_H
#define TLALOC_ENGINE_GRAPH_H

/*
 * The resource graph of one run: resources in declaration order, edges from
 * require/before/notify/subscribe and from each type's autorequire, and a
 * topological order that keeps declaration order wherever the edges allow
 * (so a recipe reads top to bottom, like it runs).
 */

#include <stddef.h>

#include "core/strmap.h"

struct res;
struct tl_err;

struct graph_node {
	size_t	*deps;		/* indexes that must converge first */
	size_t	 ndeps, capdeps;
	size_t	*notifies;	/* indexes to refresh when this changes */
	size_t	 nnotifies, capnotifies;
};

struct graph {
	struct res		**res;		/* owned; declaration order */
	struct graph_node	 *nodes;	/* parallel to res */
	size_t			  n, cap;
	size_t			 *order;	/* topological, after build */
	struct strmap		  by_ref;	/* "type[title]" -> index */
};

void	graph_init(struct graph *g);
/* Frees every resource it owns. */
void	graph_release(struct graph *g);

/* Takes ownership of r. A second declaration of the same reference fails
 * (naming where the first one was); r is then freed. */
int	graph_add(struct graph *g, struct res *r, struct tl_err *err);

/* Returns the resource declared as ref, or NULL. Borrowed. */
struct res *graph_find(const struct graph *g, const char *ref);

/*
 * Resolves every edge and orders the graph. Fails on a reference to an
 * undeclared resource (with the referring declaration's file:line) or on a
 * cycle, reported with its path: "a -> b -> a".
 */
int	graph_build(struct graph *g, struct tl_err *err);

#endif
