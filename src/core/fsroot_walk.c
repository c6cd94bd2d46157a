/*
 * The path walk under fsroot: opens a directory beneath the root one
 * component at a time, never following a link it does not trust.
 *
 * It keeps a stack of directory fds (the root at the bottom), the
 * link-free managed path of the top, and the components still to walk. A
 * link it may follow is read and its target put in front of what is
 * left: an absolute target restarts at the root, ".." pops the stack
 * (never below the root). So the walk can only ever hold descriptors of
 * directories beneath the root, whatever the links say, and the path it
 * reports is the real one.
 *
 * Most paths hold no link at all: openat2 (platform_open_beneath) then
 * opens the directory in one call, and the walk runs only when it reports
 * a link (ELOOP), any other failure (for the precise message), or that it
 * does not exist.
 */
#include "fsroot.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsroot_int.h"
#include "platform.h"
#include "xalloc.h"

#define WALK_LINKS_MAX	40	/* like the kernel's MAXSYMLINKS */
#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct walk {
	struct fsroot	*fr;
	const char	*for_path;	/* what the caller is after */
	int		 follow_any;
	int		*fds;		/* fds[0]: a dup of the root */
	size_t		 n, cap;
	struct buf	 phys;		/* link-free path of the top: "" = / */
	struct buf	 rest;		/* components to walk, '/'-separated */
	unsigned	 links;
};

static void
walk_push(struct walk *w, int fd, const char *name, size_t len)
{
	w->fds = xgrow(w->fds, &w->cap, w->n + 1, sizeof(*w->fds));
	w->fds[w->n++] = fd;
	buf_addch(&w->phys, '/');
	buf_add(&w->phys, name, len);
}

static void
walk_pop(struct walk *w)
{
	char *slash;

	if (w->n <= 1)
		return;		/* ".." at the root stays there */
	close(w->fds[--w->n]);
	slash = strrchr(w->phys.data, '/');
	buf_truncate(&w->phys, (size_t)(slash - w->phys.data));
}

static void
walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		close(w->fds[i]);
	free(w->fds);
	buf_release(&w->phys);
	buf_release(&w->rest);
}

/* Is the link (st) in the directory dfd one that root or we made, in a
 * directory no one else may change? */
static int
walk_trusts(const struct walk *w, int dfd, const struct stat *st)
{
	uid_t me = w->fr->euid;
	struct stat d;

	if (st->st_uid != 0 && st->st_uid != me)
		return 0;
	if (fstat(dfd, &d) < 0)
		return 0;
	return (d.st_uid == 0 || d.st_uid == me) &&
	    (d.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* The sentence for a link the walk will not follow. */
static int
walk_refuse(struct walk *w, const char *name, size_t len,
    const struct stat *st, struct tl_err *err)
{
	return tl_err_set(err, TL_EPERM, "'%s/%.*s' is a symbolic link "
	    "(owner uid %u) that tlaloc does not follow: only links made by "
	    "root in a directory no one else may write are followed, and "
	    "'%s' lies beyond it", w->phys.data, (int)len, name,
	    (unsigned)st->st_uid, w->for_path);
}

/* Puts the target of the link name (in the top directory) in front of
 * what is left to walk. */
static int
walk_expand(struct walk *w, const char *name, size_t len, struct tl_err *err)
{
	int dfd = w->fds[w->n - 1];
	char *nm = xstrndup(name, len), target[4096];
	struct buf rest = BUF_INIT;
	struct stat st;
	ssize_t n;
	int rc = 0;

	if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = tl_err_sys(err, TL_EIO, "cannot stat '%s/%s'",
		    w->phys.data, nm);
		goto out;
	}
	if (!S_ISLNK(st.st_mode)) {
		rc = tl_err_set(err, TL_EEXIST, "'%s/%s' is not a directory "
		    "(on the way to '%s')", w->phys.data, nm, w->for_path);
		goto out;
	}
	if (!w->follow_any && !walk_trusts(w, dfd, &st)) {
		rc = walk_refuse(w, name, len, &st, err);
		goto out;
	}
	if (++w->links > WALK_LINKS_MAX ||
	    (n = readlinkat(dfd, nm, target, sizeof(target) - 1)) < 0) {
		rc = tl_err_set(err, TL_EINVAL, "too many symbolic links, or "
		    "an unreadable one, at '%s/%s'", w->phys.data, nm);
		goto out;
	}
	target[n] = '\0';
	if (target[0] == '/')
		while (w->n > 1)
			walk_pop(w);
	buf_addstr(&rest, target);
	buf_addch(&rest, '/');
	buf_add(&rest, w->rest.data, w->rest.len);
	buf_release(&w->rest);
	w->rest = rest;
out:
	free(nm);
	return rc;
}

/* Enters the next component of w->rest. */
static int
walk_step(struct walk *w, struct tl_err *err)
{
	const char *name = w->rest.data, *slash = strchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);
	char *nm = xstrndup(name, len), *rest;
	int fd, rc = 0;

	rest = xstrdup(slash ? slash + 1 : "");
	buf_reset(&w->rest);
	buf_addstr(&w->rest, rest);
	free(rest);
	if (len == 0 || strcmp(nm, ".") == 0)
		goto out;
	if (strcmp(nm, "..") == 0) {
		walk_pop(w);
		goto out;
	}
	if ((fd = openat(w->fds[w->n - 1], nm, DIR_FLAGS)) >= 0) {
		walk_push(w, fd, nm, len);
		goto out;
	}
	if (errno == ELOOP || errno == ENOTDIR || errno == EMLINK) {
		/* w->rest no longer holds nm: expand from a copy. */
		rc = walk_expand(w, nm, len, err);
	} else if (errno == ENOENT)
		rc = tl_err_set(err, TL_ENOENT, "directory '%s/%s' does not "
		    "exist", w->phys.data, nm);
	else
		rc = tl_err_sys(err, errno == EACCES ? TL_EPERM : TL_EIO,
		    "cannot open directory '%s/%s'", w->phys.data, nm);
out:
	free(nm);
	return rc;
}

static int
walk_dir(struct fsroot *fr, const char *dir, const char *for_path,
    int follow_any, char **resolved, struct tl_err *err)
{
	struct walk w = { .fr = fr, .for_path = for_path,
	    .follow_any = follow_any, .phys = BUF_INIT, .rest = BUF_INIT };
	int fd, rc = 0;

	if ((fd = dup(fr->fd)) < 0)
		return tl_err_sys(err, TL_EIO, "cannot open '%s'", fr->dir);
	w.fds = xgrow(NULL, &w.cap, 1, sizeof(*w.fds));
	w.fds[w.n++] = fd;
	buf_addstr(&w.rest, dir);
	while (rc == 0 && w.rest.len > 0)
		rc = walk_step(&w, err);
	if (rc == 0) {
		fd = w.fds[--w.n];	/* handed to the caller */
		if (resolved != NULL)
			*resolved = xstrdup(w.phys.len ? w.phys.data : "/");
		rc = fd;
	}
	walk_release(&w);
	return rc;
}

int
fsroot_open_dir(struct fsroot *fr, const char *dir, const char *for_path,
    int follow_any, char **resolved, struct tl_err *err)
{
	int fd;

	if (resolved != NULL)
		*resolved = NULL;
	if (fr->try_beneath && !follow_any) {
		fd = platform_open_beneath(fr->fd, dir[1] ? dir + 1 : ".",
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			if (resolved != NULL)
				*resolved = xstrdup(dir);
			return fd;
		}
		/* E2BIG, EINVAL: a kernel that knows other open_how. */
		if (errno == ENOSYS || errno == E2BIG || errno == EINVAL ||
		    errno == EPERM)
			fr->try_beneath = 0;
	}
	return walk_dir(fr, dir, for_path, follow_any, resolved, err);
}

/* The parent of path, opened; *dlen gets the length of its name. */
static int
parent_open(struct fsroot *fr, const char *path, const char **base,
    size_t *dlen, struct tl_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	*base = NULL;
	if (!path_is_clean_abs(path) || strcmp(path, "/") == 0)
		return tl_err_set(err, TL_EINVAL, "'%s' is not a clean "
		    "absolute path of a file", path);
	*base = slash + 1;
	*dlen = slash == path ? 1 : (size_t)(slash - path);
	dir = xstrndup(path, *dlen);
	fd = fsroot_open_dir(fr, dir, path, 0, NULL, err);
	free(dir);
	return fd;
}

int
fsroot_parent(struct fsroot *fr, const char *path, const char **base,
    struct tl_err *err)
{
	size_t dlen;

	/* Every caller changes something in that directory, or lets its
	 * caller do so: what a lookup kept may no longer be what it was. */
	fsroot_forget(fr);
	return parent_open(fr, path, base, &dlen, err);
}

int
fsroot_parent_look(struct fsroot *fr, const char *path, const char **base,
    struct tl_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t dlen;
	int fd;

	if (fr->look_fd >= 0 && slash != NULL && slash != path &&
	    (size_t)(slash - path) == fr->look_dir.len &&
	    memcmp(path, fr->look_dir.data, fr->look_dir.len) == 0 &&
	    path_is_clean_abs(path)) {
		*base = slash + 1;
		return fr->look_fd;
	}
	if ((fd = parent_open(fr, path, base, &dlen, err)) < 0)
		return fd;
	fsroot_forget(fr);
	fr->look_fd = fd;
	buf_add(&fr->look_dir, path, dlen);
	return fd;
}

int
fsroot_parent_keep(struct fsroot *fr, const char *path, const char **base,
    struct tl_err *err)
{
	int fd = fsroot_parent_look(fr, path, base, err);

	if (fd < 0)
		return fd;
	if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return tl_err_sys(err, TL_EIO, "cannot open the directory of "
		    "'%s'", path);
	return fd;
}

int
fsroot_look_has(const struct fsroot *fr, const char *dir)
{
	return fr->look_fd >= 0 && strlen(dir) == fr->look_dir.len &&
	    memcmp(dir, fr->look_dir.data, fr->look_dir.len) == 0;
}

void
fsroot_forget(struct fsroot *fr)
{
	if (fr == NULL)
		return;
	if (fr->look_fd >= 0)
		close(fr->look_fd);
	fr->look_fd = -1;
	buf_reset(&fr->look_dir);
}

void
fsroot_force_walk(struct fsroot *fr)
{
	fsroot_forget(fr);
	fr->try_beneath = 0;
}
