#include "core/hex.h"

#include "core/err.h"

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(uint8_t *out, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		/* The first bad digit ends it: a short s is not read past its
		 * NUL. */
		if ((hi = hex_digit((unsigned char)s[2 * i])) < 0 ||
		    (lo = hex_digit((unsigned char)s[2 * i + 1])) < 0)
			return TL_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
