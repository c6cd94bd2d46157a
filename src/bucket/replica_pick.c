/*
 * Which peers keep a node's backups: rendezvous (highest random weight)
 * hashing. Every candidate gets a score from SHA-256(self, candidate);
 * the k best win. While membership is stable the same peers are chosen
 * on every run, and when one dies only the copies it held move.
 */
#include "replica.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static uint64_t
score(const char *self, const char *name)
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	uint64_t v = 0;

	crypto_hash_sha256_init(&st);
	/* The NUL splits the names: ("ab", "c") and ("a", "bc") differ. */
	crypto_hash_sha256_update(&st, (const unsigned char *)self,
	    strlen(self) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)name,
	    strlen(name));
	crypto_hash_sha256_final(&st, h);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

/* Is candidate a better than b? Ties (never in practice) go by name. */
static int
better(uint64_t sa, const char *a, uint64_t sb, const char *b)
{
	return sa != sb ? sa > sb : strcmp(a, b) < 0;
}

size_t
repl_pick(const char *self, const char *const *names, size_t n, size_t k,
    size_t *out)
{
	uint64_t *s = xcalloc(n + 1, sizeof(*s));
	size_t got = 0;

	for (size_t i = 0; i < n; i++)
		s[i] = score(self, names[i]);
	/* k is small (a handful of replicas): selection, not a sort. */
	while (got < k && got < n) {
		size_t best = n;

		for (size_t i = 0; i < n; i++) {
			int taken = 0;

			for (size_t j = 0; j < got; j++)
				taken |= out[j] == i;
			if (!taken && (best == n || better(s[i], names[i],
			    s[best], names[best])))
				best = i;
		}
		out[got++] = best;
	}
	free(s);
	return got;
}
