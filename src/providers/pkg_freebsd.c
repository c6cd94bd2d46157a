/*
 * FreeBSD pkg(8). Installed state: one `pkg query '%n\t%v' a b c` (names
 * not installed print nothing). Candidates: one `pkg rquery` with the same
 * format. A transaction is `pkg install -y a b-1.2` then
 * `pkg delete -y c`; pkg waits for its database lock itself when
 * LOCK_WAIT/LOCK_RETRIES allow (set from the resource's lock_timeout).
 */
#include "providers.h"

#include <string.h>

/* "name<TAB>version", from query and rquery alike. */
static void
fbsd_line(char *line, void *arg)
{
	char *tab = strchr(line, '\t');

	if (tab == NULL)
		return;
	*tab = '\0';
	pkg_lines_put(arg, line, tab + 1);
}

const struct pkg_provider pkg_freebsd = {
	.name = "pkg",
	.probe = "/usr/sbin/pkg",
	.query = (const char *const[]){ "pkg", "query", "%n\t%v", NULL },
	.query_line = fbsd_line,
	.candidates = (const char *const[]){ "pkg", "rquery", "%n\t%v",
	    NULL },
	.candidate_line = fbsd_line,
	.txn = &(const struct prov_txn_words){
		.install = (const char *const[]){ "pkg", "install", "-y",
		    NULL },
		.remove = (const char *const[]){ "pkg", "delete", "-y", NULL },
		.lock_flag = "-oLOCK_RETRIES=",
		.version_sep = "-",
	},
};
