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

#include "core/err.h"

static void
apk_query_argv(struct argv *a, const char *const *names, size_t n)
{
	(void)names;
	(void)n;
	argv_addv(a, (const char *const[]){ "apk", "info", "-v", NULL });
}

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

static int
apk_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	return pkg_lines_parse(out, len, set, 0, apk_line);
}

static void
apk_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "apk", "list", NULL });
	argv_addn(a, names, n);
}

static int
apk_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	(void)errout;
	(void)errlen;
	(void)err;
	pkg_lines_parse(out, len, set, 1, apk_line);
	pkg_set_mark_unknown(set);
	return 0;
}

static const struct prov_txn_words apk_words = {
	.install = (const char *const[]){ "apk", "add", "--upgrade", NULL },
	.remove = (const char *const[]){ "apk", "del", NULL },
	.lock_flag = "--wait=",
	.version_sep = "=",
};

static int
apk_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	return prov_txn_split(cmds, w, n, lock_s, &apk_words);
}

const struct pkg_provider pkg_apk = {
	.name = "apk",
	.probe = "/sbin/apk",
	.query_argv = apk_query_argv,
	.parse_query = apk_parse_query,
	.candidate_argv = apk_candidate_argv,
	.parse_candidates = apk_parse_candidates,
	.txn_argv = apk_txn_argv,
};
