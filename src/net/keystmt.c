/*
 * Operator statements about keys, and the list of evicted node keys
 * (keystmt.h draws the statement).
 */
#include "keystmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/be.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define CONTEXT		"tlaloc keys v1"
#define REVOKED_MAX	4096	/* evictions kept; far above any fleet's */

void
keystmt_key_hash(const uint8_t key[KEYRING_KEY_LEN],
    uint8_t out[KEYSTMT_HASH_LEN])
{
	crypto_generichash(out, KEYSTMT_HASH_LEN, key, KEYRING_KEY_LEN,
	    (const uint8_t *)CONTEXT, sizeof(CONTEXT) - 1);
}

/* The context and the body: what the operator signs. */
static void
keystmt_signed(const struct keystmt *s, uint8_t *out)
{
	uint8_t *p = out;

	memcpy(p, CONTEXT, sizeof(CONTEXT) - 1);
	p += sizeof(CONTEXT) - 1;
	*p++ = s->op;
	be_put(p, s->issued_ms, 8);
	p += 8;
	memcpy(p, s->key_id, KEYRING_ID_LEN);
	p += KEYRING_ID_LEN;
	memcpy(p, s->key_hash, KEYSTMT_HASH_LEN);
	p += KEYSTMT_HASH_LEN;
	memcpy(p, s->node, KEYSTMT_NODE_LEN);
	p += KEYSTMT_NODE_LEN;
	memcpy(p, s->signer, OPKEY_ID_LEN);
}

#define SIGNED_LEN	(sizeof(CONTEXT) - 1 + KEYSTMT_BODY_LEN)

void
keystmt_sign(struct keystmt *s, const struct opkey *k)
{
	uint8_t msg[SIGNED_LEN];

	memcpy(s->signer, opkey_public(k)->id, OPKEY_ID_LEN);
	keystmt_signed(s, msg);
	opkey_sign(k, msg, sizeof(msg), s->sig);
}

void
keystmt_encode(const struct keystmt *s, uint8_t out[KEYSTMT_LEN])
{
	uint8_t msg[SIGNED_LEN];

	keystmt_signed(s, msg);
	memcpy(out, msg + sizeof(CONTEXT) - 1, KEYSTMT_BODY_LEN);
	memcpy(out + KEYSTMT_BODY_LEN, s->sig, OPKEY_SIG_LEN);
}

int
keystmt_decode(const uint8_t *p, size_t n, struct keystmt *s)
{
	struct rd rd;

	memset(s, 0, sizeof(*s));
	if (n != KEYSTMT_LEN)
		return TL_EINVAL;
	rd_init(&rd, p, n);
	if (rd_u8(&rd, &s->op) < 0 || rd_u64(&rd, &s->issued_ms) < 0 ||
	    rd_copy(&rd, s->key_id, KEYRING_ID_LEN) < 0 ||
	    rd_copy(&rd, s->key_hash, KEYSTMT_HASH_LEN) < 0 ||
	    rd_copy(&rd, s->node, KEYSTMT_NODE_LEN) < 0 ||
	    rd_copy(&rd, s->signer, OPKEY_ID_LEN) < 0 ||
	    rd_copy(&rd, s->sig, OPKEY_SIG_LEN) < 0)
		return TL_ETRUNC;
	if (s->op < KEYSTMT_INSTALL || s->op > KEYSTMT_ADMIT)
		return TL_EINVAL;
	return 0;
}

int
keystmt_verify(const struct opkey_trust *t, const struct keystmt *s)
{
	uint8_t msg[SIGNED_LEN];

	keystmt_signed(s, msg);
	return opkey_verify(t, s->signer, msg, sizeof(msg), s->sig);
}

void
keystmt_b64(const struct keystmt *s, struct buf *out)
{
	uint8_t raw[KEYSTMT_LEN];
	char b64[sodium_base64_ENCODED_LEN(KEYSTMT_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];

	keystmt_encode(s, raw);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	buf_addstr(out, b64);
}

int
keystmt_from_b64(const char *b64, struct keystmt *s)
{
	uint8_t raw[KEYSTMT_LEN + 1];
	size_t len = 0;
	const char *end = NULL;

	memset(s, 0, sizeof(*s));
	if (sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), " \n",
	    &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *end != '\0')
		return TL_EINVAL;
	return keystmt_decode(raw, len, s);
}

/* ---- statements kept: evictions, pack admissions ----------------------- */

struct keylist {
	uint8_t		 op;		/* of every statement kept */
	struct keystmt	*v;
	size_t		 n, cap;
};

struct keylist *
keylist_new(uint8_t op)
{
	struct keylist *kl = xcalloc(1, sizeof(*kl));

	kl->op = op;
	return kl;
}

void
keylist_free(struct keylist *rv)
{
	if (rv == NULL)
		return;
	free(rv->v);
	free(rv);
}

const struct keystmt *
keylist_find(const struct keylist *rv, const uint8_t node[KEYSTMT_NODE_LEN],
    const uint8_t hash[KEYSTMT_HASH_LEN])
{
	if (rv == NULL)
		return NULL;
	for (size_t i = 0; i < rv->n; i++)
		if (memcmp(rv->v[i].node, node, KEYSTMT_NODE_LEN) == 0 &&
		    (rv->op != KEYSTMT_ADMIT || memcmp(rv->v[i].key_hash, hash,
		    KEYSTMT_HASH_LEN) == 0))
			return &rv->v[i];
	return NULL;
}

int
keylist_has(const struct keylist *rv, const uint8_t node[KEYSTMT_NODE_LEN])
{
	return keylist_find(rv, node, NULL) != NULL;
}

void
keystmt_pack_hash(const char *pack, uint8_t out[KEYSTMT_HASH_LEN])
{
	crypto_generichash(out, KEYSTMT_HASH_LEN, (const uint8_t *)pack,
	    strlen(pack), (const uint8_t *)"tlaloc pack v1", 14);
}

int
keylist_add(struct keylist *rv, const struct keystmt *s)
{
	TL_ASSERT(s->op == rv->op);
	if (keylist_find(rv, s->node, s->key_hash) != NULL ||
	    rv->n == REVOKED_MAX)
		return 0;
	rv->v = xgrow(rv->v, &rv->cap, rv->n + 1, sizeof(*rv->v));
	rv->v[rv->n++] = *s;
	return 1;
}

size_t
keylist_count(const struct keylist *rv)
{
	return rv != NULL ? rv->n : 0;
}

const struct keystmt *
keylist_at(const struct keylist *rv, size_t i)
{
	return rv != NULL && i < rv->n ? &rv->v[i] : NULL;
}

void
keylist_parse(struct keylist *rv, const char *text, size_t len,
    const struct opkey_trust *t, size_t *skipped)
{
	const char *line = text, *end = text + len;
	struct keystmt s;
	char one[256];

	*skipped = 0;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((nl != NULL ? nl : end) - line);

		if (n > 0 && line[0] != '#') {
			snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ?
			    n : sizeof(one) - 1), line);
			if (n >= sizeof(one) || memchr(line, '\0', n) != NULL ||
			    keystmt_from_b64(one, &s) < 0 ||
			    s.op != rv->op || keystmt_verify(t, &s) < 0)
				(*skipped)++;
			else
				keylist_add(rv, &s);
		}
		line += n + 1;
	}
}

int
keylist_load(struct keylist *rv, const char *path,
    const struct opkey_trust *t, size_t *skipped, struct tl_err *err)
{
	struct buf b = BUF_INIT;
	int r;

	*skipped = 0;
	if ((r = fileio_read(path, (size_t)1 << 20, &b, err)) == TL_ENOENT) {
		tl_err_clear(err);
		r = 0;
	}
	if (r == 0)
		keylist_parse(rv, b.data, b.len, t, skipped);
	buf_release(&b);
	return r;
}

int
keylist_save(const struct keylist *rv, const char *path, struct tl_err *err)
{
	struct buf b = BUF_INIT;
	int r;

	buf_addstr(&b, rv->op == KEYSTMT_EVICT ? "# evicted node keys (tlaloc "
	    "keys evict); one signed statement a line\n" : "# pack voters "
	    "admitted (tlaloc pack admit); one signed statement a line\n");
	for (size_t i = 0; i < rv->n; i++) {
		keystmt_b64(&rv->v[i], &b);
		buf_addch(&b, '\n');
	}
	r = fileio_write_private(path, b.data, b.len, err);
	buf_release(&b);
	return r;
}
