/*
 * fsroot: changing things beneath the root. Every change is made relative
 * to the directory fd fsroot_parent() opened without untrusted links, and
 * on the object itself only through a descriptor opened with O_NOFOLLOW:
 * chmod(2), chown(2) or open(2) of a path string never appear here.
 */
#include "fsroot.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsroot_int.h"
#include "platform.h"
#include "xalloc.h"

#define TMP_BASE_MAX	200	/* bytes of the name kept in a temp name */

struct fsroot_tmp {
	struct fsroot	*fr;
	int		 dfd;		/* the directory holding both names */
	int		 fd;		/* the temporary file, open for writing */
	char		*path;		/* managed path of the target */
	char		*tmp;		/* temporary name in dfd */
};

/* Refuses to replace what is at base with a file: a link, a directory,
 * or a regular file that has other names. */
static int
check_target(int dfd, const char *base, const char *path, struct tl_err *err)
{
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : tl_err_sys(err, TL_EIO,
		    "cannot stat '%s'", path);
	if (S_ISLNK(st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link; "
		    "tlaloc does not write through it", path);
	if (S_ISDIR(st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' is a directory", path);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		return tl_err_set(err, TL_EPERM, "'%s' has %lu hard links: "
		    "tlaloc does not change a file that has other names (one "
		    "may be a file the recipe does not name)", path,
		    (unsigned long)st.st_nlink);
	return 0;
}

/* A name beside base for a temporary file: ".base.tlaloc-XXXXXX". One
 * arc4random_buf for the six characters: glibc 2.36 makes a getrandom(2)
 * call per byte of arc4random_uniform, six per file otherwise. */
static char *
tmp_name(const char *base)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6];
	char rnd[7];

	arc4random_buf(r, sizeof(r));
	for (int i = 0; i < 6; i++)
		rnd[i] = set[r[i] % (sizeof(set) - 1)];
	rnd[6] = '\0';
	return xasprintf(".%.*s.tlaloc-%s", TMP_BASE_MAX, base, rnd);
}

/* Notes a temporary name for base in the ledger; *tmp gets the name. */
static int
tmp_reserve(struct fsroot *fr, const char *path, const char *base,
    char **tmp, struct tl_err *err)
{
	char *full;
	int rc;

	*tmp = tmp_name(base);
	full = xasprintf("%.*s%s", (int)(base - path), path, *tmp);
	rc = fsroot_ledger_note(fr, full, err);
	free(full);
	if (rc < 0) {
		fsroot_ledger_done(fr);
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

static int
apply_meta(int fd, const struct fileio_meta *meta, const char *path,
    struct tl_err *err)
{
	if (meta == NULL)
		return 0;
	/* Owner first: chown clears set-id bits the mode may set. */
	if ((meta->uid != (uid_t)-1 || meta->gid != (gid_t)-1) &&
	    fchown(fd, meta->uid, meta->gid) < 0)
		return tl_err_sys(err, TL_EPERM, "cannot set the owner of "
		    "'%s'", path);
	if (meta->mode != (mode_t)-1 && fchmod(fd, meta->mode) < 0)
		return tl_err_sys(err, TL_EPERM, "cannot set the mode of '%s'",
		    path);
	return 0;
}

void
fsroot_tmp_abort(struct fsroot_tmp *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->tmp != NULL) {
		unlinkat(t->dfd, t->tmp, 0);
		fsroot_ledger_done(t->fr);
	}
	close(t->dfd);
	free(t->tmp);
	free(t->path);
	free(t);
}

int
fsroot_stage(struct fsroot *fr, const char *path, const void *data,
    size_t len, const struct fileio_meta *meta, struct fsroot_tmp **out,
    struct tl_err *err)
{
	struct fsroot_tmp *t;
	const char *base;
	int dfd, rc;

	*out = NULL;
	/* A regular file replaced by a regular file (check_target, again
	 * at the commit) changes no directory: the one lookups keep stays
	 * valid, and its duplicate saves a path walk per file. */
	if ((dfd = fsroot_parent_keep(fr, path, &base, err)) < 0)
		return dfd;
	if ((rc = check_target(dfd, base, path, err)) < 0) {
		close(dfd);
		return rc;
	}
	t = xcalloc(1, sizeof(*t));
	t->fr = fr;
	t->dfd = dfd;
	t->fd = -1;
	t->path = xstrdup(path);
	/* A name taken (by chance, or by someone who guessed it) costs a
	 * new one, a few times. */
	for (int tries = 0; t->fd < 0 && tries < 4; tries++) {
		if (t->tmp != NULL) {
			fsroot_ledger_done(fr);
			free(t->tmp);
			t->tmp = NULL;
		}
		if ((rc = tmp_reserve(fr, path, base, &t->tmp, err)) < 0)
			goto fail;
		t->fd = openat(dfd, t->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (t->fd < 0 && errno != EEXIST)
			break;
	}
	if (t->fd < 0) {
		rc = tl_err_sys(err, TL_EIO, "cannot create a temporary file "
		    "beside '%s'", path);
		/* Not ours: the abort below must not unlink that name. */
		fsroot_ledger_done(fr);
		free(t->tmp);
		t->tmp = NULL;
		goto fail;
	}
	if (fileio_write_all(t->fd, data, len) < 0) {
		rc = tl_err_sys(err, TL_EIO, "cannot write '%s'", path);
		goto fail;
	}
	if ((rc = apply_meta(t->fd, meta, path, err)) < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	fsroot_tmp_abort(t);
	return rc;
}

int
fsroot_tmp_fd(const struct fsroot_tmp *t)
{
	return t->fd;
}

int
fsroot_parent_fd(struct fsroot *fr, const char *path, struct tl_err *err)
{
	const char *base;

	return fsroot_parent(fr, path, &base, err);
}

int
fsroot_tmp_sync(struct fsroot_tmp *t, struct tl_err *err)
{
	if (fsync(t->fd) < 0)
		return tl_err_sys(err, TL_EIO, "cannot sync '%s'", t->path);
	return 0;
}

int
fsroot_tmp_commit(struct fsroot_tmp *t, int sync_dir, struct tl_err *err)
{
	const char *base = strrchr(t->path, '/') + 1;
	int rc;

	/* Checked again: the name may have changed since the stage. A
	 * rename replaces a name and never writes through it, but a link
	 * or a hard link swapped in is someone's attempt: refuse it. */
	if ((rc = check_target(t->dfd, base, t->path, err)) < 0) {
		fsroot_tmp_abort(t);
		return rc;
	}
	close(t->fd);
	t->fd = -1;
	if (renameat(t->dfd, t->tmp, t->dfd, base) < 0) {
		rc = tl_err_sys(err, TL_EIO, "cannot rename into '%s'",
		    t->path);
		fsroot_tmp_abort(t);
		return rc;
	}
	free(t->tmp);
	t->tmp = NULL;
	fsroot_ledger_done(t->fr);
	/* Some filesystems refuse fsync on a directory; the rename is still
	 * ordered after the file's own fsync. */
	if (sync_dir)
		(void)fsync(t->dfd);
	fsroot_tmp_abort(t);	/* frees; the temporary name is gone */
	return 0;
}

int
fsroot_write(struct fsroot *fr, const char *path, const void *data,
    size_t len, const struct fileio_meta *meta, unsigned flags,
    struct tl_err *err)
{
	struct fsroot_tmp *t;
	int rc, sync = !(flags & FSROOT_QUICK);

	if ((rc = fsroot_stage(fr, path, data, len, meta, &t, err)) < 0)
		return rc;
	if (sync && (rc = fsroot_tmp_sync(t, err)) < 0) {
		fsroot_tmp_abort(t);
		return rc;
	}
	return fsroot_tmp_commit(t, sync, err);
}

/* --- attributes -------------------------------------------------------- */

static int
same_object(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int
attrs_check(const struct stat *st, const struct stat *seen, const char *path,
    struct tl_err *err)
{
	if (seen != NULL && !same_object(st, seen))
		return tl_err_set(err, TL_EAGAIN, "'%s' was replaced while "
		    "tlaloc looked at it; not changing it", path);
	if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		return tl_err_set(err, TL_EPERM, "'%s' has %lu hard links: "
		    "tlaloc does not change the mode or owner of a file that "
		    "has other names (one may be a file the recipe does not "
		    "name)", path, (unsigned long)st->st_nlink);
	return 0;
}

/*
 * Without read permission (not root) the object cannot be opened: set the
 * attributes by name in the trusted directory, after checking the name is
 * still the object seen and no link. A race there can only reach what the
 * same user could change anyway.
 */
static int
attrs_by_name(int dfd, const char *base, const struct stat *seen,
    const struct fileio_meta *meta, const char *path, struct tl_err *err)
{
	struct stat st;
	int rc;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return tl_err_sys(err, TL_EIO, "cannot stat '%s'", path);
	if (S_ISLNK(st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link; "
		    "tlaloc does not follow it", path);
	if ((rc = attrs_check(&st, seen, path, err)) < 0)
		return rc;
	if ((meta->uid != (uid_t)-1 || meta->gid != (gid_t)-1) &&
	    fchownat(dfd, base, meta->uid, meta->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return tl_err_sys(err, TL_EPERM, "cannot set the owner of "
		    "'%s'", path);
	if (meta->mode != (mode_t)-1 && fchmodat(dfd, base, meta->mode, 0) < 0)
		return tl_err_sys(err, TL_EPERM, "cannot set the mode of '%s'",
		    path);
	return 0;
}

int
fsroot_set_attrs(struct fsroot *fr, const char *path, const struct stat *seen,
    const struct fileio_meta *meta, struct tl_err *err)
{
	const char *base;
	struct stat st;
	int dfd, fd, rc;

	if ((dfd = fsroot_parent(fr, path, &base, err)) < 0)
		return dfd;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0 && errno == EACCES)
		rc = attrs_by_name(dfd, base, seen, meta, path, err);
	else if (fd < 0 && (errno == ELOOP || errno == EMLINK))
		rc = tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link; "
		    "tlaloc does not follow it", path);
	else if (fd < 0)
		rc = tl_err_sys(err, errno == ENOENT ? TL_ENOENT : TL_EIO,
		    "cannot open '%s'", path);
	else if (fstat(fd, &st) < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot stat '%s'", path);
	else if ((rc = attrs_check(&st, seen, path, err)) == 0)
		rc = apply_meta(fd, meta, path, err);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

int
fsroot_chown_link(struct fsroot *fr, const char *path, const struct stat *seen,
    uid_t uid, gid_t gid, struct tl_err *err)
{
	const char *base;
	int dfd, rc = 0;

	if ((dfd = fsroot_parent(fr, path, &base, err)) < 0)
		return dfd;
	if (platform_chown_link(dfd, base, seen, uid, gid) < 0)
		rc = errno == ESTALE ? tl_err_set(err, TL_EAGAIN, "'%s' was "
		    "replaced while tlaloc looked at it; not changing it",
		    path) : tl_err_sys(err, TL_EPERM, "cannot change the "
		    "owner of link '%s'", path);
	close(dfd);
	return rc;
}

/* --- directories and names --------------------------------------------- */

int
fsroot_mkdir(struct fsroot *fr, const char *path,
    const struct fileio_meta *meta, struct tl_err *err)
{
	struct fileio_meta m = meta ? *meta : (struct fileio_meta)
	    FILEIO_META_KEEP;
	const char *base;
	int dfd, fd, rc;

	if (m.mode == (mode_t)-1)
		m.mode = 0755;
	if ((dfd = fsroot_parent(fr, path, &base, err)) < 0)
		return dfd;
	/* Private until its owner and mode are set through its fd. */
	if (mkdirat(dfd, base, 0700) < 0) {
		rc = tl_err_sys(err, errno == EEXIST ? TL_EEXIST : TL_EIO,
		    "cannot create directory '%s'", path);
		close(dfd);
		return rc;
	}
	fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot open directory '%s'",
		    path);
	else
		rc = apply_meta(fd, &m, path, err);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

int
fsroot_mkdirs(struct fsroot *fr, const char *path, mode_t mode,
    struct tl_err *err)
{
	struct fileio_meta m = { mode, (uid_t)-1, (gid_t)-1 };
	char *p = xstrdup(path);
	struct stat st;
	int rc = 0;

	for (char *s = p + 1; rc == 0; s++) {
		char saved = *s;

		if (saved != '/' && saved != '\0')
			continue;
		*s = '\0';
		rc = fsroot_lstat(fr, p, &st, err);
		if (rc == TL_ENOENT)
			rc = fsroot_mkdir(fr, p, &m, err);
		else if (rc == 0 && !S_ISDIR(st.st_mode) &&
		    !S_ISLNK(st.st_mode))
			rc = tl_err_set(err, TL_EEXIST, "'%s' exists and is not "
			    "a directory", p);
		/* A link is left to the walk of the next component (or the
		 * final check below): followed if trusted, refused if not. */
		*s = saved;
		if (saved == '\0')
			break;
	}
	if (rc == 0) {
		int fd = fsroot_open_dir(fr, path, path, 0, NULL, err);

		if (fd < 0)
			rc = fd;
		else
			close(fd);
	}
	free(p);
	return rc;
}

static int
remove_name(struct fsroot *fr, const char *path, int flags,
    struct tl_err *err)
{
	const char *base;
	int dfd, rc = 0;

	if ((dfd = fsroot_parent(fr, path, &base, err)) < 0)
		return dfd;
	if (unlinkat(dfd, base, flags) < 0)
		rc = tl_err_sys(err, errno == ENOENT ? TL_ENOENT :
		    errno == EISDIR || errno == ENOTDIR || errno == EPERM ||
		    errno == ENOTEMPTY || errno == EEXIST ? TL_EEXIST : TL_EIO,
		    "cannot remove '%s'", path);
	close(dfd);
	return rc;
}

int
fsroot_unlink(struct fsroot *fr, const char *path, struct tl_err *err)
{
	return remove_name(fr, path, 0, err);
}

int
fsroot_rmdir(struct fsroot *fr, const char *path, struct tl_err *err)
{
	return remove_name(fr, path, AT_REMOVEDIR, err);
}

int
fsroot_symlink(struct fsroot *fr, const char *path, const char *target,
    struct tl_err *err)
{
	const char *base;
	struct stat st;
	char *tmp = NULL;
	int dfd, rc;

	if ((dfd = fsroot_parent(fr, path, &base, err)) < 0)
		return dfd;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		rc = tl_err_set(err, TL_EEXIST, "'%s' is a directory", path);
		goto out;
	}
	if ((rc = tmp_reserve(fr, path, base, &tmp, err)) < 0)
		goto out;
	if (symlinkat(target, dfd, tmp) < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot create link '%s'", path);
	else if (renameat(dfd, tmp, dfd, base) < 0) {
		rc = tl_err_sys(err, TL_EIO, "cannot replace '%s'", path);
		unlinkat(dfd, tmp, 0);
	}
	fsroot_ledger_done(fr);
out:
	free(tmp);
	close(dfd);
	return rc;
}

int
fsroot_sync_parent(struct fsroot *fr, const char *path, struct tl_err *err)
{
	const char *base;
	int dfd;

	if ((dfd = fsroot_parent(fr, path, &base, err)) < 0)
		return dfd;
	(void)fsync(dfd);
	close(dfd);
	return 0;
}
