#ifndef TLALOC_ENGINE_STATCACHE_H
#define TLALOC_ENGINE_STATCACHE_H

/*
 * The check cache: what a file resource saw of each file it found in sync,
 * so the next run can trust an unchanged file without reading it (git's
 * index does the same for the work tree). Per managed path it records the
 * stat (device, inode, size, mtime and ctime to the nanosecond, mode,
 * owner, group) and a BLAKE2b-256 of the content. A later run whose
 * fstatat of the path gives exactly that stat, and whose desired content
 * has that digest, takes the file as in sync and does not open it.
 *
 * Why that is safe. Any write to a file moves its ctime to the current
 * time, and only root can set ctime back (by setting the clock); a file
 * replaced by another has another inode or ctime. Two writes in the same
 * clock tick can share a ctime, so a file whose mtime or ctime is not
 * STATCACHE_RACY_NS older than the start of the run that saw it is
 * "racily clean" and is not recorded: it is read again next time. The
 * cache is 0600 in a 0700 directory of the state dir, both the
 * effective user's, opened without following links and checked through
 * their descriptors; a file that fails those checks, a checksum, or
 * belongs to another boot (what a crash may have left unwritten) or
 * another --root is ignored, counted in the stats (corrupt or stale), and
 * rebuilt by the run. Only files no one but this user may write are
 * recorded: a writer through a shared writable mapping can change bytes
 * without moving the ctime. Sensitive files are never recorded (a digest
 * of a secret is a way to test guesses of it).
 *
 *   +--------------------+----------------------+------------------+
 *   | magic (16 bytes)   | boot id (40, NUL-    | root: BLAKE2b-256 |
 *   | "tlaloc-stat-1\n"  |  padded)             | of its path (32)  |
 *   +--------------------+----------------------+------------------+
 *   | count (u32) | entries ...                    | BLAKE2b-256 of  |
 *   |             |                                | all before (32) |
 *   +-------------+--------------------------------+-----------------+
 *   entry: path length (u16), path, dev, ino, size (u64 each), mtime s
 *   (u64), ns (u32), ctime s (u64), ns (u32), mode, uid, gid (u32 each),
 *   content digest (32). Integers big-endian.
 */

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#define STATCACHE_DIGEST_LEN	32
/* ns: a file changed this close to the run that saw it is read again.
 * Two seconds covers filesystems that keep times in whole seconds and
 * FAT's two. */
#define STATCACHE_RACY_NS	2000000000LL

struct buf;
struct statcache;

struct statcache_stats {
	size_t	loaded;		/* entries read from the file */
	size_t	trusted;	/* files taken as in sync unread this run */
	size_t	recorded;	/* entries written at save */
	int	corrupt;	/* the file was there but refused or torn */
	int	stale;		/* whole, but of another boot or --root */
	int	racy;		/* in sync but too new to record this run */
};

/*
 * Opens the cache in dir (the file "files" in it) for the tree at root.
 * now_ns is the time the run starts (CLOCK_REALTIME), taken before any
 * file is looked at. Never fails: a missing, refused or corrupt file is
 * an empty cache (stats say which). Returns a new cache; statcache_free().
 */
struct statcache *statcache_open(const char *dir, const char *root,
	    int64_t now_ns);
void	statcache_free(struct statcache *sc);

/* The digest statcache_trusts() and statcache_note() take. */
void	statcache_digest(const void *data, size_t len,
	    uint8_t out[STATCACHE_DIGEST_LEN]);

/* Is there an entry for path (worth a stat to compare with)? */
int	statcache_knows(struct statcache *sc, const char *path);
/* 1 when path's entry has exactly st and digest: the file holds the
 * content digest was made of, unread. 0 otherwise. */
int	statcache_trusts(struct statcache *sc, const char *path,
	    const struct stat *st, const uint8_t digest[STATCACHE_DIGEST_LEN]);
/* Records that path, with st, was read this run and held digest's
 * content; a racily clean st is not recorded (counted in stats.racy). */
void	statcache_note(struct statcache *sc, const char *path,
	    const struct stat *st, const uint8_t digest[STATCACHE_DIGEST_LEN]);

/*
 * Writes the entries trusted or noted this run (the others are dropped:
 * a path no longer managed, or changed) to the file, when they differ
 * from what was loaded; creates dir (0700) when its parent exists.
 * Best effort: returns 0, or -1 when it could not be written.
 */
int	statcache_save(struct statcache *sc);
const struct statcache_stats *statcache_stats(const struct statcache *sc);

/* The file's image of the entries kept (for tests and the fuzz target)
 * and its decoder: 0; -1 when data is not a whole cache, -2 when it is
 * one of another boot or root (sc keeps no entry then). */
void	statcache_encode(const struct statcache *sc, struct buf *out);
int	statcache_decode(struct statcache *sc, const uint8_t *data,
	    size_t len);

#endif
