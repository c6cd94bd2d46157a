#include "rd.h"

#include <string.h>

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

int
rd_u16(struct rd *rd, uint16_t *v)
{
	uint8_t b[2];
	int r;

	*v = 0;
	if ((r = rd_copy(rd, b, 2)) < 0)
		return r;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

int
rd_u32(struct rd *rd, uint32_t *v)
{
	uint8_t b[4];
	int r;

	*v = 0;
	if ((r = rd_copy(rd, b, 4)) < 0)
		return r;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int
rd_u64(struct rd *rd, uint64_t *v)
{
	uint32_t hi, lo;
	int r;

	*v = 0;
	if ((r = rd_u32(rd, &hi)) < 0 || (r = rd_u32(rd, &lo)) < 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
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
