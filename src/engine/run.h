#ifndef TLALOC_ENGINE_RUN_H
#define TLALOC_ENGINE_RUN_H

/*
 * What a resource type sees of the run it converges in. Every path a
 * recipe names is a path on the managed system. Resource types look at and
 * change it only through ctx->fs (core/fsroot.h): beneath the root ("/" or
 * --root), never through a link the recipe did not name. run_path() maps
 * a path under --root as text, for messages and for tools run chrooted.
 */

#include "core/strmap.h"

struct bucket;
struct facts;
struct fsroot;
struct graph;
struct tl_err;

struct run_ctx {
	const char		*root;		/* "/" or the --root tree */
	struct fsroot		*fs;		/* root, opened; required */
	int			 noop;		/* plan only, change nothing */
	int			 want_diff;	/* fill r->diff for content */
	const char		*run_id;	/* recorded with each backup */
	const char		*recipe_dir;	/* relative source= paths */
	struct bucket		*bucket;	/* backups; NULL: none kept */
	const struct facts	*facts;
	const struct graph	*graph;		/* the run's resources */
	struct strmap		 backed_up;	/* paths saved this run */
};

/* Frees what the run gathered in ctx (not what its pointers point to). */
void	run_ctx_release(struct run_ctx *ctx);

/* Returns the real path of a managed path (root-prefixed); caller frees. */
char	*run_path(const struct run_ctx *ctx, const char *path);

/*
 * Saves the current content of the managed path (if it exists and is a
 * regular file) to the bucket before it is changed or removed, once per
 * run: a path edited again later in the same run (three line edits of one
 * file) keeps the one copy of what it held before the run. Returns < 0
 * when the backup cannot be made: the caller must then not change the file.
 */
int	run_backup(struct run_ctx *ctx, const char *path, struct tl_err *err);

#endif
