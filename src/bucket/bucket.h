#ifndef TLALOC_BUCKET_BUCKET_H
#define TLALOC_BUCKET_BUCKET_H

/*
 * The bucket: content-addressed backups of managed files, kept under
 * STATE_DIR/bucket. Before the engine changes or removes a file, its old
 * bytes are stored once per SHA-256 in objects/ab/cdef... (read-only) and a
 * line is appended to the index naming the managed path, the content hash,
 * size, mode, owner, time and run id. docs/backups.md has the user's view;
 * bucket_int.h draws the index line.
 *
 * One struct bucket is used by one thread. Several processes may share a
 * bucket: appends take an flock on the index, and readers need no lock
 * because the index only grows and a torn last line is ignored.
 */

#include <stddef.h>

struct buf;
struct fsbatch;
struct fsroot;
struct tl_err;

/* The largest file backed up (64 MiB). A bigger file cannot be saved, so
 * bucket_store() fails and the caller leaves the file alone. */
#define BUCKET_FILE_MAX		((size_t)64 << 20)

struct bucket;

struct bucket_entry {
	char			 id[16];	/* 12 lowercase hex + NUL */
	char			*path;		/* managed path, "/etc/motd" */
	char			 hash[65];	/* SHA-256 of the content, hex */
	unsigned long long	 size;		/* bytes */
	unsigned		 mode;		/* permission bits, <= 07777 */
	unsigned		 uid, gid;	/* numeric owner of the file */
	long long		 time;		/* unix seconds of the backup */
	char			*run_id;	/* the run that saved it; "-" */
};

/* How bucket_find() reads its selector. */
enum bucket_sel {
	BUCKET_SEL_RUN,		/* a run id: that run's first backup */
	BUCKET_SEL_ID,		/* an entry id or a unique prefix of one */
	BUCKET_SEL_RUN_OR_ID	/* a run id if one matches, else an id */
};

/* --- opening ----------------------------------------------------------- */

/*
 * Opens the bucket in dir, creating dir (0700) and dir/objects if missing.
 * An existing dir that others can read is tightened to 0700, because the
 * bucket holds copies of files such as /etc/shadow. Close with
 * bucket_close().
 */
int	bucket_open(const char *dir, struct bucket **out, struct tl_err *err);
/* Accepts NULL. */
void	bucket_close(struct bucket *b);

/* --- saving ------------------------------------------------------------ */

/*
 * Saves the file at the managed path beneath src (core/fsroot.h: read
 * without following a link) as a backup of path. Returns 0 when stored,
 * and also when there is nothing to store: the file is missing or not a
 * regular file (a symlink, a directory), or the newest entry for path
 * already records the same content, mode and owner (then no entry is
 * added). Returns < 0 on error (TL_ETOOBIG past BUCKET_FILE_MAX, TL_EPERM
 * when a parent is a link fsroot does not follow); the caller must then
 * not change the file. run_id may be NULL (recorded as "-").
 */
int	bucket_store(struct bucket *b, struct fsroot *src, const char *path,
	    const char *run_id, struct tl_err *err);
/* Like bucket_store(); id gets the new entry's id, or "" when no entry was
 * added. */
int	bucket_save(struct bucket *b, struct fsroot *src, const char *path,
	    const char *run_id, char id[16], struct tl_err *err);

/*
 * bucket_save() for a run that commits its writes in batches
 * (core/fsbatch.h): the object is queued in batch (FSBATCH_FIRST, with
 * owner) unless the bucket has it, and the index line waits in b until
 * bucket_commit_queued(), which the batch calls between its backups and
 * the files they save (fsbatch_hooks.between). So every backup is durable,
 * and named by the index, before the file it saves is replaced. Fails
 * like bucket_save(); nothing is queued then.
 */
int	bucket_save_queued(struct bucket *b, struct fsroot *src,
	    const char *path, const char *run_id, struct fsbatch *batch,
	    void *owner, struct tl_err *err);
/*
 * Appends the queued index lines under one lock, in one write and one
 * fsync (dedup as bucket_save()), and forgets them. < 0 when they could
 * not be appended: the batch then replaces none of their files.
 */
int	bucket_commit_queued(struct bucket *b, struct tl_err *err);
/* Forgets the queued lines without writing them (a batch dropped). */
void	bucket_drop_queued(struct bucket *b);

/*
 * Saves content as a backup described by e (path, time, mode, owner, run;
 * e->hash must be its SHA-256, or TL_EINVAL): a backup made elsewhere,
 * such as a peer's replicated entry or one fetched back from a peer.
 * Deduplicated like bucket_save(); id gets the new entry's id or "".
 */
int	bucket_put(struct bucket *b, const struct bucket_entry *e,
	    const void *content, size_t len, char id[16], struct tl_err *err);

/* --- reading ----------------------------------------------------------- */

/*
 * Returns the entries for path (NULL: all), oldest first, newest last, in
 * a new array; free with bucket_entries_free(). *out is NULL when n is 0.
 */
int	bucket_list(struct bucket *b, const char *path,
	    struct bucket_entry **out, size_t *n, struct tl_err *err);
/* Frees n entries and the array; accepts NULL. */
void	bucket_entries_free(struct bucket_entry *v, size_t n);
/* Index lines skipped as damaged at the last read of the index (a torn
 * last line, still being written or cut by a crash, is not counted). */
size_t	bucket_damaged_lines(const struct bucket *b);

/*
 * Appends the bytes of a backup to out. sel is an entry id or a content
 * hash, or a prefix of either (lowercase hex). The object is checked
 * against its hash. TL_ENOENT: no such backup; TL_EINVAL: the prefix
 * matches different contents; TL_EIO: the object is missing or damaged.
 */
int	bucket_read(struct bucket *b, const char *sel, struct buf *out,
	    struct tl_err *err);

/*
 * Picks one backup of path: the newest when sel is NULL; else see enum
 * bucket_sel (a run that saved path more than once gives its first, the
 * content before that run changed it). *out is a new array of one entry;
 * free with bucket_entries_free(*out, 1). TL_ENOENT: path was never backed
 * up, or nothing matches; TL_EINVAL: an ambiguous id prefix or a bad path.
 */
int	bucket_find(struct bucket *b, const char *path, enum bucket_sel kind,
	    const char *sel, struct bucket_entry **out, struct tl_err *err);

/* --- restoring --------------------------------------------------------- */

/*
 * Writes backup e back to e->path beneath dst (core/fsroot.h), byte for
 * byte, with its mode and owner, atomically, never through a link. The
 * current file is saved first (run new_run_id) and saved_id (may be NULL)
 * gets that entry's id or "". Returns 1 when the file already matched
 * (nothing written or saved), 0 when restored, < 0 on error (the file is
 * then unchanged). The parent directory must exist.
 */
int	bucket_restore_entry(struct bucket *b, const struct bucket_entry *e,
	    struct fsroot *dst, const char *new_run_id, char saved_id[16],
	    struct tl_err *err);
/* bucket_find(BUCKET_SEL_RUN_OR_ID, or the newest when run_id_or_id is
 * NULL) and bucket_restore_entry(); returns 0 when the file now holds the
 * backup, < 0 on error. */
int	bucket_restore(struct bucket *b, const char *path,
	    const char *run_id_or_id, struct fsroot *dst,
	    const char *new_run_id, struct tl_err *err);

/* --- retention (prune.c) ---------------------------------------------- */

struct bucket_retention {
	long long		max_age_s;	/* 0: no age limit */
	unsigned long long	max_bytes;	/* 0: no size limit */
};

struct bucket_prune_stats {
	size_t			entries_kept, entries_dropped;
	size_t			objects_removed;
	unsigned long long	bytes_freed;
};

/*
 * Applies r to the bucket in dir at time now (unix seconds): entries
 * older than max_age_s go, then the oldest until the distinct contents
 * still named fit in max_bytes; the newest backup of every path always
 * stays. Objects no kept entry names are removed. Kept index lines are
 * rewritten unchanged (ids stay valid), atomically, under the index lock.
 * A missing bucket is empty: 0.
 */
int	bucket_prune_dir(const char *dir, const struct bucket_retention *r,
	    long long now, struct bucket_prune_stats *st, struct tl_err *err);

/*
 * Fills r from "30d"-style age (s, m, h, d, w; plain seconds) and
 * "100M"-style size (K, M, G; plain bytes); NULL leaves that limit off.
 */
int	bucket_retention_parse(const char *age, const char *size,
	    struct bucket_retention *r, struct tl_err *err);

#endif
