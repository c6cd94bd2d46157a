/*
 * tlaloc bootstrap: checks the options, reads the key files, and hands
 * over to the writer of the chosen kind. Layouts, service definitions and
 * the agent config text are shared by every kind and live here.
 */
#include "bootstrap/bootstrap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "core/fileio.h"
#include "net/keyring.h"
#include "net/opkey.h"

/* The dist/ templates, turned into strings by scripts/embed-text at build time. */
extern const char embed_tlaloc_service_in[], embed_tlaloc_init_in[],
    embed_tlaloc_openrc_in[], embed_tlaloc_freebsd_in[],
    embed_tlaloc_openbsd_in[];

static const struct bs_layout layouts[] = {
	{ "systemd", "/usr/bin/tlaloc", "/etc/tlaloc", "/var/lib/tlaloc",
	  "/etc/systemd/system/tlaloc.service", embed_tlaloc_service_in },
	{ "sysv", "/usr/bin/tlaloc", "/etc/tlaloc", "/var/lib/tlaloc",
	  "/etc/init.d/tlaloc", embed_tlaloc_init_in },
	{ "openrc", "/usr/bin/tlaloc", "/etc/tlaloc", "/var/lib/tlaloc",
	  "/etc/init.d/tlaloc", embed_tlaloc_openrc_in },
	{ "freebsd", "/usr/local/bin/tlaloc", "/usr/local/etc/tlaloc",
	  "/var/db/tlaloc", "/usr/local/etc/rc.d/tlaloc",
	  embed_tlaloc_freebsd_in },
	{ "openbsd", "/usr/local/bin/tlaloc", "/etc/tlaloc", "/var/db/tlaloc",
	  "/etc/rc.d/tlaloc", embed_tlaloc_openbsd_in },
};

const char *const bs_all_inits[] = {
	"systemd", "openrc", "freebsd", "openbsd", "sysv", NULL
};

enum render { R_INSTALLER, R_DHCP, R_CLOUD, R_PUPPET, R_CHEF };

static const struct kind {
	const char	*name;
	enum render	 render;
	const char	*init;		/* NULL: every one, picked at run time */
	const char	*parts;
} kinds[] = {
	{ "cloud-init", R_CLOUD, NULL, "installer" },
	{ "systemd", R_INSTALLER, "systemd", "service" },
	{ "sysv", R_INSTALLER, "sysv", "service" },
	{ "openrc", R_INSTALLER, "openrc", "service" },
	{ "freebsd-rc", R_INSTALLER, "freebsd", "service" },
	{ "openbsd-rc", R_INSTALLER, "openbsd", "service" },
	{ "dhcp", R_DHCP, NULL, "dhclient-hook dhcpcd-hook dhcp-join" },
	{ "puppet", R_PUPPET, NULL, "" },
	{ "chef", R_CHEF, NULL, "" },
	{ "shell", R_INSTALLER, NULL, "" },
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

const char *
bootstrap_kinds(void)
{
	return "cloud-init systemd sysv openrc freebsd-rc openbsd-rc dhcp "
	    "puppet chef shell";
}

static const struct kind *
kind_find(const char *via)
{
	for (size_t i = 0; via != NULL && i < NKINDS; i++)
		if (strcmp(kinds[i].name, via) == 0)
			return &kinds[i];
	return NULL;
}

const struct bs_layout *
bs_layout(const char *init)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (strcmp(layouts[i].init, init) == 0)
			return &layouts[i];
	return &layouts[0];
}

const char *
bs_bin(const struct bs_ctx *c, const struct bs_layout *l)
{
	return c->o->bin ? c->o->bin : l->bin;
}

void
bs_fill(struct buf *out, const char *tmpl, const struct bs_var *vars,
    size_t n)
{
	const char *p = tmpl, *at, *end;

	while ((at = strchr(p, '@')) != NULL) {
		size_t len;
		size_t i;

		buf_add(out, p, (size_t)(at - p));
		end = at + 1 + strspn(at + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		len = (size_t)(end - at - 1);
		for (i = 0; *end == '@' && i < n; i++)
			if (strlen(vars[i].name) == len &&
			    strncmp(vars[i].name, at + 1, len) == 0)
				break;
		if (*end == '@' && i < n) {
			buf_addstr(out, vars[i].value);
			p = end + 1;
		} else {
			buf_addch(out, '@');
			p = at + 1;
		}
	}
	buf_addstr(out, p);
}

void
bs_service_text(const struct bs_ctx *c, const struct bs_layout *l,
    struct buf *out)
{
	const struct bs_var v[] = {
		{ "BIN", bs_bin(c, l) }, { "ETC", l->etc },
		{ "STATE", l->state },
	};

	bs_fill(out, l->template, v, 3);
}

void
bs_indent(struct buf *out, const char *indent, const char *text)
{
	const char *nl;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		if (nl > text)
			buf_addstr(out, indent);
		buf_add(out, text, (size_t)(nl - text));
		buf_addch(out, '\n');
		text = *nl ? nl + 1 : nl;
	}
}

/* "key = value" a value, or the example commented out when there is none. */
static void
add_config_list(struct buf *out, const char *key, const char *const *v,
    size_t n, const char *example)
{
	for (size_t i = 0; i < n; i++)
		buf_addf(out, "%s = %s\n", key, v[i]);
	if (n == 0)
		buf_addf(out, "# %s = %s\n", key, example);
}

void
bs_config_text(const struct bootstrap_node *n, const char *advertise,
    struct buf *out)
{
	int port = n->member.port ? n->member.port : 7946;

	buf_addf(out,
	    "# tlaloc agent config (docs/agent.md): `key = value`, '#' "
	    "comments.\n"
	    "# Written by tlaloc init or a tlaloc bootstrap artifact; flags "
	    "given to\n# `tlaloc agent` override it.\n\n"
	    "# The node's label; the host name when unset.\n");
	if (n->name != NULL)
		buf_addf(out, "name = %s\n", n->name);
	else
		buf_addstr(out, "# name = web1\n");
	buf_addf(out, "\n# UDP and TCP, one port; advertise is what the "
	    "others reach us at.\nbind = 0.0.0.0:%d\nadvertise = %s\n\n",
	    port, advertise);
	buf_addstr(out, "# Seeds: any live members; more than one in case "
	    "one is down.\n");
	add_config_list(out, "join", n->member.joins, n->member.njoins,
	    "10.0.0.1:7946");
	buf_addf(out, "\n# The cluster key (0600); the same file on every "
	    "member.\nkeyring = %s/keyring\nstate_dir = %s\n\n",
	    n->config_dir, n->state_dir);
	buf_addstr(out, "# Labels other members and policies select on.\n");
	add_config_list(out, "tag", n->member.tags, n->member.ntags,
	    "role=web");
	buf_addstr(out, "\n# Operator public keys whose signatures this "
	    "node obeys.\n");
	add_config_list(out, "trust", n->member.trust_paths, n->member.ntrust,
	    "/etc/tlaloc/trust/operator.pub");
	buf_addstr(out, "\n# Policy: the pack this node runs and the member "
	    "it fetches policy from.\n");
	buf_addf(out, "%spack = %s\n", n->member.pack ? "" : "# ",
	    n->member.pack ? n->member.pack : "base");
	buf_addf(out, "%spolicy_from = %s\n", n->member.policy_from ? "" : "# ",
	    n->member.policy_from ? n->member.policy_from : "10.0.0.1:7946");
	buf_addstr(out, "\n# lan (1 s probes), wan (5 s) or local (tests).\n"
	    "profile = lan\nlog_level = notice\n");
}

void
bs_node_from_opts(const struct bs_ctx *c, const char *etc, const char *state,
    struct buf *trust_paths, struct bootstrap_node *n)
{
	const struct bootstrap_opts *o = c->o;
	size_t off = 0;

	memset(n, 0, sizeof(*n));
	n->config_dir = etc;
	n->state_dir = state;
	n->member = o->member;
	n->member.port = c->port;
	/*
	 * The node trusts the copies the artifact installs under etc, not
	 * the paths on this machine. Paths are NUL-separated in
	 * trust_paths; fill it, then point in.
	 */
	for (size_t i = 0; i < c->ntrust; i++) {
		buf_addf(trust_paths, "%s/trust/%s", etc, c->trust[i].name);
		buf_addch(trust_paths, '\0');
	}
	for (size_t i = 0; i < c->ntrust; i++) {
		n->member.trust_paths[i] = trust_paths->data + off;
		off += strlen(n->member.trust_paths[i]) + 1;
	}
	n->member.ntrust = c->ntrust;
}

/* ---- Validation ----------------------------------------------------- */

static int
only(const char *s, const char *allowed)
{
	return s[0] != '\0' && strspn(s, allowed) == strlen(s) &&
	    strlen(s) < 256;
}

#define ALNUM	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define ADDR_CH	ALNUM ".:[]-_"

static int
check_list(const char *const *v, size_t n, const char *flag,
    const char *allowed, struct tl_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!only(v[i], allowed))
			return tl_err_set(err, TL_EINVAL, "%s '%s': only "
			    "letters, digits and %s are allowed", flag, v[i],
			    allowed + sizeof(ALNUM) - 1);
		if (strcmp(flag, "--tag") == 0 && (v[i][0] == '=' ||
		    strchr(v[i], '=') == NULL))
			return tl_err_set(err, TL_EINVAL, "--tag '%s' is not "
			    "of the form key=value", v[i]);
		if (strcmp(flag, "--join") == 0 && strchr(v[i], ':') == NULL)
			return tl_err_set(err, TL_EINVAL, "--join '%s' needs "
			    "a port (ADDR:PORT)", v[i]);
	}
	return 0;
}

static int
check_opts(const struct bootstrap_opts *o, struct tl_err *err)
{
	const char *one;
	int r;

	if ((r = check_list(o->member.joins, o->member.njoins, "--join", ADDR_CH, err)) < 0 ||
	    (r = check_list(o->member.tags, o->member.ntags, "--tag", ALNUM "._-:/@+=",
	    err)) < 0)
		return r;
	one = o->member.policy_from;
	if (one && (r = check_list(&one, 1, "--policy-from", ADDR_CH,
	    err)) < 0)
		return r;
	one = o->member.pack;
	if (one && (r = check_list(&one, 1, "--pack", ALNUM "._-", err)) < 0)
		return r;
	one = o->package_url;
	if (one && (r = check_list(&one, 1, "--package-url",
	    ALNUM "._-~:/?#@!&+,;=%", err)) < 0)
		return r;
	one = o->bin;
	if (one && ((r = check_list(&one, 1, "--bin", ALNUM "._-/", err)) < 0 ||
	    one[0] != '/'))
		return r < 0 ? r : tl_err_set(err, TL_EINVAL, "--bin must be "
		    "an absolute path");
	if (o->from == BOOTSTRAP_FROM_URL && o->package_url == NULL)
		return tl_err_set(err, TL_EINVAL, "installing from a URL needs "
		    "--package-url");
	if (o->member.port < 0 || o->member.port > 65535 || o->dhcp_option < 0 ||
	    (o->dhcp_option != 0 && (o->dhcp_option < 224 ||
	    o->dhcp_option > 254)))
		return tl_err_set(err, TL_EINVAL, "--port must be 1-65535 and "
		    "--dhcp-option a site-local code, 224-254");
	return 0;
}

/* Reads the keyring and re-encodes it: only parsed keys reach the text. */
static int
load_keyring(struct bs_ctx *c, struct tl_err *err)
{
	struct keyring *kr;
	char b64[KEYRING_B64_LEN];
	const uint8_t *k;
	int r;

	if (c->o->keyring_path == NULL)
		return 0;
	kr = keyring_new();
	if ((r = keyring_load(kr, c->o->keyring_path, err)) == 0)
		for (size_t i = 0; (k = keyring_at(kr, i, NULL)) != NULL;
		    i++) {
			keyring_key_b64(k, b64);
			buf_addf(&c->keyring, "%s\n", b64);
		}
	sodium_memzero(b64, sizeof(b64));
	keyring_free(kr);
	return r;
}

static int
load_trust(struct bs_ctx *c, struct tl_err *err)
{
	for (size_t i = 0; i < c->o->member.ntrust; i++) {
		struct opkey_trust t;
		struct bs_trust *bt = &c->trust[i];
		const char *path = c->o->member.trust_paths[i], *base;
		char line[128];
		int r;

		memset(&t, 0, sizeof(t));
		if ((r = opkey_trust_add_file(&t, path, err)) < 0)
			return r;
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if (!only(base, ALNUM "._-") || strlen(base) > 48)
			base = "operator.pub";
		snprintf(bt->name, sizeof(bt->name), "%zu-%s", i + 1, base);
		buf_init(&bt->text);
		for (size_t j = 0; j < t.n; j++) {
			opkey_pub_format(&t.keys[j], line, sizeof(line));
			buf_addf(&bt->text, "%s\n", line);
		}
		c->ntrust++;
	}
	return 0;
}

static void
ctx_release(struct bs_ctx *c)
{
	if (c->keyring.len > 0)
		sodium_memzero(c->keyring.data, c->keyring.len);
	buf_release(&c->keyring);
	for (size_t i = 0; i < c->ntrust; i++)
		buf_release(&c->trust[i].text);
}

static int
render_part(const struct bs_ctx *c, const struct kind *k, const char *part,
    struct buf *out, struct tl_err *err)
{
	if (strcmp(part, "service") == 0 && k->init != NULL)
		bs_service_text(c, bs_layout(k->init), out);
	else if (strcmp(part, "installer") == 0 && k->render == R_CLOUD)
		bs_installer(c, bs_all_inits, 0, 1, out);
	else if ((strcmp(part, "dhclient-hook") == 0 ||
	    strcmp(part, "dhcpcd-hook") == 0) && k->render == R_DHCP)
		bs_dhcp_hook(c, part, out);
	else if (strcmp(part, "dhcp-join") == 0 && k->render == R_DHCP)
		bs_dhcp_helper(c, bs_layout("systemd"), out);
	else
		return tl_err_set(err, TL_EINVAL, "--via %s has no part '%s'"
		    "%s%s", k->name, part, k->parts[0] ? "; parts: " : "",
		    k->parts);
	return 0;
}

int
bootstrap_render(const struct bootstrap_opts *o, struct buf *out,
    struct tl_err *err)
{
	const struct kind *k = kind_find(o->via);
	struct bs_ctx c;
	const char *one[2] = { NULL, NULL };
	int r;

	if (k == NULL)
		return tl_err_set(err, TL_EINVAL, "--via must be one of: %s",
		    bootstrap_kinds());
	if ((r = check_opts(o, err)) < 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.o = o;
	buf_init(&c.keyring);
	c.port = o->member.port ? o->member.port : 7946;
	c.dhcp_option = o->dhcp_option ? o->dhcp_option : 224;
	if ((r = load_keyring(&c, err)) < 0 || (r = load_trust(&c, err)) < 0)
		goto out;
	if (o->part != NULL) {
		r = render_part(&c, k, o->part, out, err);
		goto out;
	}
	one[0] = k->init;
	switch (k->render) {
	case R_INSTALLER:
		bs_installer(&c, k->init ? one : bs_all_inits, 0, 0, out);
		break;
	case R_DHCP:
		bs_installer(&c, bs_all_inits, 1, 0, out);
		break;
	case R_CLOUD:
		r = bs_cloud_init(&c, out);
		break;
	case R_PUPPET:
		r = bs_puppet(&c, out);
		break;
	case R_CHEF:
		r = bs_chef(&c, out);
		break;
	}
out:
	ctx_release(&c);
	return r;
}
