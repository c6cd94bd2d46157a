#include "cluster/convrep.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"

/* Text a peer sent us, as a C string: no NUL inside, bounded. */
static int
text_take(struct rd *rd, size_t n, char *out)
{
	const uint8_t *p;
	int r;

	if ((r = rd_bytes(rd, &p, n)) < 0)
		return r;
	if (memchr(p, '\0', n) != NULL)
		return TL_EINVAL;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
convrep_env_encode(const char *addr, const uint8_t *req, size_t n,
    struct buf *out)
{
	size_t al = strlen(addr);

	if (al == 0 || al > CONVREP_ADDR_MAX)
		return TL_EINVAL;
	buf_addch(out, (int)al);
	buf_add(out, addr, al);
	buf_add(out, req, n);
	return 0;
}

int
convrep_env_decode(const uint8_t *p, size_t len,
    char addr[CONVREP_ADDR_MAX + 1], const uint8_t **req, size_t *n)
{
	struct rd rd;
	uint8_t al;
	int r;

	rd_init(&rd, p, len);
	if ((r = rd_u8(&rd, &al)) < 0)
		return r;
	if (al == 0 || al > CONVREP_ADDR_MAX)
		return TL_EINVAL;
	if ((r = text_take(&rd, al, addr)) < 0)
		return r;
	*n = rd_left(&rd);
	*req = p + (len - *n);
	return *n > 0 ? 0 : TL_ETRUNC;
}

/* Everything the signature covers. */
static void
put_fields(const struct convrep *r, struct buf *out)
{
	size_t nl = strnlen(r->node, CONVREQ_NAME_MAX);
	size_t el = strnlen(r->error, CONVREP_ERR_MAX);

	buf_addch(out, CONVREP_VERSION);
	buf_add(out, r->nonce, CONVREQ_NONCE_LEN);
	buf_add(out, r->node_id, CONVREP_ID_LEN);
	buf_addch(out, (int)nl);
	buf_add(out, r->node, nl);
	buf_add_be(out, r->runs, 8);
	buf_add_be(out, r->serial, 8);
	buf_add_be(out, r->status, 2);
	buf_add_be(out, r->changed, 4);
	buf_add_be(out, r->failed, 4);
	buf_add_be(out, r->duration_ms, 4);
	buf_addch(out, (int)el);
	buf_add(out, r->error, el);
}

void
convrep_encode(const struct convrep *r, struct buf *out)
{
	put_fields(r, out);
	buf_add(out, r->sig, CONVREP_SIG_LEN);
}

void
convrep_signed(const struct convrep *r, struct buf *out)
{
	buf_add(out, CONVREP_DOMAIN, sizeof(CONVREP_DOMAIN));
	put_fields(r, out);
}

int
convrep_decode(const uint8_t *p, size_t len, struct convrep *r)
{
	uint8_t ver, nl, el;
	struct rd rd;
	int rc;

	memset(r, 0, sizeof(*r));
	rd_init(&rd, p, len);
	if ((rc = rd_u8(&rd, &ver)) < 0)
		return rc;
	if (ver != CONVREP_VERSION)
		return TL_EINVAL;
	if ((rc = rd_copy(&rd, r->nonce, CONVREQ_NONCE_LEN)) < 0 ||
	    (rc = rd_copy(&rd, r->node_id, CONVREP_ID_LEN)) < 0 ||
	    (rc = rd_u8(&rd, &nl)) < 0 ||
	    (rc = text_take(&rd, nl, r->node)) < 0 ||
	    (rc = rd_u64(&rd, &r->runs)) < 0 ||
	    (rc = rd_u64(&rd, &r->serial)) < 0 ||
	    (rc = rd_u16(&rd, &r->status)) < 0 ||
	    (rc = rd_u32(&rd, &r->changed)) < 0 ||
	    (rc = rd_u32(&rd, &r->failed)) < 0 ||
	    (rc = rd_u32(&rd, &r->duration_ms)) < 0 ||
	    (rc = rd_u8(&rd, &el)) < 0)
		return rc;
	if (nl == 0 || el > CONVREP_ERR_MAX)
		return TL_EINVAL;
	if ((rc = text_take(&rd, el, r->error)) < 0 ||
	    (rc = rd_copy(&rd, r->sig, CONVREP_SIG_LEN)) < 0)
		return rc;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}
