#include "recipe/chunk_cache.h"

#include <lauxlib.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "core/be.h"
#include "core/buf.h"
#include "core/fileio.h"
#include "core/platform.h"

/*
 * A cache file:
 *
 *   +------------------+----------------+-----------+------------------+
 *   | magic (16 bytes) | key (32 bytes) | len (u64, | BLAKE2b-256 of   |
 *   | "tlaloc-luac-1\n"|                |  big end) | the bytecode (32)|
 *   +------------------+----------------+-----------+------------------+
 *   | bytecode (len bytes, lua_dump with debug information)            |
 *   +-------------------------------------------------------------------+
 */
#define CC_MAGIC	"tlaloc-luac-1\n\0"	/* 16 bytes with its NUL */
#define CC_MAGIC_LEN	16
#define CC_HDR_LEN	(CC_MAGIC_LEN + CHUNK_KEY_LEN + 8 + 32)
#define CC_MAX		(64u << 20)	/* bytes; arbitrary, past any recipe */
#define CC_IDS_MAX	1024		/* bytes of build ids; ~20 an object */

void
chunk_key_make(struct chunk_key *k, const char *rel, const char *chunk,
    const char *src, size_t len)
{
	crypto_generichash_state st;
	uint8_t ids[CC_IDS_MAX], name[16];
	size_t nids = platform_build_ids((const void *)lua_load, ids,
	    sizeof(ids));

	memset(k, 0, sizeof(*k));
	if (nids == 0)
		return;
	crypto_generichash_init(&st, NULL, 0, sizeof(k->key));
	crypto_generichash_update(&st, (const uint8_t *)CC_MAGIC,
	    CC_MAGIC_LEN);
	crypto_generichash_update(&st, (const uint8_t *)LUA_RELEASE,
	    sizeof(LUA_RELEASE));
	crypto_generichash_update(&st, ids, nids);
	crypto_generichash_update(&st, (const uint8_t *)chunk,
	    strlen(chunk) + 1);
	crypto_generichash_update(&st, (const uint8_t *)src, len);
	crypto_generichash_final(&st, k->key, sizeof(k->key));
	/* One entry per name inside the recipe dir, whichever dir: the
	 * agent converges each policy serial from a new trees/SERIAL/, and
	 * the next serial's site.lua must replace the last one's. */
	crypto_generichash(name, sizeof(name), (const uint8_t *)rel,
	    strlen(rel), NULL, 0);
	sodium_bin2hex(k->name, sizeof(k->name) - 5, name, sizeof(name));
	memcpy(k->name + 2 * sizeof(name), ".luac", 6);
	k->usable = 1;
}

/* Reads the entry for k into f; 0 when it is there, whole and this key's. */
static int
cc_read(int dfd, const struct chunk_key *k, struct buf *f)
{
	const uint8_t *h;
	uint8_t sum[32];

	if (fileio_read_private_at(dfd, k->name, CC_HDR_LEN, CC_MAX, f,
	    NULL) < 0)
		return -1;
	h = (const uint8_t *)f->data;
	if (memcmp(h, CC_MAGIC, CC_MAGIC_LEN) != 0 ||
	    memcmp(h + CC_MAGIC_LEN, k->key, CHUNK_KEY_LEN) != 0 ||
	    be_get(h + CC_MAGIC_LEN + CHUNK_KEY_LEN, 8) !=
	    f->len - CC_HDR_LEN)
		return -1;
	crypto_generichash(sum, sizeof(sum), h + CC_HDR_LEN,
	    f->len - CC_HDR_LEN, NULL, 0);
	return memcmp(sum, h + CC_HDR_LEN - 32, 32) == 0 ? 0 : -1;
}

int
chunk_cache_load(lua_State *L, const char *dir, const struct chunk_key *k,
    const char *chunk)
{
	struct buf f = BUF_INIT;
	int dfd, rc = -1;

	if (!k->usable || (dfd = fileio_open_private_dir(dir, 0, NULL)) < 0)
		return -1;
	if (cc_read(dfd, k, &f) == 0) {
		if (luaL_loadbufferx(L, f.data + CC_HDR_LEN, f.len -
		    CC_HDR_LEN, chunk, "b") == LUA_OK)
			rc = 0;
		else
			lua_pop(L, 1);	/* the message */
	}
	buf_release(&f);
	close(dfd);
	return rc;
}

static int
cc_writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	buf_add(ud, p, n);
	return 0;
}

/* The header and bytecode of the function on top of the stack, into f;
 * 0, or -1 when Lua could not dump it. */
static int
cc_dump(lua_State *L, const struct chunk_key *k, struct buf *f)
{
	uint8_t *h;
	size_t len;

	buf_grow(f, CC_HDR_LEN);
	memset(f->data, 0, CC_HDR_LEN + 1);
	f->len = CC_HDR_LEN;
	if (lua_dump(L, cc_writer, f, 0) != 0)	/* 0: keep debug info */
		return -1;
	h = (uint8_t *)f->data;
	len = f->len - CC_HDR_LEN;
	memcpy(h, CC_MAGIC, CC_MAGIC_LEN);
	memcpy(h + CC_MAGIC_LEN, k->key, CHUNK_KEY_LEN);
	be_put(h + CC_MAGIC_LEN + CHUNK_KEY_LEN, len, 8);
	crypto_generichash(h + CC_HDR_LEN - 32, 32, h + CC_HDR_LEN, len,
	    NULL, 0);
	return 0;
}

void
chunk_cache_save(lua_State *L, const char *dir, const struct chunk_key *k)
{
	struct buf f = BUF_INIT;
	int dfd;

	if (!k->usable || (dfd = fileio_open_private_dir(dir, 1, NULL)) < 0)
		return;
	if (cc_dump(L, k, &f) == 0 && f.len <= CC_MAX)
		(void)fileio_replace_private_at(dfd, k->name, f.data, f.len);
	buf_release(&f);
	close(dfd);
}
