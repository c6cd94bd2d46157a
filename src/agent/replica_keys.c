/*
 * Keys of bucket replication (docs/backups.md, bucket/replica.h): our
 * backup secret, derived from the node key; the escrow, that secret
 * sealed to every operator key we trust, which peers keep next to our
 * backups; and the secrets of former selves that an operator recovered
 * from an escrow (`tlaloc backups recover`) into STATE_DIR/backup-keys/,
 * so a node rebuilt with a new node key can open its old backups.
 *
 * At start, peers' replicas kept in the old, plaintext format
 * (replicas/NAME/) are removed: they were readable by whoever held them
 * and signed by nobody; their owners send sealed copies again.
 */
#include "agent/agent_int.h"

#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/replica_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/opkey.h"

#define SECRET_LABEL	"tlaloc backup secret v1"

static int
is_origin_hex(const char *name)
{
	if (strlen(name) != 2 * REPL_ID_LEN)
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes replicas/NAME dirs of the plaintext format. */
static void
drop_plaintext_replicas(struct agent *a)
{
	char *dir = xasprintf("%s/replicas", a->cfg.state_dir);
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.' || is_origin_hex(de->d_name))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0)
			n++;
		else
			log_warn("cannot remove old replicas '%s'",
			    log_escape(p));
		free(p);
	}
	closedir(d);
	if (n > 0)
		log_notice("removed the plaintext replicas of %zu peers (the "
		    "old format); their owners send sealed copies again", n);
	free(dir);
}

void
agent_repl_keys_open(struct agent *a)
{
	const struct opkey_trust *t = &a->cfg.trust;
	uint8_t box[REPL_BOX_LEN], h[4];
	crypto_generichash_state st;
	size_t n = 0;

	ident_derive(a->ident, SECRET_LABEL, a->repl->secret);
	drop_plaintext_replicas(a);
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	buf_init(&a->repl->escrow);
	repl_begin(&a->repl->escrow, REPL_ESCROW, ident_public(a->ident));
	buf_add_be(&a->repl->escrow, 0, 1);	/* n, below */
	for (size_t i = 0; i < t->n && n < REPL_ESCROW_MAX; i++) {
		if (opkey_box_seal(&t->keys[i], a->repl->secret,
		    REPL_SECRET_LEN, box) < 0)
			continue;
		buf_add(&a->repl->escrow, t->keys[i].id, REPL_OPKEY_ID);
		buf_add(&a->repl->escrow, box, sizeof(box));
		crypto_generichash_update(&st, t->keys[i].id, REPL_OPKEY_ID);
		n++;
	}
	a->repl->escrow.data[2 + REPL_ID_LEN] = (char)n;
	crypto_generichash_final(&st, h, sizeof(h));
	snprintf(a->repl->escrow_stamp, sizeof(a->repl->escrow_stamp),
	    "escrow-%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
	if (n == 0) {
		buf_reset(&a->repl->escrow);
		if (a->cfg.bucket_replicas > 0)
			log_warn("no --trust operator key: this node's backups "
			    "held by peers can be opened only with its node "
			    "key, so not after a disk loss (docs/backups.md)");
	}
}

int
agent_repl_escrow_due(struct agent *a, const char *peer)
{
	char key[64];
	size_t v;

	if (a->repl->escrow.len == 0)
		return 0;
	snprintf(key, sizeof(key), "%s\t%s", a->repl->escrow_stamp, peer);
	return !strmap_get(&a->repl->sent, key, &v) || v != 1;
}

void
agent_repl_escrow_msg(struct agent *a, struct buf *msg)
{
	buf_add(msg, a->repl->escrow.data, a->repl->escrow.len);
}

/* STATE_DIR/backup-keys/<origin hex>: the recovered secret, base64. */
static char *
origin_key_path(const struct agent *a, const uint8_t origin[REPL_ID_LEN])
{
	char hex[2 * REPL_ID_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), origin, REPL_ID_LEN);
	return xasprintf("%s/backup-keys/%s", a->cfg.state_dir, hex);
}

int
agent_repl_secret(struct agent *a, const uint8_t origin[REPL_ID_LEN],
    uint8_t secret[REPL_SECRET_LEN], struct tl_err *err)
{
	struct buf b = BUF_INIT;
	char *path;
	size_t len = 0;
	int r;

	if (memcmp(origin, ident_public(a->ident), REPL_ID_LEN) == 0) {
		memcpy(secret, a->repl->secret, REPL_SECRET_LEN);
		return 0;
	}
	path = origin_key_path(a, origin);
	r = fileio_read(path, 256, &b, err);
	while (r == 0 && b.len > 0 && (b.data[b.len - 1] == '\n' ||
	    b.data[b.len - 1] == ' '))
		b.len--;
	if (r == 0 && (sodium_base642bin(secret, REPL_SECRET_LEN, b.data,
	    b.len, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != REPL_SECRET_LEN))
		r = tl_err_set(err, TL_EINVAL, "'%s' is not a backup key",
		    path);
	else if (r < 0)
		r = tl_err_set(err, TL_ENOENT, "this node holds no backup key "
		    "of that origin; recover it first (tlaloc backups recover "
		    "--from PEER --origin ID --key OPERATOR.key)");
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	free(path);
	return r;
}
