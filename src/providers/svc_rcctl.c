/*
 * OpenBSD rcctl(8): `rcctl -f start|stop|restart|reload NAME` (-f acts
 * on a service that is not enabled, keeping ensure and enable
 * independent), `rcctl check NAME` (exit 0: running), `rcctl
 * enable|disable NAME`, and `rcctl ls on` for what is enabled. Under
 * --root rcctl runs chrooted into the tree.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

struct rcctl_find {
	const char	*name;
	int		 found;
};

static void
rcctl_line(char *line, void *arg)
{
	struct rcctl_find *f = arg;

	line[strcspn(line, " \t\r")] = '\0';
	if (strcmp(line, f->name) == 0)
		f->found = 1;
}

int
svc_rcctl_listed(const char *out, const char *name)
{
	struct rcctl_find f = { name, 0 };

	prov_each_line(out, strlen(out), rcctl_line, &f);
	return f.found;
}

static int
rcctl_detect(const char *root)
{
	return prov_have(root, "rcctl");
}

static int
rcctl_observe(const char *root, const char *name, struct svc_state *st,
    struct tl_err *err)
{
	char *script = xasprintf("/etc/rc.d/%s", name);
	struct argv a = ARGV_INIT;
	struct buf out = BUF_INIT;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (!(st->exists = prov_have(root, script)))
		goto out;
	argv_add(&a, "rcctl");
	argv_add(&a, "check");
	argv_add(&a, name);
	rc = prov_status(root, &a, NULL, err);
	st->is_running = rc == 0;
	argv_release(&a);
	argv_add(&a, "rcctl");
	argv_add(&a, "ls");
	argv_add(&a, "on");
	if ((rc = prov_status(root, &a, &out, err)) >= 0)
		st->is_enabled = svc_rcctl_listed(out.data, name);
out:
	argv_release(&a);
	buf_release(&out);
	free(script);
	return rc < 0 ? rc : 0;
}

static int
rcctl_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "rcctl");
	argv_add(&a, "-f");
	argv_add(&a, verb);
	argv_add(&a, name);
	rc = prov_run_ok(root, &a, NULL, SVC_TIMEOUT_MS, err);
	argv_release(&a);
	return rc;
}

static int
rcctl_enable(const char *root, const char *name, int on, struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "rcctl");
	argv_add(&a, on ? "enable" : "disable");
	argv_add(&a, name);
	rc = prov_run_ok(root, &a, NULL, SVC_TIMEOUT_MS, err);
	argv_release(&a);
	return rc;
}

const struct svc_provider svc_rcctl = {
	.name = "rcctl",
	.detect = rcctl_detect,
	.observe = rcctl_observe,
	.action = rcctl_action,
	.enable = rcctl_enable,
};
