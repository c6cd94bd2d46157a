/*
 * The POSIX sh installer behind the shell, service-manager and dhcp kinds
 * (and run by the cloud-init kind): dist/bootstrap/install.sh.in with its
 * @TOKENS@ filled. Every value put in it was checked by bootstrap.c to
 * need no quoting; keys go in quoted here-documents, never in a variable,
 * an argument or a log line.
 */
#include "bootstrap/bootstrap_int.h"

#include <string.h>

#include <sodium.h>

extern const char embed_install_sh_in[];

static void
add_layouts(const struct bs_ctx *c, const char *const *inits, struct buf *b)
{
	for (size_t i = 0; inits[i] != NULL; i++) {
		const struct bs_layout *l = bs_layout(inits[i]);

		buf_addf(b, "\t%s) BIN=%s ETC=%s STATE=%s ;;\n", l->init,
		    bs_bin(c, l), l->etc, l->state);
	}
}

static void
add_services(const struct bs_ctx *c, const char *const *inits,
    struct buf *b)
{
	for (size_t i = 0; inits[i] != NULL; i++) {
		const struct bs_layout *l = bs_layout(inits[i]);
		const char *slash = strrchr(l->service_path, '/');

		buf_addf(b, "\t%s)\n\t\tmkdir -p %.*s\n", l->init,
		    (int)(slash - l->service_path), l->service_path);
		buf_addf(b, "\t\tcat > %s <<'TLALOC_SERVICE'\n",
		    l->service_path);
		bs_service_text(c, l, b);
		buf_addf(b, "TLALOC_SERVICE\n\t\tchmod %s %s\n\t\t;;\n",
		    strcmp(l->init, "systemd") == 0 ? "0644" : "0755",
		    l->service_path);
	}
}

static void
add_keys(const struct bs_ctx *c, int keys_outside, struct buf *b)
{
	if (keys_outside) {
		/* cloud-init wrote it for the Linux layout; BSDs look in
		 * their own ETC, so the copy below moves it there. */
		buf_addstr(b, "\t(umask 077 && cat /etc/tlaloc/keyring > "
		    "\"$tmp\") 2>/dev/null || true\n");
		return;
	}
	if (c->keyring.len == 0)
		buf_addstr(b,
		    "\t# >>> " BS_PLACEHOLDER " <<<\n"
		    "\t# The cluster key is not embedded (bootstrap ran without "
		    "--keyring).\n"
		    "\t# Copy the cluster keyring to $ETC/keyring (mode 0600) "
		    "before running\n"
		    "\t# this, or replace the placeholder line below with its "
		    "lines.\n");
	buf_addstr(b, "\t(umask 077 && cat > \"$tmp\") <<'TLALOC_KEYRING'\n");
	if (c->keyring.len == 0)
		buf_addstr(b, "# " BS_PLACEHOLDER ": replace this line with "
		    "the cluster keyring\n");
	else
		buf_add(b, c->keyring.data, c->keyring.len);
	buf_addstr(b, "TLALOC_KEYRING\n");
}

static void
add_trust(const struct bs_ctx *c, struct buf *b)
{
	for (size_t i = 0; i < c->ntrust; i++) {
		buf_addf(b, "\tcat > \"$ETC/trust/%s\" <<'TLALOC_TRUST'\n",
		    c->trust[i].name);
		buf_add(b, c->trust[i].text.data, c->trust[i].text.len);
		buf_addf(b, "TLALOC_TRUST\n\tchmod 0644 \"$ETC/trust/%s\"\n",
		    c->trust[i].name);
	}
}

void
bs_init_args(const struct bs_ctx *c, int joins, const char *indent,
    struct buf *b)
{
	const struct bootstrap_opts *o = c->o;

	for (size_t i = 0; joins && i < o->member.njoins; i++)
		buf_addf(b, "%sset -- \"$@\" --join '%s'\n", indent,
		    o->member.joins[i]);
	for (size_t i = 0; i < o->member.ntags; i++)
		buf_addf(b, "%sset -- \"$@\" --tag '%s'\n", indent, o->member.tags[i]);
	for (size_t i = 0; i < c->ntrust; i++)
		buf_addf(b, "%sset -- \"$@\" --trust \"$ETC/trust/%s\"\n",
		    indent, c->trust[i].name);
	if (o->member.pack != NULL)
		buf_addf(b, "%sset -- \"$@\" --pack '%s'\n", indent, o->member.pack);
	if (o->member.policy_from != NULL)
		buf_addf(b, "%sset -- \"$@\" --policy-from '%s'\n", indent,
		    o->member.policy_from);
}

static const char *
install_desc(const struct bs_ctx *c, struct buf *b)
{
	switch (c->o->from) {
	case BOOTSTRAP_FROM_URL:
		buf_addf(b, "downloads %s and installs it (.deb with dpkg, "
		    "apt-get fetching missing libraries; .rpm with rpm; from a "
		    ".tar.gz, the bin/tlaloc of a make install tree)",
		    c->o->package_url);
		break;
	case BOOTSTRAP_FROM_PKG:
		buf_addstr(b, "the OS package manager, package 'tlaloc'");
		break;
	case BOOTSTRAP_FROM_NONE:
		buf_addstr(b, "none: the tlaloc binary must already be "
		    "installed at $BIN");
		break;
	}
	return b->data;
}

void
bs_installer(const struct bs_ctx *c, const char *const *inits, int dhcp,
    int keys_outside, struct buf *out)
{
	static const char *const from[] = { "none", "url", "package" };
	struct buf layouts = BUF_INIT, services = BUF_INIT, keys = BUF_INIT,
	    trust = BUF_INIT, args = BUF_INIT, desc = BUF_INIT,
	    joins = BUF_INIT, doc = BUF_INIT, funcs = BUF_INIT;
	char port[8];

	add_layouts(c, inits, &layouts);
	add_services(c, inits, &services);
	add_keys(c, keys_outside, &keys);
	add_trust(c, &trust);
	bs_init_args(c, !dhcp, "\t", &args);
	if (dhcp) {
		/* Seeds known at install time, else the first lease's. */
		buf_addstr(&joins, "${TLALOC_SEEDS:-}");
		buf_addstr(&args, "\told_ifs=$IFS\n\tIFS=,\n"
		    "\tfor s in $JOINS; do\n\t\tset -- \"$@\" --join \"$s\"\n"
		    "\tdone\n\tIFS=$old_ifs\n");
		bs_dhcp_server_doc(c, &doc);
		bs_dhcp_install_funcs(c, &funcs);
	} else {
		buf_addch(&joins, '\'');
		for (size_t i = 0; i < c->o->member.njoins; i++)
			buf_addf(&joins, "%s%s", i ? "," : "",
			    c->o->member.joins[i]);
		buf_addch(&joins, '\'');
	}
	snprintf(port, sizeof(port), "%d", c->port);
	{
		const struct bs_var v[] = {
			{ "KIND", c->o->via },
			{ "INSTALL_DESC", install_desc(c, &desc) },
			{ "KEY_DESC", keys_outside ? "written to $ETC/keyring "
			    "(0600) by cloud-init before this runs" :
			    c->keyring.len ? "embedded below; written to "
			    "$ETC/keyring, mode 0600, unless a key is "
			    "already there" : "NOT embedded: see " BS_PLACEHOLDER
			    " below" },
			{ "INIT", inits[1] == NULL ? inits[0] : "auto" },
			{ "INSTALL_FROM", from[c->o->from] },
			{ "PACKAGE_URL", c->o->package_url ?
			    c->o->package_url : "" },
			{ "JOINS", joins.data },
			{ "PORT", port },
			{ "LAYOUTS", layouts.data },
			{ "KEYS", keys.data },
			{ "TRUST", trust.data },
			{ "INIT_ARGS", args.data },
			{ "SERVICES", services.data },
			{ "DHCP_DOC", doc.data },
			{ "DHCP_FUNCS", funcs.data },
			{ "MAIN_CONFIG", dhcp ? "write_config\n"
			    "install_dhcp_hooks\n" : "write_config\n" },
		};

		bs_fill(out, embed_install_sh_in, v, sizeof(v) / sizeof(v[0]));
	}
	if (keys.len > 0)
		sodium_memzero(keys.data, keys.len);
	buf_release(&layouts);
	buf_release(&services);
	buf_release(&keys);
	buf_release(&trust);
	buf_release(&args);
	buf_release(&desc);
	buf_release(&joins);
	buf_release(&doc);
	buf_release(&funcs);
}
