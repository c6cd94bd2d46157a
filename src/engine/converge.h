#ifndef TLALOC_ENGINE_CONVERGE_H
#define TLALOC_ENGINE_CONVERGE_H

/*
 * The converge loop: walks the graph in order; for each resource, skips it
 * if a dependency failed, else checks it, fixes it (unless --noop), and
 * queues a refresh on the resources it notifies. One failure never stops
 * the others.
 */

#include <stddef.h>

struct graph;
struct res;
struct run_ctx;

struct converge_stats {
	size_t		 total, unchanged, changed, failed, skipped;
	size_t		 refreshed;
	unsigned	 duration_ms;
	const char	*slowest;	/* the slowest resource's ref, or NULL;
					   borrowed from the graph */
	unsigned	 slowest_ms;
};

struct converge_hooks {
	/* Called once a resource has its result (for live output). */
	void	(*on_result)(void *arg, const struct res *r, size_t done,
		    size_t total);
	void	*arg;
	/* Called before each step that may take a while starts: what is a
	 * resource's ref, or "observing N package resources" for a type's
	 * batch query; NULL when the step is over. May be NULL. */
	void	(*on_start)(void *arg, const char *what);
};

/* Converges g; fills stats. Never fails as a whole: results are per
 * resource. */
void	converge_run(struct graph *g, struct run_ctx *ctx,
	    const struct converge_hooks *hooks, struct converge_stats *stats);

/* The detailed-exitcodes convention: 0 nothing changed, 2 changed,
 * 4 failures, 6 both. */
int	converge_exit_code(const struct converge_stats *stats);

const char *res_result_name(int result);

#endif
