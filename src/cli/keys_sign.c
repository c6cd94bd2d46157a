/*
 * The operator's side of key changes and evictions (net/keystmt.h): `tlaloc
 * keys install|use|remove ... --key OPERATOR.key` and `tlaloc keys evict
 * NODE --key OPERATOR.key` sign a statement here, in the client, so the
 * operator's secret key never reaches an agent; agents believe it only
 * when they trust that key.
 */
#include "cli.h"
#include "keys_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "net/keyring.h"
#include "net/keystmt.h"
#include "net/opkey.h"

static uint64_t
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* Signs s with the key in keyfile into b64; 0 or 1 (said). */
static int
sign_into(const char *keyfile, struct keystmt *s, struct buf *b64)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey *k;

	if ((k = opkey_load(keyfile, &err)) == NULL) {
		cli_error(&err);
		return 1;
	}
	s->issued_ms = wall_ms();
	keystmt_sign(s, k);
	keystmt_b64(s, b64);
	opkey_free(k);
	return 0;
}

int
cli_keys_sign(const char *keyfile, int ctl_op, const char *arg,
    struct buf *b64)
{
	struct keystmt s;
	uint8_t key[KEYRING_KEY_LEN];
	size_t n = 0;
	int is_id;

	memset(&s, 0, sizeof(s));
	s.op = ctl_op == CTL_KEYS_INSTALL ? KEYSTMT_INSTALL :
	    ctl_op == CTL_KEYS_USE ? KEYSTMT_USE : KEYSTMT_REMOVE;
	is_id = strlen(arg) == 8 && sodium_hex2bin(s.key_id, KEYRING_ID_LEN,
	    arg, 8, NULL, &n, NULL) == 0 && n == KEYRING_ID_LEN;
	if (!is_id) {
		if (keyring_key_parse(arg, strlen(arg), key, NULL) < 0) {
			cli_errorf("'%s' is not a base64 key or a key id", arg);
			return 1;
		}
		keyring_key_id(key, s.key_id);
		keystmt_key_hash(key, s.key_hash);
		sodium_memzero(key, sizeof(key));
	} else if (s.op == KEYSTMT_INSTALL) {
		cli_errorf("install needs the key itself, not its id");
		return 1;
	}
	return sign_into(keyfile, &s, b64);
}

int
cli_keys_evict(const char *state_dir, const char *node, const char *keyfile,
    int flags)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT, b64 = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	char *args[2] = { (char *)node, NULL };
	struct keystmt s;
	size_t n = 0;
	int status, rc = 1;

	/* First the agent names the node's whole id; that is signed. */
	if (ctl_call(sock, CTL_KEYS_EVICT, (uint8_t)flags, 1, args, 10000,
	    &status, &body, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	if (status != 0) {
		fprintf(stderr, "tlaloc: %s", body.data);
		goto out;
	}
	memset(&s, 0, sizeof(s));
	s.op = KEYSTMT_EVICT;
	if (body.len < 2 * KEYSTMT_NODE_LEN || sodium_hex2bin(s.node,
	    sizeof(s.node), body.data, 2 * KEYSTMT_NODE_LEN, NULL, &n,
	    NULL) != 0 || n != KEYSTMT_NODE_LEN) {
		cli_errorf("bad answer from the agent");
		goto out;
	}
	if (sign_into(keyfile, &s, &b64) != 0)
		goto out;
	args[1] = b64.data;
	rc = cli_ctl(state_dir, CTL_KEYS_EVICT, flags, 2, args);
out:
	buf_release(&body);
	buf_release(&b64);
	free(sock);
	return rc;
}

/* Signs one admission for the "id pack name" line; appends its base64. */
static int
admit_sign(const char *keyfile, char *line, struct buf *b64)
{
	char *pack = strchr(line, ' '), *name;
	struct keystmt s;
	size_t n = 0;

	if (pack == NULL || (name = strchr(pack + 1, ' ')) == NULL)
		return -1;
	*pack++ = '\0';
	*name++ = '\0';
	memset(&s, 0, sizeof(s));
	s.op = KEYSTMT_ADMIT;
	if (sodium_hex2bin(s.node, sizeof(s.node), line, strlen(line), NULL,
	    &n, NULL) != 0 || n != KEYSTMT_NODE_LEN)
		return -1;
	keystmt_pack_hash(pack, s.key_hash);
	printf("admitting %s to pack %s\n", name, pack);
	return sign_into(keyfile, &s, b64);
}

int
cli_pack_admit(const char *state_dir, int nnodes, char **nodes,
    const char *keyfile)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	struct buf *stmts = xcalloc(CTL_ARGS_MAX, sizeof(*stmts));
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	char *args[CTL_ARGS_MAX], *line, *save = NULL;
	int status, rc = 1, n = 1;

	/* The agent names each node's id and pack; those are signed. */
	if (ctl_call(sock, CTL_PACK_ADMIT, 0, nnodes, nodes, 10000, &status,
	    &body, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	if (status != 0 || body.len == 0) {
		fprintf(stderr, "tlaloc: %s", body.len ? body.data :
		    "no such member tagged with a pack (or all admitted)\n");
		goto out;
	}
	args[0] = "=";
	for (line = strtok_r(body.data, "\n", &save); line != NULL &&
	    n < CTL_ARGS_MAX; line = strtok_r(NULL, "\n", &save)) {
		if (admit_sign(keyfile, line, &stmts[n]) != 0)
			goto out;
		args[n] = stmts[n].data;
		n++;
	}
	rc = cli_ctl(state_dir, CTL_PACK_ADMIT, 0, n, args);
out:
	for (int i = 0; i < CTL_ARGS_MAX; i++)
		buf_release(&stmts[i]);
	free(stmts);
	buf_release(&body);
	free(sock);
	return rc;
}
