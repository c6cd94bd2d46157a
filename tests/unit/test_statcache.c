#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "engine/statcache.h"
#include "test.h"

#define SEC	1000000000LL

/* A stat as a file of size bytes, changed at t (ns), would have. */
static struct stat
sc_fake_stat(long long t, off_t size)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = 7;
	st.st_ino = 42;
	st.st_size = size;
	st.st_mode = S_IFREG | 0644;
	st.st_uid = geteuid();
	st.st_mtim.tv_sec = t / SEC;
	st.st_mtim.tv_nsec = t % SEC;
	st.st_ctim = st.st_mtim;
	return st;
}

/* A file seen long enough before the run is recorded and trusted by the
 * next run with the same stat and digest only; one changed within
 * STATCACHE_RACY_NS of the run that saw it is not recorded. */
TEST(statcache_trusts_exact_old_stats_only)
{
	char *dir = test_path("sc");
	long long now = 1700000000LL * SEC;
	struct stat old = sc_fake_stat(now - 10 * SEC, 8);
	struct stat racy = sc_fake_stat(now - STATCACHE_RACY_NS + 1, 8);
	struct stat st;
	uint8_t d[STATCACHE_DIGEST_LEN], d2[STATCACHE_DIGEST_LEN];
	struct statcache *sc;

	statcache_digest("content\n", 8, d);
	statcache_digest("contenu\n", 8, d2);
	sc = statcache_open(dir, "/", now);
	ASSERT_EQ(statcache_stats(sc)->corrupt, 0);
	statcache_note(sc, "/etc/old", &old, d);
	statcache_note(sc, "/etc/racy", &racy, d);
	ASSERT_EQ(statcache_stats(sc)->racy, 1);
	/* Others may write it: never recorded. */
	st = old;
	st.st_mode = S_IFREG | 0664;
	statcache_note(sc, "/etc/shared", &st, d);
	st = old;
	st.st_uid = geteuid() + 1;
	statcache_note(sc, "/etc/theirs", &st, d);
	ASSERT_EQ(statcache_knows(sc, "/etc/shared"), 0);
	ASSERT_EQ(statcache_knows(sc, "/etc/theirs"), 0);
	ASSERT_EQ(statcache_save(sc), 0);
	statcache_free(sc);

	sc = statcache_open(dir, "/", now + SEC);
	ASSERT_EQ(statcache_stats(sc)->loaded, 1);
	ASSERT_EQ(statcache_knows(sc, "/etc/racy"), 0);
	ASSERT_EQ(statcache_trusts(sc, "/etc/old", &old, d), 1);
	ASSERT_EQ(statcache_trusts(sc, "/etc/old", &old, d2), 0);
	st = old;
	st.st_ctim.tv_nsec++;		/* written to: ctime moved */
	ASSERT_EQ(statcache_trusts(sc, "/etc/old", &st, d), 0);
	st = old;
	st.st_ino++;			/* replaced */
	ASSERT_EQ(statcache_trusts(sc, "/etc/old", &st, d), 0);
	st = old;
	st.st_mode = S_IFREG | 0600;
	ASSERT_EQ(statcache_trusts(sc, "/etc/old", &st, d), 0);
	statcache_free(sc);

	/* Another --root: nothing of it is trusted. */
	sc = statcache_open(dir, "/srv/tree", now + SEC);
	ASSERT_EQ(statcache_stats(sc)->loaded, 0);
	ASSERT_EQ(statcache_stats(sc)->corrupt, 0);
	ASSERT_EQ(statcache_stats(sc)->stale, 1);
	ASSERT_EQ(statcache_trusts(sc, "/etc/old", &old, d), 0);
	statcache_free(sc);
	free(dir);
}

/* Every cut and every flipped byte of a cache is refused whole. */
TEST(statcache_refuses_torn_and_flipped_files)
{
	char *dir = test_path("sc");
	long long now = 1700000000LL * SEC;
	struct stat old = sc_fake_stat(now - 10 * SEC, 8);
	uint8_t d[STATCACHE_DIGEST_LEN];
	struct buf img = BUF_INIT;
	struct statcache *sc;

	statcache_digest("content\n", 8, d);
	sc = statcache_open(dir, "/", now);
	statcache_note(sc, "/etc/a", &old, d);
	statcache_note(sc, "/etc/b", &old, d);
	statcache_encode(sc, &img);
	ASSERT_EQ(statcache_decode(sc, (const uint8_t *)img.data, img.len), 0);
	ASSERT_EQ(statcache_knows(sc, "/etc/b"), 1);
	for (size_t n = 0; n < img.len; n++)
		ASSERT_EQ(statcache_decode(sc, (const uint8_t *)img.data, n),
		    -1);
	for (size_t i = 0; i < img.len; i++) {
		img.data[i] ^= 0x20;
		ASSERT(statcache_decode(sc, (const uint8_t *)img.data,
		    img.len) < 0);
		ASSERT_EQ(statcache_knows(sc, "/etc/a"), 0);
		img.data[i] ^= 0x20;
	}
	buf_release(&img);
	statcache_free(sc);
	free(dir);
}

/* Only a private file in a private dir is read: 0644, a link, another
 * dir mode are refused (and counted). */
TEST(statcache_reads_private_files_only)
{
	char *dir = test_path("sc"), *file, *link;
	long long now = 1700000000LL * SEC;
	struct stat old = sc_fake_stat(now - 10 * SEC, 8);
	uint8_t d[STATCACHE_DIGEST_LEN];
	struct statcache *sc;

	statcache_digest("content\n", 8, d);
	sc = statcache_open(dir, "/", now);
	statcache_note(sc, "/etc/a", &old, d);
	ASSERT_EQ(statcache_save(sc), 0);
	statcache_free(sc);
	file = xasprintf("%s/files", dir);
	link = test_path("sc-link");
	ASSERT_EQ(chmod(file, 0644), 0);
	sc = statcache_open(dir, "/", now);
	ASSERT_EQ(statcache_stats(sc)->corrupt, 1);
	ASSERT_EQ(statcache_stats(sc)->loaded, 0);
	statcache_free(sc);
	ASSERT_EQ(chmod(file, 0600), 0);
	ASSERT_EQ(chmod(dir, 0755), 0);
	sc = statcache_open(dir, "/", now);
	ASSERT_EQ(statcache_stats(sc)->corrupt, 1);
	statcache_free(sc);
	ASSERT_EQ(chmod(dir, 0700), 0);
	ASSERT_EQ(symlink(dir, link), 0);
	sc = statcache_open(link, "/", now);
	ASSERT_EQ(statcache_stats(sc)->corrupt, 1);
	ASSERT_EQ(statcache_stats(sc)->loaded, 0);
	statcache_note(sc, "/etc/b", &old, d);
	ASSERT_EQ(statcache_save(sc), -1);	/* not through the link */
	statcache_free(sc);
	sc = statcache_open(dir, "/", now);
	ASSERT_EQ(statcache_stats(sc)->loaded, 1);
	ASSERT_EQ(statcache_knows(sc, "/etc/b"), 0);
	statcache_free(sc);
	free(file);
	free(link);
	free(dir);
}
