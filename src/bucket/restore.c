/*
 * Picking a backup and writing it back (bucket.h: bucket_find,
 * bucket_restore_entry, bucket_restore). Built on the public bucket calls
 * only; bucket.c owns the files.
 *
 * A restore is itself a change to a managed file, so the current file is
 * saved first, exactly as the engine does before a change: restoring the
 * wrong version never loses the right one.
 */
#include "bucket.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"

static int
find_by_run(const struct bucket_entry *v, size_t n, const char *run)
{
	/* The first backup of a run is the content before the run touched
	 * the file; later ones are its own intermediate states. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].run_id, run) == 0)
			return (int)i;
	return -1;
}

/* Index of the entry whose id starts with sel; -1 none, -2 several. */
static int
find_by_id(const struct bucket_entry *v, size_t n, const char *sel)
{
	size_t len = strlen(sel);
	int hit = -1;

	if (len == 0 || len > 12 || strspn(sel, "0123456789abcdef") != len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(v[i].id, sel, len) != 0)
			continue;
		if (hit >= 0)
			return -2;
		hit = (int)i;
	}
	return hit;
}

static int
find_pick(const struct bucket_entry *v, size_t n, const char *path,
    enum bucket_sel kind, const char *sel, struct tl_err *err)
{
	int i = -1;

	if (sel == NULL)
		return (int)n - 1;
	if (kind != BUCKET_SEL_ID)
		i = find_by_run(v, n, sel);
	if (i < 0 && kind != BUCKET_SEL_RUN)
		i = find_by_id(v, n, sel);
	if (i == -2)
		return tl_err_set(err, TL_EINVAL, "backup id '%s' is ambiguous "
		    "for '%s': give more digits", sel, path);
	if (i >= 0)
		return i;
	if (kind == BUCKET_SEL_RUN)
		return tl_err_set(err, TL_ENOENT, "run '%s' made no backup of "
		    "'%s'", sel, path);
	if (kind == BUCKET_SEL_ID)
		return tl_err_set(err, TL_ENOENT, "no backup of '%s' has id "
		    "'%s'", path, sel);
	return tl_err_set(err, TL_ENOENT, "no backup of '%s' has run or id "
	    "'%s'", path, sel);
}

int
bucket_find(struct bucket *b, const char *path, enum bucket_sel kind,
    const char *sel, struct bucket_entry **out, struct tl_err *err)
{
	struct bucket_entry *v;
	size_t n;
	int i, r;

	*out = NULL;
	if (!path_is_clean_abs(path))
		return tl_err_set(err, TL_EINVAL, "'%s' is not a clean absolute "
		    "path", path);
	if ((r = bucket_list(b, path, &v, &n, err)) < 0)
		return r;
	if (n == 0)
		return tl_err_set(err, TL_ENOENT, "'%s' was never backed up",
		    path);
	if ((i = find_pick(v, n, path, kind, sel, err)) < 0) {
		bucket_entries_free(v, n);
		return i;
	}
	*out = xcalloc(1, sizeof(**out));
	bucket_entry_copy(*out, &v[i]);
	bucket_entries_free(v, n);
	return 0;
}

/* Does the file at path already hold e's bytes, mode and owner? */
static int
restore_matches(struct fsroot *dst, const struct bucket_entry *e,
    const struct buf *want)
{
	struct buf cur = BUF_INIT;
	struct stat st;
	int same;

	if (fsroot_lstat(dst, e->path, &st, NULL) < 0 ||
	    !S_ISREG(st.st_mode) || (st.st_mode & 07777) != e->mode ||
	    st.st_uid != e->uid || st.st_gid != e->gid ||
	    (size_t)st.st_size != want->len)
		return 0;
	same = fsroot_read(dst, e->path, BUCKET_FILE_MAX, &cur, NULL,
	    NULL) == 0 && cur.len == want->len &&
	    memcmp(cur.data, want->data, cur.len) == 0;
	buf_release(&cur);
	return same;
}

/* A missing parent fails in the walk, naming the directory. */
static int
restore_write(struct fsroot *dst, const struct bucket_entry *e,
    const struct buf *data, struct tl_err *err)
{
	struct fileio_meta meta = { e->mode, e->uid, e->gid };

	return fsroot_write(dst, e->path, data->data, data->len, &meta, 0,
	    err);
}

int
bucket_restore_entry(struct bucket *b, const struct bucket_entry *e,
    struct fsroot *dst, const char *new_run_id, char saved_id[16],
    struct tl_err *err)
{
	struct buf data = BUF_INIT;
	char id[16];
	int r;

	if (saved_id != NULL)
		saved_id[0] = '\0';
	if (!path_is_clean_abs(e->path))
		return tl_err_set(err, TL_EINVAL, "'%s' is not a clean absolute "
		    "path", e->path);
	if ((r = bucket_read(b, e->hash, &data, err)) < 0)
		goto out;
	if (restore_matches(dst, e, &data)) {
		r = 1;
		goto out;
	}
	if ((r = bucket_save(b, dst, e->path, new_run_id, id, err)) < 0)
		goto out;
	if (saved_id != NULL)
		memcpy(saved_id, id, sizeof(id));
	r = restore_write(dst, e, &data, err);
out:
	buf_release(&data);
	return r;
}

int
bucket_restore(struct bucket *b, const char *path, const char *run_id_or_id,
    struct fsroot *dst, const char *new_run_id, struct tl_err *err)
{
	struct bucket_entry *e;
	int r;

	if ((r = bucket_find(b, path, BUCKET_SEL_RUN_OR_ID, run_id_or_id, &e,
	    err)) < 0)
		return r;
	r = bucket_restore_entry(b, e, dst, new_run_id, NULL, err);
	bucket_entries_free(e, 1);
	return r < 0 ? r : 0;
}
