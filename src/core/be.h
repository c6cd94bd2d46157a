#ifndef TLALOC_CORE_BE_H
#define TLALOC_CORE_BE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Big-endian (network order) integers at a fixed place in an array: the
 * packet stamp, signed statements, object headers. Appends and bounded
 * reads go through buf_add_be() and rd_u16()..rd_u64(), which use these.
 * Pure: no allocation, so cluster/ and net/ can use it.
 */

/* Writes the low n (1 to 8) bytes of v to p[0..n), most significant
 * first. */
void	be_put(uint8_t *p, uint64_t v, size_t n);

/* The n (1 to 8) bytes at p, most significant first, as one number. */
uint64_t be_get(const uint8_t *p, size_t n);

#endif
