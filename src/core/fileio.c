#include "fileio.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "xalloc.h"

int
fileio_read(const char *path, size_t max, struct buf *out, struct tl_err *err)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return tl_err_sys(err, errno == ENOENT ? TL_ENOENT : TL_EIO,
		    "cannot open '%s'", path);
	r = fileio_read_fd(fd, path, max, out, err);
	close(fd);
	return r;
}

int
fileio_read_secret(const char *path, size_t max, struct buf *out,
    struct tl_err *err)
{
	struct stat st;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return tl_err_sys(err, errno == ENOENT ? TL_ENOENT : TL_EIO,
		    "cannot open '%s'", path);
	if (fstat(fd, &st) < 0)
		r = tl_err_sys(err, TL_EIO, "cannot stat '%s'", path);
	else if (!S_ISREG(st.st_mode))
		r = tl_err_set(err, TL_EINVAL, "'%s' is not a regular file",
		    path);
	else if ((st.st_mode & 077) != 0 && st.st_uid != geteuid())
		r = tl_err_set(err, TL_EPERM, "'%s' holds a key and others "
		    "may read it (mode %04o, owner uid %u); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	else if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) < 0)
		r = tl_err_sys(err, TL_EPERM, "cannot make '%s' private", path);
	else {
		if ((st.st_mode & 077) != 0)
			log_warn("'%s' holds a key and others could read it "
			    "(mode %04o); it is now 0600", path,
			    (unsigned)(st.st_mode & 07777));
		r = fileio_read_fd(fd, path, max, out, err);
	}
	close(fd);
	return r;
}

int
fileio_read_fd(int fd, const char *name, size_t max, struct buf *out,
    struct tl_err *err)
{
	char chunk[65536];
	size_t total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tl_err_sys(err, TL_EIO, "cannot read '%s'", name);
		if (n == 0)
			return 0;
		total += (size_t)n;
		if (total > max)
			return tl_err_set(err, TL_ETOOBIG,
			    "'%s' is larger than %zu bytes", name, max);
		buf_add(out, chunk, (size_t)n);
	}
}

int
fileio_read_sized(int fd, const char *name, size_t max, size_t size,
    struct buf *out, struct tl_err *err)
{
	size_t want = size + 1, got = 0;
	ssize_t n;
	int rc;

	if (size == 0 || size > max)	/* /proc says 0; too big fails below */
		return fileio_read_fd(fd, name, max, out, err);
	buf_grow(out, want);
	while (got < want) {
		n = read(fd, out->data + out->len + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tl_err_sys(err, TL_EIO, "cannot read '%s'", name);
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == size)	/* all fstat promised, one short */
			break;
	}
	if (got > max)
		return tl_err_set(err, TL_ETOOBIG, "'%s' is larger than %zu "
		    "bytes", name, max);
	out->len += got;
	out->data[out->len] = '\0';
	if (got < want)
		return 0;
	/* It grew since the fstat: on to its end, with max counting all. */
	if ((rc = fileio_read_fd(fd, name, max - got, out, err)) ==
	    TL_ETOOBIG)
		rc = tl_err_set(err, TL_ETOOBIG, "'%s' is larger than %zu "
		    "bytes", name, max);
	return rc;
}

int
fileio_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fileio_sync_parent(const char *path, struct tl_err *err)
{
	char *dir = path_dirname(path);
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		r = tl_err_sys(err, TL_EIO, "cannot open directory '%s'", dir);
	else {
		/* Some filesystems refuse fsync on a directory; the rename is
		 * still ordered after the file's own fsync. */
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
	return r;
}

static int fileio_write_tmp(const char *path, const void *data, size_t len,
    const struct fileio_meta *meta, int sync, struct tl_err *err);

int
fileio_write_atomic(const char *path, const void *data, size_t len,
    const struct fileio_meta *meta, struct tl_err *err)
{
	return fileio_write_tmp(path, data, len, meta, 1, err);
}

int
fileio_write_private(const char *path, const void *data, size_t len,
    struct tl_err *err)
{
	struct fileio_meta meta = { 0600, (uid_t)-1, (gid_t)-1 };

	return fileio_write_tmp(path, data, len, &meta, 1, err);
}

int
fileio_write_quick(const char *path, const void *data, size_t len,
    struct tl_err *err)
{
	return fileio_write_tmp(path, data, len, NULL, 0, err);
}

static int
fileio_write_tmp(const char *path, const void *data, size_t len,
    const struct fileio_meta *meta, int sync, struct tl_err *err)
{
	char *dir = path_dirname(path);
	const char *base = strrchr(path, '/');
	char *tmp;
	int fd, r;

	base = base ? base + 1 : path;
	tmp = xasprintf("%s/.%s.tlaloc-XXXXXX", dir, base);
	free(dir);
	if ((fd = mkstemp(tmp)) < 0) {
		r = tl_err_sys(err, TL_EIO, "cannot create a temporary file "
		    "beside '%s'", path);
		free(tmp);
		return r;
	}
	if (fileio_write_all(fd, data, len) < 0) {
		r = tl_err_sys(err, TL_EIO, "cannot write '%s'", path);
		goto fail;
	}
	/* Owner first: chown clears set-id bits the mode may set. */
	if (meta && (meta->uid != (uid_t)-1 || meta->gid != (gid_t)-1) &&
	    fchown(fd, meta->uid, meta->gid) < 0) {
		r = tl_err_sys(err, TL_EPERM, "cannot set the owner of '%s'",
		    path);
		goto fail;
	}
	if (meta && meta->mode != (mode_t)-1 && fchmod(fd, meta->mode) < 0) {
		r = tl_err_sys(err, TL_EIO, "cannot set the mode of '%s'", path);
		goto fail;
	}
	if (sync && fsync(fd) < 0) {
		r = tl_err_sys(err, TL_EIO, "cannot sync '%s'", path);
		goto fail;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = tl_err_sys(err, TL_EIO, "cannot rename into '%s'", path);
		goto fail;
	}
	free(tmp);
	return sync ? fileio_sync_parent(path, err) : 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}

int
fileio_mkdirs(const char *path, mode_t mode, struct tl_err *err)
{
	char *p, *s;
	struct stat st;
	int r = 0;

	/* Most of the time it is there: one stat, not a mkdir per part. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			r = tl_err_sys(err, TL_EIO, "cannot create directory "
			    "'%s'", p);
			break;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	if (r == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
		r = tl_err_set(err, TL_EEXIST, "'%s' exists and is not a "
		    "directory", path);
	free(p);
	return r;
}

char *
path_in_root(const char *root, const char *path)
{
	size_t n;

	if (root == NULL || root[0] == '\0' || strcmp(root, "/") == 0)
		return xstrdup(path);
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s%s", (int)n, root, path[0] == '/' ? "" : "/",
	    path);
}

static int
path_in_root_has_type(const char *root, const char *path, mode_t type)
{
	char *real = path_in_root(root, path);
	struct stat st;
	int ok = stat(real, &st) == 0 && (st.st_mode & S_IFMT) == type;

	free(real);
	return ok;
}

int
path_in_root_is_dir(const char *root, const char *path)
{
	return path_in_root_has_type(root, path, S_IFDIR);
}

int
path_in_root_is_file(const char *root, const char *path)
{
	return path_in_root_has_type(root, path, S_IFREG);
}

char *
path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
path_is_clean_abs(const char *path)
{
	const char *p = path;

	if (p[0] != '/')
		return 0;
	while (*p != '\0') {
		const char *seg = p + 1, *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		if (end != NULL && n == 0)
			return 0;
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (end == NULL)
			break;
		p = end;
	}
	return strcmp(path, "/") == 0 || path[strlen(path) - 1] != '/';
}

/* Is the open file or directory fd ours and no one else's? st gets its
 * fstat. */
static int
fileio_owned(int fd, int want_dir, struct stat *st)
{
	if (fstat(fd, st) < 0 || st->st_uid != geteuid() ||
	    (st->st_mode & 077) != 0)
		return 0;
	if (want_dir)
		return S_ISDIR(st->st_mode);
	return S_ISREG(st->st_mode) && st->st_nlink == 1;
}

int
fileio_open_private_dir(const char *dir, int create, int *refused)
{
	struct stat st;
	int dfd;

	if (refused != NULL)
		*refused = 0;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (refused != NULL)
			*refused = errno != ENOENT;
		return -1;
	}
	if (!fileio_owned(dfd, 1, &st)) {
		close(dfd);
		if (refused != NULL)
			*refused = 1;
		return -1;
	}
	return dfd;
}

int
fileio_read_private_at(int dfd, const char *name, size_t min, size_t max,
    struct buf *out, int *refused)
{
	struct tl_err err = TL_ERR_INIT;
	size_t had = out->len;
	struct stat st;
	int fd, ok;

	if (refused != NULL)
		*refused = 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (refused != NULL)
			*refused = errno != ENOENT;
		return -1;
	}
	ok = fileio_owned(fd, 0, &st) && (size_t)st.st_size >= min &&
	    (uint64_t)st.st_size <= max;
	if (!ok && refused != NULL)
		*refused = 1;
	ok = ok && fileio_read_sized(fd, name, max, (size_t)st.st_size, out,
	    &err) == 0;
	close(fd);
	if (!ok)
		buf_truncate(out, had);
	return ok ? 0 : -1;
}

int
fileio_replace_private_at(int dfd, const char *name, const void *data,
    size_t len)
{
#ifdef O_TMPFILE
	char proc[64];
	int fd, rc = -1;

	fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* Replaced by unlink and link: linkat cannot replace. A reader in
	 * between finds nothing, which a cache takes as a miss. */
	if (fileio_write_all(fd, data, len) == 0 &&
	    (unlinkat(dfd, name, 0) == 0 || errno == ENOENT) &&
	    linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) == 0)
		rc = 0;
	close(fd);
	return rc;
#else
	(void)dfd;
	(void)name;
	(void)data;
	(void)len;
	errno = ENOTSUP;
	return -1;
#endif
}
