#ifndef TLALOC_BUCKET_BUCKET_INT_H
#define TLALOC_BUCKET_BUCKET_INT_H

/*
 * The bucket index codec: seen only by the src/bucket files, the unit tests and
 * the fuzz target.
 *
 * The index is a text file, one backup per line, fields split by one TAB:
 *
 *   +------------+---+------+-----+--------+------+------+-----+-----+-------+------+
 *   | id         | 1 | time | run | sha256 | size | mode | uid | gid | nonce | path |
 *   +------------+---+------+-----+--------+------+------+-----+-----+-------+------+
 *   | 12 hex     |ver| dec  | 1-64| 64 hex | dec  | 4 oct| dec | dec | 16 hex| esc. |
 *   +------------+---+------+-----+--------+------+------+-----+-----+-------+------+
 *                \______________________ record ___________________________________/
 *
 *   id     the first 12 hex digits of SHA-256(record), where the record is
 *          the line after "id<TAB>" without its '\n'. It names the backup
 *          and checks the line: a line cut by a crash and later completed
 *          by the next append's '\n' no longer matches its id, so it is
 *          skipped instead of read as a shorter path or size.
 *   1      the format version.
 *   run    [A-Za-z0-9._:@+-], 1 to 64 bytes; "-" when no run id was given.
 *   nonce  random, so two backups that agree on every other field (same
 *          path, content and second) still get different ids.
 *   path   the managed path, clean and absolute, at most 4096 bytes once
 *          decoded; bytes below 0x20, 0x7f and '%' are written as %XX.
 *
 * Lines are at most BUCKET_LINE_MAX bytes. Decoding is strict: any field
 * that does not match exactly makes the line garbage, counted and skipped.
 */

#include <stddef.h>
#include <stdint.h>

#include "bucket/bucket.h"

struct buf;
struct tl_err;

#define BUCKET_LINE_MAX		16384	/* > 12 + 4096 * 3 + other fields */
#define BUCKET_PATH_MAX		4096
#define BUCKET_RUN_MAX		64
#define BUCKET_NONCE_LEN	8	/* bytes; 16 hex on the line */

struct bucket_index {
	struct bucket_entry	*v;		/* entries in file order */
	size_t			 n, cap;
	size_t			 garbage;	/* complete lines skipped */
	int			 is_torn;	/* input ended inside a line */
};

void	bucket_index_init(struct bucket_index *idx);
/* Frees the entries; idx is left as after bucket_index_init(). */
void	bucket_index_release(struct bucket_index *idx);

/*
 * Appends every valid line of the index image (p, len) to idx; complete
 * lines that fail to decode are counted in idx->garbage, empty lines are
 * skipped, and a last line without '\n' sets idx->is_torn and is ignored.
 * Never fails: a damaged index loses only its damaged lines.
 */
void	bucket_index_parse(struct bucket_index *idx, const void *p,
	    size_t len);

/*
 * Decodes one line (without its '\n') into e; on failure returns < 0 with
 * the reason in err and leaves e zeroed. Release e with
 * bucket_entry_release().
 */
int	bucket_index_decode(const uint8_t *p, size_t n, struct bucket_entry *e,
	    struct tl_err *err);

/*
 * Appends e as one index line, '\n' included, to out; the id is computed
 * from the record and written to e->id. e must be valid (asserted).
 */
void	bucket_index_encode(struct buf *out, struct bucket_entry *e,
	    const uint8_t nonce[BUCKET_NONCE_LEN]);

/* Writes the first 12 hex digits of SHA-256(p, n) and a NUL to id. */
void	bucket_index_id(const void *p, size_t n, char id[16]);

/* Is s a valid run id? */
int	bucket_run_id_ok(const char *s);

/* Frees e's strings; accepts an entry left zeroed. */
void	bucket_entry_release(struct bucket_entry *e);
/* Deep-copies src into dst. */
void	bucket_entry_copy(struct bucket_entry *dst,
	    const struct bucket_entry *src);

#endif
