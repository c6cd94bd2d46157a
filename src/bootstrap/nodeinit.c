/*
 * tlaloc init: a fresh node's agent.conf, cluster keyring and node key.
 * The config is checked by the agent's own loader before it replaces
 * anything, so init never leaves a config the agent would refuse.
 */
#include "bootstrap/bootstrap_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/keyring.h"
#include "net/srcaddr.h"

/* A value that would end its config line early or hide in a terminal. */
static int
bad_value(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f || *v == '#')
			return 1;
	return 0;
}

static int
check_node(const struct bootstrap_node *n, struct tl_err *err)
{
	const char *one[4] = { n->name, n->advertise, n->member.pack, n->member.policy_from };

	for (size_t i = 0; i < 4; i++)
		if (one[i] != NULL && (one[i][0] == '\0' || bad_value(one[i])))
			return tl_err_set(err, TL_EINVAL, "'%s' is not a valid "
			    "setting value", one[i]);
	for (size_t i = 0; i < n->member.njoins; i++)
		if (bad_value(n->member.joins[i]))
			return tl_err_set(err, TL_EINVAL, "bad --join '%s'",
			    n->member.joins[i]);
	for (size_t i = 0; i < n->member.ntags; i++)
		if (bad_value(n->member.tags[i]))
			return tl_err_set(err, TL_EINVAL, "bad --tag '%s'",
			    n->member.tags[i]);
	for (size_t i = 0; i < n->member.ntrust; i++)
		if (bad_value(n->member.trust_paths[i]))
			return tl_err_set(err, TL_EINVAL, "bad --trust '%s'",
			    n->member.trust_paths[i]);
	return 0;
}

static void
find_advertise(const struct bootstrap_node *n, char *out, size_t size)
{
	struct tl_err err = TL_ERR_INIT;
	char dest[ADDR_STR_MAX + 16], ip[ADDR_STR_MAX];
	int port = n->member.port ? n->member.port : 7946;

	if (n->advertise != NULL) {
		snprintf(out, size, "%s", n->advertise);
		return;
	}
	/* The route to the first seed picks the interface the cluster sees;
	 * with no seed, the default route's (192.0.2.1 is TEST-NET-1: only
	 * the routing table is asked, nothing is sent). */
	snprintf(dest, sizeof(dest), "%s", n->member.njoins ? n->member.joins[0] :
	    "192.0.2.1:7946");
	if (srcaddr_for(dest, ip, &err) < 0)
		snprintf(ip, sizeof(ip), "127.0.0.1");
	snprintf(out, size, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
}

/* Loads text as the agent would, from path.new, and renames it in. */
static int
config_install(const char *path, const struct buf *text, struct tl_err *err)
{
	struct fileio_meta meta = { 0644, (uid_t)-1, (gid_t)-1 };
	struct agent_config cfg;
	char *tmp = xasprintf("%s.new", path);
	char *argv[] = { (char *)"init", (char *)"--config", tmp, NULL };
	int r;

	if ((r = fileio_write_atomic(tmp, text->data, text->len, &meta,
	    err)) < 0)
		goto out;
	agent_config_init(&cfg);
	r = agent_config_load(&cfg, 3, argv, err);
	agent_config_release(&cfg);
	if (r < 0)
		unlink(tmp);
	else if (rename(tmp, path) < 0)
		r = tl_err_set(err, TL_EIO, "cannot rename %s: %s", tmp,
		    strerror(errno));
out:
	free(tmp);
	return r;
}

static int
keyring_ensure(const char *path, int *made, struct tl_err *err)
{
	struct keyring *kr;
	uint8_t key[KEYRING_KEY_LEN];
	struct stat st;
	int r;

	*made = 0;
	if (stat(path, &st) == 0)
		return 0;
	kr = keyring_new();
	keyring_generate(key);
	keyring_add(kr, key);
	sodium_memzero(key, sizeof(key));
	r = keyring_save(kr, path, err);
	keyring_free(kr);
	*made = r == 0;
	return r;
}

/* The config outlives the directory init ran in: paths in it are made
 * absolute. Each returned string is also pushed on owned, to be freed. */
static const char *
absolute(const char *path, char **owned, size_t *nowned)
{
	char *abs = realpath(path, NULL);

	if (abs == NULL)
		return path;	/* the agent's loader will name the problem */
	owned[(*nowned)++] = abs;
	return abs;
}

static int node_init(const struct bootstrap_node *n,
    struct bootstrap_node_result *res, struct tl_err *err);

int
bootstrap_node_init(const struct bootstrap_node *in,
    struct bootstrap_node_result *res, struct tl_err *err)
{
	struct bootstrap_node n = *in;
	char *owned[BOOTSTRAP_LIST_MAX + 2];
	size_t nowned = 0;
	struct tl_err ignore = TL_ERR_INIT;
	int r;

	fileio_mkdirs(in->config_dir, 0755, &ignore);
	fileio_mkdirs(in->state_dir, 0700, &ignore);
	n.config_dir = absolute(in->config_dir, owned, &nowned);
	n.state_dir = absolute(in->state_dir, owned, &nowned);
	for (size_t i = 0; i < n.member.ntrust; i++)
		n.member.trust_paths[i] = absolute(in->member.trust_paths[i], owned,
		    &nowned);
	r = node_init(&n, res, err);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	return r;
}

static int
node_init(const struct bootstrap_node *n, struct bootstrap_node_result *res,
    struct tl_err *err)
{
	struct buf text = BUF_INIT;
	struct ident *id;
	struct stat st;
	char *conf = xasprintf("%s/agent.conf", n->config_dir);
	char *kr = xasprintf("%s/keyring", n->config_dir);
	char *nk = xasprintf("%s/node.key", n->state_dir);
	const uint8_t *pk;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = check_node(n, err)) < 0 ||
	    (r = fileio_mkdirs(n->config_dir, 0755, err)) < 0 ||
	    (r = fileio_mkdirs(n->state_dir, 0700, err)) < 0)
		goto out;
	if (chmod(n->state_dir, 0700) < 0) {
		r = tl_err_set(err, TL_EIO, "chmod %s: %s", n->state_dir,
		    strerror(errno));
		goto out;
	}
	/* Keys first: the config's check loads trust files, not keys, but a
	 * half-made node should at least have its identity. */
	if ((r = keyring_ensure(kr, &res->made_keyring, err)) < 0)
		goto out;
	if ((id = ident_load_or_create(nk, err)) == NULL) {
		r = err->code ? err->code : TL_EIO;
		goto out;
	}
	pk = ident_public(id);
	for (size_t i = 0; i < 8; i++)
		snprintf(res->node_id + 2 * i, 3, "%02x", pk[i]);
	ident_free(id);
	find_advertise(n, res->advertise, sizeof(res->advertise));
	if (stat(conf, &st) == 0 && !n->force)
		goto out;
	bs_config_text(n, res->advertise, &text);
	if ((r = config_install(conf, &text, err)) == 0)
		res->wrote_config = 1;
out:
	buf_release(&text);
	free(conf);
	free(kr);
	free(nk);
	return r;
}
