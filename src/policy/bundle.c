/*
 * Policy bundle codec and signature (format drawn in bundle.h). The
 * signature covers the whole manifest, so the serial, the publisher and
 * every chunk hash are bound together: a peer can neither replay an old
 * manifest under a new serial nor swap one chunk for another.
 */
#include "policy/bundle.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/policy.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/xalloc.h"

static const uint8_t bundle_magic[4] = { 'T', 'L', 'P', 'B' };

void
bundle_init(struct bundle *b)
{
	memset(b, 0, sizeof(*b));
}

void
bundle_release(struct bundle *b)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].path);
		free(b->files[i].hashes);
	}
	free(b->files);
	bundle_init(b);
}

void
bundle_add_file(struct bundle *b, const char *path, uint16_t mode,
    uint64_t size, const uint8_t *hashes, uint32_t nchunks)
{
	struct bundle_file *f;

	b->files = xrealloc(b->files, (b->nfiles + 1) * sizeof(*b->files));
	f = &b->files[b->nfiles++];
	f->path = xstrdup(path);
	f->mode = mode & 07777;
	f->size = size;
	f->nchunks = nchunks;
	f->hashes = xmalloc((size_t)nchunks * BUNDLE_HASH_LEN + 1);
	memcpy(f->hashes, hashes, (size_t)nchunks * BUNDLE_HASH_LEN);
	b->total += size;
}

void
bundle_encode_signed(struct bundle *b, const struct opkey *k,
    struct buf *out)
{
	size_t start = out->len, mlen = strlen(b->message);
	uint8_t sig[OPKEY_SIG_LEN];

	memcpy(b->key_id, opkey_public(k)->id, OPKEY_ID_LEN);
	buf_add(out, bundle_magic, 4);
	buf_addch(out, BUNDLE_VERSION);
	buf_add_be(out, b->serial, 8);
	buf_add_be(out, b->created_ms, 8);
	buf_add(out, b->key_id, OPKEY_ID_LEN);
	buf_add_be(out, mlen, 2);
	buf_add(out, b->message, mlen);
	buf_add_be(out, b->nfiles, 4);
	for (size_t i = 0; i < b->nfiles; i++) {
		const struct bundle_file *f = &b->files[i];

		buf_add_be(out, strlen(f->path), 2);
		buf_addstr(out, f->path);
		buf_add_be(out, f->mode, 2);
		buf_add_be(out, f->size, 8);
		buf_add_be(out, f->nchunks, 4);
		buf_add(out, f->hashes, (size_t)f->nchunks * BUNDLE_HASH_LEN);
	}
	opkey_sign(k, (uint8_t *)out->data + start, out->len - start, sig);
	buf_add(out, sig, sizeof(sig));
}

int
bundle_path_ok(const char *path, size_t len)
{
	size_t i = 0, start;

	if (len == 0 || len > BUNDLE_PATH_MAX)
		return 0;
	while (i <= len) {
		start = i;
		while (i < len && path[i] != '/') {
			if (path[i] == '\0' || path[i] == '\\')
				return 0;
			i++;
		}
		if (i == start || (i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' &&
		    path[start + 1] == '.'))
			return 0;
		i++;
	}
	return 1;
}

static int
decode_file(struct rd *rd, struct bundle *b, struct tl_err *err)
{
	const uint8_t *p, *hashes;
	uint16_t plen, mode;
	uint64_t size, want;
	uint32_t nchunks;
	char path[BUNDLE_PATH_MAX + 1];
	int r;

	if ((r = rd_u16(rd, &plen)) < 0 || (r = rd_bytes(rd, &p, plen)) < 0 ||
	    (r = rd_u16(rd, &mode)) < 0 || (r = rd_u64(rd, &size)) < 0 ||
	    (r = rd_u32(rd, &nchunks)) < 0)
		return tl_err_set(err, r, "bundle file entry cut short");
	if (!bundle_path_ok((const char *)p, plen))
		return tl_err_set(err, TL_EINVAL, "bundle has a bad path");
	if (size > BUNDLE_FILE_MAX || b->total + size > BUNDLE_TOTAL_MAX)
		return tl_err_set(err, TL_ETOOBIG, "bundle file too large");
	want = (size + BUNDLE_CHUNK - 1) / BUNDLE_CHUNK;
	if (nchunks != want)
		return tl_err_set(err, TL_EINVAL, "bundle chunk count %u does "
		    "not match size %llu", nchunks, (unsigned long long)size);
	if ((r = rd_bytes(rd, &hashes, (size_t)nchunks * BUNDLE_HASH_LEN)) < 0)
		return tl_err_set(err, r, "bundle chunk list cut short");
	for (size_t i = 0; i < b->nfiles; i++)
		if (strlen(b->files[i].path) == plen &&
		    memcmp(b->files[i].path, p, plen) == 0)
			return tl_err_set(err, TL_EINVAL, "bundle lists a "
			    "path twice");
	memcpy(path, p, plen);
	path[plen] = '\0';
	bundle_add_file(b, path, mode, size, hashes, nchunks);
	return 0;
}

static int
decode_header(struct rd *rd, struct bundle *b, struct tl_err *err)
{
	const uint8_t *magic, *msg;
	uint8_t ver;
	uint16_t mlen;
	int r;

	if ((r = rd_bytes(rd, &magic, 4)) < 0 || (r = rd_u8(rd, &ver)) < 0 ||
	    (r = rd_u64(rd, &b->serial)) < 0 ||
	    (r = rd_u64(rd, &b->created_ms)) < 0 ||
	    (r = rd_copy(rd, b->key_id, OPKEY_ID_LEN)) < 0 ||
	    (r = rd_u16(rd, &mlen)) < 0)
		return tl_err_set(err, r, "bundle header cut short");
	if (memcmp(magic, bundle_magic, 4) != 0 || ver != BUNDLE_VERSION)
		return tl_err_set(err, TL_EINVAL, "not a version %d policy "
		    "bundle", BUNDLE_VERSION);
	if (b->serial == 0 || b->serial > POLICY_SERIAL_MAX)
		return tl_err_set(err, TL_EINVAL, "bundle serial %llu is "
		    "outside 1..%llu", (unsigned long long)b->serial,
		    (unsigned long long)POLICY_SERIAL_MAX);
	if (mlen > BUNDLE_MSG_MAX)
		return tl_err_set(err, TL_ETOOBIG, "bundle message too long");
	if ((r = rd_bytes(rd, &msg, mlen)) < 0)
		return tl_err_set(err, r, "bundle message cut short");
	memcpy(b->message, msg, mlen);
	b->message[mlen] = '\0';
	if (memchr(b->message, '\0', mlen) != NULL)
		return tl_err_set(err, TL_EINVAL, "bundle message holds NUL");
	return 0;
}

int
bundle_decode(const uint8_t *p, size_t len, struct bundle *b,
    struct tl_err *err)
{
	struct rd rd;
	uint32_t nfiles;
	int r;

	if (len > BUNDLE_WIRE_MAX)
		return tl_err_set(err, TL_ETOOBIG, "bundle over %u bytes",
		    BUNDLE_WIRE_MAX);
	if (len < OPKEY_SIG_LEN)
		return tl_err_set(err, TL_ETRUNC, "bundle has no signature");
	rd_init(&rd, p, len - OPKEY_SIG_LEN);
	if ((r = decode_header(&rd, b, err)) < 0)
		goto fail;
	if ((r = rd_u32(&rd, &nfiles)) < 0) {
		tl_err_set(err, r, "bundle file count cut short");
		goto fail;
	}
	if (nfiles > BUNDLE_FILES_MAX) {
		r = tl_err_set(err, TL_ETOOBIG, "bundle lists %u files, more "
		    "than %d", nfiles, BUNDLE_FILES_MAX);
		goto fail;
	}
	for (uint32_t i = 0; i < nfiles; i++)
		if ((r = decode_file(&rd, b, err)) < 0)
			goto fail;
	if (rd_left(&rd) != 0) {
		r = tl_err_set(err, TL_EINVAL, "bundle has trailing bytes");
		goto fail;
	}
	return 0;
fail:
	bundle_release(b);
	return r;
}

int
bundle_verify(const struct opkey_trust *trust, const uint8_t *p,
    size_t len, struct bundle *b, struct tl_err *err)
{
	char hex[OPKEY_ID_HEX];
	int r;

	if ((r = bundle_decode(p, len, b, err)) < 0)
		return r;
	r = opkey_verify(trust, b->key_id, p, len - OPKEY_SIG_LEN,
	    p + len - OPKEY_SIG_LEN);
	if (r == 0)
		return 0;
	opkey_id_hex(b->key_id, hex);
	if (r == TL_EPERM)
		tl_err_set(err, r, "bundle serial %llu signed by untrusted key "
		    "%s", (unsigned long long)b->serial, hex);
	else
		tl_err_set(err, TL_ECRYPTO, "bundle serial %llu has a bad "
		    "signature for key %s", (unsigned long long)b->serial, hex);
	bundle_release(b);
	return r == TL_EPERM ? TL_EPERM : TL_ECRYPTO;
}

void
bundle_hash(const uint8_t *p, size_t n, uint8_t out[BUNDLE_HASH_LEN])
{
	crypto_generichash(out, BUNDLE_HASH_LEN, p, n, NULL, 0);
}

void
bundle_hash_hex(const uint8_t h[BUNDLE_HASH_LEN], char out[65])
{
	sodium_bin2hex(out, 65, h, BUNDLE_HASH_LEN);
}
