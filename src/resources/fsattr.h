#ifndef TLALOC_RESOURCES_FSATTR_H
#define TLALOC_RESOURCES_FSATTR_H

/*
 * Mode, owner and group: shared by file, directory and link. Names resolve
 * against the managed tree's own /etc/passwd and /etc/group.
 */

#include <sys/stat.h>
#include <sys/types.h>

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
/* Applies what differs between st and w to real. */
int	fs_want_fix(const char *real, const struct stat *st,
	    const struct fs_want *w, int is_link, struct tl_err *err);
/* Fails with a plain sentence when the parent directory of a path to be
 * created is missing (under --noop, a declared parent counts as there). */
int	fs_parent_check(const struct run_ctx *ctx, const char *path,
	    struct tl_err *err);
/* Implicit edges every path resource has: its parent directory, its
 * owner and its group. */
void	fs_autorequire(const struct res *r,
	    void (*add)(void *ctx, const char *ref), void *ctx);

#endif
