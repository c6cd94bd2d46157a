#ifndef TLALOC_CORE_HEX_H
#define TLALOC_CORE_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Hex digits read back into bytes, for the text forms that carry them:
 * %XX escapes (HTTP, the bucket index) and hex fields in tags. Pure: no
 * allocation, no libsodium, so cluster/ can use it too.
 */

/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other c. */
int	hex_digit(int c);

/*
 * Decodes the 2 * n hex digits at s into out[0..n). Returns 0, or
 * TL_EINVAL at the first character that is not a hex digit (out is then
 * left partly written). s need not be NUL-terminated.
 */
int	hex_decode(uint8_t *out, size_t n, const char *s);

#endif
