#ifndef TLALOC_CORE_NONCES_H
#define TLALOC_CORE_NONCES_H

/*
 * Seen nonces: the replay guard of operator-signed requests (exec queries,
 * converge requests), kept on disk so that a restart does not open the
 * window again. A request carries a random nonce and its issue time; a
 * node acts on it only when the time is within the window of its clock
 * (the caller checks that) and the nonce was never seen. The set holds at
 * most `max` nonces; when it must forget one to take a new one, the
 * forgotten one's time becomes the horizon, and anything issued at or
 * before the horizon is refused: so a nonce is never accepted twice, even
 * after it was forgotten.
 *
 * On disk, every accepted nonce is written (atomically, fsync'd) before
 * the caller acts on it: the file holds the horizon and the nonces still
 * inside the window, so it stays small (the requests of the last minute).
 *
 *   file = [version (1), horizon ms, [[nonce (16 bytes), time ms]...]]
 *
 * in the project's CBOR codec; read with the bounded reader, fuzzed
 * (tests/fuzz/fuzz_nonces.c). A damaged file is refused at open, naming
 * it: the caller decides (the agent keeps running but refuses the signed
 * requests the file guards, converge requests and exec queries, and logs
 * why, rather than act without its memory of what it already did).
 */

#include <stddef.h>
#include <stdint.h>

struct tl_err;

#define NONCES_LEN	16
#define NONCES_VERSION	1

struct nonces;

/*
 * Opens the set kept in path (NULL: in memory only), loading what is there
 * (a missing file is an empty set). max >= 1 nonces are remembered;
 * window_ms is how long a request stays acceptable. NULL with err when the
 * file cannot be read or does not decode.
 */
struct nonces *nonces_open(const char *path, size_t max, uint64_t window_ms,
	    uint64_t now_ms, struct tl_err *err);
void	nonces_free(struct nonces *ns);		/* accepts NULL */

/*
 * A request with nonce issued at time_ms, checked at now_ms (both unix
 * ms). 0: new, now remembered and on disk; TL_EEXIST: seen before;
 * TL_ETIMEOUT: issued at or before the horizon (too old to vouch for);
 * another code with err when it could not be written (then it is not
 * remembered: the caller must not act on it).
 */
int	nonces_check(struct nonces *ns, const uint8_t nonce[NONCES_LEN],
	    uint64_t time_ms, uint64_t now_ms, struct tl_err *err);

/* How many nonces are remembered, and the horizon (tests, info). */
size_t	nonces_count(const struct nonces *ns);
uint64_t nonces_horizon(const struct nonces *ns);

/* Decodes a file image into ns (replacing its content); for the fuzzer. */
int	nonces_decode(struct nonces *ns, const uint8_t *p, size_t len);

#endif
