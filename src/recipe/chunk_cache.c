#include "recipe/chunk_cache.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
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

/* Is the open file or directory fd uid's and no one else's? Its fstat
 * goes to st. */
static int
cc_owned(int fd, uid_t uid, int want_dir, struct stat *st)
{
	if (fstat(fd, st) < 0 || st->st_uid != uid ||
	    (st->st_mode & 077) != 0)
		return 0;
	if (want_dir)
		return S_ISDIR(st->st_mode);
	return S_ISREG(st->st_mode) && st->st_nlink == 1 &&
	    st->st_size >= CC_HDR_LEN && (uint64_t)st->st_size <= CC_MAX;
}

static int
cc_open_dir(const char *dir, uid_t uid)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (dfd >= 0 && !cc_owned(dfd, uid, 1, &st)) {
		close(dfd);
		return -1;
	}
	return dfd;
}

static uint64_t
cc_get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads the entry for k into f; 0 when it is there, whole and this key's. */
static int
cc_read(int dfd, uid_t uid, const struct chunk_key *k, struct buf *f)
{
	struct tl_err err = TL_ERR_INIT;
	const uint8_t *h;
	uint8_t sum[32];
	struct stat st;
	int fd, ok;

	fd = openat(dfd, k->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = cc_owned(fd, uid, 0, &st) && fileio_read_sized(fd, k->name, CC_MAX,
	    (size_t)st.st_size, f, &err) == 0;
	close(fd);
	if (!ok || f->len < CC_HDR_LEN)
		return -1;
	h = (const uint8_t *)f->data;
	if (memcmp(h, CC_MAGIC, CC_MAGIC_LEN) != 0 ||
	    memcmp(h + CC_MAGIC_LEN, k->key, CHUNK_KEY_LEN) != 0 ||
	    cc_get_be64(h + CC_MAGIC_LEN + CHUNK_KEY_LEN) !=
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
	uid_t uid = geteuid();
	int dfd, rc = -1;

	if (!k->usable || (dfd = cc_open_dir(dir, uid)) < 0)
		return -1;
	if (cc_read(dfd, uid, k, &f) == 0) {
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
	for (int i = 0; i < 8; i++)
		h[CC_MAGIC_LEN + CHUNK_KEY_LEN + i] = (uint8_t)((uint64_t)len >>
		    (56 - 8 * i));
	crypto_generichash(h + CC_HDR_LEN - 32, 32, h + CC_HDR_LEN, len,
	    NULL, 0);
	return 0;
}

void
chunk_cache_save(lua_State *L, const char *dir, const struct chunk_key *k)
{
#ifdef O_TMPFILE
	struct buf f = BUF_INIT;
	char proc[64];
	int dfd, fd;

	if (!k->usable)
		return;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if ((dfd = cc_open_dir(dir, geteuid())) < 0)
		return;
	/* Unnamed until it is whole: a killed run leaves nothing. */
	fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		/* Replaced by unlink and link: linkat cannot replace. A
		 * reader between the two compiles from source. */
		if (cc_dump(L, k, &f) == 0 && f.len <= CC_MAX &&
		    fileio_write_all(fd, f.data, f.len) == 0 &&
		    (unlinkat(dfd, k->name, 0) == 0 || errno == ENOENT))
			(void)linkat(AT_FDCWD, proc, dfd, k->name,
			    AT_SYMLINK_FOLLOW);
		close(fd);
	}
	buf_release(&f);
	close(dfd);
#else
	(void)L;
	(void)dir;
	(void)k;
#endif
}
