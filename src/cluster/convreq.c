#include "cluster/convreq.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"

static const char domain[] = "tlaloc-converge-v1";

void
convreq_to_sign(const uint8_t *p, size_t n, struct buf *out)
{
	buf_add(out, domain, sizeof(domain));	/* with its NUL */
	buf_add(out, p, n);
}

int
convreq_encode_body(const char *name, uint64_t now_ms,
    const uint8_t nonce[CONVREQ_NONCE_LEN],
    const uint8_t key_id[CONVREQ_KEY_ID_LEN], struct buf *out)
{
	size_t nl = strlen(name);

	if (nl == 0 || nl > CONVREQ_NAME_MAX)
		return TL_EINVAL;
	buf_addch(out, CONVREQ_VERSION);
	buf_addch(out, (int)nl);
	buf_add(out, name, nl);
	buf_add_be(out, now_ms, 8);
	buf_add(out, nonce, CONVREQ_NONCE_LEN);
	buf_add(out, key_id, CONVREQ_KEY_ID_LEN);
	return 0;
}

int
convreq_decode(const uint8_t *p, size_t len, struct convreq *req)
{
	const uint8_t *name;
	uint8_t ver, nl;
	struct rd rd;
	int r;

	memset(req, 0, sizeof(*req));
	rd_init(&rd, p, len);
	if ((r = rd_u8(&rd, &ver)) < 0 || (r = rd_u8(&rd, &nl)) < 0 ||
	    (r = rd_bytes(&rd, &name, nl)) < 0 ||
	    (r = rd_u64(&rd, &req->issued_ms)) < 0 ||
	    (r = rd_copy(&rd, req->nonce, CONVREQ_NONCE_LEN)) < 0 ||
	    (r = rd_copy(&rd, req->key_id, CONVREQ_KEY_ID_LEN)) < 0)
		return r;
	req->signed_part = p;
	req->signed_len = len - rd_left(&rd);
	if ((r = rd_bytes(&rd, &req->sig, CONVREQ_SIG_LEN)) < 0)
		return r;
	if (ver != CONVREQ_VERSION || nl == 0 || rd_left(&rd) != 0 ||
	    memchr(name, '\0', nl) != NULL)
		return TL_EINVAL;
	memcpy(req->name, name, nl);
	req->name[nl] = '\0';
	return 0;
}

int
convreq_fresh(const struct convreq *req, const char *self_name,
    uint64_t now_ms)
{
	uint64_t skew;

	if (strcmp(req->name, self_name) != 0)
		return TL_EINVAL;
	skew = now_ms > req->issued_ms ? now_ms - req->issued_ms :
	    req->issued_ms - now_ms;
	return skew > CONVREQ_SKEW_MS ? TL_ETIMEOUT : 0;
}
