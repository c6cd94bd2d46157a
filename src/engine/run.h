#ifndef TLALOC_ENGINE_RUN_H
#define TLALOC_ENGINE_RUN_H

/*
 * What a resource type sees of the run it converges in. Every path a
 * recipe names is a path on the managed system. Resource types look at and
 * change it only through ctx->fs (core/fsroot.h): beneath the root ("/" or
 * --root), never through a link the recipe did not name. run_path() maps
 * a path under --root as text, for messages and for tools run chrooted.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>

#include "core/buf.h"
#include "core/strmap.h"

struct buf;
struct bucket;
struct facts;
struct fileio_meta;
struct fsbatch;
struct fsroot;
struct graph;
struct predict;
struct res;
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
	struct predict		*predict;	/* --noop: what earlier resources
						   would have made (predict.h);
						   NULL otherwise */
	struct fsbatch		*batch;		/* writes made durable together
						   (core/fsbatch.h); NULL: each
						   file written at once */
	struct buf		 scratch;	/* a check's read of a file,
						   reused from one resource
						   to the next (zeroed ok) */
	struct buf		 kept;		/* a file read by run_load_kept(),
						   for the next resource that
						   reads it (zeroed ok) */
	char			*kept_path;	/* the managed path kept holds,
						   as on disk; NULL: none */
	struct stat		 kept_st;	/* its stat, with kept */
	char			**batch_saved;	/* paths backed up in batch */
	size_t			 nbatch_saved, batch_saved_cap;
};

/* Frees what the run gathered in ctx: the paths backed up and the
 * prediction (not what its other pointers point to). */
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

/*
 * Gives the managed path the content data (len bytes) with meta, after
 * saving what it held to the bucket when backup is set (once per run, as
 * run_backup()). With ctx->batch, both only queue: the write lands at the
 * next run_commit(), after its backup is durable; the resources after
 * read the queued content through run_lstat()/run_read()/run_load(), and
 * r (the owner) is failed then if it does not land. Without a batch the
 * file is written (and fsync'd) at once, as fsroot_write().
 */
int	run_write(struct run_ctx *ctx, struct res *r, const char *path,
	    const void *data, size_t len, const struct fileio_meta *meta,
	    int backup, struct tl_err *err);
/*
 * Makes every queued write durable and puts it in place (core/fsbatch.h);
 * each resource whose write did not land is failed with the reason.
 * Returns how many did not land. No batch: 0.
 */
size_t	run_commit(struct run_ctx *ctx);
/* Commits first when a write is queued for path, or (under set) beneath
 * it: for a change made at once to what a queued write touches. */
void	run_settle(struct run_ctx *ctx, const char *path, int under);

/*
 * Looking at the managed tree during a check: under --noop these answer
 * as the tree would be once the resources checked so far were fixed
 * (engine/predict.h), else they are core/fsroot's calls. Same returns and
 * errors as fsroot_lstat(), fsroot_read(), fsroot_readlink() and
 * fsroot_check_dir(); run_read() returns 1 (out empty) for a file that an
 * earlier command would make, whose content nobody can know, and so does
 * run_load().
 */
int	run_lstat(const struct run_ctx *ctx, const char *path, struct stat *st,
	    struct tl_err *err);
int	run_read(const struct run_ctx *ctx, const char *path, size_t max,
	    struct buf *out, struct stat *st, struct tl_err *err);
/* fsroot_load(): stat, and the content (out not NULL) of a regular file;
 * 1 like run_read() when a command would make it. */
int	run_load(const struct run_ctx *ctx, const char *path, size_t max,
	    struct buf *out, struct stat *st, struct tl_err *err);
/*
 * run_load() of a regular file that several resources edit in turn (the
 * line edits of one file): the bytes on disk are read once and kept in
 * ctx, and the next call for the same path answers from them until
 * run_forget_kept(). *out is borrowed until the next call or
 * run_forget_kept(). Returns as run_load(); a file that a queued write or
 * a prediction answers for is never kept.
 */
int	run_load_kept(struct run_ctx *ctx, const char *path, size_t max,
	    const struct buf **out, struct stat *st, struct tl_err *err);
/* Drops what run_load_kept() kept: called by the converge loop whenever a
 * resource may have changed the tree (a fix, a refresh, a command). */
void	run_forget_kept(struct run_ctx *ctx);
int	run_readlink(const struct run_ctx *ctx, const char *path,
	    struct buf *out, struct tl_err *err);
int	run_check_dir(const struct run_ctx *ctx, const char *dir,
	    struct tl_err *err);
/* Is path predicted to be something the tree does not show yet (so it
 * cannot be listed on disk)? */
int	run_is_predicted(const struct run_ctx *ctx, const char *path);

/*
 * Accounts the same way: a user or group an earlier resource would create
 * resolves (to a placeholder id when the tool picks it), one it would
 * remove does not. Names of ids for reports, borrowed until the next call.
 */
int	run_uid(const struct run_ctx *ctx, const char *name, uid_t *uid);
int	run_gid(const struct run_ctx *ctx, const char *name, gid_t *gid);
const char *run_user_name(const struct run_ctx *ctx, uid_t uid);
const char *run_group_name(const struct run_ctx *ctx, gid_t gid);

#endif
