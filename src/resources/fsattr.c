#include "fsattr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/ids.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/predict.h"
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
		if (run_uid(ctx, owner, &w->uid) < 0)
			return tl_err_set(err, TL_ENOENT, "unknown user '%s' "
			    "(not in %s/etc/passwd)", owner,
			    strcmp(ctx->root, "/") ? ctx->root : "");
		w->has_uid = 1;
	}
	if (group != NULL) {
		if (run_gid(ctx, group, &w->gid) < 0)
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
		char *from = xstrdup(run_user_name(ctx, st->st_uid));
		res_change(r, "owner %s -> %s", from,
		    run_user_name(ctx, w->uid));
		free(from);
	}
	if (w->has_gid && st->st_gid != w->gid) {
		char *from = xstrdup(run_group_name(ctx, st->st_gid));
		res_change(r, "group %s -> %s", from,
		    run_group_name(ctx, w->gid));
		free(from);
	}
}

int
fs_want_fix(struct run_ctx *ctx, const char *path, const struct stat *st,
    const struct fs_want *w, int is_link, struct tl_err *err)
{
	struct fileio_meta m = FILEIO_META_KEEP;
	int owner = (w->has_uid && st->st_uid != w->uid) ||
	    (w->has_gid && st->st_gid != w->gid);

	if (owner) {
		m.uid = w->has_uid ? w->uid : (uid_t)-1;
		m.gid = w->has_gid ? w->gid : (gid_t)-1;
	}
	if (is_link)
		return owner ? fsroot_chown_link(ctx->fs, path, st, m.uid,
		    m.gid, err) : 0;
	/* fsroot sets the owner first: chown may clear setuid bits. */
	if (w->has_mode && (st->st_mode & 07777) != w->mode)
		m.mode = w->mode;
	if (!owner && m.mode == (mode_t)-1)
		return 0;
	return fsroot_set_attrs(ctx->fs, path, st, &m, err);
}

int
fs_links_check(const struct res *r, const char *path, const struct stat *st,
    struct tl_err *err)
{
	if (!S_ISREG(st->st_mode) || st->st_nlink <= 1 ||
	    !res_has_changes(r))
		return 0;
	return tl_err_set(err, TL_EPERM, "'%s' has %lu hard links: tlaloc "
	    "does not change a file that has other names (one may be a file "
	    "the recipe does not name); remove the other links first", path,
	    (unsigned long)st->st_nlink);
}

struct pred *
fs_predict(struct res *r, struct run_ctx *ctx, const char *path,
    enum pred_kind kind, const struct stat *st, int exists,
    const struct fs_want *w, mode_t def_mode)
{
	struct pred *e = predict_set(ctx->predict, PS_PATH, path, kind,
	    r->ref);

	e->mode = w->has_mode ? w->mode : exists ? st->st_mode & 07777 :
	    def_mode;
	e->uid = w->has_uid ? w->uid : exists ? st->st_uid : geteuid();
	e->gid = w->has_gid ? w->gid : exists ? st->st_gid : getegid();
	return e;
}

void
fs_autorequire(const struct res *r, res_require_fn add, void *ctx)
{
	const char *path = res_str(r, "path"), *slash;

	if (path != NULL && strcmp(path, "/") != 0) {
		/* path_dirname() on the borrowed path, copying only the
		 * parent: every file and line of a recipe passes here. */
		struct buf dir = BUF_INIT;

		if ((slash = strrchr(path, '/')) == NULL)
			buf_addch(&dir, '.');
		else {
			while (slash > path && slash[-1] == '/')
				slash--;
			buf_add(&dir, path, slash == path ? 1 :
			    (size_t)(slash - path));
		}
		add(ctx, "directory", dir.data);
		buf_release(&dir);
	}
	if (res_str(r, "owner") != NULL)
		add(ctx, "user", res_str(r, "owner"));
	if (res_str(r, "group") != NULL)
		add(ctx, "group", res_str(r, "group"));
}

int
fs_parent_check(const struct run_ctx *ctx, const char *path,
    struct tl_err *err)
{
	char *dir = path_dirname(path);
	struct tl_err why = TL_ERR_INIT;
	int rc = run_check_dir(ctx, dir, &why), ok = rc == 0;

	/* Under --noop a directory an earlier resource would make counts
	 * as there (run_check_dir). */
	if (rc < 0 && rc != TL_ENOENT && rc != TL_EEXIST) {
		free(dir);	/* a link it will not follow: why says which */
		return tl_err_set(err, rc, "%s", why.msg);
	}
	rc = 0;
	if (!ok)
		rc = tl_err_set(err, TL_ENOENT, "cannot create '%s': directory "
		    "'%s' does not exist (declare it, or one with recurse = "
		    "true)", path, dir);
	free(dir);
	return rc;
}
