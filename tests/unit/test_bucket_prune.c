/* Bucket retention: age and size limits, the newest backup kept. */
#include "test.h"

#include <sys/stat.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bucket/bucket.h"
#include "bucket/bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

/* Writes an object and an index line for path as saved at time t. */
static void
entry_add(const char *dir, const char *path, const char *content,
    long long t, struct buf *index)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e;
	unsigned char h[crypto_hash_sha256_BYTES];
	uint8_t nonce[BUCKET_NONCE_LEN];
	char *obj, *odir;

	memset(&e, 0, sizeof(e));
	crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
	sodium_bin2hex(e.hash, sizeof(e.hash), h, sizeof(h));
	e.path = xstrdup(path);
	e.run_id = xstrdup("-");
	e.size = strlen(content);
	e.mode = 0644;
	e.time = t;
	randombytes_buf(nonce, sizeof(nonce));
	bucket_index_encode(index, &e, nonce);
	obj = xasprintf("%s/objects/%.2s/%s", dir, e.hash, e.hash + 2);
	odir = path_dirname(obj);
	ASSERT_EQ(fileio_mkdirs(odir, 0700, &err), 0);
	ASSERT_EQ(fileio_write_quick(obj, content, strlen(content), &err), 0);
	free(obj);
	free(odir);
	bucket_entry_release(&e);
}

static int
object_exists(const char *dir, const char *content)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65], *obj;
	struct stat st;
	int r;

	crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	obj = xasprintf("%s/objects/%.2s/%s", dir, hex, hex + 2);
	r = stat(obj, &st) == 0;
	free(obj);
	return r;
}

/* A bucket: /a saved at 100, 200, 300 (10 bytes each), /b at 150. */
static char *
bucket_make(void)
{
	struct tl_err err = TL_ERR_INIT;
	char *dir = test_path("bucket"), *idx = xasprintf("%s/index", dir);
	struct buf index = BUF_INIT;

	ASSERT(sodium_init() >= 0);
	entry_add(dir, "/a", "a-version1", 100, &index);
	entry_add(dir, "/b", "b-version1", 150, &index);
	entry_add(dir, "/a", "a-version2", 200, &index);
	entry_add(dir, "/a", "a-version3", 300, &index);
	ASSERT_EQ(fileio_write_quick(idx, index.data, index.len, &err), 0);
	buf_release(&index);
	free(idx);
	return dir;
}

static size_t
entries_for(const char *dir, const char *path)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket *b;
	struct bucket_entry *v;
	size_t n = 0;

	ASSERT_EQ(bucket_open(dir, &b, &err), 0);
	ASSERT_EQ(bucket_list(b, path, &v, &n, &err), 0);
	bucket_entries_free(v, n);
	bucket_close(b);
	return n;
}

TEST(bucket_prune_by_age_keeps_newest_of_each_path)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_retention r;
	struct bucket_prune_stats st;
	char *dir = bucket_make();

	ASSERT_EQ(bucket_retention_parse("150", NULL, &r, &err), 0);
	ASSERT_EQ(bucket_prune_dir(dir, &r, 400, &st, &err), 0);
	/* /a@100 and /a@200 are past 150 s; /b@150 is too, but newest. */
	ASSERT_EQ(st.entries_dropped, 2);
	ASSERT_EQ(st.entries_kept, 2);
	ASSERT_EQ(st.objects_removed, 2);
	ASSERT_EQ(st.bytes_freed, 20);
	ASSERT_EQ(entries_for(dir, "/a"), 1);
	ASSERT_EQ(entries_for(dir, "/b"), 1);
	ASSERT(!object_exists(dir, "a-version1"));
	ASSERT(object_exists(dir, "a-version3"));
	ASSERT(object_exists(dir, "b-version1"));
	/* Nothing more to do: a second prune drops nothing. */
	ASSERT_EQ(bucket_prune_dir(dir, &r, 400, &st, &err), 0);
	ASSERT_EQ(st.entries_dropped, 0);
	free(dir);
}

TEST(bucket_prune_by_size_drops_oldest_first)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_retention r;
	struct bucket_prune_stats st;
	char *dir = bucket_make();

	ASSERT_EQ(bucket_retention_parse(NULL, "30", &r, &err), 0);
	ASSERT_EQ(bucket_prune_dir(dir, &r, 400, &st, &err), 0);
	ASSERT_EQ(st.entries_dropped, 1);	/* 40 bytes -> 30 */
	ASSERT(!object_exists(dir, "a-version1"));
	ASSERT(object_exists(dir, "a-version2"));
	ASSERT_EQ(entries_for(dir, "/a"), 2);
	/* Below what the newest backups take: they stay anyway. */
	ASSERT_EQ(bucket_retention_parse(NULL, "1", &r, &err), 0);
	ASSERT_EQ(bucket_prune_dir(dir, &r, 400, &st, &err), 0);
	ASSERT_EQ(entries_for(dir, "/a"), 1);
	ASSERT_EQ(entries_for(dir, "/b"), 1);
	free(dir);
}

TEST(bucket_retention_parse_units)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_retention r;

	ASSERT_EQ(bucket_retention_parse("30d", "500M", &r, &err), 0);
	ASSERT_EQ(r.max_age_s, 30 * 86400);
	ASSERT_EQ(r.max_bytes, 500ull << 20);
	ASSERT_EQ(bucket_retention_parse("2w", "1G", &r, &err), 0);
	ASSERT_EQ(r.max_age_s, 14 * 86400);
	ASSERT_EQ(bucket_retention_parse("3x", NULL, &r, &err), TL_EINVAL);
	ASSERT_EQ(bucket_retention_parse(NULL, "-1", &r, &err), TL_EINVAL);
	ASSERT_EQ(bucket_retention_parse(NULL, "10MB", &r, &err), TL_EINVAL);
}
