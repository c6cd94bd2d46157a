#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bucket/bucket.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/ids.h"
#include "engine/predict.h"

char *
run_path(const struct run_ctx *ctx, const char *path)
{
	return path_in_root(ctx->root, path);
}

int
run_backup(struct run_ctx *ctx, const char *path, struct tl_err *err)
{
	int rc;

	if (ctx->bucket == NULL || strmap_get(&ctx->backed_up, path, NULL))
		return 0;
	rc = bucket_store(ctx->bucket, ctx->fs, path, ctx->run_id, err);
	if (rc == 0)
		strmap_put(&ctx->backed_up, path, 1);
	return rc;
}

void
run_ctx_release(struct run_ctx *ctx)
{
	strmap_release(&ctx->backed_up);
	predict_free(ctx->predict);
	ctx->predict = NULL;
}

/* The stat a predicted path would have. New files are tlaloc's own. */
static void
pred_stat(const struct pred *e, struct stat *st)
{
	static const mode_t types[] = {
		[PRED_FILE] = S_IFREG, [PRED_DIR] = S_IFDIR,
		[PRED_LINK] = S_IFLNK, [PRED_EXISTS] = S_IFREG
	};

	memset(st, 0, sizeof(*st));
	st->st_mode = types[e->kind] | (e->mode & 07777);
	st->st_uid = e->uid;
	st->st_gid = e->gid;
	st->st_nlink = 1;
	st->st_size = (off_t)e->content.len;
}

/* The prediction for a path, or NULL: absent ones fail as fsroot would. */
static const struct pred *
pred_path(const struct run_ctx *ctx, const char *path, struct stat *st,
    int *rc, struct tl_err *err)
{
	const struct pred *e = predict_get(ctx->predict, PS_PATH, path);

	*rc = 0;
	if (e == NULL)
		return NULL;
	if (e->kind == PRED_ABSENT) {
		if (st != NULL)
			memset(st, 0, sizeof(*st));
		*rc = tl_err_set(err, TL_ENOENT, "'%s' would not exist (%s "
		    "removes it)", path, e->by);
	} else if (st != NULL)
		pred_stat(e, st);
	return e;
}

int
run_lstat(const struct run_ctx *ctx, const char *path, struct stat *st,
    struct tl_err *err)
{
	int rc;

	if (pred_path(ctx, path, st, &rc, err) != NULL)
		return rc;
	return fsroot_lstat(ctx->fs, path, st, err);
}

int
run_read(const struct run_ctx *ctx, const char *path, size_t max,
    struct buf *out, struct stat *st, struct tl_err *err)
{
	const struct pred *e;
	int rc;

	if ((e = pred_path(ctx, path, st, &rc, err)) == NULL)
		return fsroot_read(ctx->fs, path, max, out, st, err);
	if (rc < 0)
		return rc;
	if (e->kind != PRED_FILE && e->kind != PRED_EXISTS)
		return tl_err_set(err, TL_EEXIST, "'%s' would not be a regular "
		    "file (%s makes it)", path, e->by);
	if (!e->has_content)
		return 1;
	if (e->content.len > max)
		return tl_err_set(err, TL_ETOOBIG, "'%s' would be larger than "
		    "%zu bytes", path, max);
	buf_add(out, e->content.data, e->content.len);
	return 0;
}

int
run_load(const struct run_ctx *ctx, const char *path, size_t max,
    struct buf *out, struct stat *st, struct tl_err *err)
{
	const struct pred *e;
	int rc;

	if ((e = pred_path(ctx, path, st, &rc, err)) == NULL)
		return fsroot_load(ctx->fs, path, max, out, st, err);
	if (rc < 0 || out == NULL || (e->kind != PRED_FILE &&
	    e->kind != PRED_EXISTS))
		return rc;
	if (!e->has_content)
		return 1;
	if (e->content.len > max)
		return tl_err_set(err, TL_ETOOBIG, "'%s' would be larger than "
		    "%zu bytes", path, max);
	buf_add(out, e->content.data, e->content.len);
	return 0;
}

int
run_readlink(const struct run_ctx *ctx, const char *path, struct buf *out,
    struct tl_err *err)
{
	const struct pred *e;
	int rc;

	if ((e = pred_path(ctx, path, NULL, &rc, err)) == NULL)
		return fsroot_readlink(ctx->fs, path, out, err);
	if (rc < 0)
		return rc;
	if (e->kind != PRED_LINK)
		return tl_err_set(err, TL_EINVAL, "'%s' would not be a link",
		    path);
	buf_addstr(out, e->target);
	return 0;
}

int
run_check_dir(const struct run_ctx *ctx, const char *dir,
    struct tl_err *err)
{
	const struct pred *e;
	int rc;

	if ((e = pred_path(ctx, dir, NULL, &rc, err)) == NULL)
		return fsroot_check_dir(ctx->fs, dir, err);
	if (rc == 0 && e->kind != PRED_DIR)
		rc = tl_err_set(err, TL_EEXIST, "'%s' would not be a directory "
		    "(%s makes it)", dir, e->by);
	return rc;
}

int
run_is_predicted(const struct run_ctx *ctx, const char *path)
{
	return predict_get(ctx->predict, PS_PATH, path) != NULL;
}

/* An account an earlier resource would create (*id set) or remove. */
static const struct pred *
pred_account(const struct run_ctx *ctx, enum pred_space sp,
    const char *name)
{
	return predict_get(ctx->predict, sp, name);
}

int
run_uid(const struct run_ctx *ctx, const char *name, uid_t *uid)
{
	const struct pred *e = pred_account(ctx, PS_USER, name);

	if (e == NULL)
		return ids_uid(ctx->root, name, uid);
	*uid = e->uid;
	return e->kind == PRED_PRESENT ? 0 : -1;
}

int
run_gid(const struct run_ctx *ctx, const char *name, gid_t *gid)
{
	const struct pred *e = pred_account(ctx, PS_GROUP, name);

	if (e == NULL)
		return ids_gid(ctx->root, name, gid);
	*gid = e->gid;
	return e->kind == PRED_PRESENT ? 0 : -1;
}

const char *
run_user_name(const struct run_ctx *ctx, uid_t uid)
{
	const char *name = predict_id_name(ctx->predict, PS_USER, uid);

	return name != NULL ? name : ids_user_name(ctx->root, uid);
}

const char *
run_group_name(const struct run_ctx *ctx, gid_t gid)
{
	const char *name = predict_id_name(ctx->predict, PS_GROUP, gid);

	return name != NULL ? name : ids_group_name(ctx->root, gid);
}
