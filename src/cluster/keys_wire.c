/* The keyring rotation's parts (cluster/keys_wire.h). */
#include "cluster/keys_wire.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"

void
keys_wire_encode(uint8_t op, uint32_t reqid, const void *extra, size_t n,
    struct buf *out)
{
	buf_addch(out, op);
	buf_add_be(out, reqid, 4);
	buf_add(out, extra, n);
}

int
keys_wire_decode(struct rd *rd, uint8_t *op, uint32_t *reqid)
{
	int r;

	*op = 0;
	*reqid = 0;
	if ((r = rd_u8(rd, op)) < 0 || (r = rd_u32(rd, reqid)) < 0)
		return r;
	return *op >= KW_OFFER && *op <= KW_LAST ? 0 : TL_EINVAL;
}
