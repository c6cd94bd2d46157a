#ifndef TLALOC_CORE_FILEIO_H
#define TLALOC_CORE_FILEIO_H

#include <sys/types.h>

#include <stddef.h>

struct buf;
struct tl_err;

/* Ownership and mode for a new file; -1 (or (mode_t)-1) leaves as created. */
struct fileio_meta {
	mode_t	mode;
	uid_t	uid;
	gid_t	gid;
};

#define FILEIO_META_KEEP { (mode_t)-1, (uid_t)-1, (gid_t)-1 }

/*
 * Appends the content of path to out. Fails with TL_ETOOBIG past max bytes,
 * TL_ENOENT when the file does not exist.
 */
int	fileio_read(const char *path, size_t max, struct buf *out,
	    struct tl_err *err);

/*
 * fileio_read() of a file holding a secret (a key). When group or others
 * may read or write it, it is made 0600 through its descriptor if it is
 * ours, with a warning naming it; someone else's is refused (TL_EPERM,
 * "chmod 600 it"). A key readable by others is a key others hold.
 */
int	fileio_read_secret(const char *path, size_t max, struct buf *out,
	    struct tl_err *err);

/* fileio_read() of an open fd; name is for messages. */
int	fileio_read_fd(int fd, const char *name, size_t max, struct buf *out,
	    struct tl_err *err);
/*
 * fileio_read_fd() of a regular file whose fstat said size bytes: reads
 * straight into out, and a read that returns exactly the size asked for
 * by fstat (one byte short of the request) is taken as the end, so the
 * usual file costs one read(2), not two. A file that grew since the fstat
 * is read on to its end, as fileio_read_fd() would.
 */
int	fileio_read_sized(int fd, const char *name, size_t max, size_t size,
	    struct buf *out, struct tl_err *err);

/* write(2) until all of data is written (EINTR retried); 0 or -1/errno. */
int	fileio_write_all(int fd, const void *data, size_t len);

/*
 * Replaces path with data, atomically: a temporary file in the same
 * directory is written, given meta, fsync'd and renamed over path, then the
 * directory is fsync'd. Readers see the old or the new content, never a mix.
 */
int	fileio_write_atomic(const char *path, const void *data, size_t len,
	    const struct fileio_meta *meta, struct tl_err *err);

/* fileio_write_atomic() of a file only its owner reads or writes (0600):
 * keys, and state that names peers or says what they may do. */
int	fileio_write_private(const char *path, const void *data, size_t len,
	    struct tl_err *err);

/*
 * Like fileio_write_atomic without the fsyncs: readers still see the old
 * or the new content, but after a power cut the new file may be empty.
 * For data that is cheap to lose and written often (the last run report),
 * where two fsyncs would dominate a no-op run.
 */
int	fileio_write_quick(const char *path, const void *data, size_t len,
	    struct tl_err *err);

/* Creates path and its missing parents with mode; an existing dir is fine. */
int	fileio_mkdirs(const char *path, mode_t mode, struct tl_err *err);

/* fsyncs the directory that holds path (best effort on BSDs). */
int	fileio_sync_parent(const char *path, struct tl_err *err);

/*
 * Returns root + path as a new string ("/" or NULL root leaves path alone);
 * caller frees.
 */
char	*path_in_root(const char *root, const char *path);
/* Is root + path a directory (a link to one counts)? */
int	path_in_root_is_dir(const char *root, const char *path);

/* Returns a new string holding the directory part of path ("/" for "/x"). */
char	*path_dirname(const char *path);

/* Is path absolute and free of "." and ".." components and empty parts? */
int	path_is_clean_abs(const char *path);

#endif
