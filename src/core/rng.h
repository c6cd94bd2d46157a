#ifndef TLALOC_CORE_RNG_H
#define TLALOC_CORE_RNG_H

#include <stdint.h>

/*
 * A small seeded pseudo-random generator (xoshiro256**, seeded through
 * splitmix64, after Blackman and Vigna). Deterministic: the same seed gives
 * the same sequence on every platform, which is what lets the simulator
 * replay a run bit for bit. Not for keys or nonces: use libsodium for those.
 * The struct is public so callers can keep it on the stack or embed it.
 */
struct tl_rng {
	uint64_t	s[4];
};

/* Seeds rng; any seed (0 included) is fine. */
void	tl_rng_seed(struct tl_rng *rng, uint64_t seed);
/* Next 64 uniformly distributed bits. */
uint64_t tl_rng_next(struct tl_rng *rng);
/* Uniform in [0, n); n == 0 returns 0. Unbiased (rejection sampling). */
uint64_t tl_rng_below(struct tl_rng *rng, uint64_t n);
/* Uniform double in [0, 1). */
double	tl_rng_unit(struct tl_rng *rng);

#endif
