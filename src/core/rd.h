#ifndef TLALOC_CORE_RD_H
#define TLALOC_CORE_RD_H

#include <stddef.h>
#include <stdint.h>

/*
 * A bounded reader over (ptr, len). Every getter fails with TL_ETRUNC
 * instead of reading past the end, and leaves its out-parameter zeroed.
 * Integers are big-endian (network order).
 */
struct rd {
	const uint8_t	*p;
	size_t		 len;	/* bytes left */
};

void	rd_init(struct rd *rd, const void *p, size_t len);
int	rd_u8(struct rd *rd, uint8_t *v);
int	rd_u16(struct rd *rd, uint16_t *v);
int	rd_u32(struct rd *rd, uint32_t *v);
int	rd_u64(struct rd *rd, uint64_t *v);
/* Borrows n bytes: *p points into the reader's input. */
int	rd_bytes(struct rd *rd, const uint8_t **p, size_t n);
int	rd_copy(struct rd *rd, void *dst, size_t n);
/*
 * Reads up to and not including the next byte equal to delim; the delimiter
 * is consumed. Without a delimiter, takes the rest and returns 0 with
 * *found 0 (found may be NULL).
 */
int	rd_until(struct rd *rd, int delim, const uint8_t **p, size_t *n,
	    int *found);
size_t	rd_left(const struct rd *rd);

#endif
