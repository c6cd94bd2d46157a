/*
 * tlaloc backups restore PATH --from PEER [--time T | --list]: getting
 * this node's backups back from the copies a peer keeps of them
 * (docs/backups.md). The local agent does the asking, signed with this
 * node's key, and opens what comes back (sealed for this node, or for a
 * former self whose key `tlaloc backups recover` brought back); the
 * fetched backup is first saved into our own bucket (its original time
 * and run kept), then restored like any other, so the restore path and
 * its safety (the current file saved first, an atomic write) are the
 * same.
 */
#include "cli.h"
#include "backups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "bucket/bucket.h"
#include "bucket/replica.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "net/opkey.h"

#include <sodium.h>

/* Above the agent's 10 s wait for the peer. */
#define FROM_TIMEOUT_MS	15000

static void
from_list(const char *peer, const struct repl_plain *m)
{
	char when[32];

	printf("%-20s  %10s  %10s  %-64s  %s\n", "TIME (UTC)", "UNIX", "SIZE",
	    "SHA256", "PATH");
	for (size_t i = 0; i < m->n; i++) {
		const struct bucket_entry *e = &m->v[i].e;

		cli_iso_time(e->time, when, sizeof(when));
		printf("%-20s  %10lld  %10llu  %-64s  %s\n", when, e->time,
		    e->size, e->hash, e->path);
	}
	printf("(%zu backups held by %s)\n", m->n, peer);
}

/* Saves the fetched backup into our bucket and restores it. */
static int
from_restore(const char *state_flag, const struct repl_plain_item *it,
    const char *root)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = it->e, *found = NULL;
	char *dir = xasprintf("%s/bucket", cli_state_dir(state_flag));
	char saved[16] = "";
	struct bucket *b = NULL;
	int r;

	if ((r = bucket_open(dir, &b, &err)) < 0 ||
	    (r = bucket_put(b, &e, it->data, (size_t)e.size, e.id, &err)) < 0)
		goto out;
	/* "" when our bucket already had it as the newest of its path. */
	if (e.id[0] == '\0' && (r = bucket_find(b, e.path, BUCKET_SEL_ID,
	    NULL, &found, &err)) == 0)
		memcpy(e.id, found->id, sizeof(e.id));
	if (r < 0)
		goto out;
	r = cli_restore_entry(b, &e, root, state_flag, saved, &err);
out:
	if (r < 0)
		cli_error(&err);
	else
		cli_restore_say(&e, root, r, saved);
	bucket_entries_free(found, 1);
	bucket_close(b);
	free(dir);
	return r < 0 ? 1 : 0;
}

/* Asks the agent (CTL_BACKUPS_FROM); 0 with its answer in body. */
static int
from_ask(const char *state_flag, char **args, struct buf *body)
{
	struct tl_err err = TL_ERR_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_flag));
	int status, r = -1;

	if (ctl_call(sock, CTL_BACKUPS_FROM, 0, 5, args, FROM_TIMEOUT_MS,
	    &status, body, &err) < 0)
		cli_errorf("restoring from a peer needs the local agent "
		    "running: %s", err.msg);
	else if (status != 0)
		/* The agent's sentence ends with a newline already. */
		fprintf(stderr, "tlaloc: %.*s", (int)body->len, body->data);
	else
		r = 0;
	free(sock);
	return r;
}

int
cli_backups_from(const char *state_flag, const char *peer, const char *path,
    const char *time, int is_list, const char *origin, const char *root)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *args[5];
	struct repl_plain m;
	int rc = 1;

	memset(&m, 0, sizeof(m));
	args[0] = (char *)peer;
	args[1] = (char *)path;
	args[2] = (char *)(time != NULL ? time : "");
	args[3] = is_list ? "list" : "get";
	args[4] = (char *)(origin != NULL ? origin : "");
	if (from_ask(state_flag, args, &body) < 0)
		goto out;
	if (repl_plain_decode((uint8_t *)body.data, body.len, &m, &err) < 0 ||
	    m.n == 0 || (!is_list && m.v[0].data == NULL)) {
		cli_errorf("bad answer from the agent: %s", err.msg);
		goto out;
	}
	if (is_list) {
		from_list(peer, &m);
		rc = 0;
	} else
		rc = from_restore(state_flag, &m.v[0], root);
out:
	repl_plain_release(&m);
	sodium_memzero(body.data, body.len);
	buf_release(&body);
	return rc;
}

/* Opens the box for k among the escrow's boxes into secret. */
static int
recover_open(const struct opkey *k, const uint8_t *boxes, size_t n,
    uint8_t secret[REPL_SECRET_LEN])
{
	const size_t one = REPL_OPKEY_ID + REPL_BOX_LEN;

	for (size_t at = 0; at + one <= n; at += one)
		if (memcmp(boxes + at, opkey_public(k)->id,
		    REPL_OPKEY_ID) == 0)
			return opkey_box_open(k, boxes + at + REPL_OPKEY_ID,
			    REPL_BOX_LEN, secret);
	return TL_ENOENT;
}

/* Keeps secret in STATE_DIR/backup-keys/<hex of origin>, 0600. */
static int
recover_save(const char *state_flag, const char *hex,
    const uint8_t secret[REPL_SECRET_LEN], struct tl_err *err)
{
	char b64[sodium_base64_ENCODED_LEN(REPL_SECRET_LEN,
	    sodium_base64_VARIANT_ORIGINAL) + 1];
	char *dir = xasprintf("%s/backup-keys", cli_state_dir(state_flag));
	char *path = xasprintf("%s/%s", dir, hex);
	size_t n;
	int r;

	sodium_bin2base64(b64, sizeof(b64) - 1, secret, REPL_SECRET_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	b64[n++] = '\n';	/* the array has room: one past the NUL */
	if ((r = fileio_mkdirs(dir, 0700, err)) == 0)
		r = fileio_write_private(path, b64, n, err);
	sodium_memzero(b64, sizeof(b64));
	free(path);
	free(dir);
	return r;
}

int
cli_backups_recover(const char *state_flag, const char *peer,
    const char *origin, const char *keyfile)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	uint8_t secret[REPL_SECRET_LEN];
	char hex[2 * REPL_ID_LEN + 1], *args[5];
	struct opkey *k;
	int rc = 1;

	if ((k = opkey_load(keyfile, &err)) == NULL) {
		cli_error(&err);
		return 1;
	}
	args[0] = (char *)peer;
	args[1] = "";
	args[2] = "";
	args[3] = "keys";
	args[4] = (char *)origin;
	if (from_ask(state_flag, args, &body) < 0)
		goto out;
	if (body.len < REPL_ID_LEN) {
		cli_errorf("bad answer from the agent");
		goto out;
	}
	sodium_bin2hex(hex, sizeof(hex), (uint8_t *)body.data, REPL_ID_LEN);
	if (recover_open(k, (uint8_t *)body.data + REPL_ID_LEN,
	    body.len - REPL_ID_LEN, secret) < 0) {
		cli_errorf("node %s did not seal its backup key to operator "
		    "key %s (or the box is damaged)", hex, keyfile);
		goto out;
	}
	if (recover_save(state_flag, hex, secret, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	printf("recovered the backup key of node %s from %s\n"
	    "restore its files with: tlaloc backups restore PATH --from %s "
	    "--origin %s\n", hex, peer, peer, hex);
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	opkey_free(k);
	buf_release(&body);
	return rc;
}
