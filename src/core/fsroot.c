/*
 * fsroot: opening a root, looking beneath it, and the ledger of temporary
 * files. fsroot_walk.c finds directories; fsroot_write.c changes things.
 * fsroot.h says what is guaranteed.
 */
#include "fsroot.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "fsroot_int.h"
#include "xalloc.h"

#define FOLLOW_MAX	40	/* links fsroot_follow() goes through */

/* --- opening ----------------------------------------------------------- */

int
fsroot_open(const char *dir, struct fsroot **out, struct tl_err *err)
{
	struct fsroot *fr;
	int fd;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		dir = "/";
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return tl_err_sys(err, errno == ENOENT ? TL_ENOENT : TL_EIO,
		    "cannot open root directory '%s'", dir);
	fr = xcalloc(1, sizeof(*fr));
	fr->fd = fd;
	fr->dir = xstrdup(dir);
	fr->euid = geteuid();
	fr->try_beneath = 1;
	fr->ledger_fd = -1;
	fr->look_fd = -1;
	buf_init(&fr->look_dir);
	*out = fr;
	return 0;
}

static char *
ledger_path(const char *dir, long pid)
{
	return xasprintf("%s/%ld.ledger", dir, pid);
}

void
fsroot_free(struct fsroot *fr)
{
	if (fr == NULL)
		return;
	if (fr->ledger_fd >= 0) {
		close(fr->ledger_fd);
		if (fr->pending == 0) {
			char *p = ledger_path(fr->ledger_dir, (long)getpid());
			unlink(p);
			free(p);
		}
	}
	fsroot_forget(fr);
	buf_release(&fr->look_dir);
	close(fr->fd);
	free(fr->ledger_dir);
	free(fr->dir);
	free(fr);
}

const char *
fsroot_dir(const struct fsroot *fr)
{
	return fr->dir;
}

char *
fsroot_real(const struct fsroot *fr, const char *path)
{
	return path_in_root(fr->dir, path);
}

/* --- the ledger -------------------------------------------------------- */

void
fsroot_set_ledger(struct fsroot *fr, const char *dir)
{
	free(fr->ledger_dir);
	fr->ledger_dir = dir ? xstrdup(dir) : NULL;
}

/* The ledger's first line names the root, so a sweep knows where its
 * paths are. */
static int
ledger_open(struct fsroot *fr, struct tl_err *err)
{
	char *p, *head;
	int rc = 0;

	if (fileio_mkdirs(fr->ledger_dir, 0700, err) < 0)
		return TL_EIO;
	p = ledger_path(fr->ledger_dir, (long)getpid());
	fr->ledger_fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fr->ledger_fd < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot open '%s'", p);
	else {
		head = xasprintf("root %s\n", fr->dir);
		if (fileio_write_all(fr->ledger_fd, head, strlen(head)) < 0)
			rc = tl_err_sys(err, TL_EIO, "cannot write '%s'", p);
		free(head);
	}
	free(p);
	return rc;
}

int
fsroot_ledger_note(struct fsroot *fr, const char *tmp_path,
    struct tl_err *err)
{
	char *line;
	int rc = 0;

	fr->pending++;
	if (fr->ledger_dir == NULL)
		return 0;
	if (fr->ledger_fd < 0 && (rc = ledger_open(fr, err)) < 0)
		return rc;
	/* No fsync: a kill -9 keeps what was written; a power cut may lose
	 * the note, and the temporary file with it most likely. */
	line = xasprintf("%s\n", tmp_path);
	if (fileio_write_all(fr->ledger_fd, line, strlen(line)) < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot note a temporary file");
	free(line);
	return rc;
}

int
fsroot_ledger_sync(struct fsroot *fr, struct tl_err *err)
{
	if (fr->ledger_fd < 0 || fsync(fr->ledger_fd) == 0)
		return 0;
	return tl_err_sys(err, TL_EIO, "cannot sync the ledger of temporary "
	    "files in '%s'", fr->ledger_dir);
}

void
fsroot_ledger_done(struct fsroot *fr)
{
	TL_ASSERT(fr->pending > 0);
	fr->pending--;
}

int
fsroot_is_tmp_name(const char *name)
{
	const char *tag = strstr(name, ".tlaloc-");
	size_t i;

	if (name[0] != '.' || tag == NULL || tag == name)
		return 0;
	/* The last ".tlaloc-": the name itself may hold one. */
	while (strstr(tag + 1, ".tlaloc-") != NULL)
		tag = strstr(tag + 1, ".tlaloc-");
	tag += strlen(".tlaloc-");
	for (i = 0; tag[i] != '\0'; i++)
		if (!((tag[i] >= 'a' && tag[i] <= 'z') ||
		    (tag[i] >= 'A' && tag[i] <= 'Z') ||
		    (tag[i] >= '0' && tag[i] <= '9')))
			return 0;
	return i == 6;
}

/* Removes the temporary files one dead process's ledger names. */
static int
sweep_ledger(const char *file, struct tl_err *err)
{
	struct buf text = BUF_INIT;
	struct fsroot *fr = NULL;
	char *line, *save = NULL;
	int removed = 0, rc;

	if ((rc = fileio_read(file, 16u << 20, &text, err)) < 0)
		goto out;
	line = strtok_r(text.data, "\n", &save);
	if (line == NULL || strncmp(line, "root ", 5) != 0 ||
	    fsroot_open(line + 5, &fr, NULL) < 0)
		goto done;	/* empty, or its root is gone: nothing to do */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		const char *base = strrchr(line, '/');
		struct stat st;

		if (base == NULL || !fsroot_is_tmp_name(base + 1) ||
		    fsroot_lstat(fr, line, &st, NULL) < 0 ||
		    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			continue;
		if (fsroot_unlink(fr, line, NULL) == 0)
			removed++;
	}
done:
	unlink(file);
	rc = removed;
out:
	fsroot_free(fr);
	buf_release(&text);
	return rc;
}

static int
pid_is_alive(long pid)
{
	return pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
	    errno == EPERM;
}

int
fsroot_sweep(const char *dir, struct tl_err *err)
{
	struct dirent *de;
	int removed = 0, rc = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : tl_err_sys(err, TL_EIO,
		    "cannot list '%s'", dir);
	while (rc >= 0 && (de = readdir(d)) != NULL) {
		char *end, *file;
		long pid = strtol(de->d_name, &end, 10);

		if (end == de->d_name || strcmp(end, ".ledger") != 0 ||
		    pid <= 0 || pid_is_alive(pid))
			continue;
		file = xasprintf("%s/%s", dir, de->d_name);
		if ((rc = sweep_ledger(file, err)) > 0)
			removed += rc;
		free(file);
	}
	closedir(d);
	return rc < 0 ? rc : removed;
}

int
fsroot_sweep_names(const char *dir, unsigned min_age_s, struct tl_err *err)
{
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	int removed = 0, dfd;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : tl_err_sys(err, TL_EIO,
		    "cannot list '%s'", dir);
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (!fsroot_is_tmp_name(de->d_name) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) ||
		    now - st.st_mtime < (time_t)min_age_s)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

/* --- looking ----------------------------------------------------------- */

int
fsroot_lstat(struct fsroot *fr, const char *path, struct stat *st,
    struct tl_err *err)
{
	const char *base;
	int dfd, rc = 0;

	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0)
		return fstat(fr->fd, st) < 0 ? tl_err_sys(err, TL_EIO,
		    "cannot stat '%s'", fr->dir) : 0;
	if ((dfd = fsroot_parent_look(fr, path, &base, err)) < 0)
		return dfd;
	if (fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = tl_err_sys(err, errno == ENOENT ? TL_ENOENT : TL_EIO,
		    "cannot stat '%s'", path);
	return rc;
}

int
fsroot_check_dir(struct fsroot *fr, const char *dir, struct tl_err *err)
{
	int fd;

	if (fsroot_look_has(fr, dir))
		return 0;	/* a lookup just opened it */
	if ((fd = fsroot_open_dir(fr, dir, dir, 0, NULL, err)) < 0)
		return fd;
	close(fd);
	return 0;
}

/* Opens path (its last component not followed) with flags; fills st. */
static int
open_leaf(struct fsroot *fr, const char *path, int flags, struct stat *st,
    struct tl_err *err)
{
	const char *base;
	int dfd, fd;

	if ((dfd = fsroot_parent_look(fr, path, &base, err)) < 0)
		return dfd;
	fd = openat(dfd, base, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && (errno == ELOOP || errno == EMLINK))
		fd = tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link; "
		    "tlaloc does not follow it", path);
	else if (fd < 0)
		fd = tl_err_sys(err, errno == ENOENT ? TL_ENOENT :
		    errno == ENOTDIR ? TL_EEXIST : TL_EIO, "cannot open '%s'",
		    path);
	else if (fstat(fd, st) < 0) {
		close(fd);
		fd = tl_err_sys(err, TL_EIO, "cannot stat '%s'", path);
	}
	return fd;
}

int
fsroot_read(struct fsroot *fr, const char *path, size_t max,
    struct buf *out, struct stat *st, struct tl_err *err)
{
	struct stat tmp;
	int fd, rc;

	if (st == NULL)
		st = &tmp;
	/* O_NONBLOCK: a FIFO swapped in must not hang the run. */
	if ((fd = open_leaf(fr, path, O_RDONLY | O_NONBLOCK, st, err)) < 0)
		return fd;
	if (!S_ISREG(st->st_mode))
		rc = tl_err_set(err, TL_EEXIST, "'%s' is not a regular file",
		    path);
	else
		rc = fileio_read_sized(fd, path, max, (size_t)st->st_size, out,
		    err);
	close(fd);
	return rc;
}

/* The leaf could not be opened for reading: say what it is instead. */
static int
load_stat_only(int dfd, const char *base, const char *path, struct stat *st,
    struct tl_err *err)
{
	int e = errno;

	if (e == ENOENT)
		return tl_err_sys(err, TL_ENOENT, "cannot stat '%s'", path);
	if (fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
		return tl_err_sys(err, errno == ENOENT ? TL_ENOENT : TL_EIO,
		    "cannot stat '%s'", path);
	if (S_ISREG(st->st_mode)) {
		errno = e;
		return tl_err_sys(err, TL_EIO, "cannot open '%s'", path);
	}
	return 0;		/* a link, a socket...: stat only */
}

int
fsroot_load(struct fsroot *fr, const char *path, size_t max, struct buf *out,
    struct stat *st, struct tl_err *err)
{
	const char *base;
	int dfd, fd, rc = 0;

	if (out == NULL)
		return fsroot_lstat(fr, path, st, err);
	memset(st, 0, sizeof(*st));
	if ((dfd = fsroot_parent_look(fr, path, &base, err)) < 0)
		return dfd;
	/* Opened first, not stat'ed first: one call fewer on the common
	 * path; O_NOFOLLOW and O_NONBLOCK keep a link or a FIFO harmless. */
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0)
		rc = load_stat_only(dfd, base, path, st, err);
	else if (fstat(fd, st) < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot stat '%s'", path);
	else if (S_ISREG(st->st_mode))
		rc = fileio_read_sized(fd, path, max, (size_t)st->st_size, out,
		    err);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
fsroot_readlink(struct fsroot *fr, const char *path, struct buf *out,
    struct tl_err *err)
{
	char target[4096];
	const char *base;
	ssize_t n;
	int dfd, rc = 0;

	if ((dfd = fsroot_parent_look(fr, path, &base, err)) < 0)
		return dfd;
	n = readlinkat(dfd, base, target, sizeof(target));
	if (n < 0)
		rc = tl_err_sys(err, errno == EINVAL ? TL_EINVAL :
		    errno == ENOENT ? TL_ENOENT : TL_EIO, "cannot read link "
		    "'%s'", path);
	else if ((size_t)n == sizeof(target))
		rc = tl_err_set(err, TL_ETOOBIG, "link '%s' is too long", path);
	else
		buf_add(out, target, (size_t)n);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fsroot_list(struct fsroot *fr, const char *path, char ***names, size_t *n,
    struct tl_err *err)
{
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *d;
	int fd;

	*names = NULL;
	*n = 0;
	if (strcmp(path, "/") == 0)
		fd = openat(fr->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = open_leaf(fr, path, O_RDONLY | O_DIRECTORY, &st, err);
	if (fd < 0)
		return fd;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return tl_err_sys(err, TL_EIO, "cannot list '%s'", path);
	}
	*names = xgrow(NULL, &cap, 1, sizeof(char *));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		*names = xgrow(*names, &cap, *n + 2, sizeof(char *));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	(*names)[*n] = NULL;
	closedir(d);
	qsort(*names, *n, sizeof(char *), cmp_names);
	return 0;
}

void
fsroot_names_free(char **names)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/* Joins dir (link-free) and a link's target, dropping "." and resolving
 * ".." lexically, which is right because dir holds no link. */
static char *
follow_join(const char *dir, const char *target)
{
	struct buf b = BUF_INIT;
	char *copy = xstrdup(target), *save = NULL, *c;

	if (target[0] != '/' && strcmp(dir, "/") != 0)
		buf_addstr(&b, dir);
	for (c = strtok_r(copy, "/", &save); c != NULL;
	    c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			char *slash = strrchr(b.data, '/');
			buf_truncate(&b, slash ? (size_t)(slash - b.data) : 0);
			continue;
		}
		buf_addch(&b, '/');
		buf_addstr(&b, c);
	}
	free(copy);
	if (b.len == 0)
		buf_addch(&b, '/');
	return buf_detach(&b, NULL);
}

int
fsroot_follow(struct fsroot *fr, const char *path, char **out,
    struct tl_err *err)
{
	char *cur = xstrdup(path), *dir, *real = NULL;
	struct buf target = BUF_INIT;
	int i, fd, rc = 0;

	*out = NULL;
	for (i = 0; i <= FOLLOW_MAX; i++) {
		const char *slash = strrchr(cur, '/');
		char *d = xstrndup(cur, slash == cur ? 1 :
		    (size_t)(slash - cur));

		fd = fsroot_open_dir(fr, d, path, 1, &dir, err);
		free(d);
		if (fd == TL_ENOENT) {
			/* A missing directory holds no link: arrived, and a
			 * write will say which directory is missing. */
			free(real);
			real = xstrdup(cur);
			rc = 0;
			break;
		}
		if (fd < 0) {
			rc = fd;
			break;
		}
		free(real);
		real = follow_join(dir, slash + 1);
		buf_reset(&target);
		rc = fsroot_readlink(fr, real, &target, NULL);
		close(fd);
		free(dir);
		if (rc < 0) {		/* no link there: arrived */
			rc = 0;
			break;
		}
		free(cur);
		cur = follow_join(real, "..");
		dir = follow_join(cur, target.data);
		free(cur);
		cur = dir;
	}
	if (rc == 0 && i > FOLLOW_MAX)
		rc = tl_err_set(err, TL_EINVAL, "too many symbolic links from "
		    "'%s'", path);
	if (rc == 0)
		*out = real;
	else
		free(real);
	free(cur);
	buf_release(&target);
	return rc;
}
