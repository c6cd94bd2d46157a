#ifndef TLALOC_RESOURCES_FSATTR_H
#define TLALOC_RESOURCES_FSATTR_H

/*
 * Mode, owner and group: shared by file, directory and link. Names resolve
 * against the managed tree's own /etc/passwd and /etc/group.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include "engine/predict.h"
#include "engine/res.h"

struct res;
struct run_ctx;
struct tl_err;

struct fs_want {
	int	has_mode, has_uid, has_gid;
	mode_t	mode;
	uid_t	uid;
	gid_t	gid;
};

/* Reads mode/owner/group of r; an unknown user or group fails. */
int	fs_want_load(const struct res *r, const struct run_ctx *ctx,
	    struct fs_want *w, struct tl_err *err);
/* Records "mode 0644 -> 0600" style changes against st. */
void	fs_want_check(struct res *r, const struct run_ctx *ctx,
	    const struct stat *st, const struct fs_want *w, int is_link);
/* Applies what differs between st and w to the managed path, through
 * ctx->fs: on the object seen (st), never through a link. */
int	fs_want_fix(struct run_ctx *ctx, const char *path,
	    const struct stat *st, const struct fs_want *w, int is_link,
	    struct tl_err *err);
/* Fails with a plain sentence when the parent directory of a path to be
 * created is missing (under --noop, a declared parent counts as there),
 * or is reached through a link fsroot does not follow. */
int	fs_parent_check(const struct run_ctx *ctx, const char *path,
	    struct tl_err *err);
/*
 * A regular file with other hard links is not changed (one of its names
 * may be a file the recipe does not name, made by whoever can write the
 * directory): fails naming path when st is one and r planned a change.
 */
int	fs_links_check(const struct res *r, const char *path,
	    const struct stat *st, struct tl_err *err);
/* --noop: records that path would be kind, with mode, owner and group
 * as fix would leave them (w, else st when it exists, else def_mode and
 * the running user), made by r. Returns the prediction, for the caller
 * to add content or a target to. */
struct pred *fs_predict(struct res *r, struct run_ctx *ctx, const char *path,
	    enum pred_kind kind, const struct stat *st, int exists,
	    const struct fs_want *w, mode_t def_mode);
/* Implicit edges every path resource has: its parent directory, its
 * owner and its group. */
void	fs_autorequire(const struct res *r, res_require_fn add, void *ctx);

#endif
