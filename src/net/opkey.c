#include "opkey.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "net/sealbox.h"

#define SECRET_TAG	"tlaloc-operator-secret "
#define PUBLIC_TAG	"tlaloc-operator-public "

/* Puts "prefix: " before err's message; returns code. */
static int
opkey_err_prefix(struct tl_err *err, int code, const char *prefix)
{
	char msg[sizeof(err->msg)];

	if (err == NULL)
		return code;
	memcpy(msg, err->msg, sizeof(msg));
	return tl_err_set(err, code, "%s: %s", prefix, msg);
}

struct opkey {
	uint8_t		 sk[OPKEY_SK_LEN];
	struct opkey_pub pub;
};

static void
opkey_pub_fill(struct opkey_pub *pub, const uint8_t pk[OPKEY_PK_LEN])
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	memcpy(pub->pk, pk, OPKEY_PK_LEN);
	crypto_generichash(h, sizeof(h), pk, OPKEY_PK_LEN, NULL, 0);
	memcpy(pub->id, h, OPKEY_ID_LEN);
}

void
opkey_id_hex(const uint8_t id[OPKEY_ID_LEN], char out[OPKEY_ID_HEX])
{
	sodium_bin2hex(out, OPKEY_ID_HEX, id, OPKEY_ID_LEN);
}

void
opkey_pub_format(const struct opkey_pub *pub, char *out, size_t size)
{
	char b64[sodium_base64_ENCODED_LEN(OPKEY_PK_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), pub->pk, OPKEY_PK_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, size, PUBLIC_TAG "%s", b64);
}

/* Decodes the base64 word that follows tag at the start of line[0..len). */
static int
opkey_word(const char *line, size_t len, const char *tag, uint8_t *bin,
    size_t binlen, struct tl_err *err)
{
	size_t taglen = strlen(tag), end, got = 0;
	const char *stop = NULL;

	if (len < taglen || memcmp(line, tag, taglen) != 0)
		return tl_err_set(err, TL_EINVAL,
		    "not a tlaloc operator key line (it must start with '%s')",
		    tag);
	line += taglen;
	len -= taglen;
	for (end = 0; end < len && line[end] != ' ' && line[end] != '\t' &&
	    line[end] != '\n' && line[end] != '\r'; end++)
		;
	if (sodium_base642bin(bin, binlen, line, end, NULL, &got, &stop,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || stop != line + end ||
	    got != binlen)
		return tl_err_set(err, TL_EINVAL,
		    "operator key is not %zu bytes of base64", binlen);
	return 0;
}

int
opkey_pub_parse(const char *line, size_t len, struct opkey_pub *pub,
    struct tl_err *err)
{
	uint8_t pk[OPKEY_PK_LEN];
	int r;

	TL_ASSERT(sodium_init() >= 0);
	if ((r = opkey_word(line, len, PUBLIC_TAG, pk, sizeof(pk), err)) < 0)
		return r;
	opkey_pub_fill(pub, pk);
	return 0;
}

static int
opkey_write_new(const char *path, const char *data, size_t len, mode_t mode,
    struct tl_err *err)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct stat st;

	if (lstat(path, &st) == 0)
		return tl_err_set(err, TL_EEXIST,
		    "'%s' exists; refusing to overwrite an operator key", path);
	meta.mode = mode;
	return fileio_write_atomic(path, data, len, &meta, err);
}

int
opkey_generate(const char *dir, const char *comment, struct opkey_pub *pubp,
    struct tl_err *err)
{
	char skpath[4096], pkpath[4096];
	char line[256];
	char b64[sodium_base64_ENCODED_LEN(OPKEY_SK_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];
	uint8_t pk[OPKEY_PK_LEN], sk[OPKEY_SK_LEN];
	struct opkey_pub pub;
	struct stat st;
	int n, r;

	TL_ASSERT(sodium_init() >= 0);
	if ((size_t)snprintf(skpath, sizeof(skpath), "%s/operator.key", dir) >=
	    sizeof(skpath) || (size_t)snprintf(pkpath, sizeof(pkpath),
	    "%s/operator.pub", dir) >= sizeof(pkpath))
		return tl_err_set(err, TL_ETOOBIG, "path too long: '%s'", dir);
	if (lstat(pkpath, &st) == 0)
		return tl_err_set(err, TL_EEXIST,
		    "'%s' exists; refusing to overwrite an operator key", pkpath);
	crypto_sign_keypair(pk, sk);
	opkey_pub_fill(&pub, pk);
	sodium_bin2base64(b64, sizeof(b64), sk, OPKEY_SK_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(line, sizeof(line), SECRET_TAG "%s\n", b64);
	r = opkey_write_new(skpath, line, (size_t)n, 0600, err);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(line, sizeof(line));
	if (r < 0)
		return r;
	opkey_pub_format(&pub, line, sizeof(line) - 80);
	n = (int)strlen(line);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%.60s\n",
	    comment != NULL ? " " : "", comment != NULL ? comment : "");
	if ((r = opkey_write_new(pkpath, line, (size_t)n, 0644, err)) < 0)
		return r;
	if (pubp != NULL)
		*pubp = pub;
	return 0;
}

struct opkey *
opkey_load(const char *path, struct tl_err *err)
{
	struct opkey *k;
	struct buf b = BUF_INIT;
	struct stat st;
	int r;

	TL_ASSERT(sodium_init() >= 0);
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
		tl_err_set(err, TL_EPERM, "operator key '%s' is readable by "
		    "others (mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	if (fileio_read(path, 4096, &b, err) < 0)
		return NULL;
	k = sodium_malloc(sizeof(*k));
	TL_ASSERT(k != NULL);
	r = opkey_word(b.data, b.len, SECRET_TAG, k->sk, OPKEY_SK_LEN, err);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	if (r < 0) {
		char prefix[300];

		snprintf(prefix, sizeof(prefix), "operator key '%s'", path);
		opkey_err_prefix(err, r, prefix);
		sodium_free(k);
		return NULL;
	}
	{
		uint8_t pk[OPKEY_PK_LEN];

		crypto_sign_ed25519_sk_to_pk(pk, k->sk);
		opkey_pub_fill(&k->pub, pk);
	}
	return k;
}

void
opkey_free(struct opkey *k)
{
	if (k != NULL)
		sodium_free(k);
}

const struct opkey_pub *
opkey_public(const struct opkey *k)
{
	return &k->pub;
}

void
opkey_sign(const struct opkey *k, const uint8_t *msg, size_t len,
    uint8_t sig[OPKEY_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int
opkey_trust_add(struct opkey_trust *t, const struct opkey_pub *pub,
    struct tl_err *err)
{
	if (opkey_trust_find(t, pub->id) != NULL)
		return 0;
	if (t->n == OPKEY_TRUST_MAX)
		return tl_err_set(err, TL_ETOOBIG,
		    "more than %d trusted operator keys", OPKEY_TRUST_MAX);
	t->keys[t->n++] = *pub;
	return 0;
}

int
opkey_trust_add_file(struct opkey_trust *t, const char *path,
    struct tl_err *err)
{
	struct buf b = BUF_INIT;
	size_t i = 0, lineno = 0;
	int r;

	if ((r = fileio_read(path, 64 * 1024, &b, err)) < 0)
		return r;
	while (i < b.len && r == 0) {
		const char *line = b.data + i;
		const char *nl = memchr(line, '\n', b.len - i);
		size_t len = nl != NULL ? (size_t)(nl - line) : b.len - i;
		struct opkey_pub pub;

		i += len + 1;
		lineno++;
		while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
			line++;
			len--;
		}
		if (len == 0 || line[0] == '#' || line[0] == '\r')
			continue;
		if ((r = opkey_pub_parse(line, len, &pub, err)) < 0) {
			char prefix[300];

			snprintf(prefix, sizeof(prefix), "%s:%zu", path,
			    lineno);
			r = opkey_err_prefix(err, r, prefix);
		} else
			r = opkey_trust_add(t, &pub, err);
	}
	buf_release(&b);
	return r;
}

const struct opkey_pub *
opkey_trust_find(const struct opkey_trust *t, const uint8_t id[OPKEY_ID_LEN])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->keys[i].id, id, OPKEY_ID_LEN) == 0)
			return &t->keys[i];
	return NULL;
}

int
opkey_verify(const struct opkey_trust *t, const uint8_t key_id[OPKEY_ID_LEN],
    const uint8_t *msg, size_t len, const uint8_t sig[OPKEY_SIG_LEN])
{
	const struct opkey_pub *pub = opkey_trust_find(t, key_id);

	if (pub == NULL)
		return TL_EPERM;
	if (crypto_sign_verify_detached(sig, msg, len, pub->pk) != 0)
		return TL_ECRYPTO;
	return 0;
}

int
opkey_box_seal(const struct opkey_pub *pub, const uint8_t *msg, size_t len,
    uint8_t *out)
{
	return sealbox_seal(pub->pk, msg, len, out);
}

int
opkey_box_open(const struct opkey *k, const uint8_t *box, size_t len,
    uint8_t *out)
{
	return sealbox_open(k->pub.pk, k->sk, box, len, out);
}
