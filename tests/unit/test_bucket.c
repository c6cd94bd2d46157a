/*
 * The bucket: content-addressed backups, the index codec, restore, and
 * run_backup(). Bytes, modes and owners are checked on disk.
 */
#include "test.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bucket/bucket.h"
#include "bucket/bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"
#include "engine/run.h"

/* SHA-256("hello\n") */
#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static struct bucket *
open_bucket(void)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket *b = NULL;
	char *dir = test_path("state/bucket");

	ASSERT_EQ(bucket_open(dir, &b, &err), 0);
	free(dir);
	return b;
}

/* Writes a file with exact bytes and mode; returns its path. */
static char *
put_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char *path = test_write(name, "");
	struct tl_err err = TL_ERR_INIT;
	struct fileio_meta meta = { mode, (uid_t)-1, (gid_t)-1 };

	ASSERT_EQ(fileio_write_atomic(path, data, len, &meta, &err), 0);
	return path;
}

/*
 * bucket_save() of the file at real (any host path, or missing) as the
 * managed path: real is hard-linked (a link or directory recreated) at
 * path under a scratch root, read from there through an fsroot, and the
 * alias removed.
 */
static int
tsave(struct bucket *b, const char *path, const char *real,
    const char *run, char id[16], struct tl_err *err)
{
	char *root = test_path("alias"), *at, *dir;
	struct tl_err e = TL_ERR_INIT;
	struct fsroot *fs;
	struct stat st;
	int r;

	at = xasprintf("%s%s", root, path_is_clean_abs(path) ? path : "/x");
	dir = path_dirname(at);
	ASSERT_EQ(fileio_mkdirs(dir, 0755, &e), 0);
	if (lstat(real, &st) == 0 && S_ISDIR(st.st_mode))
		ASSERT_EQ(mkdir(at, 0755), 0);
	else if (lstat(real, &st) == 0)
		ASSERT_EQ(link(real, at), 0);
	ASSERT_EQ(fsroot_open(root, &fs, &e), 0);
	r = bucket_save(b, fs, path, run, id, err);
	fsroot_free(fs);
	if (lstat(at, &st) == 0 && S_ISDIR(st.st_mode))
		rmdir(at);
	else
		unlink(at);
	free(dir);
	free(at);
	free(root);
	return r;
}

static int
tstore(struct bucket *b, const char *path, const char *real,
    const char *run, struct tl_err *err)
{
	char id[16];

	return tsave(b, path, real, run, id, err);
}

/* bucket_restore_entry() and bucket_restore() beneath the host dir root. */
static int
trestore_entry(struct bucket *b, const struct bucket_entry *e,
    const char *root, const char *run, char saved[16], struct tl_err *err)
{
	struct fsroot *fs;
	int r;

	ASSERT_EQ(fsroot_open(root, &fs, NULL), 0);
	r = bucket_restore_entry(b, e, fs, run, saved, err);
	fsroot_free(fs);
	return r;
}

static int
trestore(struct bucket *b, const char *path, const char *sel,
    const char *root, const char *run, struct tl_err *err)
{
	struct fsroot *fs;
	int r;

	ASSERT_EQ(fsroot_open(root, &fs, NULL), 0);
	r = bucket_restore(b, path, sel, fs, run, err);
	fsroot_free(fs);
	return r;
}

static size_t
count_objects(void)
{
	char *objects = test_path("state/bucket/objects");
	char cmd[512];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", objects);
	free(objects);
	ASSERT((p = popen(cmd, "r")) != NULL);
	ASSERT_EQ(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static void
read_index(struct buf *out)
{
	char *path = test_path("state/bucket/index");

	ASSERT_EQ(fileio_read(path, 1 << 20, out, NULL), 0);
	free(path);
}

static void
append_index(const char *bytes)
{
	char *path = test_path("state/bucket/index");
	FILE *f = fopen(path, "a");

	ASSERT(f != NULL);
	fputs(bytes, f);
	fclose(f);
	free(path);
}

/* A line with a correct id over an arbitrary record (for bad fields). */
static char *
sealed(const char *record)
{
	char id[16];

	bucket_index_id(record, strlen(record), id);
	return xasprintf("%s\t%s", id, record);
}

static void
list_all(struct bucket *b, const char *path, struct bucket_entry **v,
    size_t *n)
{
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(bucket_list(b, path, v, n, &err), 0);
}

TEST(bucket_open_creates_private_dirs)
{
	struct bucket *b = open_bucket();
	char *dir = test_path("state/bucket");
	char *obj = test_path("state/bucket/objects");
	struct stat st;

	ASSERT_EQ(stat(dir, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0700);
	ASSERT_EQ(stat(obj, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0700);
	bucket_close(b);
	bucket_close(NULL);
	free(dir);
	free(obj);
}

TEST(bucket_open_tightens_an_open_dir)
{
	char *dir = test_path("state/bucket");
	struct tl_err err = TL_ERR_INIT;
	struct bucket *b;
	struct stat st;

	ASSERT_EQ(fileio_mkdirs(dir, 0755, &err), 0);
	ASSERT_EQ(chmod(dir, 0755), 0);
	ASSERT_EQ(bucket_open(dir, &b, &err), 0);
	ASSERT_EQ(stat(dir, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0700);
	bucket_close(b);
	free(dir);
}

TEST(bucket_store_records_everything)
{
	struct bucket *b = open_bucket();
	char *f = put_file("etc/motd", "hello\n", 6, 0640);
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry *v;
	struct buf obj = BUF_INIT;
	long long before = time(NULL), after;
	char *op;
	struct stat st;
	size_t n;

	ASSERT_EQ(tstore(b, "/etc/motd", f, "run-1", &err), 0);
	after = time(NULL);
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(v[0].path, "/etc/motd");
	ASSERT_STR_EQ(v[0].hash, HELLO_SHA);
	ASSERT_STR_EQ(v[0].run_id, "run-1");
	ASSERT_EQ(v[0].size, 6);
	ASSERT_EQ(v[0].mode, 0640);
	ASSERT_EQ(v[0].uid, getuid());
	ASSERT_EQ(v[0].gid, getgid());
	ASSERT(v[0].time >= before && v[0].time <= after);
	ASSERT_EQ(strlen(v[0].id), 12);
	ASSERT_EQ(strspn(v[0].id, "0123456789abcdef"), 12);
	/* objects/58/91b5..., read-only, the exact bytes */
	op = xasprintf("%s/state/bucket/objects/58/%s", test_dir(),
	    &HELLO_SHA[2]);
	ASSERT_EQ(stat(op, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0400);
	ASSERT_EQ(fileio_read(op, 100, &obj, NULL), 0);
	ASSERT_EQ(obj.len, 6);
	ASSERT_MEM_EQ(obj.data, "hello\n", 6);
	free(op);
	op = test_path("state/bucket/index");
	ASSERT_EQ(stat(op, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	buf_release(&obj);
	bucket_entries_free(v, n);
	bucket_close(b);
	free(op);
	free(f);
}

TEST(bucket_store_index_line_is_exact)
{
	struct bucket *b = open_bucket();
	char *f = put_file("m", "hello\n", 6, 0644);
	struct buf idx = BUF_INIT;
	struct bucket_entry *v;
	char *want;
	size_t n;

	ASSERT_EQ(tstore(b, "/etc/m o%d", f, NULL, NULL), 0);
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(v[0].run_id, "-");
	ASSERT_STR_EQ(v[0].path, "/etc/m o%d");
	read_index(&idx);
	want = xasprintf("%s\t1\t%lld\t-\t" HELLO_SHA "\t6\t0644\t%u\t%u\t",
	    v[0].id, v[0].time, (unsigned)getuid(), (unsigned)getgid());
	ASSERT_EQ(strncmp(idx.data, want, strlen(want)), 0);
	/* nonce: 16 hex, then the escaped path and one '\n' */
	ASSERT_EQ(strspn(idx.data + strlen(want), "0123456789abcdef"), 16);
	ASSERT_STR_EQ(idx.data + strlen(want) + 16, "\t/etc/m o%25d\n");
	free(want);
	buf_release(&idx);
	bucket_entries_free(v, n);
	bucket_close(b);
	free(f);
}

TEST(bucket_store_nothing_for_missing_or_special_files)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *missing = test_path("nope");
	char *dir = test_path("adir");
	char *link = test_path("alink");
	char *f = put_file("target", "x", 1, 0644);
	char id[16] = "junk";
	struct bucket_entry *v;
	size_t n;

	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(symlink(f, link), 0);
	ASSERT_EQ(tsave(b, "/nope", missing, "r", id, &err), 0);
	ASSERT_STR_EQ(id, "");
	ASSERT_EQ(tstore(b, "/adir", dir, "r", &err), 0);
	ASSERT_EQ(tstore(b, "/alink", link, "r", &err), 0);
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 0);
	ASSERT(v == NULL);
	ASSERT_EQ(count_objects(), 0);
	bucket_close(b);
	free(missing);
	free(dir);
	free(link);
	free(f);
}

TEST(bucket_store_rejects_bad_paths_and_run_ids)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("x", "x", 1, 0644);

	ASSERT_EQ(tstore(b, "etc/x", f, "r", &err), TL_EINVAL);
	ASSERT_EQ(tstore(b, "/etc/../x", f, "r", &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "'/etc/../x'");
	ASSERT_EQ(tstore(b, "/etc/x", f, "bad run", &err), TL_EINVAL);
	ASSERT_EQ(count_objects(), 0);
	bucket_close(b);
	free(f);
}

TEST(bucket_store_dedups_objects_and_repeated_entries)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("f", "A", 1, 0644);
	struct bucket_entry *v;
	char id[16];
	size_t n;

	ASSERT_EQ(tsave(b, "/f", f, "r1", id, &err), 0);
	ASSERT_EQ(strlen(id), 12);
	/* unchanged since the newest entry for /f: no entry */
	ASSERT_EQ(tsave(b, "/f", f, "r2", id, &err), 0);
	ASSERT_STR_EQ(id, "");
	/* the same bytes under another path: new entry, same object */
	ASSERT_EQ(tstore(b, "/g", f, "r2", &err), 0);
	/* A -> B -> A: three entries, two objects */
	free(put_file("f", "B", 1, 0644));
	ASSERT_EQ(tstore(b, "/f", f, "r3", &err), 0);
	free(put_file("f", "A", 1, 0644));
	ASSERT_EQ(tstore(b, "/f", f, "r4", &err), 0);
	/* a mode change alone is a different version */
	ASSERT_EQ(chmod(f, 0600), 0);
	ASSERT_EQ(tstore(b, "/f", f, "r5", &err), 0);
	list_all(b, "/f", &v, &n);
	ASSERT_EQ(n, 4);
	ASSERT_STR_EQ(v[0].run_id, "r1");
	ASSERT_STR_EQ(v[1].run_id, "r3");
	ASSERT_STR_EQ(v[2].run_id, "r4");
	ASSERT_STR_EQ(v[3].run_id, "r5");
	ASSERT_EQ(v[3].mode, 0600);
	ASSERT_STR_EQ(v[0].hash, v[2].hash);
	bucket_entries_free(v, n);
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 5);
	bucket_entries_free(v, n);
	ASSERT_EQ(count_objects(), 2);
	bucket_close(b);
	free(f);
}

TEST(bucket_store_refuses_files_over_the_cap)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("big", "", 0, 0644);
	struct bucket_entry *v;
	size_t n;

	ASSERT_EQ(truncate(f, (off_t)BUCKET_FILE_MAX + 1), 0);
	ASSERT_EQ(tstore(b, "/big", f, "r", &err), TL_ETOOBIG);
	ASSERT_CONTAINS(err.msg, "cannot back up '/big'");
	ASSERT_CONTAINS(err.msg, "64 MiB");
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(count_objects(), 0);
	/* exactly the cap is fine */
	ASSERT_EQ(truncate(f, (off_t)BUCKET_FILE_MAX), 0);
	ASSERT_EQ(tstore(b, "/big", f, "r", &err), 0);
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(v[0].size, BUCKET_FILE_MAX);
	bucket_entries_free(v, n);
	bucket_close(b);
	free(f);
}

TEST(bucket_torn_line_is_ignored_and_closed_off)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("f", "one", 3, 0644);
	struct buf idx = BUF_INIT;
	struct bucket_entry *v;
	char *torn;
	size_t n;

	ASSERT_EQ(tstore(b, "/etc/motd", f, "r1", &err), 0);
	read_index(&idx);
	/* A crash cut a copy of the line inside its path: "/etc/mo". */
	ASSERT(idx.len > 3);
	torn = xstrndup(idx.data, idx.len - 3);
	append_index(torn);
	bucket_close(b);
	b = open_bucket();
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(bucket_damaged_lines(b), 0);
	bucket_entries_free(v, n);
	/* The next append starts on a fresh line; the torn one, now
	 * complete, fails its id check instead of reading as /etc/mo. */
	free(put_file("f", "two", 3, 0644));
	ASSERT_EQ(tstore(b, "/etc/motd", f, "r2", &err), 0);
	bucket_close(b);
	b = open_bucket();
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(v[0].run_id, "r1");
	ASSERT_STR_EQ(v[1].run_id, "r2");
	ASSERT_STR_EQ(v[1].path, "/etc/motd");
	ASSERT_EQ(bucket_damaged_lines(b), 1);
	bucket_entries_free(v, n);
	buf_reset(&idx);
	read_index(&idx);
	ASSERT_EQ(idx.data[idx.len - 1], '\n');
	ASSERT_CONTAINS(idx.data, "\t/etc/mo\n");
	buf_release(&idx);
	free(torn);
	bucket_close(b);
	free(f);
}

TEST(bucket_index_counts_and_skips_garbage)
{
	static const char *const bad[] = {
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/a/../b",		/* unclean path */
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\tetc/x",			/* relative */
		"2\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x",			/* version */
		"1\t01700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x",			/* leading 0 */
		"1\t1700000000\tr r\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x",			/* run id */
		"1\t1700000000\tr\t" HELLO_SHA "\t67108865\t0644\t0\t0\t"
		    "0011223344556677\t/x",			/* over cap */
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0648\t0\t0\t"
		    "0011223344556677\t/x",			/* mode */
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t4294967295\t0\t"
		    "0011223344556677\t/x",			/* uid -1 */
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x%00y",			/* NUL */
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x%4",			/* bad % */
		"1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x\textra",		/* 12 fields */
		"1\t99999999999999999999\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
		    "0011223344556677\t/x",			/* overflow */
	};
	const char *good = "1\t1700000000\tr\t" HELLO_SHA "\t6\t0644\t0\t0\t"
	    "0011223344556677\t/x%09y";
	struct bucket_index idx;
	struct buf img = BUF_INIT;
	char *line;

	bucket_index_init(&idx);
	buf_addstr(&img, "garbage\n\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		line = sealed(bad[i]);
		buf_addf(&img, "%s\n", line);
		free(line);
	}
	line = sealed(good);
	buf_addf(&img, "%s\n", line);
	/* the good line with one digit of its size changed */
	line[strlen(line) - 40] ^= 1;
	buf_addf(&img, "%s\n", line);
	free(line);
	bucket_index_parse(&idx, img.data, img.len);
	ASSERT_EQ(idx.n, 1);
	ASSERT_EQ(idx.garbage, 1 + sizeof(bad) / sizeof(bad[0]) + 1);
	ASSERT_EQ(idx.is_torn, 0);
	ASSERT_STR_EQ(idx.v[0].path, "/x\ty");
	ASSERT_EQ(idx.v[0].time, 1700000000);
	ASSERT_EQ(idx.v[0].uid, 0);
	bucket_index_release(&idx);
	buf_release(&img);
}

TEST(bucket_index_rejects_overlong_lines)
{
	struct bucket_entry e;
	struct tl_err err = TL_ERR_INIT;
	char *p = xmalloc(BUCKET_LINE_MAX + 1);

	memset(p, 'a', BUCKET_LINE_MAX + 1);
	ASSERT_EQ(bucket_index_decode((uint8_t *)p, BUCKET_LINE_MAX + 1, &e,
	    &err), TL_ETOOBIG);
	ASSERT(e.path == NULL && e.run_id == NULL);
	free(p);
}

TEST(bucket_index_roundtrips_odd_paths)
{
	struct bucket_entry e = { .size = 3, .mode = 04755, .uid = 7,
	    .gid = 4294967294u, .time = 0 };
	uint8_t nonce[BUCKET_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct bucket_index idx;
	struct buf out = BUF_INIT;
	char path[] = "/t\tab/n\nl/p%c/sp ace/\xc3\xa9/\x7f";

	memcpy(e.hash, HELLO_SHA, 65);
	e.path = path;
	e.run_id = (char *)"20261125T093001Z-ab12";
	bucket_index_encode(&out, &e, nonce);
	ASSERT_EQ(strchr(out.data, '\n'), out.data + out.len - 1);
	ASSERT_CONTAINS(out.data, "\t0102030405060708\t/t%09ab/n%0Al/p%25c/"
	    "sp ace/\xc3\xa9/%7F\n");
	bucket_index_init(&idx);
	bucket_index_parse(&idx, out.data, out.len);
	ASSERT_EQ(idx.n, 1);
	ASSERT_STR_EQ(idx.v[0].id, e.id);
	ASSERT_STR_EQ(idx.v[0].path, path);
	ASSERT_STR_EQ(idx.v[0].run_id, e.run_id);
	ASSERT_EQ(idx.v[0].mode, 04755);
	ASSERT_EQ(idx.v[0].gid, 4294967294u);
	ASSERT_EQ(idx.v[0].size, 3);
	/* torn: without its '\n' it is not read */
	bucket_index_release(&idx);
	bucket_index_parse(&idx, out.data, out.len - 1);
	ASSERT_EQ(idx.n, 0);
	ASSERT_EQ(idx.is_torn, 1);
	ASSERT_EQ(idx.garbage, 0);
	bucket_index_release(&idx);
	buf_release(&out);
}

TEST(bucket_read_by_id_and_hash_prefix)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("f", "hello\n", 6, 0644);
	struct buf out = BUF_INIT;
	char id[16];

	ASSERT_EQ(tsave(b, "/f", f, "r", id, &err), 0);
	ASSERT_EQ(bucket_read(b, id, &out, &err), 0);
	ASSERT_EQ(out.len, 6);
	ASSERT_MEM_EQ(out.data, "hello\n", 6);
	buf_reset(&out);
	ASSERT_EQ(bucket_read(b, "5891b5", &out, &err), 0);
	ASSERT_STR_EQ(out.data, "hello\n");
	buf_reset(&out);
	id[6] = '\0';
	ASSERT_EQ(bucket_read(b, id, &out, &err), 0);
	ASSERT_EQ(out.len, 6);
	ASSERT_EQ(bucket_read(b, "ffffffffffff", &out, &err), TL_ENOENT);
	ASSERT_STR_EQ(err.msg, "no backup has id 'ffffffffffff'");
	ASSERT_EQ(bucket_read(b, "XYZ", &out, &err), TL_EINVAL);
	ASSERT_EQ(out.len, 6);
	buf_release(&out);
	bucket_close(b);
	free(f);
}

TEST(bucket_read_reports_ambiguous_prefixes)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	struct bucket_entry *v;
	char *f, name[32], pre[2] = "";
	size_t n;

	/* 17 contents, 16 hex digits: two ids share a first digit */
	for (int i = 0; i < 17; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		f = put_file(name, name, strlen(name), 0644);
		name[0] = '/';
		ASSERT_EQ(tstore(b, name, f, "r", &err), 0);
		free(f);
	}
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 17);
	for (size_t i = 0; i < n && pre[0] == '\0'; i++)
		for (size_t j = i + 1; j < n; j++)
			if (v[i].id[0] == v[j].id[0])
				pre[0] = v[i].id[0];
	ASSERT(pre[0] != '\0');
	ASSERT_EQ(bucket_read(b, pre, &out, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "ambiguous");
	ASSERT_EQ(out.len, 0);
	bucket_entries_free(v, n);
	bucket_close(b);
}

TEST(bucket_read_detects_damaged_objects)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("f", "hello\n", 6, 0644);
	char *op = xasprintf("%s/state/bucket/objects/58/%s", test_dir(),
	    &HELLO_SHA[2]);
	struct buf out = BUF_INIT;
	char id[16];

	ASSERT_EQ(tsave(b, "/f", f, "r", id, &err), 0);
	ASSERT_EQ(chmod(op, 0600), 0);
	{
		FILE *o = fopen(op, "w");

		ASSERT(o != NULL);
		fputs("hellO\n", o);	/* same size, other bytes */
		fclose(o);
	}
	ASSERT_EQ(bucket_read(b, id, &out, &err), TL_EIO);
	ASSERT_CONTAINS(err.msg, "damaged");
	ASSERT_EQ(out.len, 0);
	ASSERT_EQ(unlink(op), 0);
	ASSERT_EQ(bucket_read(b, id, &out, &err), TL_EIO);
	ASSERT_CONTAINS(err.msg, "missing");
	buf_release(&out);
	bucket_close(b);
	free(op);
	free(f);
}

TEST(bucket_restore_is_byte_exact_with_mode_and_owner)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	static const char orig[] = "original\n\x01\0binary\n";
	char *real = put_file("root/etc/app.conf", orig, sizeof(orig), 0600);
	char *root = test_path("root");
	struct bucket_entry *v, *e;
	struct buf now = BUF_INIT;
	char saved[16];
	struct stat st;
	size_t n;

	ASSERT_EQ(tstore(b, "/etc/app.conf", real, "run-a", &err), 0);
	free(put_file("root/etc/app.conf", "one\n", 4, 0644));
	ASSERT_EQ(tstore(b, "/etc/app.conf", real, "run-b", &err), 0);
	free(put_file("root/etc/app.conf", "two\n", 4, 0644));
	/* --run run-a: the content before run-a changed it */
	ASSERT_EQ(bucket_find(b, "/etc/app.conf", BUCKET_SEL_RUN, "run-a",
	    &e, &err), 0);
	ASSERT_EQ(trestore_entry(b, e, root, "restore-1", saved, &err),
	    0);
	ASSERT_EQ(strlen(saved), 12);
	ASSERT_EQ(fileio_read(real, 1024, &now, NULL), 0);
	ASSERT_EQ(now.len, sizeof(orig));
	ASSERT_MEM_EQ(now.data, orig, sizeof(orig));
	ASSERT_EQ(stat(real, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(st.st_uid, getuid());
	ASSERT_EQ(st.st_gid, getgid());
	/* "two" was saved first, as run restore-1 */
	list_all(b, "/etc/app.conf", &v, &n);
	ASSERT_EQ(n, 3);
	ASSERT_STR_EQ(v[2].run_id, "restore-1");
	ASSERT_STR_EQ(v[2].id, saved);
	ASSERT_EQ(v[2].size, 4);
	/* again: already matches, nothing written or saved */
	ASSERT_EQ(trestore_entry(b, e, root, "restore-2", saved, &err),
	    1);
	ASSERT_STR_EQ(saved, "");
	bucket_entries_free(v, n);
	list_all(b, "/etc/app.conf", &v, &n);
	ASSERT_EQ(n, 3);
	bucket_entries_free(v, n);
	bucket_entries_free(e, 1);
	buf_release(&now);
	bucket_close(b);
	free(real);
	free(root);
}

TEST(bucket_restore_latest_after_removal)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *real = put_file("root/etc/gone", "keep me\n", 8, 0640);
	char *root = test_path("root");
	struct buf now = BUF_INIT;
	struct stat st;

	ASSERT_EQ(tstore(b, "/etc/gone", real, "r1", &err), 0);
	ASSERT_EQ(unlink(real), 0);
	ASSERT_EQ(trestore(b, "/etc/gone", NULL, root, "r2", &err), 0);
	ASSERT_EQ(fileio_read(real, 1024, &now, NULL), 0);
	ASSERT_STR_EQ(now.data, "keep me\n");
	ASSERT_EQ(stat(real, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0640);
	buf_release(&now);
	bucket_close(b);
	free(real);
	free(root);
}

TEST(bucket_restore_errors_are_plain)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *real = put_file("root/etc/f", "x", 1, 0644);
	char *root = test_path("root");
	struct bucket_entry *e = (void *)1;

	ASSERT_EQ(trestore(b, "/etc/never", NULL, root, "r", &err),
	    TL_ENOENT);
	ASSERT_STR_EQ(err.msg, "'/etc/never' was never backed up");
	ASSERT_EQ(tstore(b, "/etc/f", real, "r1", &err), 0);
	ASSERT_EQ(bucket_find(b, "/etc/f", BUCKET_SEL_RUN, "r9", &e, &err),
	    TL_ENOENT);
	ASSERT(e == NULL);
	ASSERT_STR_EQ(err.msg, "run 'r9' made no backup of '/etc/f'");
	ASSERT_EQ(bucket_find(b, "/etc/f", BUCKET_SEL_ID, "abcdef123456", &e,
	    &err), TL_ENOENT);
	ASSERT_STR_EQ(err.msg, "no backup of '/etc/f' has id 'abcdef123456'");
	ASSERT_EQ(bucket_find(b, "/etc/../f", BUCKET_SEL_ID, NULL, &e, &err),
	    TL_EINVAL);
	/* the parent directory is gone: fail, change nothing */
	ASSERT_EQ(unlink(real), 0);
	{
		char *dir = path_dirname(real);
		ASSERT_EQ(rmdir(dir), 0);
		free(dir);
	}
	ASSERT_EQ(trestore(b, "/etc/f", "r1", root, "r", &err),
	    TL_ENOENT);
	ASSERT_CONTAINS(err.msg, "does not exist");
	bucket_close(b);
	free(real);
	free(root);
}

TEST(bucket_run_backup_uses_the_root_and_managed_path)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *real = put_file("root/etc/motd", "hello\n", 6, 0644);
	char *root = test_path("root");
	struct run_ctx ctx = { .root = root, .run_id = "run-7" };
	struct bucket_entry *v;
	char *p;
	size_t n;

	ASSERT_EQ(fsroot_open(root, &ctx.fs, &err), 0);

	p = run_path(&ctx, "/etc/motd");
	ASSERT_STR_EQ(p, real);
	free(p);
	/* no bucket: no backup, no error */
	ASSERT_EQ(run_backup(&ctx, "/etc/motd", &err), 0);
	ctx.bucket = b;
	ASSERT_EQ(run_backup(&ctx, "/etc/motd", &err), 0);
	ASSERT_EQ(run_backup(&ctx, "/etc/absent", &err), 0);
	/* edited again in the same run: the first copy is the one kept */
	free(put_file("root/etc/motd", "edited\n", 7, 0644));
	ASSERT_EQ(run_backup(&ctx, "/etc/motd", &err), 0);
	list_all(b, NULL, &v, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(v[0].path, "/etc/motd");
	ASSERT_STR_EQ(v[0].run_id, "run-7");
	ASSERT_STR_EQ(v[0].hash, HELLO_SHA);
	bucket_entries_free(v, n);
	run_ctx_release(&ctx);
	fsroot_free(ctx.fs);
	bucket_close(b);
	free(real);
	free(root);
}

TEST(bucket_two_handles_share_one_index)
{
	struct bucket *b1 = open_bucket(), *b2 = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *f = put_file("f", "A", 1, 0644);
	struct bucket_entry *v;
	size_t n;

	ASSERT_EQ(tstore(b1, "/f", f, "r1", &err), 0);
	/* b2 sees b1's entry and dedups against it */
	ASSERT_EQ(tstore(b2, "/f", f, "r2", &err), 0);
	free(put_file("f", "B", 1, 0644));
	ASSERT_EQ(tstore(b2, "/f", f, "r3", &err), 0);
	list_all(b1, NULL, &v, &n);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(v[1].run_id, "r3");
	bucket_entries_free(v, n);
	bucket_close(b1);
	bucket_close(b2);
	free(f);
}

TEST(bucket_save_and_restore_never_follow_links)
{
	struct bucket *b = open_bucket();
	struct tl_err err = TL_ERR_INIT;
	char *out = put_file("outside/secret", "root's\n", 7, 0600);
	char *root = test_path("root"), *p, *t;
	struct bucket_entry e;
	struct fsroot *fs;
	struct buf now = BUF_INIT;
	char id[16];

	ASSERT_EQ(mkdir(root, 0755), 0);
	p = xasprintf("%s/home", root);
	ASSERT_EQ(mkdir(p, 0777), 0);
	chmod(p, 0777);		/* a user's directory */
	free(p);
	p = xasprintf("%s/home/.ssh", root);
	t = path_dirname(out);
	ASSERT_EQ(symlink(t, p), 0);
	free(t);
	free(p);
	ASSERT_EQ(fsroot_open(root, &fs, &err), 0);
	ASSERT_EQ(bucket_save(b, fs, "/home/.ssh/secret", "r", id, &err),
	    TL_EPERM);
	ASSERT_CONTAINS(err.msg, "'/home/.ssh' is a symbolic link");
	/* restoring over a link writes neither through it nor at all */
	p = xasprintf("%s/etc", root);
	ASSERT_EQ(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/etc/x", root);
	ASSERT_EQ(symlink(out, p), 0);
	free(p);
	ASSERT_EQ(bucket_put(b, &(struct bucket_entry){ .path = "/etc/x",
	    .hash = HELLO_SHA, .size = 6, .mode = 0644, .run_id = "r" },
	    "hello\n", 6, id, &err), 0);
	memset(&e, 0, sizeof(e));
	e.path = "/etc/x";
	memcpy(e.hash, HELLO_SHA, 65);
	e.size = 6;
	e.mode = 0644;
	e.uid = getuid();
	e.gid = getgid();
	ASSERT(bucket_restore_entry(b, &e, fs, "r2", id, &err) < 0);
	ASSERT_CONTAINS(err.msg, "'/etc/x' is a symbolic link");
	ASSERT_EQ(fileio_read(out, 100, &now, NULL), 0);
	ASSERT_STR_EQ(now.data, "root's\n");
	buf_release(&now);
	fsroot_free(fs);
	bucket_close(b);
	free(root);
	free(out);
}
