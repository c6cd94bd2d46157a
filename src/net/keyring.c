#include "keyring.h"

#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"

struct keyring {
	size_t	 n;
	uint8_t	 ids[KEYRING_MAX][KEYRING_ID_LEN];
	uint8_t	(*keys)[KEYRING_KEY_LEN];	/* sodium_malloc'd, MAX slots */
};

struct keyring *
keyring_new(void)
{
	struct keyring *kr;

	TL_ASSERT(sodium_init() >= 0);
	kr = sodium_malloc(sizeof(*kr));
	TL_ASSERT(kr != NULL);
	memset(kr, 0, sizeof(*kr));
	kr->keys = sodium_malloc(KEYRING_MAX * KEYRING_KEY_LEN);
	TL_ASSERT(kr->keys != NULL);
	return kr;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	sodium_free(kr->keys);	/* wipes */
	sodium_free(kr);
}

void
keyring_key_id(const uint8_t key[KEYRING_KEY_LEN], uint8_t id[KEYRING_ID_LEN])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), key, KEYRING_KEY_LEN, NULL, 0);
	memcpy(id, h, KEYRING_ID_LEN);
}

void
keyring_id_hex(const uint8_t id[KEYRING_ID_LEN], char out[9])
{
	sodium_bin2hex(out, 9, id, KEYRING_ID_LEN);
}

void
keyring_generate(uint8_t key[KEYRING_KEY_LEN])
{
	TL_ASSERT(sodium_init() >= 0);
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
}

void
keyring_key_b64(const uint8_t key[KEYRING_KEY_LEN], char out[KEYRING_B64_LEN])
{
	sodium_bin2base64(out, KEYRING_B64_LEN, key, KEYRING_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
keyring_key_parse(const char *s, size_t n, uint8_t key[KEYRING_KEY_LEN],
    struct tl_err *err)
{
	size_t len = 0;
	const char *end = NULL;

	memset(key, 0, KEYRING_KEY_LEN);
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (sodium_base642bin(key, KEYRING_KEY_LEN, s, n, NULL, &len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n ||
	    len != KEYRING_KEY_LEN) {
		sodium_memzero(key, KEYRING_KEY_LEN);
		return tl_err_set(err, TL_EINVAL,
		    "not a base64 %d-byte key", KEYRING_KEY_LEN);
	}
	return 0;
}

static int
keyring_slot(const struct keyring *kr, const uint8_t id[KEYRING_ID_LEN])
{
	for (size_t i = 0; i < kr->n; i++)
		if (memcmp(kr->ids[i], id, KEYRING_ID_LEN) == 0)
			return (int)i;
	return -1;
}

int
keyring_add(struct keyring *kr, const uint8_t key[KEYRING_KEY_LEN])
{
	uint8_t id[KEYRING_ID_LEN];
	int i;

	keyring_key_id(key, id);
	if ((i = keyring_slot(kr, id)) >= 0)
		return sodium_memcmp(kr->keys[i], key, KEYRING_KEY_LEN) == 0 ?
		    TL_EEXIST : TL_EDUP;
	if (kr->n == KEYRING_MAX)
		return TL_ETOOBIG;
	memcpy(kr->keys[kr->n], key, KEYRING_KEY_LEN);
	memcpy(kr->ids[kr->n], id, KEYRING_ID_LEN);
	kr->n++;
	return 0;
}

static void
keyring_swap(struct keyring *kr, size_t a, size_t b)
{
	uint8_t k[KEYRING_KEY_LEN], id[KEYRING_ID_LEN];

	memcpy(k, kr->keys[a], KEYRING_KEY_LEN);
	memcpy(id, kr->ids[a], KEYRING_ID_LEN);
	memcpy(kr->keys[a], kr->keys[b], KEYRING_KEY_LEN);
	memcpy(kr->ids[a], kr->ids[b], KEYRING_ID_LEN);
	memcpy(kr->keys[b], k, KEYRING_KEY_LEN);
	memcpy(kr->ids[b], id, KEYRING_ID_LEN);
	sodium_memzero(k, sizeof(k));
}

int
keyring_use(struct keyring *kr, const uint8_t id[KEYRING_ID_LEN])
{
	int i;

	if ((i = keyring_slot(kr, id)) < 0)
		return TL_ENOENT;
	/* Move it to the front and keep the others in order. */
	for (; i > 0; i--)
		keyring_swap(kr, (size_t)i, (size_t)i - 1);
	return 0;
}

int
keyring_remove(struct keyring *kr, const uint8_t id[KEYRING_ID_LEN])
{
	int i;

	if ((i = keyring_slot(kr, id)) < 0)
		return TL_ENOENT;
	if (i == 0)
		return TL_EPERM;
	for (size_t j = (size_t)i; j + 1 < kr->n; j++)
		keyring_swap(kr, j, j + 1);
	kr->n--;
	sodium_memzero(kr->keys[kr->n], KEYRING_KEY_LEN);
	return 0;
}

size_t
keyring_count(const struct keyring *kr)
{
	return kr->n;
}

const uint8_t *
keyring_at(const struct keyring *kr, size_t i, uint8_t id[KEYRING_ID_LEN])
{
	if (i >= kr->n)
		return NULL;
	if (id != NULL)
		memcpy(id, kr->ids[i], KEYRING_ID_LEN);
	return kr->keys[i];
}

const uint8_t *
keyring_find(const struct keyring *kr, const uint8_t id[KEYRING_ID_LEN])
{
	int i = keyring_slot(kr, id);

	return i < 0 ? NULL : kr->keys[i];
}

static int
keyring_parse_line(struct keyring *tmp, const char *line, size_t n,
    int lineno, struct tl_err *err)
{
	uint8_t key[KEYRING_KEY_LEN];
	int r;

	if ((r = keyring_key_parse(line, n, key, err)) < 0)
		return tl_err_set(err, r, "line %d: not a base64 %d-byte key",
		    lineno, KEYRING_KEY_LEN);
	r = keyring_add(tmp, key);
	sodium_memzero(key, sizeof(key));
	if (r == TL_EEXIST)
		return 0;	/* a repeated key is harmless */
	if (r == TL_EDUP)
		return tl_err_set(err, r, "line %d: key id collides with "
		    "another key", lineno);
	if (r < 0)
		return tl_err_set(err, r, "line %d: more than %d keys",
		    lineno, KEYRING_MAX);
	return 0;
}

int
keyring_parse(struct keyring *kr, const char *text, size_t len,
    struct tl_err *err)
{
	struct keyring *tmp = keyring_new();
	size_t i = 0;
	int lineno = 0, r = 0;

	while (i < len && r == 0) {
		size_t start = i, end, s;

		while (i < len && text[i] != '\n')
			i++;
		end = i++;
		lineno++;
		for (s = start; s < end && (text[s] == ' ' ||
		    text[s] == '\t' || text[s] == '\r'); s++)
			;
		if (s == end || text[s] == '#')
			continue;
		r = keyring_parse_line(tmp, text + s, end - s, lineno, err);
	}
	if (r == 0 && tmp->n == 0)
		r = tl_err_set(err, TL_EINVAL, "no key in keyring");
	if (r == 0) {
		memcpy(kr->ids, tmp->ids, sizeof(kr->ids));
		memcpy(kr->keys, tmp->keys, KEYRING_MAX * KEYRING_KEY_LEN);
		kr->n = tmp->n;
	}
	keyring_free(tmp);
	return r;
}

int
keyring_load(struct keyring *kr, const char *path, struct tl_err *err)
{
	struct buf b = BUF_INIT;
	int r;

	if ((r = fileio_read_secret(path, KEYRING_FILE_MAX, &b, err)) == 0)
		r = keyring_parse(kr, b.data, b.len, err);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return r;
}

int
keyring_save(const struct keyring *kr, const char *path, struct tl_err *err)
{
	char line[KEYRING_B64_LEN];
	struct buf b = BUF_INIT;
	int r;

	for (size_t i = 0; i < kr->n; i++) {
		keyring_key_b64(kr->keys[i], line);
		buf_addstr(&b, line);
		buf_addch(&b, '\n');
	}
	r = fileio_write_private(path, b.data, b.len, err);
	sodium_memzero(b.data, b.len);
	sodium_memzero(line, sizeof(line));
	buf_release(&b);
	return r;
}
