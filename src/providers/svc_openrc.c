/*
 * OpenRC (Alpine, Gentoo): rc-service NAME start|stop|restart|reload|
 * status, rc-update add|del NAME default. Boot start is the "default"
 * runlevel, read from `rc-update show -v default`. Under --root the tools
 * run chrooted into the tree.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

struct openrc_find {
	const char	*name;
	int		 found;
};

/* "   sshd | boot default" or "  local |      default": the name, a bar,
 * then runlevels. */
static void
openrc_line(char *line, void *arg)
{
	struct openrc_find *f = arg;
	char *bar = strchr(line, '|'), *p = line, *end;

	if (bar == NULL)
		return;
	*bar = '\0';
	p += strspn(p, " \t");
	end = p + strcspn(p, " \t");
	*end = '\0';
	if (strcmp(p, f->name) != 0)
		return;
	for (char *w = bar + 1; *w;) {
		size_t n;
		w += strspn(w, " \t");
		n = strcspn(w, " \t");
		if (n == 7 && strncmp(w, "default", 7) == 0)
			f->found = 1;
		w += n;
	}
}

int
svc_openrc_in_default(const char *out, const char *name)
{
	struct openrc_find f = { name, 0 };

	prov_each_line(out, strlen(out), openrc_line, &f);
	return f.found;
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
	char *script = xasprintf("/etc/init.d/%s", name);
	struct argv a = ARGV_INIT;
	struct buf out = BUF_INIT;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	st->exists = prov_have(root, script);
	if (st->exists) {
		argv_add(&a, "rc-service");
		argv_add(&a, name);
		argv_add(&a, "status");
		rc = prov_status(root, &a, NULL, err);
		st->is_running = rc == 0;
		argv_release(&a);
		argv_add(&a, "rc-update");
		argv_add(&a, "show");
		argv_add(&a, "-v");
		argv_add(&a, "default");
		if ((rc = prov_status(root, &a, &out, err)) >= 0)
			st->is_enabled = svc_openrc_in_default(out.data, name);
		rc = rc < 0 ? rc : 0;
	}
	argv_release(&a);
	buf_release(&out);
	free(script);
	return rc;
}

static int
openrc_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "rc-service");
	argv_add(&a, name);
	argv_add(&a, verb);
	rc = prov_run_ok(root, &a, NULL, SVC_TIMEOUT_MS, err);
	argv_release(&a);
	return rc;
}

static int
openrc_enable(const char *root, const char *name, int on, struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "rc-update");
	argv_add(&a, on ? "add" : "del");
	argv_add(&a, name);
	argv_add(&a, "default");
	rc = prov_run_ok(root, &a, NULL, SVC_TIMEOUT_MS, err);
	argv_release(&a);
	return rc;
}

const struct svc_provider svc_openrc = {
	.name = "openrc",
	.detect = openrc_detect,
	.observe = openrc_observe,
	.action = openrc_action,
	.enable = openrc_enable,
};
