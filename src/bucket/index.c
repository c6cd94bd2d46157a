/*
 * The bucket index codec (the line format is drawn in bucket_int.h).
 *
 * The index is append-only text so that a crash can hurt at most the line
 * being written, and so that an operator can read it with grep. The
 * decoder trusts nothing: every line is bounded, every field is checked
 * for its exact shape and range, the path must be clean and absolute (a
 * restore writes to root + path), and the id must be the hash of the
 * record. A line that fails any check is garbage: counted and skipped.
 */
#include "bucket_int.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hex.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define INDEX_NFIELDS	11
#define INDEX_VERSION	"1"

enum {
	F_ID, F_VERSION, F_TIME, F_RUN, F_HASH, F_SIZE, F_MODE, F_UID, F_GID,
	F_NONCE, F_PATH
};

/* One field of a line: borrowed bytes of the input. */
struct field {
	const uint8_t	*p;
	size_t		 n;
};

static const char hexdigits[] = "0123456789abcdef";

void
bucket_index_init(struct bucket_index *idx)
{
	memset(idx, 0, sizeof(*idx));
}

void
bucket_index_release(struct bucket_index *idx)
{
	for (size_t i = 0; i < idx->n; i++)
		bucket_entry_release(&idx->v[i]);
	free(idx->v);
	bucket_index_init(idx);
}

void
bucket_entry_release(struct bucket_entry *e)
{
	free(e->path);
	free(e->run_id);
	memset(e, 0, sizeof(*e));
}

void
bucket_entry_copy(struct bucket_entry *dst, const struct bucket_entry *src)
{
	*dst = *src;
	dst->path = xstrdup(src->path);
	dst->run_id = xstrdup(src->run_id);
}

void
bucket_index_id(const void *p, size_t n, char id[16])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, p, n);
	for (size_t i = 0; i < 6; i++) {
		id[2 * i] = hexdigits[h[i] >> 4];
		id[2 * i + 1] = hexdigits[h[i] & 0xf];
	}
	id[12] = '\0';
}

static int
run_char_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._:@+-", c) != NULL;
}

static int
run_id_ok(const uint8_t *p, size_t n)
{
	if (n == 0 || n > BUCKET_RUN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || !run_char_ok(p[i]))
			return 0;
	return 1;
}

int
bucket_run_id_ok(const char *s)
{
	return s != NULL && run_id_ok((const uint8_t *)s, strlen(s));
}

/* --- decoding ---------------------------------------------------------- */

static int
hex_ok(const struct field *f, size_t want)
{
	if (f->n != want)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (strchr(hexdigits, f->p[i]) == NULL || f->p[i] == '\0')
			return 0;
	return 1;
}

/* A decimal without sign or leading zeros, at most max. */
static int
dec_parse(const struct field *f, unsigned long long max,
    unsigned long long *v)
{
	unsigned long long x = 0;

	*v = 0;
	if (f->n == 0 || f->n > 20 || (f->n > 1 && f->p[0] == '0'))
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		unsigned d = (unsigned)f->p[i] - '0';

		if (d > 9 || x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* Exactly four octal digits, as "%04o" writes permission bits. */
static int
mode_parse4(const struct field *f, unsigned *mode)
{
	unsigned m = 0;

	*mode = 0;
	if (f->n != 4)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		if (f->p[i] < '0' || f->p[i] > '7')
			return -1;
		m = m * 8 + (unsigned)(f->p[i] - '0');
	}
	*mode = m;
	return 0;
}

/* Undoes the %XX escaping into a new string; NULL when malformed. */
static char *
path_unescape(const struct field *f)
{
	struct buf b = BUF_INIT;
	struct rd rd;
	uint8_t c;

	rd_init(&rd, f->p, f->n);
	while (rd_u8(&rd, &c) == 0) {
		if (c < 0x20 || c == 0x7f)
			goto bad;
		if (c == '%') {
			char h[2];

			if (rd_copy(&rd, h, 2) < 0 ||
			    hex_decode(&c, 1, h) < 0 || c == 0)
				goto bad;
		}
		if (b.len >= BUCKET_PATH_MAX)
			goto bad;
		buf_addch(&b, c);
	}
	return buf_detach(&b, NULL);
bad:
	buf_release(&b);
	return NULL;
}

/* Splits a line into exactly INDEX_NFIELDS fields. */
static int
fields_split(const uint8_t *p, size_t n, struct field *f)
{
	struct rd rd;
	int found = 1;

	rd_init(&rd, p, n);
	for (size_t i = 0; i < INDEX_NFIELDS; i++) {
		if (!found)
			return -1;
		rd_until(&rd, '\t', &f[i].p, &f[i].n, &found);
	}
	return found ? -1 : 0;	/* a TAB after the path: too many fields */
}

static int
fields_check_fixed(const struct field *f, struct bucket_entry *e,
    struct tl_err *err)
{
	unsigned long long v;

	if (f[F_VERSION].n != 1 || f[F_VERSION].p[0] != INDEX_VERSION[0])
		return tl_err_set(err, TL_EINVAL, "unknown index version");
	if (dec_parse(&f[F_TIME], LLONG_MAX, &v) < 0)
		return tl_err_set(err, TL_EINVAL, "bad time");
	e->time = (long long)v;
	if (!run_id_ok(f[F_RUN].p, f[F_RUN].n))
		return tl_err_set(err, TL_EINVAL, "bad run id");
	if (!hex_ok(&f[F_HASH], 64))
		return tl_err_set(err, TL_EINVAL, "bad content hash");
	if (dec_parse(&f[F_SIZE], BUCKET_FILE_MAX, &e->size) < 0)
		return tl_err_set(err, TL_EINVAL, "bad size");
	if (mode_parse4(&f[F_MODE], &e->mode) < 0)
		return tl_err_set(err, TL_EINVAL, "bad mode");
	/* (uid_t)-1 means "leave alone" to chown, never a real owner. */
	if (dec_parse(&f[F_UID], UINT32_MAX - 1, &v) < 0)
		return tl_err_set(err, TL_EINVAL, "bad uid");
	e->uid = (unsigned)v;
	if (dec_parse(&f[F_GID], UINT32_MAX - 1, &v) < 0)
		return tl_err_set(err, TL_EINVAL, "bad gid");
	e->gid = (unsigned)v;
	if (!hex_ok(&f[F_NONCE], 2 * BUCKET_NONCE_LEN))
		return tl_err_set(err, TL_EINVAL, "bad nonce");
	return 0;
}

int
bucket_index_decode(const uint8_t *p, size_t n, struct bucket_entry *e,
    struct tl_err *err)
{
	struct field f[INDEX_NFIELDS];
	const uint8_t *record;
	char id[16];
	int r;

	memset(e, 0, sizeof(*e));
	if (n > BUCKET_LINE_MAX)
		return tl_err_set(err, TL_ETOOBIG, "line over %d bytes",
		    BUCKET_LINE_MAX);
	if (fields_split(p, n, f) < 0)
		return tl_err_set(err, TL_EINVAL, "not %d fields",
		    INDEX_NFIELDS);
	if (!hex_ok(&f[F_ID], 12))
		return tl_err_set(err, TL_EINVAL, "bad id");
	if ((r = fields_check_fixed(f, e, err)) < 0)
		goto fail;
	e->path = path_unescape(&f[F_PATH]);
	if (e->path == NULL || !path_is_clean_abs(e->path)) {
		r = tl_err_set(err, TL_EINVAL, "bad path");
		goto fail;
	}
	/* The id check comes last so that the field checks above still see
	 * every line, which keeps them reachable by the fuzzer. */
	record = f[F_VERSION].p;
	bucket_index_id(record, n - (size_t)(record - p), id);
	if (memcmp(id, f[F_ID].p, 12) != 0) {
		r = tl_err_set(err, TL_EINVAL, "id does not match the record");
		goto fail;
	}
	memcpy(e->id, id, sizeof(id));
	memcpy(e->hash, f[F_HASH].p, 64);
	e->hash[64] = '\0';
	e->run_id = xstrndup((const char *)f[F_RUN].p, f[F_RUN].n);
	return 0;
fail:
	bucket_entry_release(e);
	return r;
}

void
bucket_index_parse(struct bucket_index *idx, const void *p, size_t len)
{
	struct bucket_entry e;
	const uint8_t *line;
	struct rd rd;
	size_t n;
	int found;

	rd_init(&rd, p, len);
	while (rd_left(&rd) > 0) {
		rd_until(&rd, '\n', &line, &n, &found);
		if (!found) {
			/* Still being appended, or cut by a crash; the next
			 * append starts a fresh line after it. */
			idx->is_torn = 1;
			break;
		}
		if (n == 0)
			continue;
		if (bucket_index_decode(line, n, &e, NULL) < 0) {
			idx->garbage++;
			continue;
		}
		idx->v = xgrow(idx->v, &idx->cap, idx->n + 1, sizeof(*idx->v));
		idx->v[idx->n++] = e;
	}
}

/* --- encoding ---------------------------------------------------------- */

static void
path_escape(struct buf *out, const char *path)
{
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if (*s < 0x20 || *s == 0x7f || *s == '%')
			buf_addf(out, "%%%02X", *s);
		else
			buf_addch(out, *s);
	}
}

void
bucket_index_encode(struct buf *out, struct bucket_entry *e,
    const uint8_t nonce[BUCKET_NONCE_LEN])
{
	struct buf rec = BUF_INIT;

	TL_ASSERT(e->path != NULL && path_is_clean_abs(e->path));
	TL_ASSERT(strlen(e->path) <= BUCKET_PATH_MAX);
	TL_ASSERT(bucket_run_id_ok(e->run_id));
	TL_ASSERT(strlen(e->hash) == 64 && e->size <= BUCKET_FILE_MAX);
	TL_ASSERT(e->mode <= 07777 && e->time >= 0);
	TL_ASSERT(e->uid != UINT32_MAX && e->gid != UINT32_MAX);
	buf_addf(&rec, INDEX_VERSION "\t%lld\t%s\t%s\t%llu\t%04o\t%u\t%u\t",
	    e->time, e->run_id, e->hash, e->size, e->mode, e->uid, e->gid);
	for (size_t i = 0; i < BUCKET_NONCE_LEN; i++)
		buf_addf(&rec, "%02x", nonce[i]);
	buf_addch(&rec, '\t');
	path_escape(&rec, e->path);
	bucket_index_id(rec.data, rec.len, e->id);
	buf_addf(out, "%s\t%s\n", e->id, rec.data);
	buf_release(&rec);
}
