/*
 * Signed member statements: their body codec and an interning pool.
 *
 * Every node gossips the same bytes for a given node's statement, so one
 * copy serves every member record that holds it. In the agent that saves
 * little; in the simulator, where 10,000 machines each know 10,000 members,
 * it is what makes the run fit in memory (one copy per statement instead of
 * one per pair).
 *
 * Body wire image (CBOR):
 *
 *   +------------------------------------------------------------------+
 *   | array(6)                                                         |
 *   |  bstr(32) id | uint incarnation | text name | text addr |        |
 *   |  array(n) of text "key=value" | uint status (0 alive, 3 left)    |
 *   +------------------------------------------------------------------+
 *
 * The signature covers exactly these bytes, as received; nobody re-encodes
 * a body before checking it.
 */
#include "cluster/swim_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/xalloc.h"

struct swim_pool {
	struct swim_stmt **slots;	/* open addressing, linear probe */
	size_t		   cap;		/* power of two, or 0 */
	size_t		   n;
};

void
swim_body_encode(struct buf *out, const uint8_t *id, uint32_t inc,
    const char *name, const char *addr, const char *tags, size_t tags_len,
    uint8_t status)
{
	size_t ntags = 0, off;

	for (off = 0; off < tags_len; off += strlen(tags + off) + 1)
		ntags++;
	codec_put_array(out, 6);
	codec_put_bytes(out, id, SWIM_ID_LEN);
	codec_put_uint(out, inc);
	codec_put_text(out, name, strlen(name));
	codec_put_text(out, addr, strlen(addr));
	codec_put_array(out, ntags);
	for (off = 0; off < tags_len; off += strlen(tags + off) + 1)
		codec_put_text(out, tags + off, strlen(tags + off));
	codec_put_uint(out, status);
}

int
swim_tags_valid(const char *tags, size_t len)
{
	size_t off = 0;

	if (len > SWIM_TAGS_MAX || (len > 0 && tags[len - 1] != '\0'))
		return 0;
	while (off < len) {
		size_t n = strlen(tags + off);
		const char *eq = memchr(tags + off, '=', n);

		if (n == 0 || eq == NULL || eq == tags + off)
			return 0;
		off += n + 1;
	}
	return 1;
}

static int
body_decode_tags(struct rd *rd, struct swim_stmt_fields *f)
{
	const char *t;
	size_t n, tl;
	int r;

	if ((r = codec_get_array(rd, SWIM_TAGS_NMAX, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = codec_get_text(rd, SWIM_TAGS_MAX, &t, &tl)) < 0)
			return r;
		if (f->tags_len + tl + 1 > SWIM_TAGS_MAX)
			return TL_ETOOBIG;
		memcpy(f->tags + f->tags_len, t, tl);
		f->tags_len += tl;
		f->tags[f->tags_len++] = '\0';
	}
	return swim_tags_valid(f->tags, f->tags_len) ? 0 : TL_EINVAL;
}

int
swim_body_decode(const uint8_t *p, size_t len, struct swim_stmt_fields *f)
{
	struct rd rd;
	uint64_t inc, status;
	int r;

	memset(f, 0, sizeof(*f));
	rd_init(&rd, p, len);
	if ((r = codec_get_array_exact(&rd, 6)) < 0)
		return r;
	if ((r = codec_get_bytes_exact(&rd, SWIM_ID_LEN, &f->id)) < 0 ||
	    (r = codec_get_uint_max(&rd, UINT32_MAX, &inc)) < 0 ||
	    (r = codec_get_text(&rd, SWIM_NAME_MAX, &f->name,
	    &f->name_len)) < 0 ||
	    (r = codec_get_text(&rd, SWIM_ADDR_MAX, &f->addr,
	    &f->addr_len)) < 0 ||
	    (r = body_decode_tags(&rd, f)) < 0 ||
	    (r = codec_get_uint_max(&rd, SWIM_LEFT, &status)) < 0)
		return r;
	if (f->name_len == 0 || f->addr_len == 0 ||
	    (status != SWIM_ALIVE && status != SWIM_LEFT) || rd_left(&rd) != 0)
		return TL_EINVAL;
	f->incarnation = (uint32_t)inc;
	f->status = (uint8_t)status;
	return 0;
}

/* Eight bytes per step (statements are hashed 10^8 times in a run of
 * the simulator); not for adversarial keys, the pool compares bytes. */
static uint64_t
hash_bytes(const uint8_t *p, size_t n, uint64_t h)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	for (; n > 0; p++, n--)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

struct swim_pool *
swim_pool_new(void)
{
	return xcalloc(1, sizeof(struct swim_pool));
}

void
swim_pool_free(struct swim_pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->cap; i++)
		free(pool->slots[i]);
	free(pool->slots);
	free(pool);
}

size_t
swim_pool_size(const struct swim_pool *pool)
{
	return pool->n;
}

static void
pool_resize(struct swim_pool *pool)
{
	struct swim_stmt **old = pool->slots;
	size_t oldcap = pool->cap;

	pool->cap = oldcap ? oldcap * 2 : 64;
	pool->slots = xcalloc(pool->cap, sizeof(*pool->slots));
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i] == NULL)
			continue;
		j = old[i]->hash & (pool->cap - 1);
		while (pool->slots[j] != NULL)
			j = (j + 1) & (pool->cap - 1);
		pool->slots[j] = old[i];
	}
	free(old);
}

static struct swim_stmt *
stmt_build(uint64_t hash, const uint8_t *body, size_t body_len,
    const uint8_t *sig, const struct swim_stmt_fields *f)
{
	struct buf raw = BUF_INIT;
	struct swim_stmt *st;
	char *s;

	codec_put_bytes(&raw, body, body_len);
	codec_put_bytes(&raw, sig, SWIM_SIG_LEN);
	st = xmalloc(sizeof(*st) + raw.len + f->name_len + f->addr_len +
	    f->tags_len + 2);
	memset(st, 0, sizeof(*st));
	st->hash = hash;
	st->incarnation = f->incarnation;
	memcpy(st->id, f->id, SWIM_ID_LEN);
	st->status = f->status;
	st->raw_len = (uint16_t)raw.len;
	memcpy(st->raw, raw.data, raw.len);
	st->sig = st->raw + raw.len - SWIM_SIG_LEN;
	st->body = st->sig - 2 - body_len;	/* 2: bstr(64) head */
	st->body_len = body_len;
	s = (char *)st->raw + raw.len;
	st->name = memcpy(s, f->name, f->name_len);
	s[f->name_len] = '\0';
	s += f->name_len + 1;
	st->addr = memcpy(s, f->addr, f->addr_len);
	s[f->addr_len] = '\0';
	s += f->addr_len + 1;
	st->tags = memcpy(s, f->tags, f->tags_len);
	st->tags_len = (uint16_t)f->tags_len;
	buf_release(&raw);
	return st;
}

struct swim_stmt *
swim_pool_get(struct swim_pool *pool, const uint8_t *body, size_t body_len,
    const uint8_t *sig, const struct swim_stmt_fields *f)
{
	uint64_t h = hash_bytes(sig, SWIM_SIG_LEN,
	    hash_bytes(body, body_len, 0xcbf29ce484222325ULL));
	size_t j;

	if ((pool->n + 1) * 2 > pool->cap)
		pool_resize(pool);
	for (j = h & (pool->cap - 1); pool->slots[j] != NULL;
	    j = (j + 1) & (pool->cap - 1)) {
		struct swim_stmt *st = pool->slots[j];

		if (st->hash == h && st->body_len == body_len &&
		    memcmp(st->body, body, body_len) == 0 &&
		    memcmp(st->sig, sig, SWIM_SIG_LEN) == 0) {
			st->refs++;
			return st;
		}
	}
	pool->slots[j] = stmt_build(h, body, body_len, sig, f);
	pool->slots[j]->refs = 1;
	pool->n++;
	return pool->slots[j];
}

void
swim_pool_put(struct swim_pool *pool, struct swim_stmt *st)
{
	size_t i, j, k, mask = pool->cap - 1;

	if (st == NULL || --st->refs > 0)
		return;
	for (i = st->hash & mask; pool->slots[i] != st; i = (i + 1) & mask)
		TL_ASSERT(pool->slots[i] != NULL);
	free(st);
	pool->slots[i] = NULL;
	pool->n--;
	/* Backward-shift deletion keeps probe chains intact without
	 * tombstones. */
	for (j = (i + 1) & mask; pool->slots[j] != NULL; j = (j + 1) & mask) {
		k = pool->slots[j]->hash & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			pool->slots[i] = pool->slots[j];
			pool->slots[j] = NULL;
			i = j;
		}
	}
}
