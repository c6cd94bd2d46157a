#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static uint64_t
strmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = (size_t)strmap_hash(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
strmap_resize(struct strmap *m)
{
	struct strmap bigger = { NULL, NULL, m->cap ? m->cap * 2 : 16, 0 };

	bigger.keys = xcalloc(bigger.cap, sizeof(char *));
	bigger.vals = xcalloc(bigger.cap, sizeof(size_t));
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		size_t j = strmap_slot(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
		bigger.n++;
	}
	free(m->keys);
	free(m->vals);
	*m = bigger;
}

int
strmap_put(struct strmap *m, const char *key, size_t val)
{
	size_t i;

	if ((m->n + 1) * 4 >= m->cap * 3)
		strmap_resize(m);
	i = strmap_slot(m, key);
	if (m->keys[i] != NULL) {
		m->vals[i] = val;
		return 0;
	}
	m->keys[i] = xstrdup(key);
	m->vals[i] = val;
	m->n++;
	return 1;
}

int
strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = strmap_slot(m, key);
	if (m->keys[i] == NULL)
		return 0;
	if (val != NULL)
		*val = m->vals[i];
	return 1;
}

void
strmap_release(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
