/*
 * Which peers keep a node's backups: rendezvous (highest random weight)
 * hashing, keyed with the owner's secret. Every candidate gets a score
 * from BLAKE2b(placement key, candidate id); the k best win. While
 * membership is stable the same peers are chosen on every run, and when
 * one dies only the copies it held move. Scores were once SHA-256 of the
 * two names, which anyone could compute: a member could pick a name that
 * won another node's backups. Keyed, nobody but the owner can tell which
 * id would win, so no name or key can be chosen to.
 */
#include "replica.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/be.h"
#include "core/xalloc.h"

static uint64_t
score(const uint8_t key[32], const uint8_t id[REPL_ID_LEN])
{
	uint8_t h[8];

	crypto_generichash(h, sizeof(h), id, REPL_ID_LEN, key, 32);
	return be_get(h, sizeof(h));
}

/* Is candidate a better than b? Ties (never in practice) go by id. */
static int
better(uint64_t sa, const uint8_t *a, uint64_t sb, const uint8_t *b)
{
	return sa != sb ? sa > sb : memcmp(a, b, REPL_ID_LEN) < 0;
}

size_t
repl_pick(const uint8_t secret[REPL_SECRET_LEN],
    const uint8_t (*ids)[REPL_ID_LEN], size_t n, size_t k, size_t *out)
{
	uint64_t *s = xcalloc(n + 1, sizeof(*s));
	uint8_t key[32];
	size_t got = 0;

	repl_subkey(secret, "tlaloc replica place", key);
	for (size_t i = 0; i < n; i++)
		s[i] = score(key, ids[i]);
	sodium_memzero(key, sizeof(key));
	/* k is small (a handful of replicas): selection, not a sort. */
	while (got < k && got < n) {
		size_t best = n;

		for (size_t i = 0; i < n; i++) {
			int taken = 0;

			for (size_t j = 0; j < got; j++)
				taken |= out[j] == i;
			if (!taken && (best == n || better(s[i], ids[i],
			    s[best], ids[best])))
				best = i;
		}
		out[got++] = best;
	}
	free(s);
	return got;
}
