/*
 * FreeBSD rc.d: `service NAME onestart|onestop|onerestart|onereload|
 * onestatus` (the "one" forms act whether or not the service is enabled,
 * so ensure and enable stay independent), and NAME_enable in rc.conf,
 * set with `sysrc` (-R ROOT offline). Whether it is enabled is read from
 * /etc/rc.conf and /etc/rc.conf.local directly: the last assignment wins,
 * as when rc sources them.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

struct rcconf_find {
	const char	*var;		/* "sshd_enable" */
	int		 value;		/* -1 unset, 0 NO, 1 YES */
};

static void
rcconf_line(char *line, void *arg)
{
	struct rcconf_find *f = arg;
	size_t n = strlen(f->var);
	char *p = line + strspn(line, " \t"), *v;

	if (strncmp(p, f->var, n) != 0 || p[n] != '=')
		return;
	v = p + n + 1;
	if (*v == '"' || *v == '\'')
		v++;
	v[strcspn(v, "\"' \t#")] = '\0';
	f->value = strcasecmp(v, "YES") == 0 || strcasecmp(v, "TRUE") == 0 ||
	    strcasecmp(v, "ON") == 0 || strcmp(v, "1") == 0;
}

int
svc_freebsd_rcconf_enabled(const char *text, const char *name)
{
	char *var = xasprintf("%s_enable", name);
	struct rcconf_find f = { var, -1 };

	prov_each_line(text, strlen(text), rcconf_line, &f);
	free(var);
	return f.value == 1;
}

static int
freebsd_detect(const char *root)
{
	return prov_have(root, "sysrc") &&
	    path_in_root_is_file(root, "/etc/rc.subr");
}

static int
freebsd_observe(const char *root, const char *name, struct svc_state *st,
    struct tl_err *err)
{
	static const char *const files[] = { "/etc/rc.conf",
		"/etc/rc.conf.local", NULL };
	struct buf text = BUF_INIT;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!(st->exists = prov_have_in(root, "/etc/rc.d", name) ||
	    prov_have_in(root, "/usr/local/etc/rc.d", name)))
		return 0;
	for (size_t i = 0; files[i] != NULL; i++) {
		char *p = path_in_root(root, files[i]);
		fileio_read(p, 1u << 20, &text, NULL);
		buf_addch(&text, '\n');
		free(p);
	}
	st->is_enabled = svc_freebsd_rcconf_enabled(text.data, name);
	rc = prov_status_words(root, (const char *const[]){ "service", name,
	    "onestatus", NULL }, NULL, err);
	st->is_running = rc == 0;
	buf_release(&text);
	return rc < 0 ? rc : 0;
}

static int
freebsd_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	char *one = xasprintf("one%s", verb);
	int rc;

	rc = prov_run_words(root, (const char *const[]){ "service", name, one,
	    NULL }, SVC_TIMEOUT_MS, err);
	free(one);
	return rc;
}

static int
freebsd_enable(const char *root, const char *name, int on,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "sysrc");
	argv_add_root(&a, "-R", root);
	argv_addf(&a, "%s_enable=%s", name, on ? "YES" : "NO");
	rc = prov_run_ok(NULL, &a, NULL, SVC_TIMEOUT_MS, err);
	argv_release(&a);
	return rc;
}

const struct svc_provider svc_freebsd = {
	.name = "freebsd",
	.detect = freebsd_detect,
	.observe = freebsd_observe,
	.action = freebsd_action,
	.enable = freebsd_enable,
};
