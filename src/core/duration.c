#include "duration.h"

#include <stdlib.h>
#include <string.h>

/* A day: longer waits and intervals are typing mistakes, not intent. */
#define DURATION_MAX_MS	86400000.0

long long
duration_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60000;
	else if (strcmp(end, "h") == 0)
		v *= 3600000;
	else
		return -1;
	/* Written so that NaN ("nan") is refused too. */
	return v <= DURATION_MAX_MS ? (long long)v : -1;
}
