#include "fsattr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/ids.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/res.h"
#include "engine/run.h"

int
fs_want_load(const struct res *r, const struct run_ctx *ctx,
    struct fs_want *w, struct tl_err *err)
{
	const char *owner = res_str(r, "owner"), *group = res_str(r, "group");

	memset(w, 0, sizeof(*w));
	if (res_attr_index(r->type, "mode") >= 0 && res_is_set(r, "mode")) {
		w->has_mode = 1;
		w->mode = (mode_t)res_int(r, "mode");
	}
	if (owner != NULL) {
		if (ids_uid(ctx->root, owner, &w->uid) < 0)
			return tl_err_set(err, TL_ENOENT, "unknown user '%s' "
			    "(not in %s/etc/passwd)", owner,
			    strcmp(ctx->root, "/") ? ctx->root : "");
		w->has_uid = 1;
	}
	if (group != NULL) {
		if (ids_gid(ctx->root, group, &w->gid) < 0)
			return tl_err_set(err, TL_ENOENT, "unknown group '%s' "
			    "(not in %s/etc/group)", group,
			    strcmp(ctx->root, "/") ? ctx->root : "");
		w->has_gid = 1;
	}
	return 0;
}

void
fs_want_check(struct res *r, const struct run_ctx *ctx,
    const struct stat *st, const struct fs_want *w, int is_link)
{
	if (w->has_mode && !is_link && (st->st_mode & 07777) != w->mode)
		res_change(r, "mode %04o -> %04o",
		    (unsigned)(st->st_mode & 07777), (unsigned)w->mode);
	if (w->has_uid && st->st_uid != w->uid) {
		char *from = xstrdup(ids_user_name(ctx->root, st->st_uid));
		res_change(r, "owner %s -> %s", from,
		    ids_user_name(ctx->root, w->uid));
		free(from);
	}
	if (w->has_gid && st->st_gid != w->gid) {
		char *from = xstrdup(ids_group_name(ctx->root, st->st_gid));
		res_change(r, "group %s -> %s", from,
		    ids_group_name(ctx->root, w->gid));
		free(from);
	}
}

int
fs_want_fix(const char *real, const struct stat *st, const struct fs_want *w,
    int is_link, struct tl_err *err)
{
	uid_t uid = w->has_uid ? w->uid : (uid_t)-1;
	gid_t gid = w->has_gid ? w->gid : (gid_t)-1;

	if ((w->has_uid && st->st_uid != w->uid) ||
	    (w->has_gid && st->st_gid != w->gid)) {
		if (lchown(real, uid, gid) < 0)
			return tl_err_sys(err, TL_EPERM, "cannot change the "
			    "owner of '%s'", real);
	}
	/* chown may clear setuid bits, so the mode goes second. */
	if (w->has_mode && !is_link && (st->st_mode & 07777) != w->mode &&
	    chmod(real, w->mode) < 0)
		return tl_err_sys(err, TL_EPERM, "cannot change the mode of "
		    "'%s'", real);
	return 0;
}

void
fs_autorequire(const struct res *r, void (*add)(void *ctx, const char *ref),
    void *ctx)
{
	const char *path = res_str(r, "path");
	char *dir, *ref;

	if (path != NULL && strcmp(path, "/") != 0) {
		dir = path_dirname(path);
		ref = xasprintf("directory[%s]", dir);
		add(ctx, ref);
		free(ref);
		free(dir);
	}
	if (res_str(r, "owner") != NULL) {
		ref = xasprintf("user[%s]", res_str(r, "owner"));
		add(ctx, ref);
		free(ref);
	}
	if (res_str(r, "group") != NULL) {
		ref = xasprintf("group[%s]", res_str(r, "group"));
		add(ctx, ref);
		free(ref);
	}
}

int
fs_parent_check(const struct run_ctx *ctx, const char *path,
    struct tl_err *err)
{
	char *dir = path_dirname(path), *real = run_path(ctx, dir), *ref;
	struct stat st;
	int ok = stat(real, &st) == 0 && S_ISDIR(st.st_mode), rc = 0;

	if (!ok && ctx->noop && ctx->graph != NULL) {
		ref = xasprintf("directory[%s]", dir);
		ok = graph_find(ctx->graph, ref) != NULL;
		free(ref);
	}
	if (!ok)
		rc = tl_err_set(err, TL_ENOENT, "cannot create '%s': directory "
		    "'%s' does not exist (declare it, or one with recurse = "
		    "true)", path, dir);
	free(real);
	free(dir);
	return rc;
}
