#include "core/be.h"

#include "core/err.h"

void
be_put(uint8_t *p, uint64_t v, size_t n)
{
	TL_ASSERT(n >= 1 && n <= 8);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

uint64_t
be_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	TL_ASSERT(n >= 1 && n <= 8);
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}
