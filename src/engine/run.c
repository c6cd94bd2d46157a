#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bucket/bucket.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsbatch.h"
#include "core/fsroot.h"
#include "core/ids.h"
#include "core/xalloc.h"
#include "engine/predict.h"
#include "engine/res.h"

char *
run_path(const struct run_ctx *ctx, const char *path)
{
	return path_in_root(ctx->root, path);
}

/* Was path saved to the bucket this run (and not by a batch that then
 * failed)? */
static int
run_is_saved(const struct run_ctx *ctx, const char *path)
{
	size_t v;

	return strmap_get(&ctx->backed_up, path, &v) && v != 0;
}

int
run_backup(struct run_ctx *ctx, const char *path, struct tl_err *err)
{
	int rc;

	if (ctx->bucket == NULL || run_is_saved(ctx, path))
		return 0;
	rc = bucket_store(ctx->bucket, ctx->fs, path, ctx->run_id, err);
	if (rc == 0)
		strmap_put(&ctx->backed_up, path, 1);
	return rc;
}

/* run_backup() into the batch: the object and index line wait for the
 * commit, which writes them before any file it replaces. */
static int
run_backup_queued(struct run_ctx *ctx, struct res *r, const char *path,
    struct tl_err *err)
{
	int rc;

	if (ctx->bucket == NULL || run_is_saved(ctx, path))
		return 0;
	rc = bucket_save_queued(ctx->bucket, ctx->fs, path, ctx->run_id,
	    ctx->batch, r, err);
	if (rc == 0) {
		strmap_put(&ctx->backed_up, path, 1);
		ctx->batch_saved = xgrow(ctx->batch_saved,
		    &ctx->batch_saved_cap, ctx->nbatch_saved + 1,
		    sizeof(*ctx->batch_saved));
		ctx->batch_saved[ctx->nbatch_saved++] = xstrdup(path);
	}
	return rc;
}

int
run_write(struct run_ctx *ctx, struct res *r, const char *path,
    const void *data, size_t len, const struct fileio_meta *meta,
    int backup, struct tl_err *err)
{
	struct buf copy = BUF_INIT;
	int rc;

	if (ctx->batch == NULL) {
		if (backup && (rc = run_backup(ctx, path, err)) < 0)
			return rc;
		return fsroot_write(ctx->fs, path, data, len, meta, 0, err);
	}
	if (backup && (rc = run_backup_queued(ctx, r, path, err)) < 0)
		return rc;
	buf_add(&copy, data, len);
	fsbatch_put(ctx->batch, ctx->fs, path, &copy, meta, FSBATCH_LAST, r);
	return 0;
}

static int
commit_between(void *arg, struct tl_err *err)
{
	struct run_ctx *ctx = arg;

	return ctx->bucket != NULL ? bucket_commit_queued(ctx->bucket, err) :
	    0;
}

static void
commit_failed(void *arg, void *owner, const struct tl_err *err)
{
	(void)arg;
	res_fail(owner, err);
}

/* The batch's backups did not all land: a later change of those paths in
 * this run must save them again (dedup keeps one copy if they did). */
static void
commit_forget_saved(struct run_ctx *ctx, int failed)
{
	for (size_t i = 0; i < ctx->nbatch_saved; i++) {
		if (failed)
			strmap_put(&ctx->backed_up, ctx->batch_saved[i], 0);
		free(ctx->batch_saved[i]);
	}
	ctx->nbatch_saved = 0;
}

size_t
run_commit(struct run_ctx *ctx)
{
	struct fsbatch_hooks h = { commit_between, commit_failed, ctx };
	size_t failed;

	if (ctx->batch == NULL || fsbatch_count(ctx->batch) == 0)
		return 0;
	failed = fsbatch_commit(ctx->batch, &h);
	if (ctx->bucket != NULL)
		bucket_drop_queued(ctx->bucket);
	commit_forget_saved(ctx, failed != 0);
	return failed;
}

void
run_settle(struct run_ctx *ctx, const char *path, int under)
{
	if (ctx->batch == NULL)
		return;
	if (fsbatch_peek(ctx->batch, ctx->fs, path, NULL) != NULL ||
	    (under && fsbatch_has_under(ctx->batch, ctx->fs, path)))
		(void)run_commit(ctx);
}

void
run_ctx_release(struct run_ctx *ctx)
{
	commit_forget_saved(ctx, 0);
	free(ctx->batch_saved);
	ctx->batch_saved = NULL;
	ctx->batch_saved_cap = 0;
	strmap_release(&ctx->backed_up);
	if (ctx->scratch.cap != 0)
		free(ctx->scratch.data);
	memset(&ctx->scratch, 0, sizeof(ctx->scratch));
	run_forget_kept(ctx);
	if (ctx->kept.cap != 0)
		free(ctx->kept.data);
	memset(&ctx->kept, 0, sizeof(ctx->kept));
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

/*
 * A write queued in the batch for path, or NULL: *st (when not NULL) as
 * the file will be once it lands (what is there now for what the write
 * keeps; a new file is ours, 0600 unless meta says).
 */
static const struct buf *
batch_path(const struct run_ctx *ctx, const char *path, struct stat *st)
{
	struct fileio_meta m;
	const struct buf *data;

	if (ctx->batch == NULL ||
	    (data = fsbatch_peek(ctx->batch, ctx->fs, path, &m)) == NULL)
		return NULL;
	if (st == NULL)
		return data;
	if (fsroot_lstat(ctx->fs, path, st, NULL) < 0) {
		memset(st, 0, sizeof(*st));
		st->st_mode = 0600;
		st->st_uid = geteuid();
		st->st_gid = getegid();
	}
	st->st_mode = S_IFREG | (m.mode != (mode_t)-1 ? m.mode & 07777 :
	    st->st_mode & 07777);
	if (m.uid != (uid_t)-1)
		st->st_uid = m.uid;
	if (m.gid != (gid_t)-1)
		st->st_gid = m.gid;
	st->st_nlink = 1;
	st->st_size = (off_t)data->len;
	return data;
}

/* run_read()/run_load() of a queued write. */
static int
batch_read(const struct buf *data, const char *path, size_t max,
    struct buf *out, struct tl_err *err)
{
	if (out == NULL)
		return 0;
	if (data->len > max)
		return tl_err_set(err, TL_ETOOBIG, "'%s' is larger than %zu "
		    "bytes", path, max);
	buf_add(out, data->data, data->len);
	return 0;
}

int
run_lstat(const struct run_ctx *ctx, const char *path, struct stat *st,
    struct tl_err *err)
{
	int rc;

	if (pred_path(ctx, path, st, &rc, err) != NULL)
		return rc;
	if (batch_path(ctx, path, st) != NULL)
		return 0;
	return fsroot_lstat(ctx->fs, path, st, err);
}

/* The bytes a predicted file would hold: 1 when a run cannot know them. */
static int
pred_content(const struct pred *e, const char *path, size_t max,
    struct buf *out, struct tl_err *err)
{
	if (!e->has_content)
		return 1;
	if (e->content.len > max)
		return tl_err_set(err, TL_ETOOBIG, "'%s' would be larger than "
		    "%zu bytes", path, max);
	buf_add(out, e->content.data, e->content.len);
	return 0;
}

/* Which fsroot call run_get() stands in for. */
enum run_get_as { RUN_AS_READ, RUN_AS_LOAD };

/*
 * run_read() and run_load(): a queued write answers first, then a
 * prediction, then the disk. They differ only where fsroot_read() and
 * fsroot_load() do: a path that is not a regular file is an error to the
 * one and only stat'ed by the other.
 */
static int
run_get(const struct run_ctx *ctx, enum run_get_as as, const char *path,
    size_t max, struct buf *out, struct stat *st, struct tl_err *err)
{
	const struct pred *e;
	const struct buf *q;
	int rc;

	if ((q = batch_path(ctx, path, st)) != NULL)
		return batch_read(q, path, max, out, err);
	if ((e = pred_path(ctx, path, st, &rc, err)) == NULL)
		return as == RUN_AS_READ ?
		    fsroot_read(ctx->fs, path, max, out, st, err) :
		    fsroot_load(ctx->fs, path, max, out, st, err);
	if (rc < 0)
		return rc;
	if (e->kind != PRED_FILE && e->kind != PRED_EXISTS) {
		if (as == RUN_AS_LOAD)
			return 0;	/* only stat'ed, like fsroot_load() */
		return tl_err_set(err, TL_EEXIST, "'%s' would not be a "
		    "regular file (%s makes it)", path, e->by);
	}
	if (as == RUN_AS_LOAD && out == NULL)
		return 0;
	return pred_content(e, path, max, out, err);
}

int
run_read(const struct run_ctx *ctx, const char *path, size_t max,
    struct buf *out, struct stat *st, struct tl_err *err)
{
	return run_get(ctx, RUN_AS_READ, path, max, out, st, err);
}

int
run_load(const struct run_ctx *ctx, const char *path, size_t max,
    struct buf *out, struct stat *st, struct tl_err *err)
{
	return run_get(ctx, RUN_AS_LOAD, path, max, out, st, err);
}

int
run_load_kept(struct run_ctx *ctx, const char *path, size_t max,
    const struct buf **out, struct stat *st, struct tl_err *err)
{
	int rc, on_disk;

	*out = &ctx->kept;
	if (ctx->kept_path != NULL && strcmp(ctx->kept_path, path) == 0 &&
	    ctx->kept.len <= max) {
		*st = ctx->kept_st;
		return 0;
	}
	run_forget_kept(ctx);
	if (ctx->kept.data == NULL)	/* a zeroed run_ctx */
		buf_init(&ctx->kept);
	buf_reset(&ctx->kept);
	/* Only what the disk holds is kept: a queued write (or, under
	 * --noop, a prediction) is in memory already, and changes with the
	 * resources after. */
	on_disk = ctx->predict == NULL && batch_path(ctx, path, NULL) == NULL;
	rc = run_load(ctx, path, max, &ctx->kept, st, err);
	if (rc == 0 && on_disk && S_ISREG(st->st_mode)) {
		ctx->kept_path = xstrdup(path);
		ctx->kept_st = *st;
	}
	return rc;
}

void
run_forget_kept(struct run_ctx *ctx)
{
	free(ctx->kept_path);
	ctx->kept_path = NULL;
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
