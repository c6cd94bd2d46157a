#ifndef TLALOC_CORE_FSBATCH_H
#define TLALOC_CORE_FSBATCH_H

/*
 * fsbatch: file writes made durable together, as a database commits a
 * group of transactions with one flush of its log (PostgreSQL's and
 * SQLite's WAL group commit). A converge that writes 200 files used to
 * pay, per file, an fsync of the file and one of its directory, each
 * waiting for the disk; a batch pays for the disk once.
 *
 * Writes are queued in memory (fsbatch_put), where later readers of the
 * same run find them (fsbatch_peek: twenty line edits of one file become
 * one write). fsbatch_commit() then, for the whole queue:
 *
 *   1. writes each file's new content to a temporary file beside it
 *      (core/fsroot.h: beneath its root, no link followed, its owner and
 *      mode set through the fd);
 *   2. makes every temporary file durable: syncfs(2) once per filesystem
 *      on Linux when the batch is large (FSBATCH_SYNCFS_MIN), else
 *      writeback started on all of them without waiting, then one fsync
 *      each;
 *   3. renames the FSBATCH_FIRST files (backups, bucket/) into place and
 *      makes their directories durable, then calls the hook (the bucket's
 *      index lines, fsync'd): every backup is on disk before any managed
 *      file is replaced;
 *   4. renames the FSBATCH_LAST files (the managed ones) over their paths,
 *      each checked again as fsroot_write does;
 *   5. makes their directories durable, and those noted with
 *      fsbatch_note_dir() (names created or removed outside the batch:
 *      directories, links, removed files), again with syncfs or one fsync
 *      per distinct directory.
 *
 * A crash (kill -9 or a power cut) at any point leaves every path with
 * its old content or its new one, never a part of either: a rename
 * happens only after the temporary file's content is durable. A file
 * replaced before the crash had its old content in the bucket first.
 * docs/backups.md states the guarantee for users.
 *
 * Not thread-safe. The batch keeps two descriptors per file open while
 * committing (the temporary file and its directory): fsbatch_is_full()
 * bounds them by the process's open-file limit.
 */

#include <stddef.h>

#include "fileio.h"

struct buf;
struct fsroot;
struct tl_err;
struct fsbatch;

/*
 * Queued writes before the caller should commit: two descriptors each
 * while committing, so half of what RLIMIT_NOFILE leaves after
 * FSBATCH_FD_RESERVE for the rest of the process, between these bounds.
 * Every commit pays the disk at least twice (contents, then names), so
 * the larger the batch the fewer waits: with 128 a 241-resource first
 * run committed twice (bench/apply/README.md).
 */
#define FSBATCH_MIN_FILES	64
#define FSBATCH_MAX_FILES	1024
#define FSBATCH_FD_RESERVE	256
/* Queued bytes before the caller should commit. Arbitrary. */
#define FSBATCH_MAX_BYTES	((size_t)64 << 20)
/*
 * From this many files on, step 2 (and 5) is one syncfs(2) per filesystem
 * instead of an fsync per file (per directory). syncfs also writes what
 * other processes left dirty on that filesystem, so a small batch keeps
 * to its own files. Measured on ext4 (bench/apply/README.md): 200 small
 * files took 0.22-0.37 s with syncfs, 1.1-1.3 s with writeback + fsync
 * each, 2.5-2.8 s with an fsync of each file and its directory in turn.
 */
#define FSBATCH_SYNCFS_MIN	16

enum fsbatch_group { FSBATCH_FIRST, FSBATCH_LAST };

struct fsbatch_hooks {
	/* Between steps 3 and 4; < 0 (err filled) fails every LAST write.
	 * NULL: none. */
	int	(*between)(void *arg, struct tl_err *err);
	/* Once per owner of a write that did not land (err says why). */
	void	(*failed)(void *arg, void *owner, const struct tl_err *err);
	void	*arg;
};

/* Returns an empty batch; free with fsbatch_free(). */
struct fsbatch *fsbatch_new(void);
/* Drops whatever is still queued (writing nothing) and frees b; NULL ok. */
void	fsbatch_free(struct fsbatch *b);

/* The number of queued writes. */
size_t	fsbatch_count(const struct fsbatch *b);
/* How many fsbatch_put() calls b has had since fsbatch_new(): a caller
 * tells by it whether a step of its own queued anything. */
size_t	fsbatch_puts(const struct fsbatch *b);
/* Should the caller commit now (the file bound or _BYTES reached)? */
int	fsbatch_is_full(const struct fsbatch *b);

/*
 * Queues data as the new content of the managed path beneath fr, with
 * meta (mode, owner; -1 fields keep what the temporary file gets), taking
 * the bytes of data (left empty). Nothing touches the disk. A write
 * already queued for fr and path is replaced (the newest content and meta
 * win) and keeps its group; owner (opaque, may be NULL) is added to the
 * write's owners, who hear of a failure.
 */
void	fsbatch_put(struct fsbatch *b, struct fsroot *fr, const char *path,
	    struct buf *data, const struct fileio_meta *meta,
	    enum fsbatch_group group, void *owner);

/*
 * The content queued for path beneath fr, and its meta into *meta (may be
 * NULL); NULL when nothing is queued there. Borrowed: valid until the
 * next put or commit.
 */
const struct buf *fsbatch_peek(const struct fsbatch *b,
	    const struct fsroot *fr, const char *path,
	    struct fileio_meta *meta);

/* Is a write queued beneath fr strictly under dir ("dir/...")? */
int	fsbatch_has_under(const struct fsbatch *b, const struct fsroot *fr,
	    const char *dir);

/* Notes that a name in the directory holding path (beneath fr) was
 * created or removed outside the batch: step 5 makes it durable. */
void	fsbatch_note_dir(struct fsbatch *b, struct fsroot *fr,
	    const char *path);

/*
 * Commits every queued write (steps 1-5 above) and empties the batch,
 * the noted directories included. Returns the number of writes that did
 * not land; h->failed heard of each of their owners.
 */
size_t	fsbatch_commit(struct fsbatch *b, const struct fsbatch_hooks *h);

#endif
