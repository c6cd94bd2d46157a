/*
 * The bucket: content-addressed backups (see bucket.h, docs/backups.md).
 *
 *   DIR/                    0700: the bucket holds copies of secret files
 *     index                 0600, append-only, one line per backup
 *     objects/ab/cdef...    0400, the bytes of one content, once per hash
 *     tmp/PID.ledger        temporary files being written (core/fsroot.h):
 *                           what a killed writer left is removed at the
 *                           next bucket_open()
 *
 * Managed files are read through the run's struct fsroot (no link
 * followed); the bucket's own files are written through one of its own.
 *
 * Order of a save: the object is written (temp + fsync + rename) before
 * the index line that names it, so a crash leaves at worst an object that
 * no line mentions, never a line without its object. Appends hold an
 * flock on the index so that two processes (an agent run and a manual
 * restore) neither interleave lines nor both miss the dedup check.
 *
 * The parsed index is cached in struct bucket and re-read only when the
 * file's size, inode or mtime moved, so a run that saves many files does
 * not re-parse the whole index for each one.
 */
#include "bucket.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsbatch.h"
#include "core/fsroot.h"
#include "core/log.h"
#include "core/xalloc.h"

/* The index is read whole; past this, saves fail rather than parse a file
 * of unknown size (about a million entries; arbitrary). */
#define BUCKET_INDEX_MAX	((size_t)256 << 20)

struct bucket {
	char			*dir;
	struct fsroot		*fs;		/* dir, for objects */
	char			*index_path;
	struct bucket_index	 idx;		/* cache of the index file */
	int			 is_cached;	/* idx matches the stamp below */
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;		/* bytes of the index read */
	struct timespec		 mtime;
	struct bucket_entry	*queued;	/* bucket_save_queued() lines */
	size_t			 nqueued, queued_cap;
};

/* Removes what a killed writer of objects left, and notes ours. */
static void
bucket_sweep(struct bucket *b)
{
	struct tl_err err = TL_ERR_INIT;
	char *ledger = xasprintf("%s/tmp", b->dir);
	int n;

	if ((n = fsroot_sweep(ledger, &err)) < 0)
		log_warn("bucket: %s", err.msg);
	else if (n > 0)
		log_notice("bucket '%s': removed %d temporary files left by "
		    "an interrupted run", b->dir, n);
	fsroot_set_ledger(b->fs, ledger);
	free(ledger);
}

int
bucket_open(const char *dir, struct bucket **out, struct tl_err *err)
{
	struct bucket *b;
	struct stat st;
	char *objects;
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return tl_err_set(err, TL_ECRYPTO, "cannot initialise libsodium");
	if ((r = fileio_mkdirs(dir, 0700, err)) < 0)
		return r;
	if (stat(dir, &st) < 0)
		return tl_err_sys(err, TL_EIO, "cannot stat '%s'", dir);
	if ((st.st_mode & 077) != 0) {
		log_warn("bucket '%s' was readable by others; now 0700", dir);
		if (chmod(dir, 0700) < 0)
			return tl_err_sys(err, TL_EPERM, "cannot make '%s' "
			    "private", dir);
	}
	objects = xasprintf("%s/objects", dir);
	r = fileio_mkdirs(objects, 0700, err);
	free(objects);
	if (r < 0)
		return r;
	b = xcalloc(1, sizeof(*b));
	if ((r = fsroot_open(dir, &b->fs, err)) < 0) {
		free(b);
		return r;
	}
	b->dir = xstrdup(dir);
	b->index_path = xasprintf("%s/index", dir);
	bucket_index_init(&b->idx);
	bucket_sweep(b);
	*out = b;
	return 0;
}

void
bucket_close(struct bucket *b)
{
	if (b == NULL)
		return;
	bucket_index_release(&b->idx);
	bucket_drop_queued(b);
	free(b->queued);
	fsroot_free(b->fs);
	free(b->index_path);
	free(b->dir);
	free(b);
}

size_t
bucket_damaged_lines(const struct bucket *b)
{
	return b->idx.garbage;
}

/* --- the index cache --------------------------------------------------- */

static int
stamp_same(const struct bucket *b, const struct stat *st)
{
	return b->is_cached && b->dev == st->st_dev && b->ino == st->st_ino &&
	    b->size == st->st_size &&
	    b->mtime.tv_sec == st->st_mtim.tv_sec &&
	    b->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void
stamp_take(struct bucket *b, const struct stat *st)
{
	b->is_cached = 1;
	b->dev = st->st_dev;
	b->ino = st->st_ino;
	b->size = st->st_size;
	b->mtime = st->st_mtim;
}

/* Brings the cache up to date with the index file (absent: empty). */
static int
index_refresh(struct bucket *b, struct tl_err *err)
{
	struct buf data = BUF_INIT;
	struct stat st;
	int r;

	if (stat(b->index_path, &st) < 0) {
		if (errno != ENOENT)
			return tl_err_sys(err, TL_EIO, "cannot stat '%s'",
			    b->index_path);
		bucket_index_release(&b->idx);
		b->is_cached = 0;
		return 0;
	}
	if (stamp_same(b, &st))
		return 0;
	/* A concurrent append may grow the file between stat and read; the
	 * stamp is then older than the data, which only costs a re-read. */
	if ((r = fileio_read(b->index_path, BUCKET_INDEX_MAX, &data, err)) < 0)
		return r;
	bucket_index_release(&b->idx);
	bucket_index_parse(&b->idx, data.data, data.len);
	buf_release(&data);
	stamp_take(b, &st);
	if (b->idx.garbage > 0)
		log_warn("bucket index '%s': skipped %zu damaged lines",
		    b->index_path, b->idx.garbage);
	return 0;
}

static const struct bucket_entry *
index_last_for(const struct bucket *b, const char *path)
{
	for (size_t i = b->idx.n; i > 0; i--)
		if (strcmp(b->idx.v[i - 1].path, path) == 0)
			return &b->idx.v[i - 1];
	return NULL;
}

static int
index_has_id(const struct bucket *b, const char *id)
{
	for (size_t i = 0; i < b->idx.n; i++)
		if (strcmp(b->idx.v[i].id, id) == 0)
			return 1;
	return 0;
}

/* --- appending --------------------------------------------------------- */

/* Encodes e with a nonce that gives an id no other entry has. */
static void
index_encode_unique(struct bucket *b, struct bucket_entry *e, struct buf *out)
{
	uint8_t nonce[BUCKET_NONCE_LEN];
	size_t start = out->len;

	for (;;) {
		randombytes_buf(nonce, sizeof(nonce));
		bucket_index_encode(out, e, nonce);
		if (!index_has_id(b, e->id))
			return;
		buf_truncate(out, start);
	}
}

/* Does the file (locked, open as fd) end inside a line? */
static int
index_needs_newline(int fd, off_t size)
{
	char c;

	return size > 0 && pread(fd, &c, 1, size - 1) == 1 && c != '\n';
}

/* Did any of the n entries get an id (a line to write)? */
static int
index_has_new(char (*ids)[16], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i][0] != '\0')
			return 1;
	return 0;
}

/* Is e the same backup as the newest entry for its path (nothing new)? */
static int
index_is_dup(const struct bucket *b, const struct bucket_entry *e)
{
	const struct bucket_entry *last = index_last_for(b, e->path);

	return last != NULL && strcmp(last->hash, e->hash) == 0 &&
	    last->mode == e->mode && last->uid == e->uid && last->gid == e->gid;
}

/*
 * With the index locked: the dedup check, then e[0..n) appended in one
 * write and one fsync; ids[i] gets e[i]'s id ("" when it was a dup). The
 * cache takes each entry as it is encoded (so the next one's dedup check
 * and id sees it), and is dropped if the write fails.
 */
static int
index_append_locked(struct bucket *b, int fd, struct bucket_entry *e,
    size_t n, char (*ids)[16], struct tl_err *err)
{
	struct buf line = BUF_INIT;
	struct stat st;
	int r;

	if ((r = index_refresh(b, err)) < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return tl_err_sys(err, TL_EIO, "cannot stat '%s'", b->index_path);
	/* A line torn by a crash is closed off so that ours starts fresh;
	 * the torn one then fails its id check and is skipped. */
	if (index_needs_newline(fd, st.st_size))
		buf_addch(&line, '\n');
	for (size_t i = 0; i < n; i++) {
		ids[i][0] = '\0';
		if (index_is_dup(b, &e[i]))
			continue;
		index_encode_unique(b, &e[i], &line);
		b->idx.v = xgrow(b->idx.v, &b->idx.cap, b->idx.n + 1,
		    sizeof(*b->idx.v));
		bucket_entry_copy(&b->idx.v[b->idx.n++], &e[i]);
		memcpy(ids[i], e[i].id, 16);
	}
	if (!index_has_new(ids, n)) {
		buf_release(&line);
		return 0;
	}
	if (fileio_write_all(fd, line.data, line.len) < 0 || fsync(fd) < 0) {
		r = tl_err_sys(err, TL_EIO, "cannot append to '%s'",
		    b->index_path);
		b->is_cached = 0;	/* holds lines the file does not */
		buf_release(&line);
		return r;
	}
	buf_release(&line);
	if (st.st_size == 0 && (r = fileio_sync_parent(b->index_path, err)) < 0)
		return r;
	if (b->idx.is_torn) {
		b->idx.is_torn = 0;
		b->idx.garbage++;
	}
	if (fstat(fd, &st) == 0 && b->is_cached)
		stamp_take(b, &st);
	return 0;
}

/* Is fd still the file at path? A prune may have renamed a new index
 * over it while we waited for the lock. */
static int
index_fd_current(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int
index_append(struct bucket *b, struct bucket_entry *e, size_t n,
    char (*ids)[16], struct tl_err *err)
{
	int fd, r;

	for (int tries = 0;; tries++) {
		fd = open(b->index_path, O_RDWR | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600);
		if (fd < 0)
			return tl_err_sys(err, TL_EIO, "cannot open '%s'",
			    b->index_path);
		while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
			;
		if (r < 0 || tries == 3 || index_fd_current(fd, b->index_path))
			break;
		close(fd);
	}
	if (r < 0)
		r = tl_err_sys(err, TL_EIO, "cannot lock '%s'", b->index_path);
	else
		r = index_append_locked(b, fd, e, n, ids, err);
	close(fd);		/* drops the lock */
	return r;
}

/* --- objects ----------------------------------------------------------- */

/* The object's path beneath the bucket (b->fs). */
static char *
object_path(const char *hash)
{
	return xasprintf("/objects/%.2s/%s", hash, hash + 2);
}

static void
hash_hex(const void *p, size_t n, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* Is the object at path there, with len bytes (a complete one)? */
static int
object_is_there(struct bucket *b, const char *path, size_t len)
{
	struct stat st;

	return fsroot_lstat(b->fs, path, &st, NULL) == 0 &&
	    S_ISREG(st.st_mode) && (size_t)st.st_size == len;
}

/* Makes the object's directory objects/ab (0700) if missing. */
static int
object_dir(struct bucket *b, const char *hash, struct tl_err *err)
{
	struct fileio_meta dmeta = { 0700, (uid_t)-1, (gid_t)-1 };
	char dir[16];
	int r;

	snprintf(dir, sizeof(dir), "/objects/%.2s", hash);
	r = fsroot_mkdir(b->fs, dir, &dmeta, err);
	return r == TL_EEXIST ? 0 : r;
}

/* Stores content under its hash unless an object of that size is there. */
static int
object_put(struct bucket *b, const char *hash, const struct buf *content,
    struct tl_err *err)
{
	struct fileio_meta meta = { 0400, (uid_t)-1, (gid_t)-1 };
	char *path = object_path(hash);
	int r = 0;

	if (!object_is_there(b, path, content->len) &&
	    (r = object_dir(b, hash, err)) == 0)
		r = fsroot_write(b->fs, path, content->data, content->len,
		    &meta, 0, err);
	free(path);
	return r;
}

/* Appends the object of e to out, checked against its hash and size. */
static int
object_get(struct bucket *b, const struct bucket_entry *e, struct buf *out,
    struct tl_err *err)
{
	char *path = object_path(e->hash), hex[65];
	size_t start = out->len;
	int r;

	r = fsroot_read(b->fs, path, BUCKET_FILE_MAX, out, NULL, err);
	free(path);
	if (r == TL_ENOENT)
		return tl_err_set(err, TL_EIO, "the content of backup %s is "
		    "missing from the bucket", e->id);
	if (r < 0)
		return r;
	hash_hex(out->data + start, out->len - start, hex);
	if (strcmp(hex, e->hash) != 0 || out->len - start != e->size) {
		buf_truncate(out, start);
		return tl_err_set(err, TL_EIO, "the content of backup %s is "
		    "damaged (its hash does not match)", e->id);
	}
	return 0;
}

/* --- saving ------------------------------------------------------------ */

static int
save_too_big(const char *path, struct tl_err *err)
{
	return tl_err_set(err, TL_ETOOBIG, "cannot back up '%s': it is larger "
	    "than the %zu MiB backup cap, so it is left unchanged", path,
	    BUCKET_FILE_MAX >> 20);
}

/* Reads the file to save through src (its status and content in one
 * lookup); 1 when there is nothing to save. A parent that is an
 * untrusted link fails: the caller must not go on. */
static int
save_read(struct fsroot *src, const char *path, struct stat *st,
    struct buf *content, struct tl_err *err)
{
	int r = fsroot_load(src, path, BUCKET_FILE_MAX, content, st, err);

	if (r == TL_ENOENT)
		return 1;
	if (r == TL_ETOOBIG)
		return save_too_big(path, err);
	if (r < 0)
		return r;
	return S_ISREG(st->st_mode) ? 0 : 1;
}

/*
 * What a save of path records: fills e (path and run_id borrowed) and
 * content. Returns 0, 1 when there is nothing to save, or < 0.
 */
static int
save_prepare(struct fsroot *src, const char *path, const char *run_id,
    struct bucket_entry *e, struct buf *content, struct tl_err *err)
{
	struct stat st;
	int r;

	memset(e, 0, sizeof(*e));
	if (!path_is_clean_abs(path) || strlen(path) > BUCKET_PATH_MAX)
		return tl_err_set(err, TL_EINVAL, "cannot back up '%s': not a "
		    "clean absolute path", path);
	if (!bucket_run_id_ok(run_id))
		return tl_err_set(err, TL_EINVAL, "bad run id '%s'", run_id);
	if ((r = save_read(src, path, &st, content, err)) != 0)
		return r;
	hash_hex(content->data, content->len, e->hash);
	e->path = (char *)path;
	e->run_id = (char *)run_id;
	e->size = content->len;
	e->mode = st.st_mode & 07777;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->time = (long long)time(NULL);
	return 0;
}

int
bucket_save(struct bucket *b, struct fsroot *src, const char *path,
    const char *run_id, char id[16], struct tl_err *err)
{
	struct buf content = BUF_INIT;
	struct bucket_entry e;
	int r;

	id[0] = '\0';
	r = save_prepare(src, path, run_id ? run_id : "-", &e, &content, err);
	if (r == 0 && (r = object_put(b, e.hash, &content, err)) == 0)
		r = index_append(b, &e, 1, (char (*)[16])id, err);
	buf_release(&content);
	return r < 0 ? r : 0;
}

int
bucket_save_queued(struct bucket *b, struct fsroot *src, const char *path,
    const char *run_id, struct fsbatch *batch, void *owner,
    struct tl_err *err)
{
	struct fileio_meta meta = { 0400, (uid_t)-1, (gid_t)-1 };
	struct buf content = BUF_INIT;
	struct bucket_entry e;
	char *opath;
	int r;

	r = save_prepare(src, path, run_id ? run_id : "-", &e, &content, err);
	if (r != 0) {
		buf_release(&content);
		return r < 0 ? r : 0;
	}
	opath = object_path(e.hash);
	if ((r = object_dir(b, e.hash, err)) == 0) {
		if (!object_is_there(b, opath, content.len))
			fsbatch_put(batch, b->fs, opath, &content, &meta,
			    FSBATCH_FIRST, owner);
		b->queued = xgrow(b->queued, &b->queued_cap, b->nqueued + 1,
		    sizeof(*b->queued));
		bucket_entry_copy(&b->queued[b->nqueued++], &e);
	}
	free(opath);
	buf_release(&content);
	return r;
}

int
bucket_commit_queued(struct bucket *b, struct tl_err *err)
{
	char (*ids)[16];
	int r;

	if (b->nqueued == 0)
		return 0;
	ids = xcalloc(b->nqueued, sizeof(*ids));
	r = index_append(b, b->queued, b->nqueued, ids, err);
	free(ids);
	bucket_drop_queued(b);
	return r;
}

void
bucket_drop_queued(struct bucket *b)
{
	for (size_t i = 0; i < b->nqueued; i++)
		bucket_entry_release(&b->queued[i]);
	b->nqueued = 0;
}

int
bucket_store(struct bucket *b, struct fsroot *src, const char *path,
    const char *run_id, struct tl_err *err)
{
	char id[16];

	return bucket_save(b, src, path, run_id, id, err);
}

int
bucket_put(struct bucket *b, const struct bucket_entry *e,
    const void *content, size_t len, char id[16], struct tl_err *err)
{
	struct buf data = BUF_INIT;
	struct bucket_entry copy;
	char hex[65];
	int r;

	id[0] = '\0';
	if (!path_is_clean_abs(e->path) || strlen(e->path) > BUCKET_PATH_MAX ||
	    !bucket_run_id_ok(e->run_id) || e->mode > 07777 ||
	    len > BUCKET_FILE_MAX || e->size != len)
		return tl_err_set(err, TL_EINVAL, "bad backup entry for '%s'",
		    e->path);
	hash_hex(content, len, hex);
	if (strcmp(hex, e->hash) != 0)
		return tl_err_set(err, TL_EINVAL, "the content of '%s' does "
		    "not match its hash", e->path);
	/* object_put() takes a buf; one copy of a bounded entry is cheap
	 * next to the fsyncs that follow. */
	buf_add(&data, content, len);
	r = object_put(b, e->hash, &data, err);
	buf_release(&data);
	if (r < 0)
		return r;
	copy = *e;
	return index_append(b, &copy, 1, (char (*)[16])id, err);
}

/* --- reading ----------------------------------------------------------- */

int
bucket_list(struct bucket *b, const char *path, struct bucket_entry **out,
    size_t *n, struct tl_err *err)
{
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = index_refresh(b, err)) < 0)
		return r;
	for (size_t i = 0; i < b->idx.n; i++) {
		if (path != NULL && strcmp(b->idx.v[i].path, path) != 0)
			continue;
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		bucket_entry_copy(&(*out)[(*n)++], &b->idx.v[i]);
	}
	return 0;
}

void
bucket_entries_free(struct bucket_entry *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		bucket_entry_release(&v[i]);
	free(v);
}

static int
sel_is_hex(const char *sel, size_t max)
{
	size_t n = strlen(sel);

	if (n == 0 || n > max)
		return 0;
	return strspn(sel, "0123456789abcdef") == n;
}

int
bucket_read(struct bucket *b, const char *sel, struct buf *out,
    struct tl_err *err)
{
	const struct bucket_entry *hit = NULL;
	size_t n;
	int r;

	if (!sel_is_hex(sel, 64))
		return tl_err_set(err, TL_EINVAL, "'%s' is not a backup id "
		    "(lowercase hex)", sel);
	if ((r = index_refresh(b, err)) < 0)
		return r;
	n = strlen(sel);
	for (size_t i = 0; i < b->idx.n; i++) {
		const struct bucket_entry *e = &b->idx.v[i];

		if (strncmp(e->id, sel, n) != 0 && strncmp(e->hash, sel, n) != 0)
			continue;
		if (hit != NULL && strcmp(hit->hash, e->hash) != 0)
			return tl_err_set(err, TL_EINVAL, "backup id '%s' is "
			    "ambiguous: give more digits", sel);
		hit = e;
	}
	if (hit == NULL)
		return tl_err_set(err, TL_ENOENT, "no backup has id '%s'", sel);
	return object_get(b, hit, out, err);
}
