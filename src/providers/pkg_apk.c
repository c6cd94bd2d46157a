/*
 * apk (Alpine). Installed state: one `apk info -v` (every installed
 * package as "name-version-rN"; reading the local database is fast, and
 * the names we want are picked out). Candidates: one `apk list a b`
 * ("name-version-rN arch {origin} (license) [installed]"). A transaction
 * is `apk --wait N add a b=1.2-r0` then `apk --wait N del c`; apk waits
 * for its own lock with --wait.
 */
#include "providers.h"

#include <string.h>

static void
apk_line(char *line, void *arg)
{
	struct pkg_lines *l = arg;
	char *name, *version;
	struct pkg_state *p;

	line[strcspn(line, " ")] = '\0';
	if (line[0] == '\0' || strncmp(line, "WARNING", 7) == 0 ||
	    prov_split_name_version(line, 0, &name, &version) < 0)
		return;
	p = pkg_set_get(l->set, name, 0);
	if (l->is_candidate && p != NULL && p->candidate != NULL)
		return;		/* the first is the newest */
	pkg_lines_put(l, name, version);
}

const struct pkg_provider pkg_apk = {
	.name = "apk",
	.probe = "/sbin/apk",
	.query = (const char *const[]){ "apk", "info", "-v", NULL },
	.is_query_all = 1,
	.query_line = apk_line,
	.candidates = (const char *const[]){ "apk", "list", NULL },
	.candidate_line = apk_line,
	.txn = &(const struct prov_txn_words){
		.install = (const char *const[]){ "apk", "add", "--upgrade",
		    NULL },
		.remove = (const char *const[]){ "apk", "del", NULL },
		.lock_flag = "--wait=",
		.version_sep = "=",
	},
};
