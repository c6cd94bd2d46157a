#include "program/convreq_sign.h"

#include <sodium.h>

#include "cluster/convreq.h"
#include "core/buf.h"
#include "net/opkey.h"

_Static_assert(CONVREQ_KEY_ID_LEN == OPKEY_ID_LEN, "convreq key id");
_Static_assert(CONVREQ_SIG_LEN == OPKEY_SIG_LEN, "convreq signature");

int
convreq_sign_encode(const struct opkey *k, const char *name,
    uint64_t now_ms, struct buf *out)
{
	struct buf msg = BUF_INIT;
	uint8_t nonce[CONVREQ_NONCE_LEN], sig[OPKEY_SIG_LEN];
	size_t start = out->len;
	int r;

	randombytes_buf(nonce, sizeof(nonce));
	if ((r = convreq_encode_body(name, now_ms, nonce,
	    opkey_public(k)->id, out)) < 0)
		return r;
	convreq_to_sign((uint8_t *)out->data + start, out->len - start, &msg);
	opkey_sign(k, (uint8_t *)msg.data, msg.len, sig);
	buf_add(out, sig, sizeof(sig));
	buf_release(&msg);
	return 0;
}

int
convreq_sign_check(const struct convreq *req, const struct opkey_trust *t,
    const char *self_name, uint64_t now_ms)
{
	struct buf msg = BUF_INIT;
	int r;

	if ((r = convreq_fresh(req, self_name, now_ms)) < 0)
		return r;
	convreq_to_sign(req->signed_part, req->signed_len, &msg);
	r = opkey_verify(t, req->key_id, (uint8_t *)msg.data, msg.len,
	    req->sig);
	buf_release(&msg);
	return r;
}
