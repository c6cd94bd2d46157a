/*
 * The dhcp kind: a node learns its cluster's seeds from a site-local DHCP
 * option (text "ADDR:PORT,ADDR:PORT"). dhclient and dhcpcd hooks hand the
 * option to a small helper, dist/bootstrap/dhcp-join.sh.in, which rewrites
 * the agent config and joins (or restarts the agent when the address
 * changed). The installer adds the hooks and the client option lines.
 */
#include "bootstrap/bootstrap_int.h"

#include <stdio.h>
#include <string.h>

extern const char embed_dhcp_join_sh_in[], embed_dhclient_hook_sh_in[],
    embed_dhcpcd_hook_sh_in[];

static void
fill(const struct bs_ctx *c, const char *tmpl, struct buf *out)
{
	struct buf args = BUF_INIT;
	char port[8], opt[8];

	snprintf(port, sizeof(port), "%d", c->port);
	snprintf(opt, sizeof(opt), "%d", c->dhcp_option);
	bs_init_args(c, 0, "", &args);
	{
		const struct bs_var v[] = {
			{ "PORT", port }, { "OPT", opt },
			{ "INIT_ARGS", args.data },
		};

		bs_fill(out, tmpl, v, 3);
	}
	buf_release(&args);
}

static const char *
hook_template(const char *which)
{
	return strcmp(which, "dhcpcd-hook") == 0 ? embed_dhcpcd_hook_sh_in :
	    embed_dhclient_hook_sh_in;
}

void
bs_dhcp_hook(const struct bs_ctx *c, const char *which, struct buf *out)
{
	buf_addf(out, "# tlaloc %s: joins the cluster whose seeds come in "
	    "DHCP option %d.\n# shellcheck shell=sh\n"
	    "tlaloc_dhcp_join=%s/dhcp-join\n", which, c->dhcp_option,
	    bs_layout("systemd")->etc);
	fill(c, hook_template(which), out);
}

void
bs_dhcp_helper(const struct bs_ctx *c, const struct bs_layout *l,
    struct buf *out)
{
	buf_addf(out, "#!/bin/sh\nBIN=%s ETC=%s STATE=%s INIT=%s\n",
	    bs_bin(c, l), l->etc, l->state, l->init);
	fill(c, embed_dhcp_join_sh_in, out);
}

void
bs_dhcp_server_doc(const struct bs_ctx *c, struct buf *out)
{
	struct buf seeds = BUF_INIT;

	for (size_t i = 0; i < c->o->member.njoins; i++)
		buf_addf(&seeds, "%s%s", i ? "," : "", c->o->member.joins[i]);
	if (c->o->member.njoins == 0)
		buf_addstr(&seeds, "10.0.0.1:7946,10.0.0.2:7946");
	buf_addf(out,
	    "#\n"
	    "# DHCP: the seeds come in site-local option %d as text, "
	    "\"ADDR:PORT,...\"\n"
	    "# (IPv4 or host names, no brackets). This installs a dhclient "
	    "exit hook\n"
	    "# and a dhcpcd hook that join them on every lease, and asks "
	    "for the option\n"
	    "# in /etc/dhcp/dhclient.conf and /etc/dhcpcd.conf. To join before the "
	    "first\n# lease: TLALOC_SEEDS=ADDR:PORT,... sh THIS-FILE\n"
	    "# Server side:\n"
	    "#   ISC dhcpd, dhcpd.conf:\n"
	    "#     option tlaloc-seeds code %d = text;\n"
	    "#     option tlaloc-seeds \"%s\";\n"
	    "#   dnsmasq, dnsmasq.conf:\n"
	    "#     dhcp-option-force=%d,\"%s\"\n",
	    c->dhcp_option, c->dhcp_option, seeds.data, c->dhcp_option,
	    seeds.data);
	buf_release(&seeds);
}

static void
hook_writer(const struct bs_ctx *c, const char *which, const char *path,
    struct buf *out)
{
	buf_addf(out, "\t\t{\n\t\t\tprintf '# tlaloc %s\\n# shellcheck "
	    "shell=sh\\ntlaloc_dhcp_join=%%s/dhcp-join\\n' \"$ETC\"\n"
	    "\t\t\tcat <<'TLALOC_HOOK'\n", which);
	fill(c, hook_template(which), out);
	buf_addf(out, "TLALOC_HOOK\n\t\t} > %s\n", path);
}

void
bs_dhcp_install_funcs(const struct bs_ctx *c, struct buf *out)
{
	buf_addstr(out, "\ninstall_dhcp_hooks() {\n\t{\n"
	    "\t\tprintf '#!/bin/sh\\nBIN=%s ETC=%s STATE=%s INIT=%s\\n' "
	    "\"$BIN\" \"$ETC\" \"$STATE\" \"$INIT\"\n"
	    "\t\tcat <<'TLALOC_HELPER'\n");
	fill(c, embed_dhcp_join_sh_in, out);
	buf_addstr(out, "TLALOC_HELPER\n\t} > \"$ETC/dhcp-join\"\n"
	    "\tchmod 0755 \"$ETC/dhcp-join\"\n"
	    "\tif [ -d /etc/dhcp ]; then\n"
	    "\t\tmkdir -p /etc/dhcp/dhclient-exit-hooks.d\n");
	hook_writer(c, "dhclient-hook", "/etc/dhcp/dhclient-exit-hooks.d/"
	    "tlaloc", out);
	buf_addf(out, "\t\tif ! grep -q tlaloc-seeds /etc/dhcp/dhclient.conf "
	    "2>/dev/null; then\n"
	    "\t\t\tprintf '\\n# tlaloc: cluster seeds\\noption tlaloc-seeds "
	    "code %d = text;\\nalso request tlaloc-seeds;\\n' \\\n"
	    "\t\t\t    >> /etc/dhcp/dhclient.conf\n\t\tfi\n\tfi\n",
	    c->dhcp_option);
	buf_addstr(out, "\tfor d in /lib/dhcpcd/dhcpcd-hooks "
	    "/usr/lib/dhcpcd/dhcpcd-hooks \\\n\t    /usr/libexec/dhcpcd-hooks; "
	    "do\n\t\t[ -d \"$d\" ] || continue\n");
	hook_writer(c, "dhcpcd-hook", "\"$d/90-tlaloc\"", out);
	buf_addf(out, "\t\tif ! grep -q tlaloc_seeds /etc/dhcpcd.conf "
	    "2>/dev/null; then\n"
	    "\t\t\tprintf '\\n# tlaloc: cluster seeds\\ndefine %d string "
	    "tlaloc_seeds\\noption tlaloc_seeds\\n' >> /etc/dhcpcd.conf\n"
	    "\t\tfi\n\t\tbreak\n\tdone\n}\n",
	    c->dhcp_option);
}
