#ifndef TLALOC_CORE_STRMAP_H
#define TLALOC_CORE_STRMAP_H

#include <stddef.h>

/*
 * An open-addressing hash map from strings to size_t, for lookups by name
 * (resource references, members). Keys are copied; values are plain.
 */
struct strmap {
	char	**keys;
	size_t	 *vals;
	size_t	  cap;		/* power of two, or 0 */
	size_t	  n;
};

#define STRMAP_INIT { NULL, NULL, 0, 0 }

/* Sets key to val; returns 1 if the key was new, 0 if it was replaced. */
int	strmap_put(struct strmap *m, const char *key, size_t val);
/* Returns 1 and sets *val (unless val is NULL) when key is present, else
 * 0. */
int	strmap_get(const struct strmap *m, const char *key, size_t *val);
void	strmap_release(struct strmap *m);

#endif
