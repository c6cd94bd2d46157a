/*
 * FreeBSD pkg(8). Installed state: one `pkg query '%n\t%v' a b c` (names
 * not installed print nothing). Candidates: one `pkg rquery` with the same
 * format. A transaction is `pkg install -y a b-1.2` then
 * `pkg delete -y c`; pkg waits for its database lock itself when
 * LOCK_WAIT/LOCK_RETRIES allow (set from the resource's lock_timeout).
 */
#include "providers.h"

#include <string.h>

#include "core/err.h"

static void
fbsd_query_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "pkg", "query", "%n\t%v", NULL });
	argv_addn(a, names, n);
}

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

static int
fbsd_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	return pkg_lines_parse(out, len, set, 0, fbsd_line);
}

static void
fbsd_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "pkg", "rquery", "%n\t%v", NULL });
	argv_addn(a, names, n);
}

static int
fbsd_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	(void)errout;
	(void)errlen;
	(void)err;
	pkg_lines_parse(out, len, set, 1, fbsd_line);
	pkg_set_mark_unknown(set);
	return 0;
}

static const struct prov_txn_words fbsd_words = {
	.install = (const char *const[]){ "pkg", "install", "-y", NULL },
	.remove = (const char *const[]){ "pkg", "delete", "-y", NULL },
	.lock_flag = "-oLOCK_RETRIES=",
	.version_sep = "-",
};

static int
fbsd_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	return prov_txn_split(cmds, w, n, lock_s, &fbsd_words);
}

const struct pkg_provider pkg_freebsd = {
	.name = "pkg",
	.probe = "/usr/sbin/pkg",
	.query_argv = fbsd_query_argv,
	.parse_query = fbsd_parse_query,
	.candidate_argv = fbsd_candidate_argv,
	.parse_candidates = fbsd_parse_candidates,
	.txn_argv = fbsd_txn_argv,
};
