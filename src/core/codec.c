#include "codec.h"

#include <string.h>

#include "buf.h"
#include "err.h"
#include "rd.h"

/*
 * A head of major type (RFC 8949 3.1): the argument in the initial byte
 * below 24, else in the shortest of 1, 2, 4 or 8 big-endian bytes that
 * holds it (the canonical form every decoder of ours insists on).
 */
static void
put_head(struct buf *b, int major, uint64_t arg)
{
	int info = 24, bytes = 1;	/* info 24 + k: 2^k bytes follow */

	if (arg < 24) {
		buf_addch(b, major << 5 | (int)arg);
		return;
	}
	while (bytes < 8 && arg >> (8 * bytes) != 0) {
		info++;
		bytes *= 2;
	}
	buf_addch(b, major << 5 | info);
	buf_add_be(b, arg, bytes);
}

void
codec_put_uint(struct buf *b, uint64_t v)
{
	put_head(b, CODEC_UINT, v);
}

void
codec_put_bytes(struct buf *b, const void *p, size_t n)
{
	put_head(b, CODEC_BYTES, n);
	buf_add(b, p, n);
}

void
codec_put_text(struct buf *b, const char *s, size_t n)
{
	put_head(b, CODEC_TEXT, n);
	buf_add(b, s, n);
}

void
codec_put_array(struct buf *b, size_t n)
{
	put_head(b, CODEC_ARRAY, n);
}

void
codec_put_bool(struct buf *b, int v)
{
	/* Simple values (major type 7): 20 is false, 21 is true. */
	buf_addch(b, 7 << 5 | (v ? 21 : 20));
}

/* Reads one head: major type and argument. Indefinite lengths refused. */
static int
get_head(struct rd *rd, int *major, uint64_t *arg)
{
	uint8_t ib, b8;
	uint16_t b16;
	uint32_t b32;
	int r, info;

	*major = -1;
	*arg = 0;
	if ((r = rd_u8(rd, &ib)) < 0)
		return r;
	info = ib & 0x1f;
	if (info < 24) {
		*arg = (uint64_t)info;
	} else if (info == 24) {
		if ((r = rd_u8(rd, &b8)) < 0)
			return r;
		*arg = b8;
	} else if (info == 25) {
		if ((r = rd_u16(rd, &b16)) < 0)
			return r;
		*arg = b16;
	} else if (info == 26) {
		if ((r = rd_u32(rd, &b32)) < 0)
			return r;
		*arg = b32;
	} else if (info == 27) {
		if ((r = rd_u64(rd, arg)) < 0)
			return r;
	} else {
		return TL_EINVAL;	/* reserved or indefinite */
	}
	/*
	 * Only the shortest form is read: every value then has one encoding,
	 * so what a node signs, re-encodes or compares is what it received.
	 */
	if ((info == 24 && *arg < 24) || (info == 25 && *arg <= 0xff) ||
	    (info == 26 && *arg <= 0xffff) ||
	    (info == 27 && *arg <= 0xffffffffULL)) {
		*arg = 0;
		return TL_EINVAL;
	}
	*major = ib >> 5;
	return 0;
}

static int
expect_head(struct rd *rd, int want, uint64_t *arg)
{
	int major, r;

	if ((r = get_head(rd, &major, arg)) < 0)
		return r;
	if (major != want) {
		*arg = 0;
		return TL_EINVAL;
	}
	return 0;
}

/* expect_head(), with the argument (a value or a length) at most max:
 * TL_ETOOBIG, and *arg 0, above it. */
static int
expect_head_max(struct rd *rd, int want, uint64_t max, uint64_t *arg)
{
	int r;

	if ((r = expect_head(rd, want, arg)) < 0)
		return r;
	if (*arg > max) {
		*arg = 0;
		return TL_ETOOBIG;
	}
	return 0;
}

int
codec_peek(const struct rd *rd)
{
	struct rd copy = *rd;
	uint64_t arg;
	int major, r;

	if ((r = get_head(&copy, &major, &arg)) < 0)
		return r;
	return major;
}

int
codec_get_uint(struct rd *rd, uint64_t *v)
{
	return expect_head(rd, CODEC_UINT, v);
}

int
codec_get_uint_max(struct rd *rd, uint64_t max, uint64_t *v)
{
	return expect_head_max(rd, CODEC_UINT, max, v);
}

static int
get_string(struct rd *rd, int major, size_t max, const uint8_t **p,
    size_t *n)
{
	uint64_t len;
	int r;

	*p = NULL;
	*n = 0;
	if ((r = expect_head_max(rd, major, max, &len)) < 0 ||
	    (r = rd_bytes(rd, p, (size_t)len)) < 0)
		return r;
	*n = (size_t)len;
	return 0;
}

int
codec_get_bytes(struct rd *rd, size_t max, const uint8_t **p, size_t *n)
{
	return get_string(rd, CODEC_BYTES, max, p, n);
}

int
codec_get_bytes_exact(struct rd *rd, size_t n, const uint8_t **p)
{
	size_t got;
	int r;

	if ((r = get_string(rd, CODEC_BYTES, n, p, &got)) < 0)
		return r;
	if (got != n) {
		*p = NULL;
		return TL_EINVAL;
	}
	return 0;
}

int
codec_get_text(struct rd *rd, size_t max, const char **p, size_t *n)
{
	const uint8_t *u;
	int r;

	*p = NULL;
	if ((r = get_string(rd, CODEC_TEXT, max, &u, n)) < 0)
		return r;
	if (memchr(u, '\0', *n) != NULL) {
		*n = 0;
		return TL_EINVAL;
	}
	*p = (const char *)u;
	return 0;
}

int
codec_get_cstr(struct rd *rd, size_t max, char *dst)
{
	const char *p;
	size_t n;
	int r;

	dst[0] = '\0';
	if ((r = codec_get_text(rd, max, &p, &n)) < 0)
		return r;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int
codec_get_array(struct rd *rd, size_t max, size_t *n)
{
	uint64_t len;
	int r;

	*n = 0;
	if ((r = expect_head_max(rd, CODEC_ARRAY, max, &len)) < 0)
		return r;
	*n = (size_t)len;
	return 0;
}

int
codec_get_array_exact(struct rd *rd, size_t n)
{
	size_t items;
	int r;

	if ((r = codec_get_array(rd, n, &items)) < 0)
		return r;
	return items == n ? 0 : TL_EINVAL;
}

int
codec_get_bool(struct rd *rd, int *v)
{
	uint64_t arg;
	int r;

	*v = 0;
	if ((r = expect_head(rd, CODEC_SIMPLE, &arg)) < 0)
		return r;
	if (arg != 20 && arg != 21)
		return TL_EINVAL;
	*v = arg == 21;
	return 0;
}

int
codec_skip(struct rd *rd, int depth)
{
	const uint8_t *p;
	uint64_t arg;
	int major, r;

	if ((r = get_head(rd, &major, &arg)) < 0)
		return r;
	switch (major) {
	case CODEC_UINT:
		return 0;
	case CODEC_BYTES:
	case CODEC_TEXT:
		if (arg > rd_left(rd))
			return TL_ETRUNC;
		return rd_bytes(rd, &p, (size_t)arg);
	case CODEC_ARRAY:
		if (depth <= 0)
			return TL_ETOOBIG;
		/* Each item takes at least one byte: bounds the loop. */
		if (arg > rd_left(rd))
			return TL_ETRUNC;
		for (uint64_t i = 0; i < arg; i++)
			if ((r = codec_skip(rd, depth - 1)) < 0)
				return r;
		return 0;
	case CODEC_SIMPLE:
		return arg == 20 || arg == 21 ? 0 : TL_EINVAL;
	default:
		return TL_EINVAL;
	}
}

void
codec_put_signed(struct buf *b, size_t nitems, codec_items_fn fn,
    const void *rec, const uint8_t *sig, size_t siglen)
{
	codec_put_array(b, nitems + 1);
	fn(rec, b);
	codec_put_bytes(b, sig, siglen);
}

void
codec_put_to_sign(struct buf *b, const char *domain, size_t nitems,
    codec_items_fn fn, const void *rec)
{
	buf_add(b, domain, strlen(domain) + 1);
	codec_put_array(b, nitems);
	fn(rec, b);
}
