/*
 * Sealing backups for their owner (replica.h draws the object). A peer
 * that keeps our copies sees a path tag, a time and a size; the path,
 * mode, owner, run and content are sealed with a key only we (and,
 * through the escrow, our operator) hold, and signed with our node key,
 * so a peer can neither read them nor hand back anything else: a
 * planted setuid file does not open, a swapped content does not match
 * the signed hash.
 *
 * Keys: three subkeys of the owner's backup secret, each BLAKE2b-256 of
 * a label keyed with the secret (seal, tag, place).
 */
#include "replica.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bucket_int.h"
#include "core/be.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define OBJ_VERSION	1
#define BOX_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define BOX_TAG		crypto_aead_xchacha20poly1305_ietf_ABYTES
#define AD_LEN		(REPL_ID_LEN + REPL_TAG_LEN + 1 + 8)
#define SIG_CONTEXT	"tlaloc backup v1"

enum { BOX_META = 1, BOX_CONTENT = 2 };

void
repl_subkey(const uint8_t secret[REPL_SECRET_LEN], const char *label,
    uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)label, strlen(label),
	    secret, REPL_SECRET_LEN);
}

void
repl_entry_release(struct bucket_entry *e)
{
	bucket_entry_release(e);
}

void
repl_path_tag(const uint8_t secret[REPL_SECRET_LEN], const char *path,
    uint8_t tag[REPL_TAG_LEN])
{
	uint8_t k[32];

	repl_subkey(secret, "tlaloc replica tag", k);
	crypto_generichash(tag, REPL_TAG_LEN, (const uint8_t *)path,
	    strlen(path), k, sizeof(k));
	sodium_memzero(k, sizeof(k));
}

static void
box_ad(uint8_t ad[AD_LEN], const uint8_t owner[REPL_ID_LEN],
    const uint8_t tag[REPL_TAG_LEN], int kind, long long time)
{
	memcpy(ad, owner, REPL_ID_LEN);
	memcpy(ad + REPL_ID_LEN, tag, REPL_TAG_LEN);
	ad[REPL_ID_LEN + REPL_TAG_LEN] = (uint8_t)kind;
	be_put(ad + REPL_ID_LEN + REPL_TAG_LEN + 1, (uint64_t)time, 8);
}

/* Appends nonce | ciphertext | tag of p to out. */
static void
box_seal(const uint8_t key[32], const uint8_t ad[AD_LEN], const void *p,
    size_t n, struct buf *out)
{
	unsigned long long clen = 0;
	uint8_t *at;

	buf_grow(out, BOX_NONCE + n + BOX_TAG);
	at = (uint8_t *)out->data + out->len;
	randombytes_buf(at, BOX_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(at + BOX_NONCE, &clen, p,
	    n, ad, AD_LEN, NULL, at, key);
	out->len += BOX_NONCE + (size_t)clen;
	out->data[out->len] = '\0';
}

/* Opens a box into out (appended); TL_ECRYPTO when it does not open. */
static int
box_open(const uint8_t key[32], const uint8_t ad[AD_LEN], const uint8_t *p,
    size_t n, struct buf *out)
{
	unsigned long long plen = 0;

	if (n < BOX_NONCE + BOX_TAG)
		return TL_ECRYPTO;
	buf_grow(out, n);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	    (uint8_t *)out->data + out->len, &plen, NULL, p + BOX_NONCE,
	    n - BOX_NONCE, ad, AD_LEN, p, key) != 0)
		return TL_ECRYPTO;
	out->len += (size_t)plen;
	out->data[out->len] = '\0';
	return 0;
}

/* The signed meta fields of e (without the signature). */
static void
meta_fields(const struct bucket_entry *e, struct buf *out)
{
	uint8_t b[8], h[32];
	size_t pn = strlen(e->path), rn = strlen(e->run_id);

	be_put(b, pn, 2);
	buf_add(out, b, 2);
	buf_add(out, e->path, pn);
	buf_addch(out, (int)rn);
	buf_add(out, e->run_id, rn);
	be_put(b, (uint64_t)e->time, 8);
	buf_add(out, b, 8);
	be_put(b, e->mode, 2);
	buf_add(out, b, 2);
	be_put(b, e->uid, 4);
	buf_add(out, b, 4);
	be_put(b, e->gid, 4);
	buf_add(out, b, 4);
	sodium_hex2bin(h, sizeof(h), e->hash, 64, NULL, NULL, NULL);
	buf_add(out, h, sizeof(h));
	be_put(b, e->size, 4);
	buf_add(out, b, 4);
}

/* What the owner signs: a context, its id, the fields. */
static void
meta_signed(const uint8_t owner[REPL_ID_LEN], const uint8_t *fields,
    size_t n, struct buf *out)
{
	buf_add(out, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
	buf_add(out, owner, REPL_ID_LEN);
	buf_add(out, fields, n);
}

void
repl_seal(const uint8_t secret[REPL_SECRET_LEN],
    const uint8_t owner[REPL_ID_LEN], repl_sign_fn sign, void *ctx,
    const struct bucket_entry *e, const void *content,
    uint8_t tag[REPL_TAG_LEN], struct buf *obj)
{
	struct buf meta = BUF_INIT, msg = BUF_INIT;
	uint8_t key[32], ad[AD_LEN], sig[REPL_SIG_LEN], *lenp;
	size_t start = obj->len;

	repl_path_tag(secret, e->path, tag);
	repl_subkey(secret, "tlaloc replica seal", key);
	meta_fields(e, &meta);
	meta_signed(owner, (uint8_t *)meta.data, meta.len, &msg);
	sign(ctx, (uint8_t *)msg.data, msg.len, sig);
	buf_add(&meta, sig, sizeof(sig));
	buf_addch(obj, OBJ_VERSION);
	buf_add(obj, "\0\0", 2);		/* meta box length, below */
	box_ad(ad, owner, tag, BOX_META, e->time);
	box_seal(key, ad, meta.data, meta.len, obj);
	lenp = (uint8_t *)obj->data + start + 1;
	be_put(lenp, obj->len - start - 3, 2);
	box_ad(ad, owner, tag, BOX_CONTENT, e->time);
	box_seal(key, ad, content, (size_t)e->size, obj);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(meta.data, meta.len);
	buf_release(&meta);
	buf_release(&msg);
}

int
repl_object_meta(const uint8_t *obj, size_t n, const uint8_t **meta,
    size_t *len)
{
	size_t mlen;

	*meta = NULL;
	*len = 0;
	if (n < 3 || obj[0] != OBJ_VERSION)
		return TL_EINVAL;
	mlen = (size_t)be_get(obj + 1, 2);
	if (mlen > n - 3)
		return TL_ETRUNC;
	*meta = obj + 3;
	*len = mlen;
	return 0;
}

/* Reads the opened meta fields into e; checks what a restore relies on. */
static int
meta_decode(struct rd *rd, struct bucket_entry *e, struct tl_err *err)
{
	const uint8_t *p, *h;
	uint16_t pn = 0, mode = 0;
	uint8_t rn = 0;
	uint64_t t = 0;
	uint32_t uid = 0, gid = 0, size = 0;

	if (rd_u16(rd, &pn) < 0 || pn > BUCKET_PATH_MAX ||
	    rd_bytes(rd, &p, pn) < 0)
		return tl_err_set(err, TL_EINVAL, "sealed backup: bad path");
	e->path = xmalloc((size_t)pn + 1);
	memcpy(e->path, p, pn);
	e->path[pn] = '\0';
	if (rd_u8(rd, &rn) < 0 || rn > BUCKET_RUN_MAX || rd_bytes(rd, &p,
	    rn) < 0)
		return tl_err_set(err, TL_EINVAL, "sealed backup: bad run");
	e->run_id = xmalloc((size_t)rn + 1);
	memcpy(e->run_id, p, rn);
	e->run_id[rn] = '\0';
	if (rd_u64(rd, &t) < 0 || rd_u16(rd, &mode) < 0 ||
	    rd_u32(rd, &uid) < 0 || rd_u32(rd, &gid) < 0 ||
	    rd_bytes(rd, &h, 32) < 0 || rd_u32(rd, &size) < 0)
		return tl_err_set(err, TL_EINVAL, "sealed backup cut short");
	if (memchr(e->path, '\0', pn) != NULL || !path_is_clean_abs(e->path) ||
	    !bucket_run_id_ok(e->run_id) || mode > 07777 ||
	    t > (uint64_t)1 << 62 || size > REPL_ENTRY_MAX)
		return tl_err_set(err, TL_EINVAL, "sealed backup has a bad "
		    "path, run, mode, time or size");
	e->time = (long long)t;
	e->mode = mode;
	e->uid = uid;
	e->gid = gid;
	e->size = size;
	sodium_bin2hex(e->hash, sizeof(e->hash), h, 32);
	return 0;
}

int
repl_unseal_meta(const uint8_t secret[REPL_SECRET_LEN],
    const uint8_t owner[REPL_ID_LEN], const uint8_t tag[REPL_TAG_LEN],
    long long time, const uint8_t *meta, size_t n, struct bucket_entry *e,
    struct tl_err *err)
{
	struct buf plain = BUF_INIT, msg = BUF_INIT;
	uint8_t key[32], ad[AD_LEN], want[REPL_TAG_LEN];
	size_t flen;
	struct rd rd;
	int r;

	memset(e, 0, sizeof(*e));
	repl_subkey(secret, "tlaloc replica seal", key);
	box_ad(ad, owner, tag, BOX_META, time);
	r = box_open(key, ad, meta, n, &plain);
	sodium_memzero(key, sizeof(key));
	if (r < 0) {
		r = tl_err_set(err, TL_ECRYPTO, "a sealed backup does not open "
		    "with this node's backup key (forged or damaged)");
		goto out;
	}
	if (plain.len < REPL_SIG_LEN) {
		r = tl_err_set(err, TL_EINVAL, "sealed backup cut short");
		goto out;
	}
	flen = plain.len - REPL_SIG_LEN;
	meta_signed(owner, (uint8_t *)plain.data, flen, &msg);
	if (crypto_sign_verify_detached((uint8_t *)plain.data + flen,
	    (uint8_t *)msg.data, msg.len, owner) != 0) {
		r = tl_err_set(err, TL_ECRYPTO, "a sealed backup is not signed "
		    "by its owner");
		goto out;
	}
	rd_init(&rd, (uint8_t *)plain.data, flen);
	if ((r = meta_decode(&rd, e, err)) < 0)
		goto out;
	repl_path_tag(secret, e->path, want);
	if (rd_left(&rd) != 0 || e->time != time ||
	    memcmp(want, tag, REPL_TAG_LEN) != 0)
		r = tl_err_set(err, TL_EINVAL, "a sealed backup does not match "
		    "the place it was kept under");
out:
	if (r < 0)
		bucket_entry_release(e);
	sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	buf_release(&msg);
	return r;
}

int
repl_unseal(const uint8_t secret[REPL_SECRET_LEN],
    const uint8_t owner[REPL_ID_LEN], const uint8_t tag[REPL_TAG_LEN],
    long long time, const uint8_t *obj, size_t n, struct bucket_entry *e,
    struct buf *content, struct tl_err *err)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	uint8_t key[32], ad[AD_LEN];
	const uint8_t *meta;
	char hex[65];
	size_t mlen, start = content != NULL ? content->len : 0;
	int r;

	memset(e, 0, sizeof(*e));
	if (repl_object_meta(obj, n, &meta, &mlen) < 0)
		return tl_err_set(err, TL_EINVAL, "not a sealed backup");
	if ((r = repl_unseal_meta(secret, owner, tag, time, meta, mlen, e,
	    err)) < 0 || content == NULL)
		return r;
	repl_subkey(secret, "tlaloc replica seal", key);
	box_ad(ad, owner, tag, BOX_CONTENT, time);
	r = box_open(key, ad, meta + mlen, n - 3 - mlen, content);
	sodium_memzero(key, sizeof(key));
	if (r < 0) {
		r = tl_err_set(err, TL_ECRYPTO, "the content of a sealed backup "
		    "of '%s' does not open (forged or damaged)", e->path);
		goto fail;
	}
	crypto_hash_sha256(h, (uint8_t *)content->data + start,
	    content->len - start);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (content->len - start != e->size || strcmp(hex, e->hash) != 0) {
		r = tl_err_set(err, TL_EINVAL, "the content of a sealed backup "
		    "of '%s' does not match its signed hash", e->path);
		goto fail;
	}
	return 0;
fail:
	content->len = start;
	bucket_entry_release(e);
	return r;
}

/* --- what the agent hands the CLI --------------------------------------- */

void
repl_plain_begin(struct buf *out)
{
	buf_add(out, "\0\0", 2);
}

void
repl_plain_add(struct buf *out, const struct bucket_entry *e,
    const void *content)
{
	meta_fields(e, out);
	buf_addch(out, content != NULL);
	if (content != NULL)
		buf_add(out, content, (size_t)e->size);
}

void
repl_plain_end(struct buf *out, size_t n)
{
	TL_ASSERT(out->len >= 2 && n <= UINT16_MAX);
	be_put((uint8_t *)out->data, n, 2);
}

int
repl_plain_decode(const uint8_t *p, size_t n, struct repl_plain *pl,
    struct tl_err *err)
{
	uint16_t count = 0;
	uint8_t has = 0;
	struct rd rd;
	int r;

	memset(pl, 0, sizeof(*pl));
	rd_init(&rd, p, n);
	if (rd_u16(&rd, &count) < 0 || count > REPL_ITEMS_MAX)
		return tl_err_set(err, TL_EINVAL, "bad list of backups");
	pl->v = xcalloc((size_t)count + 1, sizeof(*pl->v));
	for (size_t i = 0; i < count; i++) {
		pl->n = i + 1;
		if ((r = meta_decode(&rd, &pl->v[i].e, err)) < 0)
			return r;
		if (rd_u8(&rd, &has) < 0 || has > 1 || (has &&
		    rd_bytes(&rd, &pl->v[i].data, pl->v[i].e.size) < 0))
			return tl_err_set(err, TL_EINVAL, "backup of '%s' cut "
			    "short", pl->v[i].e.path);
	}
	if (rd_left(&rd) != 0)
		return tl_err_set(err, TL_EINVAL, "stray bytes after a list of "
		    "backups");
	return 0;
}

void
repl_plain_release(struct repl_plain *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		bucket_entry_release(&pl->v[i].e);
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}
