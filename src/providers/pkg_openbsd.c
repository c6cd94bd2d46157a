/*
 * OpenBSD pkg_add(1)/pkg_info(1). Installed state: one `pkg_info -q`
 * (every installed package as "name-version[-flavor]"; the names we want
 * are picked out). The version starts at the first '-' followed by a
 * digit, the rule pkg_add itself uses. There is no cheap candidate query:
 * "latest" runs `pkg_add -u` and reports it only when something changed
 * (see package.c). A transaction is `pkg_add -I a b-1.2` then
 * `pkg_delete -I c`.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

static void
obsd_query_argv(struct argv *a, const char *const *names, size_t n)
{
	(void)names;
	(void)n;
	argv_add(a, "pkg_info");
	argv_add(a, "-q");
}

static void
obsd_line(char *line, void *arg)
{
	struct pkg_set *set = arg;
	char *name, *version;
	struct pkg_state *p;

	line[strcspn(line, " \t")] = '\0';
	if (prov_split_name_version(line, 1, &name, &version) < 0)
		return;
	p = pkg_set_get(set, name, 1);
	free(p->installed);
	p->installed = xstrdup(version);
}

static int
obsd_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	prov_each_line(out, len, obsd_line, set);
	return 0;
}

static int
obsd_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	int ncmd = 0, have_in = 0, have_out = 0;

	(void)lock_s;
	for (size_t i = 0; i < n; i++) {
		have_in |= w[i].op == PKG_INSTALL;
		have_out |= w[i].op != PKG_INSTALL;
	}
	if (have_in) {
		argv_add(&cmds[ncmd], "pkg_add");
		argv_add(&cmds[ncmd], "-I");
		argv_add(&cmds[ncmd], "-u");
		for (size_t i = 0; i < n; i++) {
			if (w[i].op != PKG_INSTALL)
				continue;
			if (w[i].version != NULL)
				argv_addf(&cmds[ncmd], "%s-%s", w[i].name,
				    w[i].version);
			else
				argv_add(&cmds[ncmd], w[i].name);
		}
		ncmd++;
	}
	if (have_out) {
		argv_add(&cmds[ncmd], "pkg_delete");
		argv_add(&cmds[ncmd], "-I");
		for (size_t i = 0; i < n; i++)
			if (w[i].op != PKG_INSTALL)
				argv_add(&cmds[ncmd], w[i].name);
		ncmd++;
	}
	return ncmd;
}

const struct pkg_provider pkg_openbsd = {
	.name = "pkg_add",
	.probe = "/usr/sbin/pkg_add",
	.query_argv = obsd_query_argv,
	.parse_query = obsd_parse_query,
	.txn_argv = obsd_txn_argv,
};
