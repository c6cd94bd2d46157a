/*
 * core/fsbatch: writes committed together land whole, the FIRST group
 * (backups) before the hook and the LAST group after it, and a backup
 * that cannot be written keeps every managed file as it was.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsbatch.h"
#include "core/fsroot.h"
#include "core/xalloc.h"
#include "test.h"

struct seen {
	const char	*root;
	int		 between;	/* the hook ran */
	int		 first_in_place, last_in_place;
	int		 fail_between;
	int		 failed;	/* owners told of a failure */
};

static char *
slurp(const char *root, const char *rel)
{
	struct buf b = BUF_INIT;
	char *p = xasprintf("%s%s", root, rel);

	if (fileio_read(p, 1 << 20, &b, NULL) < 0) {
		free(p);
		return NULL;
	}
	free(p);
	return buf_detach(&b, NULL);
}

static int
holds(const char *root, const char *rel, const char *want)
{
	char *got = slurp(root, rel);
	int ok = got != NULL && strcmp(got, want) == 0;

	free(got);
	return ok;
}

/* The hook: the backups must be in place, the managed files not yet. */
static int
hook_between(void *arg, struct tl_err *err)
{
	struct seen *s = arg;

	s->between = 1;
	s->first_in_place = holds(s->root, "/bk/b00", "backup 0\n");
	s->last_in_place = holds(s->root, "/m/f00", "new 0\n");
	if (s->fail_between)
		return tl_err_set(err, TL_EIO, "the index could not be synced");
	return 0;
}

static void
hook_failed(void *arg, void *owner, const struct tl_err *err)
{
	(void)owner;
	(void)err;
	((struct seen *)arg)->failed++;
}

static void
queue(struct fsbatch *b, struct fsroot *fr, const char *path,
    const char *text, enum fsbatch_group g, mode_t mode)
{
	struct buf d = BUF_INIT;
	struct fileio_meta m = { mode, (uid_t)-1, (gid_t)-1 };

	buf_addstr(&d, text);
	fsbatch_put(b, fr, path, &d, &m, g, (void *)path);
	ASSERT_EQ(d.len, 0);	/* the bytes changed hands */
	buf_release(&d);
}

/* No ".NAME.tlaloc-XXXXXX" left in dir. */
static int
no_temp_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int clean = 1;

	ASSERT(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tlaloc-") != NULL)
			clean = 0;
	closedir(d);
	return clean;
}

/* n managed files and n backups in one batch; 20 takes the syncfs path
 * (FSBATCH_SYNCFS_MIN), 3 the fsync-each one. */
static void
commit_case(int n, int fail_between)
{
	struct tl_err err = TL_ERR_INIT;
	struct seen s = { 0 };
	struct fsbatch_hooks h = { hook_between, hook_failed, &s };
	char *root = test_path(n > 3 ? "big" : "small"), *p, *m;
	struct fsbatch *b = fsbatch_new();
	struct fileio_meta old = { 0644, (uid_t)-1, (gid_t)-1 };
	struct fsroot *fr;
	struct stat st;
	char path[32], text[32];

	ASSERT_EQ(mkdir(root, 0755), 0);
	p = xasprintf("%s/m", root);
	ASSERT_EQ(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/bk", root);
	ASSERT_EQ(mkdir(p, 0700), 0);
	free(p);
	ASSERT_EQ(fsroot_open(root, &fr, &err), 0);
	s.root = root;
	s.fail_between = fail_between;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/m/f%02d", i);
		p = xasprintf("%s%s", root, path);
		ASSERT_EQ(fileio_write_atomic(p, "old\n", 4, &old, &err), 0);
		free(p);
		snprintf(text, sizeof(text), "new %d\n", i);
		queue(b, fr, path, "overwritten\n", FSBATCH_LAST, 0600);
		queue(b, fr, path, text, FSBATCH_LAST, 0640);	/* wins */
		snprintf(path, sizeof(path), "/bk/b%02d", i);
		snprintf(text, sizeof(text), "backup %d\n", i);
		queue(b, fr, path, text, FSBATCH_FIRST, 0400);
	}
	ASSERT_EQ(fsbatch_count(b), (size_t)(2 * n));
	ASSERT_STR_EQ(fsbatch_peek(b, fr, "/m/f00", NULL)->data, "new 0\n");
	ASSERT(fsbatch_has_under(b, fr, "/m"));
	ASSERT(!fsbatch_has_under(b, fr, "/mm"));
	ASSERT_EQ(fsbatch_commit(b, &h), fail_between ? (size_t)n : 0);
	ASSERT(s.between && s.first_in_place && !s.last_in_place);
	ASSERT_EQ(s.failed, fail_between ? n : 0);
	ASSERT_EQ(fsbatch_count(b), 0);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/m/f%02d", i);
		snprintf(text, sizeof(text), "new %d\n", i);
		ASSERT(holds(root, path, fail_between ? "old\n" : text));
		p = xasprintf("%s%s", root, path);
		ASSERT_EQ(stat(p, &st), 0);
		ASSERT_EQ(st.st_mode & 07777, fail_between ? 0644 : 0640);
		free(p);
		snprintf(path, sizeof(path), "/bk/b%02d", i);
		snprintf(text, sizeof(text), "backup %d\n", i);
		ASSERT(holds(root, path, text));
	}
	m = xasprintf("%s/m", root);
	ASSERT(no_temp_in(m));
	free(m);
	fsbatch_free(b);
	fsroot_free(fr);
	free(root);
}

TEST(fsbatch_backups_land_before_the_files_they_save)
{
	commit_case(3, 0);
	commit_case(20, 0);
}

TEST(fsbatch_a_failed_hook_keeps_every_file_as_it_was)
{
	commit_case(20, 1);
}

TEST(fsbatch_a_backup_that_cannot_be_written_changes_nothing)
{
	struct tl_err err = TL_ERR_INIT;
	struct seen s = { 0 };
	struct fsbatch_hooks h = { hook_between, hook_failed, &s };
	char *root = test_path("root"), *p;
	struct fsbatch *b = fsbatch_new();
	struct fsroot *fr;

	ASSERT_EQ(mkdir(root, 0755), 0);
	p = xasprintf("%s/bk", root);	/* a directory where a backup goes */
	ASSERT_EQ(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/bk/b00", root);
	ASSERT_EQ(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/f", root);
	ASSERT_EQ(fileio_write_atomic(p, "old\n", 4, NULL, &err), 0);
	free(p);
	ASSERT_EQ(fsroot_open(root, &fr, &err), 0);
	s.root = root;
	queue(b, fr, "/bk/b00", "backup\n", FSBATCH_FIRST, 0400);
	queue(b, fr, "/f", "new\n", FSBATCH_LAST, 0644);
	fsbatch_note_dir(b, fr, "/f");
	ASSERT_EQ(fsbatch_commit(b, &h), 2);
	ASSERT(!s.between);	/* no index line for a backup not there */
	ASSERT_EQ(s.failed, 2);
	ASSERT(holds(root, "/f", "old\n"));
	ASSERT(no_temp_in(root));
	fsbatch_free(b);
	fsroot_free(fr);
	free(root);
}

/* The batch is full at half of what the open-file limit leaves after the
 * reserve, and a full batch commits within that limit (two descriptors a
 * file): a lower limit means smaller batches, not EMFILE. */
TEST(fsbatch_fills_to_what_the_open_file_limit_allows_and_commits)
{
	struct tl_err err = TL_ERR_INIT;
	struct rlimit saved, low;
	char *root = test_path("root"), *p;
	struct fsroot *fr;
	struct fsbatch *b;
	size_t n = 0;

	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = FSBATCH_FD_RESERVE + 2 * 100;
	if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < low.rlim_cur)
		return;		/* cannot be tried under this hard limit */
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	b = fsbatch_new();
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);

	ASSERT_EQ(mkdir(root, 0755), 0);
	p = xasprintf("%s/m", root);
	ASSERT_EQ(mkdir(p, 0755), 0);
	free(p);
	ASSERT_EQ(fsroot_open(root, &fr, &err), 0);
	while (!fsbatch_is_full(b)) {
		char *path = xasprintf("/m/f%03zu", n++);

		queue(b, fr, path, "x\n", FSBATCH_LAST, 0644);
		free(path);
		ASSERT(n <= 100);
	}
	ASSERT_EQ(n, 100);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	ASSERT_EQ(fsbatch_commit(b, NULL), 0);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ASSERT(holds(root, "/m/f000", "x\n"));
	ASSERT(holds(root, "/m/f099", "x\n"));
	fsbatch_free(b);
	fsroot_free(fr);
	free(root);
}
