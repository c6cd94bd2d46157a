/*
 * apk (Alpine). Installed state: one `apk info -v` (every installed
 * package as "name-version-rN"; reading the local database is fast, and
 * the names we want are picked out). Candidates: one `apk list a b`
 * ("name-version-rN arch {origin} (license) [installed]"). A transaction
 * is `apk --wait N add a b=1.2-r0` then `apk --wait N del c`; apk waits
 * for its own lock with --wait.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

static void
apk_query_argv(struct argv *a, const char *const *names, size_t n)
{
	(void)names;
	(void)n;
	argv_add(a, "apk");
	argv_add(a, "info");
	argv_add(a, "-v");
}

struct apk_line {
	struct pkg_set	*set;
	int		 candidate;
};

static void
apk_line(char *line, void *arg)
{
	struct apk_line *al = arg;
	char *name, *version;
	struct pkg_state *p;

	line[strcspn(line, " ")] = '\0';
	if (line[0] == '\0' || strncmp(line, "WARNING", 7) == 0 ||
	    prov_split_name_version(line, 0, &name, &version) < 0)
		return;
	p = pkg_set_get(al->set, name, 1);
	if (al->candidate) {
		if (p->candidate == NULL)	/* the first is the newest */
			p->candidate = xstrdup(version);
	} else {
		free(p->installed);
		p->installed = xstrdup(version);
	}
}

static int
apk_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	struct apk_line al = { set, 0 };

	(void)err;
	prov_each_line(out, len, apk_line, &al);
	return 0;
}

static void
apk_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "apk");
	argv_add(a, "list");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

static int
apk_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	struct apk_line al = { set, 1 };

	(void)errout;
	(void)errlen;
	(void)err;
	prov_each_line(out, len, apk_line, &al);
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].candidate == NULL && set->v[i].installed == NULL)
			set->v[i].is_unknown = 1;
	return 0;
}

static int
apk_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	int ncmd = 0, have_in = 0, have_out = 0;

	for (size_t i = 0; i < n; i++) {
		have_in |= w[i].op == PKG_INSTALL;
		have_out |= w[i].op != PKG_INSTALL;
	}
	if (have_in) {
		argv_add(&cmds[ncmd], "apk");
		argv_addf(&cmds[ncmd], "--wait=%u", lock_s);
		argv_add(&cmds[ncmd], "add");
		argv_add(&cmds[ncmd], "--upgrade");
		for (size_t i = 0; i < n; i++) {
			if (w[i].op != PKG_INSTALL)
				continue;
			if (w[i].version != NULL)
				argv_addf(&cmds[ncmd], "%s=%s", w[i].name,
				    w[i].version);
			else
				argv_add(&cmds[ncmd], w[i].name);
		}
		ncmd++;
	}
	if (have_out) {
		argv_add(&cmds[ncmd], "apk");
		argv_addf(&cmds[ncmd], "--wait=%u", lock_s);
		argv_add(&cmds[ncmd], "del");
		for (size_t i = 0; i < n; i++)
			if (w[i].op != PKG_INSTALL)
				argv_add(&cmds[ncmd], w[i].name);
		ncmd++;
	}
	return ncmd;
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
