/*
 * OpenRC (Alpine, Gentoo): rc-service NAME start|stop|restart|reload|
 * status, rc-update add|del NAME default. Boot start is the "default"
 * runlevel, read from `rc-update show -v default`. Under --root the tools
 * run chrooted into the tree.
 */
#include "providers.h"

#include <string.h>

#include "core/err.h"
/* "   sshd | boot default" or "  local |      default": the name, a bar,
 * then runlevels. */
static int
openrc_line(char *line, const char *name)
{
	char *bar = strchr(line, '|'), *p = line, *end;

	if (bar == NULL)
		return 0;
	*bar = '\0';
	p += strspn(p, " \t");
	end = p + strcspn(p, " \t");
	*end = '\0';
	if (strcmp(p, name) != 0)
		return 0;
	for (char *w = bar + 1; *w;) {
		size_t n;
		w += strspn(w, " \t");
		n = strcspn(w, " \t");
		if (n == 7 && strncmp(w, "default", 7) == 0)
			return 1;
		w += n;
	}
	return 0;
}

int
svc_openrc_in_default(const char *out, const char *name)
{
	return prov_lists(out, openrc_line, name);
}

static int
openrc_detect(const char *root)
{
	return prov_have(root, "/sbin/openrc-run") ||
	    prov_have(root, "/sbin/openrc");
}

static int
openrc_observe(const char *root, const char *name, struct svc_state *st,
    struct tl_err *err)
{
	return svc_observe_listed(root, name, "/etc/init.d",
	    (const char *const[]){ "rc-service", name, "status", NULL },
	    (const char *const[]){ "rc-update", "show", "-v", "default",
	    NULL }, svc_openrc_in_default, st, err);
}

static int
openrc_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	return prov_run_words(root, (const char *const[]){ "rc-service", name,
	    verb, NULL }, SVC_TIMEOUT_MS, err);
}

static int
openrc_enable(const char *root, const char *name, int on, struct tl_err *err)
{
	return prov_run_words(root, (const char *const[]){ "rc-update",
	    on ? "add" : "del", name, "default", NULL }, SVC_TIMEOUT_MS, err);
}

const struct svc_provider svc_openrc = {
	.name = "openrc",
	.detect = openrc_detect,
	.observe = openrc_observe,
	.action = openrc_action,
	.enable = openrc_enable,
};
