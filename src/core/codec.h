#ifndef TLALOC_CORE_CODEC_H
#define TLALOC_CORE_CODEC_H

/*
 * A small subset of CBOR (RFC 8949) for our wire formats: unsigned
 * integers, byte strings, text strings, definite arrays, booleans. Encoding
 * appends shortest-form heads to a struct buf (a library for two dozen
 * lines cost every process a shared object to map); decoding reads a
 * bounded struct rd and accepts only
 * the subset above: indefinite lengths, tags, floats, maps and negative
 * integers fail with TL_EINVAL, anything cut short with TL_ETRUNC, and
 * every length is checked against a caller's bound before it is used.
 * Nothing here allocates while decoding.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rd;

enum codec_type {
	CODEC_UINT = 0,
	CODEC_BYTES = 2,
	CODEC_TEXT = 3,
	CODEC_ARRAY = 4,
	CODEC_SIMPLE = 7	/* false, true */
};

void	codec_put_uint(struct buf *b, uint64_t v);
void	codec_put_bytes(struct buf *b, const void *p, size_t n);
void	codec_put_text(struct buf *b, const char *s, size_t n);
void	codec_put_array(struct buf *b, size_t n);
void	codec_put_bool(struct buf *b, int v);

/*
 * Signed records: a record is an array of its items followed by the
 * signature of its author; what the author signs is a domain string
 * (with its NUL, so no record of one kind reads as another) followed by
 * the items alone as an array of their own, encoded canonically. A
 * receiver rebuilds that from what it decoded, so it checks the content,
 * whatever bytes carried it. fn appends the nitems items of rec.
 */
typedef void (*codec_items_fn)(const void *rec, struct buf *out);
void	codec_put_signed(struct buf *b, size_t nitems, codec_items_fn fn,
	    const void *rec, const uint8_t *sig, size_t siglen);
void	codec_put_to_sign(struct buf *b, const char *domain, size_t nitems,
	    codec_items_fn fn, const void *rec);

/* Returns the major type of the next item without consuming it, or < 0. */
int	codec_peek(const struct rd *rd);
/* Each getter sets its out-parameters to zero/NULL first. */
int	codec_get_uint(struct rd *rd, uint64_t *v);
/* A uint that must be <= max (TL_ETOOBIG otherwise). */
int	codec_get_uint_max(struct rd *rd, uint64_t max, uint64_t *v);
/* Borrows the bytes; fails with TL_ETOOBIG when longer than max. */
int	codec_get_bytes(struct rd *rd, size_t max, const uint8_t **p,
	    size_t *n);
/* Exactly n bytes of byte string (ids, signatures). */
int	codec_get_bytes_exact(struct rd *rd, size_t n, const uint8_t **p);
/* Text: borrowed, not NUL-terminated, and must hold no NUL byte. */
int	codec_get_text(struct rd *rd, size_t max, const char **p, size_t *n);
/* Text copied into dst (at least max + 1 bytes) and NUL-terminated. */
int	codec_get_cstr(struct rd *rd, size_t max, char *dst);
/* Array header; TL_ETOOBIG when it has more than max items. */
int	codec_get_array(struct rd *rd, size_t max, size_t *n);
/* Array header of exactly n items: a record of fixed shape. TL_ETOOBIG
 * when it has more, TL_EINVAL when fewer. */
int	codec_get_array_exact(struct rd *rd, size_t n);
int	codec_get_bool(struct rd *rd, int *v);
/* Skips one item of our subset, nesting at most depth arrays deep. */
int	codec_skip(struct rd *rd, int depth);

#endif
