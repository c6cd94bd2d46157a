#include "ctl/ctl_frame.h"

#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"

void
ctl_started_encode(const struct ctl_started *s, struct buf *out)
{
	codec_put_array(out, 2);
	codec_put_bytes(out, s->id, sizeof(s->id));
	codec_put_uint(out, s->expected);
}

int
ctl_started_decode(const uint8_t *p, size_t n, struct ctl_started *s)
{
	const uint8_t *id;
	struct rd rd;
	int r;

	memset(s, 0, sizeof(*s));
	rd_init(&rd, p, n);
	if ((r = codec_get_array_exact(&rd, 2)) < 0)
		return r;
	if ((r = codec_get_bytes_exact(&rd, CTL_FRAME_ID_LEN, &id)) < 0 ||
	    (r = codec_get_uint(&rd, &s->expected)) < 0)
		return r;
	memcpy(s->id, id, CTL_FRAME_ID_LEN);
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

void
ctl_cursor_encode(const struct ctl_cursor *c, struct buf *out)
{
	codec_put_array(out, 4);
	codec_put_uint(out, c->cursor);
	codec_put_bool(out, c->done);
	codec_put_bool(out, c->ok);
	codec_put_bytes(out, c->text, c->len);
}

int
ctl_cursor_decode(const uint8_t *p, size_t n, struct ctl_cursor *c)
{
	const uint8_t *text;
	struct rd rd;
	int r;

	memset(c, 0, sizeof(*c));
	rd_init(&rd, p, n);
	if ((r = codec_get_array_exact(&rd, 4)) < 0)
		return r;
	if ((r = codec_get_uint(&rd, &c->cursor)) < 0 ||
	    (r = codec_get_bool(&rd, &c->done)) < 0 ||
	    (r = codec_get_bool(&rd, &c->ok)) < 0 ||
	    (r = codec_get_bytes(&rd, CTL_FRAME_TEXT_MAX, &text,
	    &c->len)) < 0)
		return r;
	c->text = (const char *)text;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}
