#include "rd.h"

#include <string.h>

#include "be.h"
#include "err.h"

void
rd_init(struct rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = len;
}

int
rd_bytes(struct rd *rd, const uint8_t **p, size_t n)
{
	*p = NULL;
	if (rd->len < n)
		return TL_ETRUNC;
	*p = rd->p;
	rd->p += n;
	rd->len -= n;
	return 0;
}

int
rd_copy(struct rd *rd, void *dst, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = rd_bytes(rd, &p, n)) < 0) {
		memset(dst, 0, n);
		return r;
	}
	memcpy(dst, p, n);
	return 0;
}

int
rd_u8(struct rd *rd, uint8_t *v)
{
	return rd_copy(rd, v, 1);
}

/* Reads n bytes as one big-endian number: every rd_uN, so that none
 * consumes anything when fewer than its bytes are left. */
static int
rd_be(struct rd *rd, size_t n, uint64_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = rd_bytes(rd, &p, n)) < 0)
		return r;
	*v = be_get(p, n);
	return 0;
}

int
rd_u16(struct rd *rd, uint16_t *v)
{
	uint64_t x;
	int r = rd_be(rd, 2, &x);

	*v = (uint16_t)x;
	return r;
}

int
rd_u32(struct rd *rd, uint32_t *v)
{
	uint64_t x;
	int r = rd_be(rd, 4, &x);

	*v = (uint32_t)x;
	return r;
}

int
rd_u64(struct rd *rd, uint64_t *v)
{
	return rd_be(rd, 8, v);
}

int
rd_until(struct rd *rd, int delim, const uint8_t **p, size_t *n, int *found)
{
	const uint8_t *end = memchr(rd->p, delim, rd->len);

	*p = rd->p;
	if (found != NULL)
		*found = end != NULL;
	if (end == NULL) {
		*n = rd->len;
		rd->p += rd->len;
		rd->len = 0;
		return 0;
	}
	*n = (size_t)(end - rd->p);
	rd->len -= *n + 1;
	rd->p = end + 1;
	return 0;
}

size_t
rd_left(const struct rd *rd)
{
	return rd->len;
}
