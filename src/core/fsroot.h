#ifndef TLALOC_CORE_FSROOT_H
#define TLALOC_CORE_FSROOT_H

/*
 * fsroot: every change a run makes to the managed tree goes through here.
 * A struct fsroot holds one directory fd: "/" on a real node, the --root
 * tree in a scratch one. Paths are managed paths ("/etc/motd": absolute,
 * clean), resolved beneath that fd, so nothing ever lands outside the
 * root, and a symbolic link is never followed by accident:
 *
 *   - The last component is never followed: a link at a managed path is
 *     reported as a link (lstat semantics), and every change (write,
 *     chmod, chown, unlink) acts on the link or fails, never on what it
 *     points at. fsroot_follow() is the explicit way to follow one (file
 *     { follow = true }), and still stays inside the root.
 *   - A link in a parent component is followed only when it is trusted:
 *     owned by root (or by the user running tlaloc), in a directory
 *     owned by one of them that no one else may write. That is /lib ->
 *     usr/lib on a merged-/usr system, never a link a user planted in a
 *     directory they own (~/.ssh -> /root/.ssh). An untrusted one fails
 *     with TL_EPERM and a sentence naming it. An absolute trusted link is
 *     resolved from the root, so it cannot leave it either.
 *   - Modes, owners and contents change through a descriptor opened
 *     without following links (fchmod, fchown, write, fsync, renameat),
 *     and a file seen at check time must still be the same inode at fix
 *     time. A regular file with more than one hard link is never changed
 *     in place: its other name may be a file the recipe does not name.
 *
 * How: on Linux >= 5.6 the parent directory is opened with one openat2
 * call (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, platform.h); when that finds
 * a link, or openat2 is missing (ENOSYS: the BSDs, old kernels, seccomp),
 * a walk opens one component at a time with O_NOFOLLOW | O_DIRECTORY and
 * applies the trust rule above. The walk is the only place links are read.
 *
 * Temporary files are named ".NAME.tlaloc-XXXXXX" beside their target.
 * With a ledger directory set (fsroot_set_ledger), each temporary name is
 * noted in LEDGER/PID.ledger before the file is created, and the ledger is
 * removed when the struct is freed with nothing left pending; a process
 * killed mid-write leaves its ledger behind, and fsroot_sweep() (at the
 * start of the next run, and by the agent when it starts) removes the
 * temporary files it names.
 *
 * Not thread-safe: one struct fsroot per thread.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>

#include "fileio.h"

struct buf;
struct tl_err;
struct fsroot;
struct fsroot_tmp;

/* --- opening ----------------------------------------------------------- */

/*
 * Opens dir ("/" or a --root tree; followed if it is itself a link: the
 * operator named it) as the root of every path given later. Returns 0, or
 * < 0 with err naming dir. Free with fsroot_free().
 */
int	fsroot_open(const char *dir, struct fsroot **out, struct tl_err *err);
/* Closes the root; removes the ledger when nothing is pending. NULL ok. */
void	fsroot_free(struct fsroot *fr);
/* The directory given to fsroot_open() (borrowed). */
const char *fsroot_dir(const struct fsroot *fr);
/* Returns root + path as a new string, for messages; caller frees. */
char	*fsroot_real(const struct fsroot *fr, const char *path);

/*
 * Notes temporary files in dir/PID.ledger (a host path, outside the root;
 * created 0700 at the first note), so that a run killed mid-write can be
 * cleaned up after. Without a ledger nothing is noted.
 */
void	fsroot_set_ledger(struct fsroot *fr, const char *dir);
/*
 * Removes the temporary files named by the ledgers in dir whose process
 * is gone, then those ledgers. A ledger names its root, so the sweep
 * needs none. Only names of the ".NAME.tlaloc-XXXXXX" form are removed,
 * through the root, never through a link. Returns the number removed (0
 * when dir does not exist), or < 0 on error.
 */
int	fsroot_sweep(const char *dir, struct tl_err *err);
/*
 * Removes the regular files in the host directory dir whose names are of
 * the ".NAME.tlaloc-XXXXXX" form and that were last written min_age_s or
 * more ago (a live writer's are younger): what fileio_write_atomic() left
 * in a state directory when its process was killed. Returns the number
 * removed, or < 0 when dir cannot be listed (a missing dir is 0).
 */
int	fsroot_sweep_names(const char *dir, unsigned min_age_s,
	    struct tl_err *err);

/* --- looking ----------------------------------------------------------- */

/*
 * lstat(2) of path beneath the root. Returns 0; TL_ENOENT when path (or a
 * parent) does not exist (*st zeroed); TL_EPERM when a parent is an
 * untrusted link; TL_EEXIST when a parent is not a directory; TL_EIO.
 * Every call below fails the same ways for a bad parent.
 */
int	fsroot_lstat(struct fsroot *fr, const char *path, struct stat *st,
	    struct tl_err *err);

/*
 * Is dir a directory that fsroot can enter (trusted links followed, like
 * /lib -> usr/lib)? Returns 0 when it is; otherwise the error the walk
 * met: TL_ENOENT, TL_EPERM (an untrusted link), TL_EEXIST (not a
 * directory).
 */
int	fsroot_check_dir(struct fsroot *fr, const char *dir, struct tl_err *err);

/*
 * Appends the content of the regular file at path to out (at most max
 * bytes: TL_ETOOBIG past it) and fills *st (may be NULL). A link or any
 * other kind of file at path fails with TL_EEXIST ("is a symbolic link").
 */
int	fsroot_read(struct fsroot *fr, const char *path, size_t max,
	    struct buf *out, struct stat *st, struct tl_err *err);

/*
 * What a check needs in one lookup of the parent: fills *st like
 * fsroot_lstat() (TL_ENOENT when missing) and, when out is not NULL and
 * path is a regular file, appends its content (at most max bytes). A link
 * or another kind of file is only stat'ed: st says what it is.
 */
int	fsroot_load(struct fsroot *fr, const char *path, size_t max,
	    struct buf *out, struct stat *st, struct tl_err *err);

/* Appends the target of the link at path to out. TL_EINVAL: not a link. */
int	fsroot_readlink(struct fsroot *fr, const char *path, struct buf *out,
	    struct tl_err *err);

/*
 * The names in the directory at path (not "." and ".."), sorted, as a
 * NULL-terminated array; free with fsroot_names_free(). A link at path
 * fails (TL_EEXIST).
 */
int	fsroot_list(struct fsroot *fr, const char *path, char ***names,
	    size_t *n, struct tl_err *err);
void	fsroot_names_free(char **names);

/*
 * Follows the link at path, and any link its target meets, whoever owns
 * them, to the managed path they lead to (a new string in *out; path
 * itself when it is no link). Targets resolve as inside the root (an
 * absolute target starts at the root, ".." stops at it). The file at *out
 * need not exist. For what a recipe explicitly asks to follow.
 */
int	fsroot_follow(struct fsroot *fr, const char *path, char **out,
	    struct tl_err *err);

/*
 * Lookups (the calls above) keep the last parent directory they opened
 * for the next lookup in the same directory: a check of 20 files in one
 * directory opens it once. Every change made through fr drops it
 * (but a regular file staged over a regular file, which changes no
 * directory); a caller that lets something else change the tree (a
 * command runs, time passes between runs) calls fsroot_forget() first,
 * so a lookup never sees a directory that a path no longer names. NULL
 * ok.
 */
void	fsroot_forget(struct fsroot *fr);

/* --- changing ---------------------------------------------------------- */

#define FSROOT_QUICK	0x1	/* no fsyncs (see fileio_write_quick) */

/*
 * Replaces the file at path with data, atomically, given meta: a
 * temporary file is written beside it, made durable (unless
 * FSROOT_QUICK), renamed over path, and the directory synced. A link or a
 * directory at path is refused (TL_EEXIST), as is a regular file with
 * other hard links (TL_EPERM).
 *
 * In steps, so that many files can be made durable together (one fsync
 * each, then one rename each, then one directory sync each, instead of
 * interleaving them; or syncfs): fsroot_stage() writes the temporary file
 * with its owner and mode but no fsync; fsroot_tmp_sync() fsyncs it;
 * fsroot_tmp_commit() renames it over path (checking path again, as
 * fsroot_write does) and, with sync_dir, fsyncs the directory. A staged
 * file that is not committed must be fsroot_tmp_abort()ed (unlinked). A
 * struct fsroot_tmp holds an open fd and the directory's fd.
 */
int	fsroot_write(struct fsroot *fr, const char *path, const void *data,
	    size_t len, const struct fileio_meta *meta, unsigned flags,
	    struct tl_err *err);
int	fsroot_stage(struct fsroot *fr, const char *path, const void *data,
	    size_t len, const struct fileio_meta *meta,
	    struct fsroot_tmp **out, struct tl_err *err);
int	fsroot_tmp_sync(struct fsroot_tmp *t, struct tl_err *err);
int	fsroot_tmp_commit(struct fsroot_tmp *t, int sync_dir,
	    struct tl_err *err);
/* Unlinks the temporary file and frees t; NULL ok. */
void	fsroot_tmp_abort(struct fsroot_tmp *t);
/* The staged temporary file's descriptor (open for writing until the
 * commit), for a caller that makes many durable together. */
int	fsroot_tmp_fd(const struct fsroot_tmp *t);
/*
 * Opens the directory that holds path (trusted links only, as every call
 * here), for a caller that syncs it. Returns the fd (caller closes), or
 * < 0 with err.
 */
int	fsroot_parent_fd(struct fsroot *fr, const char *path,
	    struct tl_err *err);
/* fsyncs the ledger, so that the temporary files it names are found
 * after a power cut too; 0 without one. */
int	fsroot_ledger_sync(struct fsroot *fr, struct tl_err *err);

/*
 * Sets owner (uid/gid, -1 keeps) and mode (-1 keeps) of the file or
 * directory at path through a descriptor opened without following it.
 * When seen is not NULL, the object must still be that inode (st_dev,
 * st_ino), or TL_EAGAIN ("changed while tlaloc looked at it"). A link at
 * path fails (TL_EEXIST); so does a regular file with other hard links
 * (TL_EPERM).
 */
int	fsroot_set_attrs(struct fsroot *fr, const char *path,
	    const struct stat *seen, const struct fileio_meta *meta,
	    struct tl_err *err);
/* Sets the owner of the link at path itself (seen: as above, required). */
int	fsroot_chown_link(struct fsroot *fr, const char *path,
	    const struct stat *seen, uid_t uid, gid_t gid, struct tl_err *err);

/* Creates the directory at path with meta (mode exactly, despite the
 * umask). TL_EEXIST when something is there. */
int	fsroot_mkdir(struct fsroot *fr, const char *path,
	    const struct fileio_meta *meta, struct tl_err *err);
/* Creates path and its missing parents (mode, owner kept); existing
 * directories are fine. */
int	fsroot_mkdirs(struct fsroot *fr, const char *path, mode_t mode,
	    struct tl_err *err);
/* Removes the name at path (a file or a link, never what it points at);
 * TL_ENOENT when missing. */
int	fsroot_unlink(struct fsroot *fr, const char *path, struct tl_err *err);
/* Removes the empty directory at path (not a link to one). */
int	fsroot_rmdir(struct fsroot *fr, const char *path, struct tl_err *err);
/* Makes path a symbolic link to target (stored as given), replacing what
 * is there (not a directory) atomically through a temporary name. */
int	fsroot_symlink(struct fsroot *fr, const char *path, const char *target,
	    struct tl_err *err);
/* fsyncs the directory holding path. */
int	fsroot_sync_parent(struct fsroot *fr, const char *path,
	    struct tl_err *err);

/* Is name of the form ".NAME.tlaloc-XXXXXX", a temporary file of ours? */
int	fsroot_is_tmp_name(const char *name);

#endif
