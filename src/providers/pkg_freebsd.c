/*
 * FreeBSD pkg(8). Installed state: one `pkg query '%n\t%v' a b c` (names
 * not installed print nothing). Candidates: one `pkg rquery` with the same
 * format. A transaction is `pkg install -y a b-1.2` then
 * `pkg delete -y c`; pkg waits for its database lock itself when
 * LOCK_WAIT/LOCK_RETRIES allow (set from the resource's lock_timeout).
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

static void
fbsd_query_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "pkg");
	argv_add(a, "query");
	argv_add(a, "%n\t%v");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

struct fbsd_line {
	struct pkg_set	*set;
	int		 candidate;
};

static void
fbsd_line(char *line, void *arg)
{
	struct fbsd_line *fl = arg;
	char *tab = strchr(line, '\t');
	struct pkg_state *p;

	if (tab == NULL)
		return;
	*tab = '\0';
	p = pkg_set_get(fl->set, line, 1);
	if (fl->candidate) {
		free(p->candidate);
		p->candidate = xstrdup(tab + 1);
	} else {
		free(p->installed);
		p->installed = xstrdup(tab + 1);
	}
}

static int
fbsd_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	struct fbsd_line fl = { set, 0 };

	(void)err;
	prov_each_line(out, len, fbsd_line, &fl);
	return 0;
}

static void
fbsd_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "pkg");
	argv_add(a, "rquery");
	argv_add(a, "%n\t%v");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

static int
fbsd_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	struct fbsd_line fl = { set, 1 };

	(void)errout;
	(void)errlen;
	(void)err;
	prov_each_line(out, len, fbsd_line, &fl);
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].candidate == NULL && set->v[i].installed == NULL)
			set->v[i].is_unknown = 1;
	return 0;
}

static int
fbsd_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	int ncmd = 0, have_in = 0, have_out = 0;

	for (size_t i = 0; i < n; i++) {
		have_in |= w[i].op == PKG_INSTALL;
		have_out |= w[i].op != PKG_INSTALL;
	}
	if (have_in) {
		argv_add(&cmds[ncmd], "pkg");
		argv_addf(&cmds[ncmd], "-oLOCK_RETRIES=%u", lock_s);
		argv_add(&cmds[ncmd], "install");
		argv_add(&cmds[ncmd], "-y");
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
		argv_add(&cmds[ncmd], "pkg");
		argv_addf(&cmds[ncmd], "-oLOCK_RETRIES=%u", lock_s);
		argv_add(&cmds[ncmd], "delete");
		argv_add(&cmds[ncmd], "-y");
		for (size_t i = 0; i < n; i++)
			if (w[i].op != PKG_INSTALL)
				argv_add(&cmds[ncmd], w[i].name);
		ncmd++;
	}
	return ncmd;
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
