/*
 * OpenBSD rcctl(8): `rcctl -f start|stop|restart|reload NAME` (-f acts
 * on a service that is not enabled, keeping ensure and enable
 * independent), `rcctl check NAME` (exit 0: running), `rcctl
 * enable|disable NAME`, and `rcctl ls on` for what is enabled. Under
 * --root rcctl runs chrooted into the tree.
 */
#include "providers.h"

#include <string.h>

#include "core/err.h"
static int
rcctl_line(char *line, const char *name)
{
	line[strcspn(line, " \t\r")] = '\0';
	return strcmp(line, name) == 0;
}

int
svc_rcctl_listed(const char *out, const char *name)
{
	return prov_lists(out, rcctl_line, name);
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
	return svc_observe_listed(root, name, "/etc/rc.d",
	    (const char *const[]){ "rcctl", "check", name, NULL },
	    (const char *const[]){ "rcctl", "ls", "on", NULL },
	    svc_rcctl_listed, st, err);
}

static int
rcctl_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	return prov_run_words(root, (const char *const[]){ "rcctl", "-f", verb,
	    name, NULL }, SVC_TIMEOUT_MS, err);
}

static int
rcctl_enable(const char *root, const char *name, int on, struct tl_err *err)
{
	return prov_run_words(root, (const char *const[]){ "rcctl",
	    on ? "enable" : "disable", name, NULL }, SVC_TIMEOUT_MS, err);
}

const struct svc_provider svc_rcctl = {
	.name = "rcctl",
	.detect = rcctl_detect,
	.observe = rcctl_observe,
	.action = rcctl_action,
	.enable = rcctl_enable,
};
