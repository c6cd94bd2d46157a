/*
 * The cloud-init kind: #cloud-config user data. write_files puts the
 * cluster keyring in place (0600) and the installer next to it; runcmd
 * runs the installer, which does the rest as the shell kind would.
 */
#include "bootstrap/bootstrap_int.h"

#include <string.h>

#include <sodium.h>

#define INSTALLER	"/var/lib/tlaloc-bootstrap/install.sh"

static void
write_file(struct buf *out, const char *path, const char *mode,
    const char *text)
{
	buf_addf(out, "  - path: %s\n    owner: root:root\n"
	    "    permissions: '%s'\n    content: |\n", path, mode);
	bs_indent(out, "      ", text);
}

int
bs_cloud_init(const struct bs_ctx *c, struct buf *out)
{
	struct buf script = BUF_INIT;

	buf_addstr(out, "#cloud-config\n"
	    "# tlaloc bootstrap --via cloud-init: installs the tlaloc agent, "
	    "writes its\n# keys and config, starts it as a service and joins "
	    "the cluster.\n"
	    "# The cluster key goes to /etc/tlaloc/keyring (0600) through "
	    "write_files,\n# which cloud-init does not log. User data can be "
	    "read back from the\n# cloud's metadata service: restrict that "
	    "(e.g. EC2 IMDSv2, hop limit 1)\n# or rotate the key after "
	    "boot (tlaloc keys install/use/remove).\n");
	if (c->keyring.len == 0)
		buf_addstr(out, "# >>> " BS_PLACEHOLDER " <<<: the key is not "
		    "embedded; replace the\n# placeholder line under "
		    "/etc/tlaloc/keyring with the cluster keyring.\n");
	buf_addstr(out, "write_files:\n");
	if (c->keyring.len > 0) {
		struct buf k = BUF_INIT;

		buf_add(&k, c->keyring.data, c->keyring.len);
		buf_addch(&k, '\0');
		write_file(out, "/etc/tlaloc/keyring", "0600", k.data);
		sodium_memzero(k.data, k.len);
		buf_release(&k);
	} else
		write_file(out, "/etc/tlaloc/keyring", "0600", "# "
		    BS_PLACEHOLDER ": replace this line with the cluster "
		    "keyring\n");
	bs_installer(c, bs_all_inits, 0, 1, &script);
	write_file(out, INSTALLER, "0700", script.data);
	buf_addstr(out, "runcmd:\n  - [sh, " INSTALLER "]\n");
	buf_release(&script);
	return 0;
}
