/*
 * The check cache's file (engine/statcache.h) under libFuzzer: any bytes
 * decode or are refused whole, without crashing, leaking or reading past
 * the end; what decodes is looked up and encoded again.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "engine/statcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statcache *sc = statcache_open("/nonexistent/cache", "/", 0);
	struct buf img = BUF_INIT;
	struct stat st;
	uint8_t d[STATCACHE_DIGEST_LEN];

	if (statcache_decode(sc, data, size) == 0) {
		/* A decoded entry is trusted only with its exact stat. */
		memset(&st, 0, sizeof(st));
		memset(d, 0, sizeof(d));
		(void)statcache_trusts(sc, "/", &st, d);
		statcache_encode(sc, &img);
		buf_release(&img);
	}
	statcache_free(sc);
	return 0;
}
