/*
 * tlaloc bootstrap: prints an artifact that makes a new machine a cluster
 * member (docs/bootstrap.md). The artifact may hold the cluster key, so
 * --out writes it 0600; nothing secret goes to stderr.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bootstrap/bootstrap.h"
#include "cli/node_flags.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"

static const char bootstrap_usage[] =
    "usage: tlaloc bootstrap --via KIND [--join ADDR:PORT,...] "
    "[--keyring FILE]\n"
    "         [--trust OPERATOR.pub] [--pack NAME] [--tag K=V] "
    "[--policy-from ADDR:PORT]\n"
    "         [--package-url URL | --from-package] [--bin PATH] "
    "[--port N]\n"
    "         [--dhcp-option N] [--part NAME] [--out FILE]\n"
    "KIND: %s\n"
    "--part prints one file: service (systemd sysv openrc freebsd-rc "
    "openbsd-rc),\n"
    "  installer (cloud-init), dhclient-hook dhcpcd-hook dhcp-join (dhcp)\n"
    "Without --keyring the artifact holds a marked placeholder for the "
    "cluster key.\n";

static int
usage(int status)
{
	fprintf(status ? stderr : stdout, bootstrap_usage, bootstrap_kinds());
	return status;
}

static int
parse(struct bootstrap_opts *o, struct node_flags *f, const char **out,
    int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (strcmp(a, "--from-package") == 0) {
			o->from = BOOTSTRAP_FROM_PKG;
			continue;
		}
		if ((r = node_flags_take(f, argc, argv, &i)) < 0)
			return -1;
		if (r == NODE_FLAG_HELP)
			return 1;
		if (r == NODE_FLAG_TAKEN)
			continue;
		if (strcmp(a, "--via") == 0)
			o->via = argv[++i];
		else if (strcmp(a, "--keyring") == 0)
			o->keyring_path = argv[++i];
		else if (strcmp(a, "--package-url") == 0) {
			o->package_url = argv[++i];
			o->from = BOOTSTRAP_FROM_URL;
		} else if (strcmp(a, "--bin") == 0)
			o->bin = argv[++i];
		else if (strcmp(a, "--dhcp-option") == 0) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 224 || v > 254) {
				cli_errorf("--dhcp-option must be a site-local "
				    "code, 224-254, not '%s'", argv[i]);
				return -1;
			}
			o->dhcp_option = (int)v;
		}
		else if (strcmp(a, "--part") == 0)
			o->part = argv[++i];
		else if (strcmp(a, "--out") == 0)
			*out = argv[++i];
		else {
			cli_errorf("unknown flag '%s'", a);
			return -1;
		}
	}
	return 0;
}

int
cmd_bootstrap(int argc, char **argv)
{
	struct bootstrap_opts o;
	struct node_flags f;
	struct tl_err err = TL_ERR_INIT;
	struct buf text = BUF_INIT;
	const char *out = NULL;
	int r, status = 1;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	if ((r = parse(&o, &f, &out, argc, argv)) != 0) {
		node_flags_release(&f);
		return r > 0 ? usage(0) : usage(1);
	}
	if (o.via == NULL) {
		cli_errorf("--via KIND is required (%s)", bootstrap_kinds());
		goto done;
	}
	o.member = f.member;
	if (bootstrap_render(&o, &text, &err) < 0) {
		cli_errorf("bootstrap: %s", err.msg);
		goto done;
	}
	if (out != NULL) {
		if (fileio_write_private(out, text.data, text.len, &err) < 0) {
			cli_errorf("bootstrap: %s", err.msg);
			goto done;
		}
	} else if (fwrite(text.data, 1, text.len, stdout) != text.len ||
	    fflush(stdout) != 0) {
		cli_errorf("bootstrap: cannot write the artifact");
		goto done;
	}
	status = 0;
done:
	if (text.len > 0)
		sodium_memzero(text.data, text.len);
	buf_release(&text);
	node_flags_release(&f);
	return status;
}
