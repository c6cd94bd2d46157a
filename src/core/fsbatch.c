/*
 * fsbatch: a queue of file writes committed together (fsbatch.h has the
 * steps and the guarantee). The queue is an array in the order of the
 * puts, with one path index per root; the commit walks it a few times,
 * one step of fsbatch.h per walk.
 */
#include "fsbatch.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsroot.h"
#include "platform.h"
#include "strmap.h"
#include "xalloc.h"

#define FSBATCH_MAX_ROOTS	4	/* a run's tree and its bucket */
#define FSBATCH_MAX_DEVS	8	/* filesystems synced with syncfs */

struct fsbatch_entry {
	struct fsroot		*fr;
	char			*path;
	struct buf		 data;
	struct fileio_meta	 meta;
	enum fsbatch_group	 group;
	void			**owners;
	size_t			 nowners, owners_cap;
	struct fsroot_tmp	*tmp;		/* during a commit */
	struct tl_err		*err;		/* set when it failed */
};

struct fsbatch_root {
	const struct fsroot	*fr;
	struct strmap		 idx;		/* path -> entry index */
};

struct fsbatch_dir {
	struct fsroot		*fr;
	char			*path;		/* a path in the directory */
};

struct fsbatch {
	struct fsbatch_entry	*v;
	size_t			 n, cap;
	size_t			 max_files;	/* fsbatch_is_full's bound */
	size_t			 bytes;		/* queued content */
	size_t			 puts;		/* fsbatch_put calls, ever */
	struct fsbatch_root	 roots[FSBATCH_MAX_ROOTS];
	size_t			 nroots;
	struct fsbatch_dir	*dirs;		/* noted directories */
	size_t			 ndirs, dirs_cap;
};

/* The filesystems one commit syncs with syncfs, a descriptor of its own
 * on each (the temporary files' are closed by their renames). */
struct fsbatch_devs {
	dev_t	dev[FSBATCH_MAX_DEVS];
	int	fd[FSBATCH_MAX_DEVS];
	size_t	n;
};

/* How many writes a batch may hold with the descriptors this process may
 * open (fsbatch.h, FSBATCH_MAX_FILES). */
static size_t
max_files_for_fd_limit(void)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 ||
	    rl.rlim_cur <= FSBATCH_FD_RESERVE + 2 * FSBATCH_MIN_FILES)
		return FSBATCH_MIN_FILES;
	if (rl.rlim_cur == RLIM_INFINITY)
		return FSBATCH_MAX_FILES;
	room = (rl.rlim_cur - FSBATCH_FD_RESERVE) / 2;
	return room < FSBATCH_MAX_FILES ? (size_t)room : FSBATCH_MAX_FILES;
}

struct fsbatch *
fsbatch_new(void)
{
	struct fsbatch *b = xcalloc(1, sizeof(struct fsbatch));

	b->max_files = max_files_for_fd_limit();
	return b;
}

static void
entry_release(struct fsbatch_entry *e)
{
	fsroot_tmp_abort(e->tmp);
	free(e->path);
	buf_release(&e->data);
	free(e->owners);
	free(e->err);
}

/* Empties b, writing nothing. */
static void
fsbatch_reset(struct fsbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		entry_release(&b->v[i]);
	b->n = 0;
	b->bytes = 0;
	for (size_t i = 0; i < b->nroots; i++)
		strmap_release(&b->roots[i].idx);
	b->nroots = 0;
	for (size_t i = 0; i < b->ndirs; i++)
		free(b->dirs[i].path);
	b->ndirs = 0;
}

void
fsbatch_free(struct fsbatch *b)
{
	if (b == NULL)
		return;
	fsbatch_reset(b);
	free(b->v);
	free(b->dirs);
	free(b);
}

size_t
fsbatch_count(const struct fsbatch *b)
{
	return b->n;
}

size_t
fsbatch_puts(const struct fsbatch *b)
{
	return b->puts;
}

int
fsbatch_is_full(const struct fsbatch *b)
{
	return b->n >= b->max_files || b->bytes >= FSBATCH_MAX_BYTES;
}

/* The path index of fr; created when want_new. */
static struct strmap *
root_index(const struct fsbatch *b, const struct fsroot *fr, int want_new)
{
	struct fsbatch *mb = (struct fsbatch *)b;

	for (size_t i = 0; i < b->nroots; i++)
		if (b->roots[i].fr == fr)
			return &mb->roots[i].idx;
	if (!want_new)
		return NULL;
	TL_ASSERT(b->nroots < FSBATCH_MAX_ROOTS);
	mb->roots[b->nroots].fr = fr;
	mb->roots[b->nroots].idx = (struct strmap)STRMAP_INIT;
	return &mb->roots[mb->nroots++].idx;
}

static struct fsbatch_entry *
entry_find(const struct fsbatch *b, const struct fsroot *fr, const char *path)
{
	const struct strmap *idx = root_index(b, fr, 0);
	size_t i;

	if (idx == NULL || !strmap_get(idx, path, &i))
		return NULL;
	return &b->v[i];
}

static void
entry_add_owner(struct fsbatch_entry *e, void *owner)
{
	if (owner == NULL)
		return;
	for (size_t i = 0; i < e->nowners; i++)
		if (e->owners[i] == owner)
			return;
	e->owners = xgrow(e->owners, &e->owners_cap, e->nowners + 1,
	    sizeof(*e->owners));
	e->owners[e->nowners++] = owner;
}

void
fsbatch_put(struct fsbatch *b, struct fsroot *fr, const char *path,
    struct buf *data, const struct fileio_meta *meta,
    enum fsbatch_group group, void *owner)
{
	struct fsbatch_entry *e = entry_find(b, fr, path);

	b->puts++;
	if (e == NULL) {
		b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof(*b->v));
		e = &b->v[b->n];
		memset(e, 0, sizeof(*e));
		e->fr = fr;
		e->path = xstrdup(path);
		e->group = group;
		buf_init(&e->data);
		strmap_put(root_index(b, fr, 1), path, b->n++);
	}
	b->bytes -= e->data.len;
	buf_release(&e->data);
	e->data = *data;	/* the bytes change hands */
	buf_init(data);
	b->bytes += e->data.len;
	e->meta = meta != NULL ? *meta : (struct fileio_meta)FILEIO_META_KEEP;
	entry_add_owner(e, owner);
}

const struct buf *
fsbatch_peek(const struct fsbatch *b, const struct fsroot *fr,
    const char *path, struct fileio_meta *meta)
{
	const struct fsbatch_entry *e = entry_find(b, fr, path);

	if (e == NULL)
		return NULL;
	if (meta != NULL)
		*meta = e->meta;
	return &e->data;
}

int
fsbatch_has_under(const struct fsbatch *b, const struct fsroot *fr,
    const char *dir)
{
	size_t n = strlen(dir);

	/* "/" holds everything beneath its root. */
	if (n == 1 && dir[0] == '/')
		n = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].fr == fr && strncmp(b->v[i].path, dir, n) == 0 &&
		    b->v[i].path[n] == '/')
			return 1;
	return 0;
}

void
fsbatch_note_dir(struct fsbatch *b, struct fsroot *fr, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL ? (size_t)(slash - path) : 0;

	for (size_t i = 0; i < b->ndirs; i++)
		if (b->dirs[i].fr == fr && strlen(b->dirs[i].path) == n + 2 &&
		    strncmp(b->dirs[i].path, path, n + 1) == 0)
			return;
	b->dirs = xgrow(b->dirs, &b->dirs_cap, b->ndirs + 1,
	    sizeof(*b->dirs));
	/* Kept as "DIR/x": what the parent lookup wants. */
	b->dirs[b->ndirs].fr = fr;
	b->dirs[b->ndirs++].path = xasprintf("%.*s/x", (int)n, path);
}

/* --- committing -------------------------------------------------------- */

static void
entry_fail(struct fsbatch_entry *e, const struct tl_err *err)
{
	if (e->err == NULL) {
		e->err = xmalloc(sizeof(*e->err));
		*e->err = *err;
	}
	fsroot_tmp_abort(e->tmp);
	e->tmp = NULL;
}

/* Step 1: a temporary file per write, its content and meta in it. */
static void
commit_stage(struct fsbatch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct fsbatch_entry *e = &b->v[i];
		struct tl_err err = TL_ERR_INIT;

		if (fsroot_stage(e->fr, e->path, e->data.data, e->data.len,
		    &e->meta, &e->tmp, &err) < 0)
			entry_fail(e, &err);
	}
}

/* Adds fd's filesystem to devs (a dup of fd; fd stays the caller's);
 * 0, or -1 when it cannot (then the caller fsyncs instead). */
static int
devs_add(struct fsbatch_devs *devs, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	for (size_t i = 0; i < devs->n; i++)
		if (devs->dev[i] == st.st_dev)
			return 0;
	if (devs->n == FSBATCH_MAX_DEVS ||
	    (devs->fd[devs->n] = dup(fd)) < 0)
		return -1;
	devs->dev[devs->n++] = st.st_dev;
	return 0;
}

/* syncfs on each filesystem; 0, or -1 when one failed (or none exists). */
static int
devs_sync(const struct fsbatch_devs *devs)
{
	int rc = 0;

	for (size_t i = 0; i < devs->n; i++)
		if (platform_syncfs(devs->fd[i]) < 0)
			rc = -1;
	return rc;
}

static void
devs_close(struct fsbatch_devs *devs)
{
	for (size_t i = 0; i < devs->n; i++)
		close(devs->fd[i]);
	devs->n = 0;
}

static size_t
count_staged(const struct fsbatch *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += b->v[i].tmp != NULL;
	return n;
}

/*
 * Step 2, file by file: writeback started on every one first, so that
 * each fsync finds its data already on its way and they overlap.
 */
static void
sync_each(struct fsbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].tmp != NULL)
			platform_writeback_start(fsroot_tmp_fd(b->v[i].tmp));
	for (size_t i = 0; i < b->n; i++) {
		struct tl_err err = TL_ERR_INIT;

		if (b->v[i].tmp != NULL &&
		    fsroot_tmp_sync(b->v[i].tmp, &err) < 0)
			entry_fail(&b->v[i], &err);
	}
}

/*
 * Step 2. Returns 1 when the whole batch was synced with syncfs (the
 * directories then are too, after the renames, the same way), else 0.
 * The ledgers naming the temporary files are made durable as well, so a
 * power cut leaves none that the next run cannot find.
 */
static int
commit_sync(struct fsbatch *b, struct fsbatch_devs *devs)
{
	int use_syncfs = count_staged(b) >= FSBATCH_SYNCFS_MIN;

	for (size_t i = 0; i < b->nroots; i++) {
		struct tl_err err = TL_ERR_INIT;

		(void)fsroot_ledger_sync((struct fsroot *)b->roots[i].fr,
		    &err);
	}
	for (size_t i = 0; use_syncfs && i < b->n; i++)
		if (b->v[i].tmp != NULL &&
		    devs_add(devs, fsroot_tmp_fd(b->v[i].tmp)) < 0)
			use_syncfs = 0;
	/* A failed syncfs does not say which file: ask each. */
	if (use_syncfs && devs_sync(devs) == 0)
		return 1;
	devs_close(devs);
	sync_each(b);
	return 0;
}

/* Is entry i the last staged one of its group in its directory? */
static int
last_in_dir(const struct fsbatch *b, size_t i)
{
	const struct fsbatch_entry *e = &b->v[i];
	size_t n = (size_t)(strrchr(e->path, '/') - e->path);

	for (size_t k = i + 1; k < b->n; k++) {
		const struct fsbatch_entry *o = &b->v[k];

		if (o->tmp != NULL && o->group == e->group && o->fr == e->fr &&
		    strncmp(o->path, e->path, n + 1) == 0 &&
		    strchr(o->path + n + 1, '/') == NULL)
			return 0;
	}
	return 1;
}

/* Steps 3 and 4: renames one group; without syncfs, fsyncs each
 * directory once, after its last rename. */
static void
commit_rename(struct fsbatch *b, enum fsbatch_group group, int synced_fs)
{
	for (size_t i = 0; i < b->n; i++) {
		struct fsbatch_entry *e = &b->v[i];
		struct tl_err err = TL_ERR_INIT;
		int sync_dir;

		if (e->tmp == NULL || e->group != group)
			continue;
		sync_dir = !synced_fs && last_in_dir(b, i);
		if (fsroot_tmp_commit(e->tmp, sync_dir, &err) < 0) {
			e->tmp = NULL;	/* the commit freed it */
			entry_fail(e, &err);
		}
		e->tmp = NULL;
	}
}

/*
 * Step 5 for the noted directories: with syncfs, each one's filesystem
 * joins devs (synced once by the caller); else an fsync each.
 */
static void
sync_noted(struct fsbatch *b, struct fsbatch_devs *devs, int synced_fs)
{
	for (size_t i = 0; i < b->ndirs; i++) {
		struct tl_err err = TL_ERR_INIT;
		int fd = fsroot_parent_fd(b->dirs[i].fr, b->dirs[i].path, &err);

		if (fd < 0)
			continue;	/* gone: nothing of it to keep */
		/* Some filesystems refuse fsync on a directory: best
		 * effort, as fsroot_tmp_commit(). */
		if (!synced_fs || devs_add(devs, fd) < 0)
			(void)fsync(fd);
		close(fd);
	}
}

/* Fails every write of group with the same reason. */
static void
fail_group(struct fsbatch *b, enum fsbatch_group group,
    const struct tl_err *err)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].group == group)
			entry_fail(&b->v[i], err);
}

/* A FIRST write that failed (a backup) fails the LAST ones too. */
static const struct tl_err *
first_failure(const struct fsbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].group == FSBATCH_FIRST && b->v[i].err != NULL)
			return b->v[i].err;
	return NULL;
}

static int
has_group(const struct fsbatch *b, enum fsbatch_group group)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].group == group && b->v[i].tmp != NULL)
			return 1;
	return 0;
}

/* Steps 3 and the hook: the backups are durable, or nothing is replaced. */
static void
commit_first(struct fsbatch *b, struct fsbatch_devs *devs, int synced_fs,
    const struct fsbatch_hooks *h)
{
	struct tl_err err = TL_ERR_INIT;
	const struct tl_err *bad;

	if (has_group(b, FSBATCH_FIRST)) {
		commit_rename(b, FSBATCH_FIRST, synced_fs);
		if (synced_fs && devs_sync(devs) < 0) {
			tl_err_sys(&err, TL_EIO, "cannot make the backups "
			    "durable");
			fail_group(b, FSBATCH_FIRST, &err);
		}
	}
	if ((bad = first_failure(b)) != NULL) {
		tl_err_set(&err, bad->code, "not changed: its backup could "
		    "not be saved (%s)", bad->msg);
		fail_group(b, FSBATCH_LAST, &err);
	} else if (h != NULL && h->between != NULL && h->between(h->arg,
	    &err) < 0)
		fail_group(b, FSBATCH_LAST, &err);
}

/* Tells the owners of the writes that failed; returns how many. */
static size_t
commit_report(const struct fsbatch *b, const struct fsbatch_hooks *h)
{
	size_t failed = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct fsbatch_entry *e = &b->v[i];

		if (e->err == NULL)
			continue;
		failed++;
		for (size_t k = 0; h != NULL && h->failed != NULL &&
		    k < e->nowners; k++)
			h->failed(h->arg, e->owners[k], e->err);
	}
	return failed;
}

size_t
fsbatch_commit(struct fsbatch *b, const struct fsbatch_hooks *h)
{
	struct fsbatch_devs devs = { .n = 0 };
	int synced_fs;
	size_t failed;

	commit_stage(b);
	synced_fs = commit_sync(b, &devs);
	commit_first(b, &devs, synced_fs, h);
	commit_rename(b, FSBATCH_LAST, synced_fs);
	sync_noted(b, &devs, synced_fs);
	/* The renames' directories: the contents are in place already, so a
	 * failure here is not the writes' (as in fsroot_tmp_commit). */
	if (synced_fs)
		(void)devs_sync(&devs);
	devs_close(&devs);
	failed = commit_report(b, h);
	fsbatch_reset(b);
	return failed;
}
