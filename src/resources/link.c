/*
 * link: a symbolic link pointing at target, or no link. A regular file in
 * the way is backed up and replaced only with force; a directory never.
 * The link is made, read, owned and removed through ctx->fs
 * (core/fsroot.h), under a temporary name renamed over the path.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/buf.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"
#include "engine/res.h"
#include "engine/run.h"
#include "resources/fsattr.h"

static const struct attr_spec link_attrs[] = {
	{ "path", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "absolute path of the link" },
	{ "target", ATTR_STR, 0, NULL, NULL,
	    "what the link points at (stored as given, not under --root)" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "owner", ATTR_ACCOUNT, 0, NULL, NULL, "user name or uid of the link" },
	{ "group", ATTR_ACCOUNT, 0, NULL, NULL, "group name or gid of the link" },
	{ "force", ATTR_BOOL, 0, "false", NULL,
	    "replace a regular file in the way (backed up first)" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const args_link[] = { "path", "target", NULL };

static const struct res_short link_shorts[] = {
	{ "link", "to", args_link, NULL,
	    "link.to(path, target): path is a symlink to target" },
	{ NULL, NULL, NULL, NULL, NULL }
};

struct link_state {
	int		 exists;	/* something is at path */
	int		 is_link;
	int		 retarget;	/* link missing or pointing elsewhere */
	struct stat	 st;
	struct fs_want	 want;
};

static int
link_validate(struct res *r, struct tl_err *err)
{
	if (!path_is_clean_abs(r->title))
		return tl_err_set(err, TL_EINVAL, "link path '%s' must be "
		    "absolute", r->title);
	if (strcmp(res_str(r, "ensure"), "present") == 0 &&
	    (res_str(r, "target") == NULL || res_str(r, "target")[0] == '\0'))
		return tl_err_set(err, TL_EINVAL, "link needs 'target'");
	return 0;
}

static int
link_check_target(struct res *r, const struct run_ctx *ctx,
    struct link_state *ls, struct tl_err *err)
{
	struct buf cur = BUF_INIT;
	int rc;

	if (!ls->exists) {
		if ((rc = fs_parent_check(ctx, r->title, err)) < 0)
			return rc;
		ls->retarget = 1;
		res_change(r, "create -> %s", res_str(r, "target"));
		return 0;
	}
	if (!ls->is_link) {
		if (S_ISDIR(ls->st.st_mode) || !res_bool(r, "force"))
			return tl_err_set(err, TL_EEXIST, "'%s' exists and is "
			    "not a link%s", r->title, S_ISDIR(ls->st.st_mode) ?
			    "" : " (force = true replaces it)");
		ls->retarget = 1;
		res_change(r, "replace file with link -> %s",
		    res_str(r, "target"));
		return 0;
	}
	if ((rc = run_readlink(ctx, r->title, &cur, err)) < 0) {
		buf_release(&cur);
		return rc;
	}
	if (strcmp(cur.data, res_str(r, "target")) != 0) {
		ls->retarget = 1;
		res_change(r, "target %s -> %s", cur.data,
		    res_str(r, "target"));
	}
	buf_release(&cur);
	return 0;
}

static int
link_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct link_state *ls = xcalloc(1, sizeof(*ls));
	int rc;

	r->priv = ls;
	if ((rc = run_lstat(ctx, r->title, &ls->st, err)) == 0) {
		ls->exists = 1;
		ls->is_link = S_ISLNK(ls->st.st_mode);
	} else if (rc != TL_ENOENT)
		return rc;
	if (res_is_absent(r)) {
		if (ls->exists && !ls->is_link)
			return tl_err_set(err, TL_EEXIST, "'%s' is not a link; "
			    "not removing it", r->title);
		if (ls->exists)
			res_change(r, "remove");
		return 0;
	}
	if ((rc = fs_want_load(r, ctx, &ls->want, err)) < 0 ||
	    (rc = link_check_target(r, ctx, ls, err)) < 0)
		return rc;
	if (ls->exists && ls->is_link && !ls->retarget)
		fs_want_check(r, ctx, &ls->st, &ls->want, 1);
	return 0;
}

/* Creates the new link beside the path and renames it over, so the path
 * never goes missing. */
static int
link_replace(struct res *r, struct run_ctx *ctx, struct link_state *ls,
    struct tl_err *err)
{
	struct stat st;
	int rc;

	if (ls->exists && !ls->is_link &&
	    (rc = run_backup(ctx, r->title, err)) < 0)
		return rc;
	if ((rc = fsroot_symlink(ctx->fs, r->title, res_str(r, "target"),
	    err)) < 0)
		return rc;
	if (fsroot_lstat(ctx->fs, r->title, &st, NULL) == 0)
		return fs_want_fix(ctx, r->title, &st, &ls->want, 1, err);
	return 0;
}

static int
link_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct link_state *ls = r->priv;

	run_settle(ctx, r->title, 0);	/* acts at once, on the path */
	if (res_is_absent(r))
		return fsroot_unlink(ctx->fs, r->title, err);
	if (ls->retarget)
		return link_replace(r, ctx, ls, err);
	return fs_want_fix(ctx, r->title, &ls->st, &ls->want, 1, err);
}

/* --noop: the link as fix would leave it, or its absence. */
static void
link_predict(struct res *r, struct run_ctx *ctx)
{
	struct link_state *ls = r->priv;
	struct pred *e;

	if (res_is_absent(r)) {
		predict_set(ctx->predict, PS_PATH, r->title, PRED_ABSENT,
		    r->ref);
		return;
	}
	e = fs_predict(r, ctx, r->title, PRED_LINK, &ls->st, ls->exists &&
	    ls->is_link, &ls->want, 0777);
	e->target = xstrdup(res_str(r, "target"));
}

const struct res_type res_type_link = {
	.name = "link",
	.batch_safe = 1,
	.doc = "a symbolic link and its target",
	.attrs = link_attrs,
	.shorts = link_shorts,
	.validate = link_validate,
	.autorequire = fs_autorequire,
	.check = link_check,
	.fix = link_fix,
	.predict = link_predict,
};
