/*
 * Services enabled at boot on the init systems that keep it in rc files
 * or runlevels rather than links under /etc/rc?.d or systemd:
 *
 *   freebsd  NAME_enable="YES" in /etc/rc.conf and /etc/rc.conf.local
 *            (last assignment wins, as rc.subr reads them); the service
 *            provider's own reader decides each name
 *   openrc   `rc-update show`: services in the default runlevel, decided
 *            by the openrc provider's own parser
 *   rcctl    OpenBSD's /etc/rc.conf.local: pkg_scripts (package daemons)
 *            and NAME_flags other than NO (base daemons turned on). Only
 *            the admin's changes live there; `rcctl ls on` would add every
 *            base default
 *
 * Each parser takes text and reports names; adopt_rc_services() reads the
 * tree and declares the services.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "providers/providers.h"

#define RC_MAX	(1u << 20)

typedef void (*name_fn)(const char *name, void *arg);

/* "NAME_SUFFIX=" at the start of line (after blanks): NAME, or NULL. */
static char *
var_prefix(const char *line, const char *suffix)
{
	const char *p = line, *start;
	size_t k = strlen(suffix);

	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (*p != '=' || (size_t)(p - start) <= k ||
	    strncmp(p - k, suffix, k) != 0)
		return NULL;
	return xstrndup(start, (size_t)(p - start - k));
}

/* Calls fn once per distinct NAME that some line assigns NAME_SUFFIX. */
static void
each_var(const char *text, const char *suffix, name_fn fn, void *arg,
    int (*keep)(const char *text, const char *name))
{
	struct strmap seen = STRMAP_INIT;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n), *name = var_prefix(line, suffix);

		if (name != NULL && strmap_put(&seen, name, 1) &&
		    keep(text, name))
			fn(name, arg);
		free(name);
		free(line);
		p += n + (p[n] == '\n');
	}
	strmap_release(&seen);
}

void
adopt_rc_freebsd(const char *rcconf, name_fn fn, void *arg)
{
	each_var(rcconf, "_enable", fn, arg, svc_freebsd_rcconf_enabled);
}

struct openrc_arg {
	const char	*out;
	name_fn		 fn;
	void		*arg;
};

static void
openrc_line(char *line, void *arg)
{
	struct openrc_arg *oa = arg;
	char *bar = strchr(line, '|'), *name = line;

	if (bar == NULL)
		return;
	*bar = '\0';
	while (*name == ' ' || *name == '\t')
		name++;
	name[strcspn(name, " \t")] = '\0';
	if (*name != '\0' && svc_openrc_in_default(oa->out, name))
		oa->fn(name, oa->arg);
}

void
adopt_rc_openrc(const char *out, name_fn fn, void *arg)
{
	struct openrc_arg oa = { out, fn, arg };

	prov_each_line(out, strlen(out), openrc_line, &oa);
}

/* The value of NAME=... on line, unquoted, cut in place. */
static char *
rc_value(char *line)
{
	char *v = strchr(line, '=') + 1;
	size_t n;

	if (*v == '"' || *v == '\'') {
		v++;
		v[strcspn(v, "\"'")] = '\0';
	} else
		v[strcspn(v, "#")] = '\0';
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		v[--n] = '\0';
	return v;
}

static int
flags_on(const char *text, const char *name)
{
	const char *p = text;
	int on = 0;

	/* Last assignment wins, as in any sh file. */
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n), *got = var_prefix(line, "_flags");

		if (got != NULL && strcmp(got, name) == 0)
			on = strcmp(rc_value(line), "NO") != 0;
		free(got);
		free(line);
		p += n + (p[n] == '\n');
	}
	return on;
}

void
adopt_rc_openbsd(const char *rcconf_local, name_fn fn, void *arg)
{
	const char *p = rcconf_local;

	each_var(rcconf_local, "_flags", fn, arg, flags_on);
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n), *v, *save = NULL, *tok;

		if (strncmp(line, "pkg_scripts=", 12) == 0)
			for (v = rc_value(line), tok = strtok_r(v, " \t",
			    &save); tok != NULL; tok = strtok_r(NULL, " \t",
			    &save))
				fn(tok, arg);
		free(line);
		p += n + (p[n] == '\n');
	}
}

struct decl_arg {
	struct adopt	*a;
	const char	*provider;
	const char	*note;
};

static void
declare(const char *name, void *arg)
{
	struct decl_arg *d = arg;
	struct buf lua = BUF_INIT;
	char *ref = xasprintf("service[%s]", name);

	buf_addstr(&lua, "service{name = ");
	adopt_lua_str(&lua, name);
	buf_addf(&lua, ", enable = true, provider = \"%s\"}", d->provider);
	adopt_add(d->a, name, ADOPT_RANK_SERVICE, ref, lua.data, d->note);
	free(ref);
	buf_release(&lua);
}

static void
read_rc(struct adopt *a, const char *path, struct buf *out)
{
	char *p = adopt_path(a, path);

	fileio_read(p, RC_MAX, out, &(struct tl_err)TL_ERR_INIT);
	buf_addch(out, '\n');
	free(p);
}

static void
openrc_services(struct adopt *a)
{
	static const char *const argv[] = { "rc-update", "show", NULL };
	struct decl_arg d = { a, "openrc", "enabled: rc-update show "
	    "(default runlevel)" };
	struct argv av = ARGV_INIT;
	struct spawn_result res;
	struct tl_err err = TL_ERR_INIT;

	argv_addv(&av, argv);
	spawn_result_init(&res);
	if (prov_run(a->opts.root, &av, NULL, 60000, &res, &err) == 0 &&
	    res.status == 0)
		adopt_rc_openrc(res.out.data, declare, &d);
	spawn_result_release(&res);
	argv_release(&av);
}

void
adopt_rc_services(struct adopt *a)
{
	struct buf text = BUF_INIT;

	if (prov_have(a->opts.root, "/etc/rc.subr") &&
	    prov_have(a->opts.root, "sysrc")) {
		struct decl_arg d = { a, "freebsd", "enabled: NAME_enable in "
		    "/etc/rc.conf or /etc/rc.conf.local" };
		read_rc(a, "/etc/rc.conf", &text);
		read_rc(a, "/etc/rc.conf.local", &text);
		adopt_rc_freebsd(text.data, declare, &d);
	} else if (prov_have(a->opts.root, "rcctl")) {
		struct decl_arg d = { a, "rcctl", "enabled in "
		    "/etc/rc.conf.local" };
		read_rc(a, "/etc/rc.conf.local", &text);
		adopt_rc_openbsd(text.data, declare, &d);
	} else if (prov_have(a->opts.root, "rc-update"))
		openrc_services(a);
	buf_release(&text);
}
