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

static void
obsd_line(char *line, void *arg)
{
	char *name, *version;

	line[strcspn(line, " \t")] = '\0';
	if (prov_split_name_version(line, 1, &name, &version) < 0)
		return;
	pkg_lines_put(arg, name, version);
}

const struct pkg_provider pkg_openbsd = {
	.name = "pkg_add",
	.probe = "/usr/sbin/pkg_add",
	.query = (const char *const[]){ "pkg_info", "-q", NULL },
	.is_query_all = 1,
	.query_line = obsd_line,
	.txn = &(const struct prov_txn_words){
		.install = (const char *const[]){ "pkg_add", "-I", "-u",
		    NULL },
		.remove = (const char *const[]){ "pkg_delete", "-I", NULL },
		.version_sep = "-",
	},
};
