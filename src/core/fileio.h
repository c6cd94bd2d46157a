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

/*
 * Private caches in the state dir (compiled recipes, file check records):
 * files whose content this process trusts because only its own user can
 * have put them there. Nothing follows a link, and everything is checked
 * through the descriptor it opened.
 *
 * fileio_open_private_dir() opens dir (after mkdir(dir, 0700) when create
 * is set and its parent exists) and returns its fd, or -1 when it is
 * missing, a link, not a directory, not the effective user's, or open to
 * group or others (mode & 077). *refused (may be NULL) is set when it
 * exists and was refused for one of those reasons.
 *
 * fileio_read_private_at() appends the file name in dfd to out when it is
 * a regular file of the effective user with one link, mode & 077 == 0,
 * and min..max bytes; 0, or -1 (missing or refused: out left as it was,
 * *refused set (may be NULL) when it exists and was refused).
 *
 * fileio_replace_private_at() makes name in dfd hold data, 0600: written
 * unnamed (O_TMPFILE) and linked in when whole, so a killed run leaves no
 * temporary file. Not fsync'd: a power cut may leave it torn or empty, so
 * readers must check a checksum. Linux only; elsewhere it writes nothing.
 * Returns 0, or -1 with errno.
 */
int	fileio_open_private_dir(const char *dir, int create, int *refused);
int	fileio_read_private_at(int dfd, const char *name, size_t min,
	    size_t max, struct buf *out, int *refused);
int	fileio_replace_private_at(int dfd, const char *name, const void *data,
	    size_t len);

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
/* Is root + path a regular file, executable or not (a link to one
 * counts)? */
int	path_in_root_is_file(const char *root, const char *path);

/* Returns a new string holding the directory part of path ("/" for "/x"). */
char	*path_dirname(const char *path);

/* Is path absolute and free of "." and ".." components and empty parts? */
int	path_is_clean_abs(const char *path);

#endif
