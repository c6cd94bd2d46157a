/*
 * core/fsroot: every case runs twice where it matters, once with openat2
 * and once with the component walk (fsroot_force_walk), so both paths
 * keep the same promises.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/fsroot_int.h"
#include "core/xalloc.h"
#include "test.h"

/* A root under the case's directory, with an "outside" sibling that no
 * call may ever change. */
static struct fsroot *
root_open(int walk, char **rootdir)
{
	struct tl_err err = TL_ERR_INIT;
	struct fsroot *fr;

	*rootdir = test_path("root");
	ASSERT_EQ(mkdir(*rootdir, 0755), 0);
	ASSERT_EQ(fsroot_open(*rootdir, &fr, &err), 0);
	if (walk)
		fsroot_force_walk(fr);
	return fr;
}

static void
put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(p, mode);
	free(p);
}

static char *
get(const char *path)
{
	struct buf b = BUF_INIT;

	if (fileio_read(path, 1 << 20, &b, NULL) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	ASSERT_EQ(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
check_write_read_and_leave_nothing(int walk)
{
	struct fileio_meta meta = { 0640, (uid_t)-1, (gid_t)-1 };
	struct tl_err err = TL_ERR_INIT;
	char *root, *p, **names;
	struct buf b = BUF_INIT;
	struct fsroot *fr = root_open(walk, &root);
	struct stat st;
	size_t n;

	p = xasprintf("%s/etc", root);
	ASSERT_EQ(mkdir(p, 0755), 0);
	free(p);
	ASSERT_EQ(fsroot_write(fr, "/etc/motd", "hi\n", 3, &meta, 0, &err), 0);
	p = xasprintf("%s/etc/motd", root);
	ASSERT_EQ(mode_of(p), 0640);
	free(p);
	ASSERT_EQ(fsroot_read(fr, "/etc/motd", 100, &b, &st, &err), 0);
	ASSERT_STR_EQ(b.data, "hi\n");
	ASSERT_EQ(st.st_size, 3);
	ASSERT_EQ(fsroot_read(fr, "/etc/motd", 2, &b, NULL, &err), TL_ETOOBIG);
	ASSERT_EQ(fsroot_lstat(fr, "/etc/none", &st, &err), TL_ENOENT);
	ASSERT_EQ(fsroot_lstat(fr, "/nodir/x", &st, &err), TL_ENOENT);
	ASSERT_CONTAINS(err.msg, "directory '/nodir' does not exist");
	ASSERT_EQ(fsroot_list(fr, "/etc", &names, &n, &err), 0);
	ASSERT_EQ(n, 1);	/* no temporary file left */
	ASSERT_STR_EQ(names[0], "motd");
	fsroot_names_free(names);
	ASSERT_EQ(fsroot_list(fr, "/", &names, &n, &err), 0);
	ASSERT_EQ(n, 1);
	fsroot_names_free(names);
	buf_release(&b);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_writes_reads_and_leaves_nothing)
{
	check_write_read_and_leave_nothing(0);
}

TEST(fsroot_walk_writes_reads_and_leaves_nothing)
{
	check_write_read_and_leave_nothing(1);
}

/* A link at the managed path: never written, read, chmod'ed through. */
static void
check_final_link(int walk)
{
	struct fileio_meta meta = { 0666, (uid_t)-1, (gid_t)-1 };
	struct tl_err err = TL_ERR_INIT;
	char *root, *secret = test_write("secret", "s3cret\n"), *p, *t;
	struct fsroot *fr = root_open(walk, &root);
	struct buf b = BUF_INIT;
	struct stat st;

	chmod(secret, 0600);
	p = xasprintf("%s/f", root);
	ASSERT_EQ(symlink(secret, p), 0);
	ASSERT_EQ(fsroot_lstat(fr, "/f", &st, &err), 0);
	ASSERT(S_ISLNK(st.st_mode));
	ASSERT_EQ(fsroot_read(fr, "/f", 100, &b, NULL, &err), TL_EEXIST);
	ASSERT_CONTAINS(err.msg, "'/f' is a symbolic link");
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(fsroot_write(fr, "/f", "x", 1, &meta, 0, &err), TL_EEXIST);
	ASSERT_EQ(fsroot_set_attrs(fr, "/f", NULL, &meta, &err), TL_EEXIST);
	ASSERT_EQ(mode_of(secret), 0600);
	t = get(secret);
	ASSERT_STR_EQ(t, "s3cret\n");
	free(t);
	ASSERT_EQ(fsroot_unlink(fr, "/f", &err), 0);	/* the link only */
	ASSERT(access(secret, F_OK) == 0);
	ASSERT_EQ(fsroot_unlink(fr, "/f", &err), TL_ENOENT);
	free(p);
	free(secret);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_never_goes_through_a_final_link)
{
	check_final_link(0);
}

TEST(fsroot_walk_never_goes_through_a_final_link)
{
	check_final_link(1);
}

/*
 * A user's directory (others may write it: untrusted) holds a link where a
 * directory is expected: every call fails naming it, nothing is written
 * where it points.
 */
static void
check_untrusted_parent_link(int walk)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct tl_err err = TL_ERR_INIT;
	char *root, *target = test_path("rootssh"), *p, **names;
	struct fsroot *fr = root_open(walk, &root);
	struct stat st;
	size_t n;

	ASSERT_EQ(mkdir(target, 0700), 0);
	p = xasprintf("%s/home", root);
	ASSERT_EQ(mkdir(p, 0777), 0);
	chmod(p, 0777);
	free(p);
	p = xasprintf("%s/home/.ssh", root);
	ASSERT_EQ(symlink(target, p), 0);
	free(p);
	ASSERT_EQ(fsroot_write(fr, "/home/.ssh/authorized_keys", "k\n", 2,
	    &meta, 0, &err), TL_EPERM);
	ASSERT_CONTAINS(err.msg, "'/home/.ssh' is a symbolic link");
	ASSERT_CONTAINS(err.msg, "'/home/.ssh/authorized_keys' lies beyond");
	ASSERT_EQ(fsroot_lstat(fr, "/home/.ssh/authorized_keys", &st, &err),
	    TL_EPERM);
	ASSERT_EQ(fsroot_mkdir(fr, "/home/.ssh/d", NULL, &err), TL_EPERM);
	ASSERT_EQ(fsroot_mkdirs(fr, "/home/.ssh/d/e", 0755, &err), TL_EPERM);
	ASSERT_EQ(fsroot_symlink(fr, "/home/.ssh/l", "x", &err), TL_EPERM);
	ASSERT_EQ(fsroot_unlink(fr, "/home/.ssh/x", &err), TL_EPERM);
	ASSERT_EQ(fsroot_list(fr, "/home/.ssh", &names, &n, &err),
	    TL_EEXIST);
	fsroot_force_walk(fr);
	ASSERT_EQ(fsroot_list(fr, "/home/.ssh", &names, &n, &err),
	    TL_EEXIST);
	/* nothing landed in the link's target */
	p = xasprintf("%s/authorized_keys", target);
	ASSERT(access(p, F_OK) < 0);
	free(p);
	ASSERT_EQ(rmdir(target), 0);	/* still empty */
	free(target);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_refuses_an_untrusted_link_as_a_parent)
{
	check_untrusted_parent_link(0);
}

TEST(fsroot_walk_refuses_an_untrusted_link_as_a_parent)
{
	check_untrusted_parent_link(1);
}

/*
 * A trusted link (ours, in a directory only we write) is followed, like
 * /lib -> usr/lib; an absolute one resolves inside the root, never to the
 * host path it names.
 */
static void
check_trusted_parent_link(int walk)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct tl_err err = TL_ERR_INIT;
	char *root, *p, *t, *host = test_path("real");
	struct fsroot *fr = root_open(walk, &root);

	ASSERT_EQ(mkdir(host, 0755), 0);	/* the host's /real: untouched */
	p = xasprintf("%s/real", root);
	ASSERT_EQ(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/lib", root);
	ASSERT_EQ(symlink("real", p), 0);
	free(p);
	p = xasprintf("%s/abs", root);
	ASSERT_EQ(symlink("/real", p), 0);
	free(p);
	p = xasprintf("%s/up", root);
	ASSERT_EQ(symlink("../../../../real", p), 0);
	free(p);
	ASSERT_EQ(fsroot_write(fr, "/lib/a", "a", 1, &meta, 0, &err), 0);
	ASSERT_EQ(fsroot_write(fr, "/abs/b", "b", 1, &meta, 0, &err), 0);
	ASSERT_EQ(fsroot_write(fr, "/up/c", "c", 1, &meta, 0, &err), 0);
	for (const char *const *n = (const char *const[]){ "a", "b", "c",
	    NULL }; *n; n++) {
		p = xasprintf("%s/real/%s", root, *n);
		t = get(p);
		ASSERT_STR_EQ(t, *n);
		free(t);
		free(p);
		p = xasprintf("%s/%s", host, *n);
		ASSERT(access(p, F_OK) < 0);
		free(p);
	}
	free(host);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_follows_trusted_links_inside_the_root)
{
	check_trusted_parent_link(0);
}

TEST(fsroot_walk_follows_trusted_links_inside_the_root)
{
	check_trusted_parent_link(1);
}

TEST(fsroot_refuses_hard_links_and_swapped_files)
{
	struct fileio_meta meta = { 0644, (uid_t)-1, (gid_t)-1 };
	struct tl_err err = TL_ERR_INIT;
	char *root, *shadow = test_write("shadow", "root:x\n"), *p;
	struct fsroot *fr = root_open(0, &root);
	struct stat seen;

	chmod(shadow, 0600);
	p = xasprintf("%s/f", root);
	ASSERT_EQ(link(shadow, p), 0);
	ASSERT_EQ(fsroot_set_attrs(fr, "/f", NULL, &meta, &err), TL_EPERM);
	ASSERT_CONTAINS(err.msg, "'/f' has 2 hard links");
	ASSERT_EQ(fsroot_write(fr, "/f", "x", 1, &meta, 0, &err), TL_EPERM);
	ASSERT_EQ(mode_of(shadow), 0600);
	ASSERT_EQ(unlink(p), 0);
	/* seen at check time, replaced before the fix */
	put(root, "/f", "one", 0600);
	ASSERT_EQ(fsroot_lstat(fr, "/f", &seen, &err), 0);
	put(root, "/g", "two", 0600);	/* made while f lives: a new inode */
	{
		char *g = xasprintf("%s/g", root);

		ASSERT_EQ(rename(g, p), 0);
		free(g);
	}
	ASSERT_EQ(fsroot_set_attrs(fr, "/f", &seen, &meta, &err), TL_EAGAIN);
	ASSERT_CONTAINS(err.msg, "replaced while tlaloc looked at it");
	ASSERT_EQ(mode_of(p), 0600);
	ASSERT_EQ(fsroot_lstat(fr, "/f", &seen, &err), 0);
	ASSERT_EQ(fsroot_set_attrs(fr, "/f", &seen, &meta, &err), 0);
	ASSERT_EQ(mode_of(p), 0644);
	free(p);
	free(shadow);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_stage_commit_and_abort)
{
	struct fileio_meta meta = { 0600, (uid_t)-1, (gid_t)-1 };
	struct tl_err err = TL_ERR_INIT;
	struct fsroot_tmp *a, *b;
	char *root, **names, *p, *t;
	struct fsroot *fr = root_open(0, &root);
	size_t n;

	ASSERT_EQ(fsroot_stage(fr, "/a", "A", 1, &meta, &a, &err), 0);
	ASSERT_EQ(fsroot_stage(fr, "/b", "B", 1, &meta, &b, &err), 0);
	ASSERT_EQ(fsroot_list(fr, "/", &names, &n, &err), 0);
	ASSERT_EQ(n, 2);
	ASSERT(fsroot_is_tmp_name(names[0]) && fsroot_is_tmp_name(names[1]));
	fsroot_names_free(names);
	ASSERT_EQ(fsroot_tmp_sync(a, &err), 0);
	ASSERT_EQ(fsroot_tmp_commit(a, 1, &err), 0);
	fsroot_tmp_abort(b);
	ASSERT_EQ(fsroot_list(fr, "/", &names, &n, &err), 0);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(names[0], "a");
	fsroot_names_free(names);
	p = xasprintf("%s/a", root);
	t = get(p);
	ASSERT_STR_EQ(t, "A");
	free(t);
	free(p);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_tmp_names)
{
	ASSERT(fsroot_is_tmp_name(".motd.tlaloc-a1B2c3"));
	ASSERT(fsroot_is_tmp_name(".x.tlaloc-y.tlaloc-abcdef"));
	ASSERT(!fsroot_is_tmp_name("motd.tlaloc-a1B2c3"));
	ASSERT(!fsroot_is_tmp_name(".motd.tlaloc-a1B2c"));
	ASSERT(!fsroot_is_tmp_name(".motd.tlaloc-a1B2c3d"));
	ASSERT(!fsroot_is_tmp_name(".motd.tlaloc-a1B2/3"));
	ASSERT(!fsroot_is_tmp_name(".motd"));
}

/* A process killed between stage and commit leaves its temporary file;
 * the sweep (next run, agent start) removes it through its ledger. */
TEST(fsroot_sweep_removes_what_a_killed_run_left)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct tl_err err = TL_ERR_INIT;
	char *root, *ledger = test_path("ledger"), **names;
	struct fsroot *fr = root_open(0, &root);
	struct fsroot_tmp *t;
	size_t n;
	pid_t pid;
	int status;

	put(root, "/keep", "k", 0644);
	put(root, "/.keep.tlaloc-abcdef", "not in a ledger", 0644);
	if ((pid = fork()) == 0) {
		fsroot_set_ledger(fr, ledger);
		if (fsroot_stage(fr, "/keep", "new", 3, &meta, &t, NULL) < 0)
			_exit(1);
		_exit(0);	/* "killed": no commit, no free */
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_EQ(status, 0);
	ASSERT_EQ(fsroot_list(fr, "/", &names, &n, &err), 0);
	ASSERT_EQ(n, 3);
	fsroot_names_free(names);
	ASSERT_EQ(fsroot_sweep(ledger, &err), 1);
	ASSERT_EQ(fsroot_list(fr, "/", &names, &n, &err), 0);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(names[0], ".keep.tlaloc-abcdef");
	ASSERT_STR_EQ(names[1], "keep");
	fsroot_names_free(names);
	ASSERT_EQ(fsroot_list(fr, "/", &names, &n, &err), 0);
	fsroot_names_free(names);
	ASSERT_EQ(rmdir(ledger), 0);	/* the ledger went too */
	ASSERT_EQ(fsroot_sweep(ledger, &err), 0);
	/* A run that ends cleanly leaves no ledger. */
	fsroot_set_ledger(fr, ledger);
	ASSERT_EQ(fsroot_write(fr, "/keep", "v", 1, &meta, 0, &err), 0);
	fsroot_free(fr);
	ASSERT_EQ(rmdir(ledger), 0);
	free(ledger);
	free(root);
}

TEST(fsroot_follow_stays_inside_the_root)
{
	struct tl_err err = TL_ERR_INIT;
	char *root, *p, *out;
	struct fsroot *fr = root_open(0, &root);

	p = xasprintf("%s/etc", root);
	ASSERT_EQ(mkdir(p, 0777), 0);	/* untrusted: follow goes anyway */
	chmod(p, 0777);
	free(p);
	p = xasprintf("%s/etc/resolv.conf", root);
	ASSERT_EQ(symlink("../run/resolv.conf", p), 0);
	free(p);
	ASSERT_EQ(fsroot_follow(fr, "/etc/resolv.conf", &out, &err), 0);
	ASSERT_STR_EQ(out, "/run/resolv.conf");
	free(out);
	p = xasprintf("%s/etc/a", root);
	ASSERT_EQ(symlink("/etc/b", p), 0);
	free(p);
	p = xasprintf("%s/etc/b", root);
	ASSERT_EQ(symlink("../../../../../../outside", p), 0);
	free(p);
	ASSERT_EQ(fsroot_follow(fr, "/etc/a", &out, &err), 0);
	ASSERT_STR_EQ(out, "/outside");
	free(out);
	ASSERT_EQ(fsroot_follow(fr, "/etc/none", &out, &err), 0);
	ASSERT_STR_EQ(out, "/etc/none");
	free(out);
	p = xasprintf("%s/etc/loop", root);
	ASSERT_EQ(symlink("loop", p), 0);
	free(p);
	ASSERT_EQ(fsroot_follow(fr, "/etc/loop", &out, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "too many symbolic links");
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_mkdir_symlink_and_rmdir)
{
	struct fileio_meta meta = { 0750, (uid_t)-1, (gid_t)-1 };
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *root, *p;
	struct fsroot *fr = root_open(1, &root);
	struct stat st;

	ASSERT_EQ(fsroot_mkdir(fr, "/d", &meta, &err), 0);
	p = xasprintf("%s/d", root);
	ASSERT_EQ(mode_of(p), 0750);
	free(p);
	ASSERT_EQ(fsroot_mkdir(fr, "/d", &meta, &err), TL_EEXIST);
	ASSERT_EQ(fsroot_mkdirs(fr, "/d/e/f", 0700, &err), 0);
	p = xasprintf("%s/d/e/f", root);
	ASSERT_EQ(mode_of(p), 0700);
	free(p);
	ASSERT_EQ(fsroot_symlink(fr, "/d/l", "/target", &err), 0);
	ASSERT_EQ(fsroot_symlink(fr, "/d/l", "/other", &err), 0);
	ASSERT_EQ(fsroot_readlink(fr, "/d/l", &b, &err), 0);
	ASSERT_STR_EQ(b.data, "/other");
	ASSERT_EQ(fsroot_symlink(fr, "/d/e", "/x", &err), TL_EEXIST);
	ASSERT_EQ(fsroot_readlink(fr, "/d/e", &b, &err), TL_EINVAL);
	ASSERT_EQ(fsroot_rmdir(fr, "/d/e", &err), TL_EEXIST);	/* not empty */
	ASSERT_EQ(fsroot_rmdir(fr, "/d/e/f", &err), 0);
	ASSERT_EQ(fsroot_lstat(fr, "/d/e/f", &st, &err), TL_ENOENT);
	ASSERT_EQ(fsroot_rmdir(fr, "/d/l", &err), TL_EEXIST);	/* a link */
	buf_release(&b);
	fsroot_free(fr);
	free(root);
}

TEST(fsroot_load_reads_a_file_and_only_stats_the_rest)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *root, *p;
	struct fsroot *fr = root_open(0, &root);
	struct stat st;

	put(root, "/f", "content", 0600);
	p = xasprintf("%s/l", root);
	ASSERT_EQ(symlink("/f", p), 0);
	free(p);
	ASSERT_EQ(fsroot_load(fr, "/f", 100, &b, &st, &err), 0);
	ASSERT(S_ISREG(st.st_mode));
	ASSERT_STR_EQ(b.data, "content");
	buf_reset(&b);
	ASSERT_EQ(fsroot_load(fr, "/l", 100, &b, &st, &err), 0);
	ASSERT(S_ISLNK(st.st_mode));
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(fsroot_load(fr, "/none", 100, &b, &st, &err), TL_ENOENT);
	ASSERT_EQ(fsroot_load(fr, "/f", 3, &b, &st, &err), TL_ETOOBIG);
	ASSERT_EQ(fsroot_load(fr, "/f", 100, NULL, &st, &err), 0);
	ASSERT_EQ(st.st_size, 7);
	buf_release(&b);
	fsroot_free(fr);
	free(root);
}
