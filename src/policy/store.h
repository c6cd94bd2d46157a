#ifndef TLALOC_POLICY_STORE_H
#define TLALOC_POLICY_STORE_H

/*
 * The policy store under STATE_DIR/policy/:
 *
 *   chunks/HASH        content chunks, named by their BLAKE2b-256 (hex)
 *   bundles/SERIAL     signed manifests as received (bundle.h)
 *   trees/SERIAL/      a bundle's files rebuilt from chunks, to converge
 *   current            the serial this node has accepted (text)
 *   good               the last serial whose recipes compiled here (text)
 *
 * Chunks are shared by every serial, so a rollback or a one-line change
 * fetches almost nothing. Every write is atomic (temp file + rename), so a
 * crash leaves a chunk either whole or absent.
 */

#include <stddef.h>
#include <stdint.h>

#include "policy/bundle.h"

struct buf;
struct tl_err;
struct pstore;

/* Opens (creating) STATE_DIR/policy. NULL with err on failure. */
struct pstore *pstore_open(const char *state_dir, struct tl_err *err);
void	pstore_free(struct pstore *ps);
/* Borrowed STATE_DIR/policy path. */
const char *pstore_path(const struct pstore *ps);

int	pstore_has_chunk(const struct pstore *ps,
	    const uint8_t h[BUNDLE_HASH_LEN]);
/* Stores p if its hash is h; TL_ECRYPTO (nothing stored) otherwise. */
int	pstore_put_chunk(struct pstore *ps, const uint8_t h[BUNDLE_HASH_LEN],
	    const uint8_t *p, size_t n, struct tl_err *err);
/* Appends the stored bytes (not re-verified: receivers check) to out. */
int	pstore_get_chunk(const struct pstore *ps,
	    const uint8_t h[BUNDLE_HASH_LEN], struct buf *out,
	    struct tl_err *err);

int	pstore_put_bundle(struct pstore *ps, uint64_t serial, const uint8_t *p,
	    size_t n, struct tl_err *err);
int	pstore_get_bundle(const struct pstore *ps, uint64_t serial,
	    struct buf *out, struct tl_err *err);
/* Every stored serial, ascending; *out is a new array (caller frees). */
size_t	pstore_list(const struct pstore *ps, uint64_t **out);

/* The serial in file name ("current" or "good"), 0 when none. */
uint64_t pstore_mark_get(const struct pstore *ps, const char *name);
int	pstore_mark_set(struct pstore *ps, const char *name, uint64_t serial,
	    struct tl_err *err);

/* How many of b's chunks are not stored yet. */
size_t	pstore_missing(const struct pstore *ps, const struct bundle *b);

/*
 * Rebuilds b's files under trees/SERIAL (once; an existing complete tree
 * is kept) and returns that directory as a new string in *dir. Every chunk
 * is checked against its hash again.
 */
int	pstore_materialize(struct pstore *ps, const struct bundle *b,
	    char **dir, struct tl_err *err);

/*
 * Adds every regular file under dir (recursively, dot files skipped) to b
 * and stores its chunks. For `tlaloc publish`.
 */
int	pstore_add_dir(struct pstore *ps, const char *dir, struct bundle *b,
	    struct tl_err *err);
/* Adds len bytes at p as file rel (mode) to b and stores its chunks. */
int	pstore_add_bytes(struct pstore *ps, const char *rel, const void *p,
	    size_t len, uint16_t mode, struct bundle *b, struct tl_err *err);

#endif
