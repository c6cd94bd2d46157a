#include "ident.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "net/keystmt.h"
#include "net/sealbox.h"

struct ident {
	uint8_t	pk[IDENT_PK_LEN];
	uint8_t	sk[IDENT_SK_LEN];
	const struct keylist *revoked;	/* borrowed; NULL: none */
};

static struct ident *
ident_alloc(void)
{
	struct ident *id;

	TL_ASSERT(sodium_init() >= 0);
	id = sodium_malloc(sizeof(*id));
	TL_ASSERT(id != NULL);
	id->revoked = NULL;
	return id;
}

struct ident *
ident_new_random(void)
{
	struct ident *id = ident_alloc();

	crypto_sign_keypair(id->pk, id->sk);
	return id;
}

void
ident_free(struct ident *id)
{
	if (id != NULL)
		sodium_free(id);
}

const uint8_t *
ident_public(const struct ident *id)
{
	return id->pk;
}

static int
ident_parse(struct ident *id, const struct buf *b, const char *path,
    struct tl_err *err)
{
	size_t n = b->len, len = 0;
	const char *end = NULL;

	while (n > 0 && (b->data[n - 1] == '\n' || b->data[n - 1] == '\r' ||
	    b->data[n - 1] == ' '))
		n--;
	if (sodium_base642bin(id->sk, IDENT_SK_LEN, b->data, n, NULL, &len,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b->data + n || len != IDENT_SK_LEN)
		return tl_err_set(err, TL_EINVAL,
		    "node key '%s' is not a base64 Ed25519 secret key", path);
	crypto_sign_ed25519_sk_to_pk(id->pk, id->sk);
	return 0;
}

static int
ident_save(const struct ident *id, const char *path, struct tl_err *err)
{
	char line[sodium_base64_ENCODED_LEN(IDENT_SK_LEN,
	    sodium_base64_VARIANT_ORIGINAL) + 1];
	size_t n;
	int r;

	sodium_bin2base64(line, sizeof(line) - 1, id->sk, IDENT_SK_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	n = strlen(line);
	line[n++] = '\n';
	r = fileio_write_private(path, line, n, err);
	sodium_memzero(line, sizeof(line));
	return r;
}

struct ident *
ident_load_or_create(const char *path, struct tl_err *err)
{
	struct ident *id = ident_alloc();
	struct buf b = BUF_INIT;
	int r;

	r = fileio_read_secret(path, 4096, &b, err);
	if (r == TL_ENOENT) {
		tl_err_clear(err);
		crypto_sign_keypair(id->pk, id->sk);
		r = ident_save(id, path, err);
	} else if (r == 0)
		r = ident_parse(id, &b, path, err);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	if (r < 0) {
		ident_free(id);
		return NULL;
	}
	return id;
}

int
ident_read_public(const char *path, uint8_t pk[IDENT_PK_LEN],
    struct tl_err *err)
{
	struct ident *id = ident_alloc();
	struct buf b = BUF_INIT;
	int r;

	memset(pk, 0, IDENT_PK_LEN);
	if ((r = fileio_read(path, 4096, &b, err)) == 0 &&
	    (r = ident_parse(id, &b, path, err)) == 0)
		memcpy(pk, id->pk, IDENT_PK_LEN);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	ident_free(id);
	return r;
}

int
ident_sign(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[IDENT_SIG_LEN])
{
	const struct ident *id = ctx;

	crypto_sign_detached(sig, NULL, msg, len, id->sk);
	return 0;
}

void
ident_set_revoked(struct ident *id, const struct keylist *rv)
{
	id->revoked = rv;
}

void
ident_chain_hash(void *ctx, const uint8_t *in, uint8_t *out)
{
	static const uint8_t key[] = "tlaloc health chain";
	uint8_t x[16];

	(void)ctx;
	memcpy(x, in, sizeof(x));
	crypto_generichash(out, sizeof(x), x, sizeof(x), key,
	    sizeof(key) - 1);
}

int
ident_verify(void *ctx, const uint8_t pk[IDENT_PK_LEN], const uint8_t *msg,
    size_t len, const uint8_t sig[IDENT_SIG_LEN])
{
	const struct ident *me = ctx;

	if (me != NULL && keylist_has(me->revoked, pk))
		return TL_EPERM;
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return TL_ECRYPTO;
	return 0;
}

void
ident_derive(const struct ident *id, const char *label,
    uint8_t out[IDENT_DERIVED_LEN])
{
	/* The first half of libsodium's secret key is the seed. */
	crypto_generichash(out, IDENT_DERIVED_LEN, (const uint8_t *)label,
	    strlen(label), id->sk, 32);
}

int
ident_box_seal(const uint8_t pk[IDENT_PK_LEN], const uint8_t *msg, size_t len,
    uint8_t *out)
{
	return sealbox_seal(pk, msg, len, out);
}

int
ident_box_open(const struct ident *id, const uint8_t *box, size_t len,
    uint8_t *out)
{
	return sealbox_open(id->pk, id->sk, box, len, out);
}
