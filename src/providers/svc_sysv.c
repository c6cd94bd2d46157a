/*
 * sysv init scripts: /etc/init.d/NAME start|stop|restart|reload|status
 * (LSB: status exits 0 when running). Boot start is the S links in
 * /etc/rc[2-5].d, made by update-rc.d (Debian), chkconfig (Red Hat) or
 * insserv (SUSE), whichever the tree has; all of them work offline, so
 * enabling is testable in a throwaway root. Under --root every command
 * runs chrooted into the tree.
 */
#include "providers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

static int
sysv_detect(const char *root)
{
	return path_in_root_is_dir(root, "/etc/init.d");
}

/* Is there an S link for name in any of rc2.d .. rc5.d? */
static int
sysv_has_start_link(const char *root, const char *name)
{
	int found = 0;

	for (int lvl = 2; !found && lvl <= 5; lvl++) {
		char dir[32];
		char *real;
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "/etc/rc%d.d", lvl);
		real = path_in_root(root, dir);
		if ((d = opendir(real)) != NULL) {
			while (!found && (e = readdir(d)) != NULL)
				found = e->d_name[0] == 'S' &&
				    strlen(e->d_name) > 3 &&
				    strcmp(e->d_name + 3, name) == 0;
			closedir(d);
		}
		free(real);
	}
	return found;
}

static int
sysv_observe(const char *root, const char *name, struct svc_state *st,
    struct tl_err *err)
{
	char *script = xasprintf("/etc/init.d/%s", name);
	int rc = 0;

	memset(st, 0, sizeof(*st));
	st->exists = prov_have(root, script);
	if (st->exists) {
		rc = prov_status_words(root, (const char *const[]){ script,
		    "status", NULL }, NULL, err);
		st->is_running = rc == 0;
		st->is_enabled = sysv_has_start_link(root, name);
	}
	free(script);
	return rc < 0 ? rc : 0;
}

static int
sysv_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	char *script = xasprintf("/etc/init.d/%s", name);
	int rc;

	rc = prov_run_words(root, (const char *const[]){ script, verb, NULL },
	    SVC_TIMEOUT_MS, err);
	free(script);
	return rc;
}

static int
sysv_run2(const char *root, const char *tool, const char *name,
    const char *arg, struct tl_err *err)
{
	/* insserv takes its option before the name, and none to enable. */
	if (strcmp(tool, "insserv") == 0 && arg[0] == '\0')
		return prov_run_words(root, (const char *const[]){ tool, name,
		    NULL }, SVC_TIMEOUT_MS, err);
	if (strcmp(tool, "insserv") == 0)
		return prov_run_words(root, (const char *const[]){ tool, arg,
		    name, NULL }, SVC_TIMEOUT_MS, err);
	return prov_run_words(root, (const char *const[]){ tool, name, arg,
	    NULL }, SVC_TIMEOUT_MS, err);
}

static int
sysv_enable(const char *root, const char *name, int on, struct tl_err *err)
{
	int rc;

	if (prov_have(root, "update-rc.d")) {
		/* "defaults" makes the links (S or K, by the LSB header)
		 * if there are none; enable/disable then flips them. */
		if ((rc = sysv_run2(root, "update-rc.d", name, "defaults",
		    err)) < 0)
			return rc;
		return sysv_run2(root, "update-rc.d", name, on ? "enable" :
		    "disable", err);
	}
	if (prov_have(root, "chkconfig"))
		return sysv_run2(root, "chkconfig", name, on ? "on" : "off",
		    err);
	if (prov_have(root, "insserv"))
		return sysv_run2(root, "insserv", name, on ? "" : "-r", err);
	return tl_err_set(err, TL_ENOENT, "no update-rc.d, chkconfig or "
	    "insserv to enable '%s' with", name);
}

const struct svc_provider svc_sysv = {
	.name = "sysv",
	.detect = sysv_detect,
	.observe = sysv_observe,
	.action = sysv_action,
	.enable = sysv_enable,
};
