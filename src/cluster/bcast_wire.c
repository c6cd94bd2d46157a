/*
 * The BCAST part on the wire (docs/channels.md): a CBOR uint version (2),
 * then messages, each a CBOR array of eleven items:
 *   [kind, sender id (32 bytes), sender name, epoch, seq, base,
 *    Lamport time, wall ms, target, payload, signature (64 bytes)]
 * The signature is the sender's, over SIGN_DOMAIN followed by the first
 * ten items as an array of ten, encoded canonically (bcast_msg_signed()).
 * Every length is bounded before use; nothing is allocated.
 */
#include "cluster/bcast.h"

#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"

#define MSG_ITEMS	11
#define SIGNED_ITEMS	10
#define SIGN_DOMAIN	"tlaloc-bcast-v2"	/* and its NUL */

static void
put_items(const void *rec, struct buf *out)
{
	const struct bcast_msg *m = rec;

	codec_put_uint(out, m->kind);
	codec_put_bytes(out, m->sender, BCAST_ID_LEN);
	codec_put_text(out, m->sender_name, strlen(m->sender_name));
	codec_put_uint(out, m->epoch);
	codec_put_uint(out, m->seq);
	codec_put_uint(out, m->base);
	codec_put_uint(out, m->ltime);
	codec_put_uint(out, m->wall_ms);
	codec_put_text(out, m->target, strlen(m->target));
	codec_put_bytes(out, m->payload, m->len);
}

void
bcast_msg_encode(const struct bcast_msg *m, struct buf *out)
{
	codec_put_signed(out, SIGNED_ITEMS, put_items, m, m->sig,
	    BCAST_SIG_LEN);
}

void
bcast_msg_signed(const struct bcast_msg *m, struct buf *out)
{
	codec_put_to_sign(out, SIGN_DOMAIN, SIGNED_ITEMS, put_items, m);
}

static int
msg_decode(struct rd *rd, struct bcast_msg *m)
{
	const uint8_t *p;
	uint64_t kind;
	size_t n;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = codec_get_array_exact(rd, MSG_ITEMS)) < 0)
		return r;
	if ((r = codec_get_uint_max(rd, BCAST_KIND_LAST - 1, &kind)) < 0 ||
	    (r = codec_get_bytes_exact(rd, BCAST_ID_LEN, &p)) < 0)
		return r;
	if (kind == 0)
		return TL_EINVAL;
	m->kind = (uint8_t)kind;
	memcpy(m->sender, p, BCAST_ID_LEN);
	if ((r = codec_get_cstr(rd, BCAST_NAME_MAX, m->sender_name)) < 0 ||
	    (r = codec_get_uint(rd, &m->epoch)) < 0 ||
	    (r = codec_get_uint(rd, &m->seq)) < 0 ||
	    (r = codec_get_uint(rd, &m->base)) < 0 ||
	    (r = codec_get_uint(rd, &m->ltime)) < 0 ||
	    (r = codec_get_uint(rd, &m->wall_ms)) < 0 ||
	    (r = codec_get_cstr(rd, BCAST_TARGET_MAX, m->target)) < 0 ||
	    (r = codec_get_bytes(rd, BCAST_PAYLOAD_MAX, &p, &n)) < 0)
		return r;
	memcpy(m->payload, p, n);
	m->len = n;
	if ((r = codec_get_bytes_exact(rd, BCAST_SIG_LEN, &p)) < 0)
		return r;
	memcpy(m->sig, p, BCAST_SIG_LEN);
	if (m->seq == 0 || m->base == 0 || m->base > m->seq ||
	    m->sender_name[0] == '\0')
		return TL_EINVAL;
	return 0;
}

int
bcast_part_decode(const uint8_t *p, size_t len,
    void (*fn)(void *ctx, const struct bcast_msg *m), void *ctx)
{
	struct bcast_msg m;
	uint64_t ver;
	struct rd rd;
	int r, count = 0;

	rd_init(&rd, p, len);
	if ((r = codec_get_uint(&rd, &ver)) < 0)
		return r;
	if (ver != BCAST_WIRE_VERSION)
		return TL_EINVAL;
	while (rd_left(&rd) > 0) {
		if ((r = msg_decode(&rd, &m)) < 0)
			return r;
		fn(ctx, &m);
		count++;
	}
	return count;
}
