/*
 * Services enabled at boot, read from the links the init systems keep
 * (no running init needed, so it works under --root): systemd's
 * /etc/systemd/system/{multi-user,graphical,default}.target.wants/NAME.service
 * and sysv's S links in /etc/rc[2-5].d. A service both have is declared
 * once, for systemd. Only boot state is adopted: whether a daemon runs
 * right now is the moment's state, not configuration. A service goes into
 * the recipe file of the package that ships its unit or init script; a
 * unit the administrator wrote goes with its service.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt/adopt_int.h"
#include "core/fileio.h"
#include "core/xalloc.h"

static const char *const wants_dirs[] = {
	"/etc/systemd/system/multi-user.target.wants",
	"/etc/systemd/system/graphical.target.wants",
	"/etc/systemd/system/default.target.wants",
	NULL
};

const char *
adopt_rc_link_service(const char *link)
{
	if (link[0] != 'S' || !isdigit((unsigned char)link[1]) ||
	    !isdigit((unsigned char)link[2]) || link[3] == '\0' ||
	    link[3] == '.')
		return NULL;
	return link + 3;
}

/* The package that ships path, else the service's own name. */
static const char *
service_concern(struct adopt_ctx *c, const char *path, const char *name)
{
	size_t pkg;

	if (path != NULL && strmap_get(&c->owner, path, &pkg) &&
	    pkg != DPKG_SHARED)
		return c->db.v[pkg].name;
	return name;
}

static void
add_service(struct adopt_ctx *c, const char *name, const char *provider,
    const char *shipped, const char *note)
{
	struct buf lua = BUF_INIT;
	const char *concern = service_concern(c, shipped, name);
	char *ref = xasprintf("service[%s]", name), *file = NULL;
	size_t fi;

	buf_addstr(&lua, "service{name = ");
	adopt_lua_str(&lua, name);
	buf_addf(&lua, ", enable = true, provider = \"%s\"", provider);
	/* A unit or init script the administrator wrote is adopted as a
	 * file: it must be in place before the service is enabled. */
	if (shipped != NULL)
		file = xasprintf("file[%s]", shipped);
	if (file != NULL && strmap_get(&c->a->refs, file, &fi)) {
		buf_addf(&lua, ",\n        require = \"%s\"", file);
		free(c->a->v[fi].concern);
		c->a->v[fi].concern = xstrdup(concern);
	}
	free(file);
	buf_addstr(&lua, "}");
	adopt_add(c->a, concern, ADOPT_RANK_SERVICE, ref, lua.data, note);
	free(ref);
	buf_release(&lua);
}

/* Does the unit a wants link points at exist in the tree? An absolute
 * target is resolved under --root, a relative one beside the link. */
static int
unit_exists(struct adopt_ctx *c, const char *link, const char *target)
{
	struct stat st;
	char *dir, *path;
	int ok;

	if (target[0] == '\0')
		return 0;
	if (target[0] == '/')
		path = adopt_path(c->a, target);
	else {
		dir = path_dirname(link);
		path = xasprintf("%s/%s", dir, target);
		free(dir);
	}
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

static void
systemd_wants(struct adopt_ctx *c, const char *dir)
{
	char *real = adopt_path(c->a, dir), *note;
	struct dirent *e;
	DIR *d = opendir(real);

	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char target[4096], *link, *name;
		ssize_t tn;

		if (n <= 8 || strcmp(e->d_name + n - 8, ".service") != 0 ||
		    strchr(e->d_name, '@') != NULL)
			continue;
		link = xasprintf("%s/%s", real, e->d_name);
		tn = readlink(link, target, sizeof(target) - 1);
		target[tn > 0 ? tn : 0] = '\0';
		/* A dangling link enables nothing: there is no unit. */
		if (!unit_exists(c, link, target)) {
			free(link);
			continue;
		}
		free(link);
		name = xstrndup(e->d_name, n - 8);
		note = xasprintf("enabled: %s/%s", dir, e->d_name);
		add_service(c, name, "systemd", tn > 0 ? target : NULL, note);
		free(note);
		free(name);
	}
	if (d != NULL)
		closedir(d);
	free(real);
}

static void
sysv_links(struct adopt_ctx *c, int level)
{
	char dir[32], *real, *script, *note, *init;
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof(dir), "/etc/rc%d.d", level);
	real = adopt_path(c->a, dir);
	d = opendir(real);
	while (d != NULL && (e = readdir(d)) != NULL) {
		const char *name = adopt_rc_link_service(e->d_name);

		if (name == NULL)
			continue;
		script = xasprintf("/etc/init.d/%s", name);
		init = adopt_path(c->a, script);
		if (stat(init, &st) == 0 && S_ISREG(st.st_mode)) {
			note = xasprintf("enabled: %s/%s", dir, e->d_name);
			add_service(c, name, "sysv", script, note);
			free(note);
		}
		free(init);
		free(script);
	}
	if (d != NULL)
		closedir(d);
	free(real);
}

void
adopt_services(struct adopt_ctx *c)
{
	for (size_t i = 0; wants_dirs[i] != NULL; i++)
		systemd_wants(c, wants_dirs[i]);
	for (int level = 2; level <= 5; level++)
		sysv_links(c, level);
	adopt_rc_services(c->a);
}
