/*
 * The replica message codec (replica.h draws the layout). The decoder is
 * strict: every entry must be one the bucket could hold, and content must
 * match its hash, so nothing a peer sends reaches the disk unchecked.
 */
#include "replica.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"

static void
add_be(struct buf *out, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	buf_add(out, b, (size_t)bytes);
}

void
repl_begin(struct buf *out, uint8_t op, const uint8_t sender[REPL_ID_LEN])
{
	buf_addch(out, REPL_VERSION);
	buf_addch(out, op);
	buf_add(out, sender, REPL_ID_LEN);
}

void
repl_add_u16(struct buf *out, unsigned v)
{
	add_be(out, v, 2);
}

void
repl_add_u64(struct buf *out, uint64_t v)
{
	add_be(out, v, 8);
}

void
repl_add_path(struct buf *out, const char *path)
{
	size_t n = strlen(path);

	add_be(out, n, 2);
	buf_add(out, path, n);
}

void
repl_add_entry(struct buf *out, const struct bucket_entry *e,
    const void *data)
{
	uint8_t h[32];
	size_t rn = strlen(e->run_id);

	repl_add_path(out, e->path);
	buf_addch(out, (int)rn);
	buf_add(out, e->run_id, rn);
	add_be(out, (uint64_t)e->time, 8);
	add_be(out, e->mode, 2);
	add_be(out, e->uid, 4);
	add_be(out, e->gid, 4);
	sodium_hex2bin(h, sizeof(h), e->hash, 64, NULL, NULL, NULL);
	buf_add(out, h, sizeof(h));
	add_be(out, e->size, 4);
	if (data != NULL)
		buf_add(out, data, (size_t)e->size);
}

/* --- decoding ------------------------------------------------------------ */

static int
rd_str(struct rd *rd, size_t lenbytes, size_t max, char **out)
{
	const uint8_t *p;
	uint16_t n16 = 0;
	uint8_t n8 = 0;
	size_t n;
	int r;

	r = lenbytes == 2 ? rd_u16(rd, &n16) : rd_u8(rd, &n8);
	if (r < 0)
		return r;
	n = lenbytes == 2 ? n16 : n8;
	if (n > max)
		return TL_EINVAL;
	if ((r = rd_bytes(rd, &p, n)) < 0)
		return r;
	if (memchr(p, '\0', n) != NULL)
		return TL_EINVAL;
	*out = xmalloc(n + 1);
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

static int
rd_path(struct rd *rd, char **out, struct tl_err *err)
{
	int r;

	if ((r = rd_str(rd, 2, BUCKET_PATH_MAX, out)) < 0)
		return tl_err_set(err, r, "bad path in replica message");
	if (!path_is_clean_abs(*out))
		return tl_err_set(err, TL_EINVAL, "replica path '%s' is not "
		    "clean and absolute", *out);
	return 0;
}

static int
rd_entry_fields(struct rd *rd, struct bucket_entry *e, struct tl_err *err)
{
	uint64_t t = 0;
	uint32_t uid = 0, gid = 0, size = 0;
	uint16_t mode = 0;
	const uint8_t *h;
	int r;

	if ((r = rd_path(rd, &e->path, err)) < 0)
		return r;
	if ((r = rd_str(rd, 1, BUCKET_RUN_MAX, &e->run_id)) < 0 ||
	    !bucket_run_id_ok(e->run_id))
		return tl_err_set(err, r < 0 ? r : TL_EINVAL, "bad run id in "
		    "replica of '%s'", e->path);
	if ((r = rd_u64(rd, &t)) < 0 || (r = rd_u16(rd, &mode)) < 0 ||
	    (r = rd_u32(rd, &uid)) < 0 || (r = rd_u32(rd, &gid)) < 0 ||
	    (r = rd_bytes(rd, &h, 32)) < 0 || (r = rd_u32(rd, &size)) < 0)
		return tl_err_set(err, r, "replica of '%s' cut short", e->path);
	if (mode > 07777 || t > (uint64_t)1 << 62 || size > REPL_ENTRY_MAX)
		return tl_err_set(err, TL_EINVAL, "replica of '%s' has a bad "
		    "mode, time or size", e->path);
	e->time = (long long)t;
	e->mode = mode;
	e->uid = uid;
	e->gid = gid;
	e->size = size;
	sodium_bin2hex(e->hash, sizeof(e->hash), h, 32);
	return 0;
}

static int
rd_entry(struct rd *rd, struct repl_item *it, int with_data,
    struct tl_err *err)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];
	int r;

	if ((r = rd_entry_fields(rd, &it->e, err)) < 0 || !with_data)
		return r;
	if ((r = rd_bytes(rd, &it->data, (size_t)it->e.size)) < 0)
		return tl_err_set(err, r, "content of replica '%s' cut short",
		    it->e.path);
	crypto_hash_sha256(h, it->data, (size_t)it->e.size);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (strcmp(hex, it->e.hash) != 0)
		return tl_err_set(err, TL_EINVAL, "content of replica '%s' "
		    "does not match its hash", it->e.path);
	return 0;
}

static int
rd_entries(struct rd *rd, struct repl_msg *m, int with_data, size_t count,
    struct tl_err *err)
{
	int r;

	if (count > REPL_ITEMS_MAX)
		return tl_err_set(err, TL_ETOOBIG, "%zu entries in one replica "
		    "message", count);
	m->v = xcalloc(count + 1, sizeof(*m->v));
	for (size_t i = 0; i < count; i++) {
		m->n = i + 1;
		if ((r = rd_entry(rd, &m->v[i], with_data, err)) < 0)
			return r;
	}
	return 0;
}

static int
decode_request(struct rd *rd, struct repl_msg *m, struct tl_err *err)
{
	uint16_t n = 0;
	uint64_t t = 0;
	int r;

	if (m->op == REPL_PUSH) {
		if ((r = rd_u16(rd, &n)) < 0)
			return tl_err_set(err, r, "replica push cut short");
		return rd_entries(rd, m, 1, n, err);
	}
	if ((r = rd_path(rd, &m->path, err)) < 0)
		return r;
	if (m->op == REPL_GET) {
		if ((r = rd_u64(rd, &t)) < 0 || t > (uint64_t)1 << 62)
			return tl_err_set(err, r < 0 ? r : TL_EINVAL,
			    "bad time in replica request");
		m->time = (long long)t;
	}
	return 0;
}

static int
decode_reply(struct rd *rd, struct repl_msg *m, struct tl_err *err)
{
	uint16_t n = 0;
	int r;

	if ((r = rd_u8(rd, &m->status)) < 0)
		return tl_err_set(err, r, "replica reply cut short");
	if (m->status != REPL_OK)
		return 0;
	switch (m->op & ~REPL_REPLY) {
	case REPL_PUSH:
		if ((r = rd_u16(rd, &n)) < 0)
			return tl_err_set(err, r, "replica reply cut short");
		m->stored = n;
		return 0;
	case REPL_LIST:
		if ((r = rd_u16(rd, &n)) < 0)
			return tl_err_set(err, r, "replica reply cut short");
		return rd_entries(rd, m, 0, n, err);
	default:
		return rd_entries(rd, m, 1, 1, err);
	}
}

int
repl_msg_decode(const uint8_t *p, size_t n, struct repl_msg *m,
    struct tl_err *err)
{
	uint8_t ver = 0, base;
	struct rd rd;
	int r, is_reply;

	memset(m, 0, sizeof(*m));
	rd_init(&rd, p, n);
	if ((r = rd_u8(&rd, &ver)) < 0 || (r = rd_u8(&rd, &m->op)) < 0 ||
	    (r = rd_copy(&rd, m->sender, REPL_ID_LEN)) < 0)
		return tl_err_set(err, r, "replica message cut short");
	base = m->op & ~REPL_REPLY;
	is_reply = (m->op & REPL_REPLY) != 0;
	if (ver != REPL_VERSION || base < REPL_PUSH || base > REPL_GET)
		return tl_err_set(err, TL_EINVAL, "unknown replica message "
		    "(version %u, op %u)", ver, m->op);
	if (!is_reply) {
		if (rd_left(&rd) < REPL_SIG_LEN)
			return tl_err_set(err, TL_ETRUNC, "replica request "
			    "without a signature");
		m->signed_len = n - REPL_SIG_LEN;
		m->sig = p + m->signed_len;
		rd_init(&rd, p + (n - rd_left(&rd)), rd_left(&rd) -
		    REPL_SIG_LEN);
		r = decode_request(&rd, m, err);
	} else
		r = decode_reply(&rd, m, err);
	if (r == 0 && rd_left(&rd) != 0)
		r = tl_err_set(err, TL_EINVAL, "%zu stray bytes after a replica "
		    "message", rd_left(&rd));
	return r;
}

void
repl_msg_release(struct repl_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		bucket_entry_release(&m->v[i].e);
	free(m->v);
	free(m->path);
	memset(m, 0, sizeof(*m));
}
