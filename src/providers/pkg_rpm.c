/*
 * dnf and yum, over rpm. Installed state: one `rpm -q --qf` for every name
 * (rpm says "package x is not installed" for the others). Candidates: one
 * `dnf repoquery` / `repoquery`. Versions are "[epoch:]version-release";
 * a transaction is `dnf -y install a b-1.2-1` then `dnf -y remove c`.
 * rpm waits for its own database lock; dnf and yum hold theirs briefly.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

static void
rpm_query_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "rpm");
	argv_add(a, "-q");
	argv_add(a, "--qf");
	argv_add(a, "%{NAME}\\t%{EPOCH}:%{VERSION}-%{RELEASE}\\n");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

/* "(none):1.2-1" -> "1.2-1"; "2:1.2-1" stays. */
static char *
rpm_evr(const char *s)
{
	if (strncmp(s, "(none):", 7) == 0)
		s += 7;
	else if (strncmp(s, "0:", 2) == 0)
		s += 2;
	return xstrdup(s);
}

static void
rpm_query_line(char *line, void *arg)
{
	struct pkg_set *set = arg;
	char *tab = strchr(line, '\t');
	struct pkg_state *p;

	if (tab == NULL)
		return;		/* "package x is not installed" */
	*tab = '\0';
	p = pkg_set_get(set, line, 1);
	/* Several installed versions (kernels): the last one wins. */
	free(p->installed);
	p->installed = rpm_evr(tab + 1);
}

static int
rpm_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	prov_each_line(out, len, rpm_query_line, set);
	return 0;
}

static void
dnf_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "dnf");
	argv_add(a, "-q");
	argv_add(a, "repoquery");
	argv_add(a, "--latest-limit=1");
	argv_add(a, "--qf");
	argv_add(a, "%{name}\\t%{epoch}:%{version}-%{release}");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

static void
yum_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "repoquery");
	argv_add(a, "-q");
	argv_add(a, "--qf");
	argv_add(a, "%{name}\\t%{epoch}:%{version}-%{release}");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

static void
rpm_candidate_line(char *line, void *arg)
{
	struct pkg_set *set = arg;
	char *tab = strchr(line, '\t');
	struct pkg_state *p;

	if (tab == NULL)
		return;
	*tab = '\0';
	p = pkg_set_get(set, line, 1);
	free(p->candidate);
	p->candidate = rpm_evr(tab + 1);
}

/* repoquery prints nothing for a name no repository has. */
static int
rpm_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	(void)errout;
	(void)errlen;
	(void)err;
	prov_each_line(out, len, rpm_candidate_line, set);
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].candidate == NULL && set->v[i].installed == NULL)
			set->v[i].is_unknown = 1;
	return 0;
}

static int
rpm_txn(const char *tool, struct argv cmds[2], const struct pkg_want *w,
    size_t n)
{
	int ncmd = 0, have_in = 0, have_out = 0;

	for (size_t i = 0; i < n; i++) {
		have_in |= w[i].op == PKG_INSTALL;
		have_out |= w[i].op != PKG_INSTALL;
	}
	if (have_in) {
		argv_add(&cmds[ncmd], tool);
		argv_add(&cmds[ncmd], "-y");
		argv_add(&cmds[ncmd], "install");
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
		argv_add(&cmds[ncmd], tool);
		argv_add(&cmds[ncmd], "-y");
		argv_add(&cmds[ncmd], "remove");
		for (size_t i = 0; i < n; i++)
			if (w[i].op != PKG_INSTALL)
				argv_add(&cmds[ncmd], w[i].name);
		ncmd++;
	}
	return ncmd;
}

static int
dnf_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	(void)lock_s;
	return rpm_txn("dnf", cmds, w, n);
}

static int
yum_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	(void)lock_s;
	return rpm_txn("yum", cmds, w, n);
}

const struct pkg_provider pkg_dnf = {
	.name = "dnf",
	.probe = "dnf",
	.query_argv = rpm_query_argv,
	.parse_query = rpm_parse_query,
	.candidate_argv = dnf_candidate_argv,
	.parse_candidates = rpm_parse_candidates,
	.txn_argv = dnf_txn_argv,
};

const struct pkg_provider pkg_yum = {
	.name = "yum",
	.probe = "yum",
	.query_argv = rpm_query_argv,
	.parse_query = rpm_parse_query,
	.candidate_argv = yum_candidate_argv,
	.parse_candidates = rpm_parse_candidates,
	.txn_argv = yum_txn_argv,
};
