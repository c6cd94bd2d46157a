/*
 * The replica message codec (replica.h draws the layout). The decoder is
 * strict about shape and bounds; what an item holds is sealed, and only
 * its owner can open it (replica_seal.c).
 */
#include "replica.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/xalloc.h"

/* The biggest object a frame carries: the entry bound, sealed. */
#define REPL_OBJECT_MAX	(REPL_ENTRY_MAX + REPL_SEAL_OVERHEAD(4096))
#define REPL_META_MAX	(REPL_SEAL_OVERHEAD(4096))
/* An ESCROW request, whole, as a KEYS reply carries it. */
#define REPL_ESCROW_WIRE_MAX \
	(2 + REPL_ID_LEN + 1 + REPL_ESCROW_MAX * (REPL_OPKEY_ID + \
	REPL_BOX_LEN) + REPL_SIG_LEN)

void
repl_begin(struct buf *out, uint8_t op, const uint8_t sender[REPL_ID_LEN])
{
	buf_addch(out, REPL_VERSION);
	buf_addch(out, op);
	buf_add(out, sender, REPL_ID_LEN);
}

void
repl_add_item(struct buf *out, const uint8_t tag[REPL_TAG_LEN],
    long long time, const void *obj, size_t n)
{
	buf_add(out, tag, REPL_TAG_LEN);
	buf_add_be(out, (uint64_t)time, 8);
	buf_add_be(out, n, 4);
	buf_add(out, obj, n);
}

void
repl_add_head(struct buf *out, long long time, size_t size,
    const uint8_t *meta, size_t n)
{
	buf_add_be(out, (uint64_t)time, 8);
	buf_add_be(out, size, 4);
	buf_add_be(out, n, 2);
	buf_add(out, meta, n);
}

/* --- decoding ------------------------------------------------------------ */

static int
rd_time(struct rd *rd, long long *t)
{
	uint64_t v = 0;
	int r;

	if ((r = rd_u64(rd, &v)) < 0)
		return r;
	if (v > (uint64_t)1 << 62)
		return TL_EINVAL;
	*t = (long long)v;
	return 0;
}

/* An item (with_tag: PUSH, GET reply) or a LIST head. */
static int
rd_item(struct rd *rd, struct repl_item *it, int is_head)
{
	uint32_t size = 0;
	uint16_t mlen = 0;
	int r;

	if (!is_head && (r = rd_copy(rd, it->tag, REPL_TAG_LEN)) < 0)
		return r;
	if ((r = rd_time(rd, &it->time)) < 0 || (r = rd_u32(rd, &size)) < 0)
		return r;
	if (size > REPL_OBJECT_MAX)
		return TL_ETOOBIG;
	if (is_head) {
		if ((r = rd_u16(rd, &mlen)) < 0)
			return r;
		if (mlen > REPL_META_MAX || mlen > size)
			return TL_EINVAL;
		it->size = mlen;	/* what data holds: the meta box */
		return rd_bytes(rd, &it->data, mlen);
	}
	it->size = size;
	return rd_bytes(rd, &it->data, size);
}

static int
rd_items(struct rd *rd, struct repl_msg *m, size_t count, int is_head,
    struct tl_err *err)
{
	int r;

	if (count > REPL_ITEMS_MAX)
		return tl_err_set(err, TL_ETOOBIG, "%zu items in one replica "
		    "message", count);
	m->v = xcalloc(count + 1, sizeof(*m->v));
	for (size_t i = 0; i < count; i++) {
		m->n = i + 1;
		if ((r = rd_item(rd, &m->v[i], is_head)) < 0)
			return tl_err_set(err, r, "replica item %zu is bad or "
			    "cut short", i);
	}
	return 0;
}

static int
decode_escrow(struct rd *rd, struct repl_msg *m, struct tl_err *err)
{
	uint8_t n = 0;
	int r;

	if ((r = rd_u8(rd, &n)) < 0 || n > REPL_ESCROW_MAX)
		return tl_err_set(err, r < 0 ? r : TL_EINVAL, "bad escrow");
	m->blob_len = (size_t)n * (REPL_OPKEY_ID + REPL_BOX_LEN);
	if ((r = rd_bytes(rd, &m->blob, m->blob_len)) < 0)
		return tl_err_set(err, r, "escrow cut short");
	return 0;
}

static int
decode_request(struct rd *rd, struct repl_msg *m, struct tl_err *err)
{
	uint16_t n = 0;
	uint8_t len = 0;
	int r;

	switch (m->op) {
	case REPL_PUSH:
		if ((r = rd_u16(rd, &n)) < 0)
			return tl_err_set(err, r, "replica push cut short");
		return rd_items(rd, m, n, 0, err);
	case REPL_ESCROW:
		return decode_escrow(rd, m, err);
	case REPL_KEYS:
		if ((r = rd_u8(rd, &len)) < 0 || len == 0 ||
		    len > REPL_ID_LEN || (r = rd_bytes(rd, &m->blob, len)) < 0)
			return tl_err_set(err, r < 0 ? r : TL_EINVAL,
			    "bad origin prefix");
		m->blob_len = len;
		return 0;
	default:
		break;
	}
	if ((r = rd_copy(rd, m->origin, REPL_ID_LEN)) < 0 ||
	    (r = rd_copy(rd, m->tag, REPL_TAG_LEN)) < 0)
		return tl_err_set(err, r, "replica request cut short");
	if (m->op == REPL_GET && (r = rd_time(rd, &m->time)) < 0)
		return tl_err_set(err, r, "bad time in replica request");
	return 0;
}

static int
decode_reply(struct rd *rd, struct repl_msg *m, struct tl_err *err)
{
	uint32_t len = 0;
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
		return rd_items(rd, m, n, 1, err);
	case REPL_GET:
		return rd_items(rd, m, 1, 0, err);
	case REPL_KEYS:
		if ((r = rd_u32(rd, &len)) < 0 || len > REPL_ESCROW_WIRE_MAX ||
		    (r = rd_bytes(rd, &m->blob, len)) < 0)
			return tl_err_set(err, r < 0 ? r : TL_ETOOBIG,
			    "bad escrow reply");
		m->blob_len = len;
		return 0;
	default:
		return 0;
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
	if (ver != REPL_VERSION || base < REPL_PUSH || base > REPL_KEYS)
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
	free(m->v);
	memset(m, 0, sizeof(*m));
}
