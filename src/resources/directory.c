/*
 * directory: exists (with its parents when recurse is set), with mode,
 * owner and group; or is absent. purge removes entries no resource of the
 * run manages (files backed up first); subdirectories only with force.
 * Through ctx->fs (core/fsroot.h): a link where the directory should be is
 * refused, and removal never descends through a link.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/res.h"
#include "engine/run.h"
#include "resources/fsattr.h"

static const struct attr_spec dir_attrs[] = {
	{ "path", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "absolute path of the directory" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "mode", ATTR_MODE, 0, NULL, NULL,
	    "octal permissions (new directories get 0755 when unset)" },
	{ "owner", ATTR_ACCOUNT, 0, NULL, NULL, "user name or uid" },
	{ "group", ATTR_ACCOUNT, 0, NULL, NULL, "group name or gid" },
	{ "recurse", ATTR_BOOL, 0, "false", NULL,
	    "create missing parent directories too" },
	{ "purge", ATTR_BOOL, 0, "false", NULL,
	    "remove entries that no resource of this run manages" },
	{ "force", ATTR_BOOL, 0, "false", NULL,
	    "allow removing non-empty directories (absent, purge)" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const args_path[] = { "path", NULL };

static const struct res_short dir_shorts[] = {
	{ "directory", "present", args_path, NULL,
	    "directory.present(path): the directory exists" },
	{ NULL, NULL, NULL, NULL, NULL }
};

struct dir_state {
	int		 exists;
	struct stat	 st;
	struct fs_want	 want;
	char		**purge;	/* managed paths of entries to remove */
	size_t		 npurge;
};

static int
dir_validate(struct res *r, struct tl_err *err)
{
	if (!path_is_clean_abs(r->title))
		return tl_err_set(err, TL_EINVAL, "directory path '%s' must "
		    "be absolute, without '.', '..' or a trailing '/'",
		    r->title);
	return 0;
}

static void
dir_release(void *priv)
{
	struct dir_state *ds = priv;

	for (size_t i = 0; i < ds->npurge; i++)
		free(ds->purge[i]);
	free(ds->purge);
}

static int
dir_is_managed(const struct run_ctx *ctx, const char *path)
{
	static const char *const types[] = { "file", "directory", "link",
	    NULL };
	char ref[4200];

	if (ctx->graph == NULL)
		return 1;	/* without the graph, purge nothing */
	for (size_t i = 0; types[i] != NULL; i++) {
		snprintf(ref, sizeof(ref), "%s[%s]", types[i], path);
		if (graph_find(ctx->graph, ref) != NULL)
			return 1;
	}
	return 0;
}

static int
dir_plan_purge(struct res *r, struct run_ctx *ctx, struct dir_state *ds,
    struct tl_err *err)
{
	char **names;
	size_t n;
	int rc;

	/* A directory only this --noop run would make holds nothing yet. */
	if ((rc = fsroot_list(ctx->fs, r->title, &names, &n, err)) == TL_ENOENT
	    && run_is_predicted(ctx, r->title)) {
		tl_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char *path;

		path = xasprintf("%s%s%s", r->title,
		    strcmp(r->title, "/") ? "/" : "", names[i]);
		if (dir_is_managed(ctx, path)) {
			free(path);
			continue;
		}
		res_change(r, "purge %s", path);
		ds->purge = xrealloc(ds->purge, (ds->npurge + 1) *
		    sizeof(char *));
		ds->purge[ds->npurge++] = path;
	}
	fsroot_names_free(names);
	return 0;
}

static int
dir_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct dir_state *ds = xcalloc(1, sizeof(*ds));
	int rc;

	r->priv = ds;
	if ((rc = run_lstat(ctx, r->title, &ds->st, err)) == 0)
		ds->exists = 1;
	else if (rc != TL_ENOENT)
		return rc;
	if (ds->exists && S_ISLNK(ds->st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link "
		    "where a directory should be; tlaloc does not follow it",
		    r->title);
	if (ds->exists && !S_ISDIR(ds->st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' exists and is not a "
		    "directory", r->title);
	if (res_is_absent(r)) {
		if (ds->exists)
			res_change(r, "remove");
		return 0;
	}
	if ((rc = fs_want_load(r, ctx, &ds->want, err)) < 0)
		return rc;
	if (!ds->exists) {
		if (!res_bool(r, "recurse") &&
		    (rc = fs_parent_check(ctx, r->title, err)) < 0)
			return rc;
		res_change(r, "create");
		return 0;
	}
	fs_want_check(r, ctx, &ds->st, &ds->want, 0);
	if (res_bool(r, "purge"))
		return dir_plan_purge(r, ctx, ds, err);
	return 0;
}

/* Removes a tree, backing up every regular file in it first; a link in
 * it is removed, never descended. */
static int
dir_remove_tree(struct run_ctx *ctx, const char *path, struct tl_err *err)
{
	struct stat st;
	char **names;
	size_t n;
	int rc;

	if ((rc = fsroot_lstat(ctx->fs, path, &st, err)) == TL_ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (!S_ISDIR(st.st_mode)) {
		if (S_ISREG(st.st_mode) && (rc = run_backup(ctx, path, err)) < 0)
			return rc;
		return fsroot_unlink(ctx->fs, path, err);
	}
	if ((rc = fsroot_list(ctx->fs, path, &names, &n, err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *sub = xasprintf("%s/%s", path, names[i]);

		rc = dir_remove_tree(ctx, sub, err);
		free(sub);
	}
	fsroot_names_free(names);
	return rc < 0 ? rc : fsroot_rmdir(ctx->fs, path, err);
}

static int
dir_purge(struct res *r, struct run_ctx *ctx, struct dir_state *ds,
    struct tl_err *err)
{
	for (size_t i = 0; i < ds->npurge; i++) {
		struct stat st;
		int is_dir = fsroot_lstat(ctx->fs, ds->purge[i], &st, NULL) ==
		    0 && S_ISDIR(st.st_mode);
		int rc;

		if (is_dir && !res_bool(r, "force"))
			return tl_err_set(err, TL_EPERM, "not purging "
			    "directory '%s' without force = true",
			    ds->purge[i]);
		if ((rc = dir_remove_tree(ctx, ds->purge[i], err)) < 0)
			return rc;
	}
	return 0;
}

static int
dir_create(struct res *r, struct run_ctx *ctx, struct dir_state *ds,
    struct tl_err *err)
{
	struct fileio_meta m = {
		ds->want.has_mode ? ds->want.mode : 0755,
		ds->want.has_uid ? ds->want.uid : (uid_t)-1,
		ds->want.has_gid ? ds->want.gid : (gid_t)-1,
	};
	char *parent;
	int rc;

	if (res_bool(r, "recurse") && strcmp(r->title, "/") != 0) {
		parent = path_dirname(r->title);
		rc = fsroot_mkdirs(ctx->fs, parent, 0755, err);
		free(parent);
		if (rc < 0)
			return rc;
	}
	return fsroot_mkdir(ctx->fs, r->title, &m, err);
}

static int
dir_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct dir_state *ds = r->priv;
	int rc, absent = res_is_absent(r);

	/* Removals act at once: queued writes beneath land first. */
	if (absent || ds->npurge > 0)
		run_settle(ctx, r->title, 1);
	if (absent) {
		if (!res_bool(r, "force")) {
			if ((rc = fsroot_rmdir(ctx->fs, r->title, err)) < 0)
				return tl_err_set(err, rc, "%s (set force = "
				    "true to remove a non-empty directory)",
				    err ? err->msg : "");
			return 0;
		}
		return dir_remove_tree(ctx, r->title, err);
	}
	if (!ds->exists)
		return dir_create(r, ctx, ds, err);
	if ((rc = fs_want_fix(ctx, r->title, &ds->st, &ds->want, 0, err)) < 0)
		return rc;
	return dir_purge(r, ctx, ds, err);
}

/* --noop: the directory (and with recurse its missing parents) as fix
 * would leave it, or its absence. */
static void
dir_predict(struct res *r, struct run_ctx *ctx)
{
	struct dir_state *ds = r->priv;
	struct fs_want none = { 0 };
	char *dir = xstrdup(r->title), *slash;

	if (res_is_absent(r)) {
		predict_set(ctx->predict, PS_PATH, r->title, PRED_ABSENT,
		    r->ref);
		free(dir);
		return;
	}
	fs_predict(r, ctx, r->title, PRED_DIR, &ds->st, ds->exists, &ds->want,
	    0755);
	while (!ds->exists && res_bool(r, "recurse") &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (run_check_dir(ctx, dir, NULL) == 0)
			break;
		fs_predict(r, ctx, dir, PRED_DIR, &ds->st, 0, &none, 0755);
	}
	free(dir);
}

const struct res_type res_type_directory = {
	.name = "directory",
	.batch_safe = 1,
	.doc = "a directory: exists with mode, owner, group; optional purge",
	.attrs = dir_attrs,
	.shorts = dir_shorts,
	.validate = dir_validate,
	.autorequire = fs_autorequire,
	.check = dir_check,
	.fix = dir_fix,
	.predict = dir_predict,
	.release = dir_release,
};
