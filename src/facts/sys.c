/*
 * System facts read from the root tree: package_manager, init_system and
 * timezone. Each is a few stat(2) or readlink(2) calls, no programs run.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "facts/facts_int.h"

/*
 * Package managers by family (Linux) or os (the BSDs), most preferred
 * first within a family, with the binaries that show one is installed.
 */
static const struct pkg_probe {
	const char	*match;		/* a family or an os */
	const char	*name;
	const char	*bins[3];
} pkg_table[] = {
	{ "debian", "apt", { "/usr/bin/apt-get", "/bin/apt-get", NULL } },
	{ "redhat", "dnf", { "/usr/bin/dnf", "/bin/dnf", NULL } },
	{ "redhat", "yum", { "/usr/bin/yum", "/bin/yum", NULL } },
	{ "alpine", "apk", { "/sbin/apk", "/usr/sbin/apk", NULL } },
	{ "arch", "pacman", { "/usr/bin/pacman", "/bin/pacman", NULL } },
	{ "suse", "zypper", { "/usr/bin/zypper", "/bin/zypper", NULL } },
	{ "freebsd", "pkg", { "/usr/sbin/pkg", "/usr/local/sbin/pkg", NULL } },
	{ "dragonfly", "pkg", { "/usr/sbin/pkg", "/usr/local/sbin/pkg",
	    NULL } },
	{ "openbsd", "pkg_add", { "/usr/sbin/pkg_add", NULL, NULL } },
	{ "netbsd", "pkg_add", { "/usr/sbin/pkg_add", NULL, NULL } },
};

#define NPKG	(sizeof(pkg_table) / sizeof(pkg_table[0]))

/* Does path exist under root (a dangling symlink counts)? */
static int
root_has(const char *root, const char *path)
{
	char *p = path_in_root(root, path);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static int
pkg_installed(const struct pkg_probe *pp, const char *root)
{
	for (size_t i = 0; i < 3 && pp->bins[i] != NULL; i++)
		if (root_has(root, pp->bins[i]))
			return 1;
	return 0;
}

static int
pkg_matches(const struct pkg_probe *pp, const char *os, const char *family)
{
	return (os != NULL && strcmp(pp->match, os) == 0) ||
	    (family != NULL && strcmp(pp->match, family) == 0);
}

/*
 * The family's installed manager, else the family's usual one (a bare
 * tree with only an os-release still gets apt on debian), else any
 * installed one for a family we do not know.
 */
const char *
facts_detect_pkg(const char *os, const char *family, const char *root)
{
	const struct pkg_probe *fallback = NULL;
	size_t i;

	for (i = 0; i < NPKG; i++) {
		if (!pkg_matches(&pkg_table[i], os, family))
			continue;
		if (pkg_installed(&pkg_table[i], root))
			return pkg_table[i].name;
		if (fallback == NULL)
			fallback = &pkg_table[i];
	}
	if (fallback != NULL)
		return fallback->name;
	for (i = 0; i < NPKG; i++)
		if (pkg_installed(&pkg_table[i], root))
			return pkg_table[i].name;
	return NULL;
}

/* Is root/sbin/init a link to systemd (a tree, not the running host)? */
static int
init_links_to_systemd(const char *root)
{
	char *p = path_in_root(root, "/sbin/init");
	char target[PATH_MAX];
	ssize_t n = readlink(p, target, sizeof(target) - 1);

	free(p);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strstr(target, "systemd") != NULL;
}

static int
is_host_root(const char *root)
{
	return root == NULL || root[0] == '\0' || strcmp(root, "/") == 0;
}

const char *
facts_detect_init(const char *os, const char *root)
{
	/* sd_booted(3)'s test: systemd is what runs, not just installed. */
	if (path_in_root_is_dir(root, "/run/systemd/system"))
		return "systemd";
	if (!is_host_root(root) && init_links_to_systemd(root))
		return "systemd";
	if (os != NULL && strcmp(os, "openbsd") == 0)
		return "rcctl";
	if (os != NULL && (strcmp(os, "freebsd") == 0 ||
	    strcmp(os, "netbsd") == 0 || strcmp(os, "dragonfly") == 0))
		return "bsdrc";
	if (root_has(root, "/sbin/openrc-run") || root_has(root, "/sbin/openrc"))
		return "openrc";
	if (path_in_root_is_dir(root, "/etc/init.d"))
		return "sysv";
	return NULL;
}

/* The zone name: /etc/localtime's link target, else /etc/timezone. */
static void
detect_timezone(const char *root, struct buf *out)
{
	char *p = path_in_root(root, "/etc/localtime");
	char target[PATH_MAX];
	ssize_t n = readlink(p, target, sizeof(target) - 1);
	const char *z;

	free(p);
	if (n > 0) {
		target[n] = '\0';
		if ((z = strstr(target, "zoneinfo/")) != NULL && z[9] != '\0') {
			buf_addstr(out, z + 9);
			return;
		}
	}
	p = path_in_root(root, "/etc/timezone");
	if (fileio_read(p, 4096, out, NULL) == 0)
		buf_truncate(out, strcspn(out->data, " \t\r\n"));
	free(p);
}

static void
set_opt(struct facts *f, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0' &&
	    facts_value_check(key, value, NULL) == 0)
		facts_set(f, key, FACT_STR, value);
	else
		log_debug("no %s fact", key);
}

void
facts_gather_sys(struct facts *f, const char *root)
{
	const char *v;
	char *os, *family;
	struct buf tz = BUF_INIT;

	/* Copies: facts_set() below may free what facts_get() lent. */
	os = (v = facts_get(f, "os")) != NULL ? xstrdup(v) : NULL;
	family = (v = facts_get(f, "family")) != NULL ? xstrdup(v) : NULL;
	set_opt(f, "package_manager", facts_detect_pkg(os, family, root));
	set_opt(f, "init_system", facts_detect_init(os, root));
	detect_timezone(root, &tz);
	set_opt(f, "timezone", tz.data);
	buf_release(&tz);
	free(os);
	free(family);
}
