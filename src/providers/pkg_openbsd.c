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

#include <string.h>

#include "core/err.h"

static void
obsd_query_argv(struct argv *a, const char *const *names, size_t n)
{
	(void)names;
	(void)n;
	argv_addv(a, (const char *const[]){ "pkg_info", "-q", NULL });
}

static void
obsd_line(char *line, void *arg)
{
	char *name, *version;

	line[strcspn(line, " \t")] = '\0';
	if (prov_split_name_version(line, 1, &name, &version) < 0)
		return;
	pkg_lines_put(arg, name, version);
}

static int
obsd_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	return pkg_lines_parse(out, len, set, 0, obsd_line);
}

static const struct prov_txn_words obsd_words = {
	.install = (const char *const[]){ "pkg_add", "-I", "-u", NULL },
	.remove = (const char *const[]){ "pkg_delete", "-I", NULL },
	.version_sep = "-",
};

static int
obsd_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	return prov_txn_split(cmds, w, n, lock_s, &obsd_words);
}

const struct pkg_provider pkg_openbsd = {
	.name = "pkg_add",
	.probe = "/usr/sbin/pkg_add",
	.query_argv = obsd_query_argv,
	.parse_query = obsd_parse_query,
	.txn_argv = obsd_txn_argv,
};
