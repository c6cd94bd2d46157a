/*
 * Sealed secrets (secret.h draws the file). What this does not do: it
 * does not decide whom to trust. A node opens a secret from the policy
 * its agent accepted, and the bundle's operator signature is what made
 * that policy trusted; the signature inside the file only proves the
 * file is whole and says which operator sealed it.
 */
#include "policy/secret.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cluster/qfilter.h"
#include "cluster/swim.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/opkey.h"

#define MAGIC		"TLSC"
#define DEK_LEN		crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define TAG_LEN		crypto_aead_xchacha20poly1305_ietf_ABYTES

int
secret_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SECRET_NAME_MAX || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.-", s[i]) == NULL)
			return 0;
	return 1;
}

struct secret *
secret_new(const char *name)
{
	struct secret *s = xcalloc(1, sizeof(*s));

	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

void
secret_free(struct secret *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nfilters; i++)
		free(s->filters[i]);
	free(s->r);
	free(s->ct);
	free(s);
}

int
secret_add_filter(struct secret *s, const char *filter, struct tl_err *err)
{
	for (size_t i = 0; i < s->nfilters; i++)
		if (strcmp(s->filters[i], filter) == 0)
			return 0;
	if (s->nfilters == SECRET_FOR_MAX)
		return tl_err_set(err, TL_ETOOBIG, "secret '%s' has %d --for "
		    "filters already", s->name, SECRET_FOR_MAX);
	if (filter[0] == '\0' || strlen(filter) > SECRET_FILTER_MAX)
		return tl_err_set(err, TL_EINVAL, "a --for filter is 1 to %d "
		    "bytes", SECRET_FILTER_MAX);
	s->filters[s->nfilters++] = xstrdup(filter);
	return 0;
}

int
secret_remove_filter(struct secret *s, const char *f)
{
	for (size_t i = 0; i < s->nfilters; i++) {
		if (strcmp(s->filters[i], f) != 0)
			continue;
		free(s->filters[i]);
		memmove(&s->filters[i], &s->filters[i + 1],
		    (s->nfilters - i - 1) * sizeof(s->filters[0]));
		s->nfilters--;
		return 1;
	}
	return 0;
}

/* A comma-separated list of names: no filter term character in it. */
static int
filter_is_names(const char *f)
{
	return strpbrk(f, "=:# ") == NULL;
}

static int
names_match(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p += len + (e != NULL);
	}
	return 0;
}

int
secret_filter_match(const char *filter, const struct secret_node *node,
    struct tl_err *err)
{
	struct qfilter f;

	if (filter_is_names(filter))
		return names_match(filter, node->name);
	if (qfilter_parse(filter, &f, err) < 0)
		return err->code;
	return qfilter_match(&f, node->name, node->tags, node->tags_len);
}

/* ---- sealing ------------------------------------------------------- */

/* The associated data of the value: "TLSC", name, serial. */
static void
secret_ad(const struct secret *s, struct buf *ad)
{
	buf_addstr(ad, MAGIC);
	buf_addch(ad, (int)strlen(s->name));
	buf_addstr(ad, s->name);
	buf_add_be(ad, s->serial, 8);
}

static void
recip_add(struct secret *s, int kind, const uint8_t pk[32], const char *name)
{
	struct secret_recip *r;

	s->r = xrealloc(s->r, (s->n + 1) * sizeof(*s->r));
	r = &s->r[s->n++];
	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)kind;
	memcpy(r->pk, pk, 32);
	snprintf(r->name, sizeof(r->name), "%s", name);
}

/* Does node match one of s's filters, of the kind excl ('!' ones)? */
static int
secret_matches(const struct secret *s, const struct secret_node *node,
    int excl, struct tl_err *err)
{
	int m;

	for (size_t f = 0; f < s->nfilters; f++) {
		if ((s->filters[f][0] == '!') != excl)
			continue;
		if ((m = secret_filter_match(s->filters[f] + excl, node,
		    err)) != 0)
			return m;
	}
	return 0;
}

/* Picks the recipients: matching nodes that are not gone nor excluded,
 * then op. */
static int
secret_pick(struct secret *s, const struct opkey *op,
    const struct secret_node *nodes, size_t n, struct tl_err *err)
{
	int m, x, count = 0;

	free(s->r);
	s->r = NULL;
	s->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].is_gone)
			continue;
		if ((x = secret_matches(s, &nodes[i], 1, err)) < 0 ||
		    (m = secret_matches(s, &nodes[i], 0, err)) < 0)
			return err->code;
		if (m && !x) {
			recip_add(s, SECRET_NODE, nodes[i].pk, nodes[i].name);
			count++;
		}
		if (s->n == SECRET_RECIP_MAX)
			return tl_err_set(err, TL_ETOOBIG, "more than %d "
			    "nodes match", SECRET_RECIP_MAX - 1);
	}
	recip_add(s, SECRET_OPERATOR, opkey_public(op)->pk, "operator");
	return count;
}

int
secret_seal(struct secret *s, const struct opkey *op, const uint8_t *value,
    size_t vlen, const struct secret_node *nodes, size_t n,
    struct tl_err *err)
{
	uint8_t dek[DEK_LEN];
	struct buf ad = BUF_INIT, img = BUF_INIT;
	int count;

	if (vlen < SECRET_VALUE_MIN || vlen > SECRET_VALUE_MAX)
		return tl_err_set(err, TL_EINVAL, "a secret's value is %d to "
		    "%u bytes (this one is %zu): shorter ones could not be "
		    "masked in reports", SECRET_VALUE_MIN, SECRET_VALUE_MAX,
		    vlen);
	if ((count = secret_pick(s, op, nodes, n, err)) < 0)
		return count;
	s->serial++;
	memcpy(s->op_pk, opkey_public(op)->pk, 32);
	crypto_aead_xchacha20poly1305_ietf_keygen(dek);
	for (size_t i = 0; i < s->n; i++)
		if (ident_box_seal(s->r[i].pk, dek, sizeof(dek),
		    s->r[i].box) < 0) {
			sodium_memzero(dek, sizeof(dek));
			return tl_err_set(err, TL_ECRYPTO, "the key of '%s' is "
			    "not a valid Ed25519 key", s->r[i].name);
		}
	randombytes_buf(s->nonce, sizeof(s->nonce));
	free(s->ct);
	s->ctlen = vlen + TAG_LEN;
	s->ct = xmalloc(s->ctlen);
	secret_ad(s, &ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(s->ct, NULL, value, vlen,
	    (const uint8_t *)ad.data, ad.len, NULL, s->nonce, dek);
	sodium_memzero(dek, sizeof(dek));
	buf_release(&ad);
	memset(s->sig, 0, sizeof(s->sig));
	secret_encode(s, &img);
	opkey_sign(op, (const uint8_t *)img.data, img.len - sizeof(s->sig),
	    s->sig);
	buf_release(&img);
	return count;
}

/* Decrypts the value with the data key; appends it to out. */
static int
secret_decrypt(const struct secret *s, const uint8_t dek[DEK_LEN],
    struct buf *out, struct tl_err *err)
{
	struct buf ad = BUF_INIT;
	size_t start = out->len;
	unsigned long long n;
	int r;

	buf_grow(out, s->ctlen);
	secret_ad(s, &ad);
	r = crypto_aead_xchacha20poly1305_ietf_decrypt(
	    (uint8_t *)out->data + start, &n, NULL, s->ct, s->ctlen,
	    (const uint8_t *)ad.data, ad.len, s->nonce, dek);
	buf_release(&ad);
	if (r != 0)
		return tl_err_set(err, TL_ECRYPTO, "secret '%s' does not open: "
		    "its file was changed or damaged", s->name);
	out->len = start + (size_t)n;
	out->data[out->len] = '\0';
	return 0;
}

/* "db-1, db-2" (at most a few), for an error naming the grants. */
static void
secret_grants(const struct secret *s, struct buf *b)
{
	size_t shown = 0, nodes = 0;

	for (size_t i = 0; i < s->nfilters; i++)
		buf_addf(b, "%s'%s'", i ? ", " : "", s->filters[i]);
	buf_addstr(b, " (");
	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].kind != SECRET_NODE)
			continue;
		nodes++;
		if (shown < 8)
			buf_addf(b, "%s%s", shown++ ? ", " : "", s->r[i].name);
	}
	if (nodes == 0)
		buf_addstr(b, "no node");
	else if (nodes > shown)
		buf_addf(b, " and %zu more", nodes - shown);
	buf_addch(b, ')');
}

int
secret_open_node(const struct secret *s, const struct ident *id,
    const char *self_name, struct buf *out, struct tl_err *err)
{
	const uint8_t *pk = ident_public(id);
	uint8_t dek[DEK_LEN];
	struct buf g = BUF_INIT;
	int r;

	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].kind != SECRET_NODE || memcmp(s->r[i].pk, pk, 32))
			continue;
		if (ident_box_open(id, s->r[i].box, sizeof(s->r[i].box),
		    dek) < 0)
			return tl_err_set(err, TL_ECRYPTO, "secret '%s' does "
			    "not open with this node's key: its file was "
			    "changed", s->name);
		r = secret_decrypt(s, dek, out, err);
		sodium_memzero(dek, sizeof(dek));
		return r;
	}
	secret_grants(s, &g);
	tl_err_set(err, TL_EPERM, "secret '%s' is not granted to this node "
	    "(%s): it is sealed for %s; grant it with `tlaloc secret grant "
	    "%s --for %s`", s->name, self_name, g.data, s->name, self_name);
	buf_release(&g);
	return TL_EPERM;
}

int
secret_open_operator(const struct secret *s, const struct opkey *op,
    struct buf *out, struct tl_err *err)
{
	uint8_t dek[DEK_LEN];
	int r;

	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].kind != SECRET_OPERATOR ||
		    memcmp(s->r[i].pk, opkey_public(op)->pk, 32) != 0)
			continue;
		if (opkey_box_open(op, s->r[i].box, sizeof(s->r[i].box),
		    dek) < 0)
			break;
		r = secret_decrypt(s, dek, out, err);
		sodium_memzero(dek, sizeof(dek));
		return r;
	}
	return tl_err_set(err, TL_EPERM, "secret '%s' was not sealed to this "
	    "operator key; only the operator who set it (or `secret set` "
	    "anew) can change it", s->name);
}

int
secret_verify(const struct secret *s, struct tl_err *err)
{
	struct buf img = BUF_INIT;
	int r;

	secret_encode(s, &img);
	r = crypto_sign_verify_detached(s->sig, (const uint8_t *)img.data,
	    img.len - sizeof(s->sig), s->op_pk);
	buf_release(&img);
	if (r != 0)
		return tl_err_set(err, TL_ECRYPTO, "secret '%s': the operator's "
		    "signature does not match its file", s->name);
	return 0;
}

/* ---- the file ------------------------------------------------------ */

void
secret_encode(const struct secret *s, struct buf *out)
{
	buf_addstr(out, MAGIC);
	buf_addch(out, SECRET_VERSION);
	buf_addch(out, (int)strlen(s->name));
	buf_addstr(out, s->name);
	buf_add_be(out, s->serial, 8);
	buf_add(out, s->op_pk, 32);
	buf_addch(out, (int)s->nfilters);
	for (size_t i = 0; i < s->nfilters; i++) {
		buf_add_be(out, strlen(s->filters[i]), 2);
		buf_addstr(out, s->filters[i]);
	}
	buf_add_be(out, s->n, 4);
	for (size_t i = 0; i < s->n; i++) {
		buf_addch(out, s->r[i].kind);
		buf_add(out, s->r[i].pk, 32);
		buf_addch(out, (int)strlen(s->r[i].name));
		buf_addstr(out, s->r[i].name);
		buf_add(out, s->r[i].box, SECRET_BOX_LEN);
	}
	buf_add(out, s->nonce, sizeof(s->nonce));
	buf_add_be(out, s->ctlen, 4);
	buf_add(out, s->ct, s->ctlen);
	buf_add(out, s->sig, sizeof(s->sig));
}

/* A string of a u8/u16 length, no NUL inside, into dst (size > max). */
static int
rd_text(struct rd *rd, int wide, size_t max, char *dst, struct tl_err *err)
{
	const uint8_t *p;
	uint16_t n16 = 0;
	uint8_t n8 = 0;
	size_t n;
	int r;

	if ((r = wide ? rd_u16(rd, &n16) : rd_u8(rd, &n8)) < 0)
		return tl_err_set(err, r, "secret file ends early");
	n = wide ? n16 : n8;
	if (n > max)
		return tl_err_set(err, TL_ETOOBIG, "a name in the secret file "
		    "is %zu bytes, over %zu", n, max);
	if ((r = rd_bytes(rd, &p, n)) < 0)
		return tl_err_set(err, r, "secret file ends early");
	if (memchr(p, '\0', n) != NULL)
		return tl_err_set(err, TL_EINVAL, "a name in the secret file "
		    "holds a NUL byte");
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int
decode_head(struct rd *rd, struct secret *s, struct tl_err *err)
{
	const uint8_t *magic;
	char f[SECRET_FILTER_MAX + 1];
	uint8_t ver, nf;
	int r;

	if (rd_bytes(rd, &magic, 4) < 0 || memcmp(magic, MAGIC, 4) != 0 ||
	    rd_u8(rd, &ver) < 0)
		return tl_err_set(err, TL_EINVAL, "not a sealed secret file");
	if (ver != SECRET_VERSION)
		return tl_err_set(err, TL_EINVAL, "sealed secret version %u; "
		    "this tlaloc reads %d", ver, SECRET_VERSION);
	if ((r = rd_text(rd, 0, SECRET_NAME_MAX, s->name, err)) < 0)
		return r;
	if (!secret_name_valid(s->name))
		return tl_err_set(err, TL_EINVAL, "bad secret name in file");
	if (rd_u64(rd, &s->serial) < 0 || rd_copy(rd, s->op_pk, 32) < 0 ||
	    rd_u8(rd, &nf) < 0)
		return tl_err_set(err, TL_ETRUNC, "secret file ends early");
	if (nf > SECRET_FOR_MAX)
		return tl_err_set(err, TL_ETOOBIG, "%u filters in a secret "
		    "file, over %d", nf, SECRET_FOR_MAX);
	for (size_t i = 0; i < nf; i++) {
		if ((r = rd_text(rd, 1, SECRET_FILTER_MAX, f, err)) < 0)
			return r;
		s->filters[s->nfilters++] = xstrdup(f);
	}
	return 0;
}

static int
decode_recips(struct rd *rd, struct secret *s, struct tl_err *err)
{
	uint32_t n;
	int r;

	if (rd_u32(rd, &n) < 0)
		return tl_err_set(err, TL_ETRUNC, "secret file ends early");
	if (n > SECRET_RECIP_MAX)
		return tl_err_set(err, TL_ETOOBIG, "%u recipients in a secret "
		    "file, over %d", n, SECRET_RECIP_MAX);
	/* Each takes at least 114 bytes: bound n before allocating. */
	if ((size_t)n * (1 + 32 + 1 + SECRET_BOX_LEN) > rd_left(rd))
		return tl_err_set(err, TL_ETRUNC, "secret file ends early");
	s->r = xcalloc(n == 0 ? 1 : n, sizeof(*s->r));
	for (s->n = 0; s->n < n; s->n++) {
		struct secret_recip *e = &s->r[s->n];

		if (rd_u8(rd, &e->kind) < 0 || rd_copy(rd, e->pk, 32) < 0)
			return tl_err_set(err, TL_ETRUNC, "secret file ends "
			    "early");
		if (e->kind != SECRET_NODE && e->kind != SECRET_OPERATOR)
			return tl_err_set(err, TL_EINVAL, "unknown recipient "
			    "kind %u in a secret file", e->kind);
		if ((r = rd_text(rd, 0, SECRET_NODE_NAME_MAX, e->name,
		    err)) < 0)
			return r;
		if (rd_copy(rd, e->box, SECRET_BOX_LEN) < 0)
			return tl_err_set(err, TL_ETRUNC, "secret file ends "
			    "early");
	}
	return 0;
}

static int
decode_body(struct rd *rd, struct secret *s, struct tl_err *err)
{
	uint32_t n;

	if (rd_copy(rd, s->nonce, sizeof(s->nonce)) < 0 || rd_u32(rd, &n) < 0)
		return tl_err_set(err, TL_ETRUNC, "secret file ends early");
	if (n < TAG_LEN || n > SECRET_VALUE_MAX + TAG_LEN)
		return tl_err_set(err, TL_ETOOBIG, "secret value of %u bytes "
		    "is out of bounds", n);
	if (n > rd_left(rd))
		return tl_err_set(err, TL_ETRUNC, "secret file ends early");
	s->ct = xmalloc(n);
	s->ctlen = n;
	if (rd_copy(rd, s->ct, n) < 0 || rd_copy(rd, s->sig,
	    sizeof(s->sig)) < 0)
		return tl_err_set(err, TL_ETRUNC, "secret file ends early");
	if (rd_left(rd) != 0)
		return tl_err_set(err, TL_EINVAL, "%zu bytes after the end of "
		    "a secret file", rd_left(rd));
	return 0;
}

int
secret_decode(const uint8_t *p, size_t len, struct secret **out,
    struct tl_err *err)
{
	struct secret *s = xcalloc(1, sizeof(*s));
	struct rd rd;
	int r;

	*out = NULL;
	rd_init(&rd, p, len);
	if ((r = decode_head(&rd, s, err)) < 0 ||
	    (r = decode_recips(&rd, s, err)) < 0 ||
	    (r = decode_body(&rd, s, err)) < 0) {
		secret_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static char *
secret_path(const char *policy, const char *name)
{
	return xasprintf("%s/secrets/%s.sealed", policy, name);
}

int
secret_read(const char *policy, const char *name, struct secret **out,
    struct tl_err *err)
{
	struct buf b = BUF_INIT;
	char *path;
	int r;

	*out = NULL;
	if (!secret_name_valid(name))
		return tl_err_set(err, TL_EINVAL, "'%s' is not a secret name "
		    "(letters, digits, '_', '.', '-'; at most %d)", name,
		    SECRET_NAME_MAX);
	path = secret_path(policy, name);
	if ((r = fileio_read(path, SECRET_FILE_MAX, &b, err)) == TL_ENOENT)
		tl_err_set(err, TL_ENOENT, "no secret '%s' in the policy "
		    "(secrets/%s.sealed); set it with `tlaloc secret set %s "
		    "--for FILTER`", name, name, name);
	if (r == 0 && (r = secret_decode((const uint8_t *)b.data, b.len, out,
	    err)) < 0)
		snprintf(err->where, sizeof(err->where), "secrets/%s.sealed",
		    name);
	if (r == 0 && strcmp((*out)->name, name) != 0) {
		r = tl_err_set(err, TL_EINVAL, "secrets/%s.sealed holds the "
		    "secret '%s'", name, (*out)->name);
		secret_free(*out);
		*out = NULL;
	}
	free(path);
	buf_release(&b);
	return r;
}

int
secret_write(const char *policy, const struct secret *s, struct tl_err *err)
{
	struct fileio_meta meta = { 0644, (uid_t)-1, (gid_t)-1 };
	struct buf b = BUF_INIT;
	char *dir = xasprintf("%s/secrets", policy);
	char *path = secret_path(policy, s->name);
	int r;

	secret_encode(s, &b);
	if ((r = fileio_mkdirs(dir, 0755, err)) == 0)
		r = fileio_write_atomic(path, b.data, b.len, &meta, err);
	buf_release(&b);
	free(dir);
	free(path);
	return r;
}

/* ---- the member list from the agent --------------------------------- */

void
secret_members_begin(struct buf *out)
{
	buf_addch(out, 1);
}

void
secret_members_add(struct buf *out, const struct swim_member *m)
{
	size_t nl = strlen(m->name);

	buf_add(out, m->id, 32);
	buf_addch(out, m->status == SWIM_DEAD || m->status == SWIM_LEFT);
	buf_addch(out, (int)(nl > 255 ? 255 : nl));
	buf_add(out, m->name, nl > 255 ? 255 : nl);
	buf_add_be(out, m->tags_len, 4);
	buf_add(out, m->tags, m->tags_len);
}

static int
member_decode(struct rd *rd, struct secret_node *e, struct tl_err *err)
{
	const uint8_t *t;
	uint8_t gone;
	uint32_t tl;
	int r;

	if (rd_copy(rd, e->pk, 32) < 0 || rd_u8(rd, &gone) < 0)
		return tl_err_set(err, TL_ETRUNC, "member list ends early");
	e->is_gone = gone != 0;
	if ((r = rd_text(rd, 0, SECRET_NODE_NAME_MAX, e->name, err)) < 0)
		return r;
	if (rd_u32(rd, &tl) < 0 || tl > 64 * 1024 || rd_bytes(rd, &t, tl) < 0)
		return tl_err_set(err, TL_ETRUNC, "member list: bad tags");
	e->tags = xmalloc(tl + 1);
	memcpy(e->tags, t, tl);
	e->tags[tl] = '\0';
	e->tags_len = tl;
	return 0;
}

int
secret_members_decode(const uint8_t *p, size_t len, struct secret_node **out,
    struct tl_err *err)
{
	struct secret_node *v = NULL;
	struct rd rd;
	uint8_t ver;
	size_t n = 0;
	int r = 0;

	*out = NULL;
	rd_init(&rd, p, len);
	if (rd_u8(&rd, &ver) < 0 || ver != 1)
		return tl_err_set(err, TL_EINVAL, "the agent's member list is "
		    "not one this tlaloc reads");
	while (rd_left(&rd) > 0) {
		if (n == SECRET_RECIP_MAX) {
			r = tl_err_set(err, TL_ETOOBIG, "more than %d members",
			    SECRET_RECIP_MAX);
			break;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		if ((r = member_decode(&rd, &v[n], err)) < 0) {
			n++;
			break;
		}
		n++;
	}
	if (r < 0) {
		secret_nodes_free(v, n);
		return r;
	}
	*out = v;
	return (int)n;
}

void
secret_nodes_free(struct secret_node *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].tags);
	free(v);
}
