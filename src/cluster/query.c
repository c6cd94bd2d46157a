/* Query bodies, envelopes and replies on the wire (query.h). */
#include "cluster/query.h"

#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"

#define BODY_ITEMS	8
#define ENV_ITEMS	3
#define REPLY_ITEMS	13
#define REPLY_SIGNED	12
#define REPLY_DOMAIN	"tlaloc-qreply-v2"	/* and its NUL */

void
query_body_encode(const struct query *q, struct buf *out)
{
	codec_put_array(out, BODY_ITEMS);
	codec_put_uint(out, q->type);
	codec_put_bytes(out, q->id, QUERY_ID_LEN);
	codec_put_uint(out, q->time_ms);
	codec_put_bytes(out, q->nonce, QUERY_NONCE_LEN);
	codec_put_text(out, q->filter, strlen(q->filter));
	codec_put_uint(out, q->timeout_ms);
	codec_put_array(out, q->argc);
	for (size_t i = 0; i < q->argc; i++)
		codec_put_text(out, q->argv[i], strlen(q->argv[i]));
	codec_put_bytes(out, q->asker, QUERY_NODE_ID_LEN);
}

static int
get_argv(struct rd *rd, struct query *q)
{
	size_t n, used = 0, len;
	const char *p;
	int r;

	if ((r = codec_get_array(rd, QUERY_ARGV_MAX, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = codec_get_text(rd, QUERY_ARGS_BYTES, &p, &len)) < 0)
			return r;
		if (used + len + 1 > sizeof(q->store))
			return TL_ETOOBIG;
		memcpy(q->store + used, p, len);
		q->store[used + len] = '\0';
		q->argv[i] = q->store + used;
		used += len + 1;
	}
	q->argv[n] = NULL;
	q->argc = n;
	return 0;
}

int
query_body_decode(const uint8_t *p, size_t len, struct query *q)
{
	const uint8_t *b;
	uint64_t type, timeout;
	struct rd rd;
	int r;

	memset(q, 0, sizeof(*q));
	rd_init(&rd, p, len);
	if ((r = codec_get_array_exact(&rd, BODY_ITEMS)) < 0)
		return r;
	if ((r = codec_get_uint_max(&rd, QUERY_STATUS, &type)) < 0 ||
	    (r = codec_get_bytes_exact(&rd, QUERY_ID_LEN, &b)) < 0)
		return r;
	if (type == 0)
		return TL_EINVAL;
	q->type = (uint8_t)type;
	memcpy(q->id, b, QUERY_ID_LEN);
	if ((r = codec_get_uint(&rd, &q->time_ms)) < 0 ||
	    (r = codec_get_bytes_exact(&rd, QUERY_NONCE_LEN, &b)) < 0)
		return r;
	memcpy(q->nonce, b, QUERY_NONCE_LEN);
	if ((r = codec_get_cstr(&rd, QFILTER_MAX, q->filter)) < 0 ||
	    (r = codec_get_uint_max(&rd, QUERY_TIMEOUT_MAX_MS, &timeout)) < 0
	    || (r = get_argv(&rd, q)) < 0 ||
	    (r = codec_get_bytes_exact(&rd, QUERY_NODE_ID_LEN, &b)) < 0)
		return r;
	memcpy(q->asker, b, QUERY_NODE_ID_LEN);
	q->timeout_ms = (uint32_t)timeout;
	if (rd_left(&rd) != 0 || (q->type == QUERY_EXEC && q->argc == 0))
		return TL_EINVAL;
	return 0;
}

void
query_env_encode(const uint8_t *body, size_t blen, const uint8_t *key_id,
    const uint8_t *sig, struct buf *out)
{
	int is_signed = key_id != NULL && sig != NULL;

	codec_put_array(out, ENV_ITEMS);
	codec_put_bytes(out, body, blen);
	codec_put_bytes(out, key_id, is_signed ? QUERY_KEYID_LEN : 0);
	codec_put_bytes(out, sig, is_signed ? QUERY_SIG_LEN : 0);
}

int
query_env_decode(const uint8_t *p, size_t len, const uint8_t **body,
    size_t *blen, const uint8_t **key_id, const uint8_t **sig)
{
	size_t kl, sl;
	struct rd rd;
	int r;

	*body = *key_id = *sig = NULL;
	*blen = 0;
	rd_init(&rd, p, len);
	if ((r = codec_get_array_exact(&rd, ENV_ITEMS)) < 0)
		return r;
	if ((r = codec_get_bytes(&rd, len, body, blen)) < 0 ||
	    (r = codec_get_bytes(&rd, QUERY_KEYID_LEN, key_id, &kl)) < 0 ||
	    (r = codec_get_bytes(&rd, QUERY_SIG_LEN, sig, &sl)) < 0)
		return r;
	if (kl == 0 && sl == 0)
		*key_id = *sig = NULL;
	else if (kl != QUERY_KEYID_LEN || sl != QUERY_SIG_LEN)
		return TL_EINVAL;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

static void
reply_put_items(const void *rec, struct buf *out)
{
	const struct query_reply *r = rec;

	codec_put_bytes(out, r->id, QUERY_ID_LEN);
	codec_put_bytes(out, r->nonce, QUERY_NONCE_LEN);
	codec_put_bytes(out, r->node_id, QUERY_NODE_ID_LEN);
	codec_put_text(out, r->node, strlen(r->node));
	codec_put_uint(out, r->outcome);
	codec_put_uint(out, r->status);
	codec_put_bool(out, r->timed_out);
	codec_put_uint(out, r->duration_ms);
	codec_put_bytes(out, r->out, r->outlen);
	codec_put_bytes(out, r->errout, r->errlen);
	codec_put_uint(out, r->dropped);
	codec_put_text(out, r->msg, strlen(r->msg));
}

void
query_reply_encode(const struct query_reply *r, struct buf *out)
{
	codec_put_signed(out, REPLY_SIGNED, reply_put_items, r, r->sig,
	    QUERY_SIG_LEN);
}

void
query_reply_signed(const struct query_reply *r, struct buf *out)
{
	codec_put_to_sign(out, REPLY_DOMAIN, REPLY_SIGNED, reply_put_items,
	    r);
}

int
query_reply_decode(const uint8_t *p, size_t len, struct query_reply *r)
{
	const uint8_t *b;
	uint64_t outcome, status, dur;
	struct rd rd;
	int rc;

	memset(r, 0, sizeof(*r));
	rd_init(&rd, p, len);
	if ((rc = codec_get_array_exact(&rd, REPLY_ITEMS)) < 0)
		return rc;
	if ((rc = codec_get_bytes_exact(&rd, QUERY_ID_LEN, &b)) < 0)
		return rc;
	memcpy(r->id, b, QUERY_ID_LEN);
	if ((rc = codec_get_bytes_exact(&rd, QUERY_NONCE_LEN, &b)) < 0)
		return rc;
	memcpy(r->nonce, b, QUERY_NONCE_LEN);
	if ((rc = codec_get_bytes_exact(&rd, QUERY_NODE_ID_LEN, &b)) < 0)
		return rc;
	memcpy(r->node_id, b, QUERY_NODE_ID_LEN);
	if ((rc = codec_get_cstr(&rd, QUERY_NODE_MAX, r->node)) < 0 ||
	    (rc = codec_get_uint_max(&rd, QUERY_FAILED, &outcome)) < 0 ||
	    (rc = codec_get_uint_max(&rd, UINT32_MAX, &status)) < 0 ||
	    (rc = codec_get_bool(&rd, &r->timed_out)) < 0 ||
	    (rc = codec_get_uint_max(&rd, UINT32_MAX, &dur)) < 0 ||
	    (rc = codec_get_bytes(&rd, QUERY_OUTPUT_MAX, &r->out,
	    &r->outlen)) < 0 ||
	    (rc = codec_get_bytes(&rd, QUERY_OUTPUT_MAX, &r->errout,
	    &r->errlen)) < 0 ||
	    (rc = codec_get_uint(&rd, &r->dropped)) < 0 ||
	    (rc = codec_get_cstr(&rd, QUERY_MSG_MAX, r->msg)) < 0 ||
	    (rc = codec_get_bytes_exact(&rd, QUERY_SIG_LEN, &b)) < 0)
		return rc;
	memcpy(r->sig, b, QUERY_SIG_LEN);
	r->outcome = (uint8_t)outcome;
	r->status = (uint32_t)status;
	r->duration_ms = (uint32_t)dur;
	return rd_left(&rd) == 0 && r->node[0] != '\0' ? 0 : TL_EINVAL;
}
