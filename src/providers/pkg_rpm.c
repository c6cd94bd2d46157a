/*
 * dnf and yum, over rpm. Installed state: one `rpm -q --qf` for every name
 * (rpm says "package x is not installed" for the others). Candidates: one
 * `dnf repoquery` / `repoquery`. Versions are "[epoch:]version-release";
 * a transaction is `dnf -y install a b-1.2-1` then `dnf -y remove c`.
 * rpm waits for its own database lock; dnf and yum hold theirs briefly.
 */
#include "providers.h"

#include <string.h>

#include "core/err.h"

static void
rpm_query_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "rpm", "-q", "--qf",
	    "%{NAME}\\t%{EPOCH}:%{VERSION}-%{RELEASE}\\n", NULL });
	argv_addn(a, names, n);
}

/* "(none):1.2-1" -> "1.2-1"; "2:1.2-1" stays. Borrowed from s. */
static const char *
rpm_evr(const char *s)
{
	if (strncmp(s, "(none):", 7) == 0)
		return s + 7;
	if (strncmp(s, "0:", 2) == 0)
		return s + 2;
	return s;
}

/* "name<TAB>epoch:version-release", from rpm -q and repoquery alike;
 * rpm -q says "package x is not installed" for the others. Several
 * installed versions (kernels): the last one wins. */
static void
rpm_line(char *line, void *arg)
{
	char *tab = strchr(line, '\t');

	if (tab == NULL)
		return;
	*tab = '\0';
	pkg_lines_put(arg, line, rpm_evr(tab + 1));
}

static int
rpm_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	return pkg_lines_parse(out, len, set, 0, rpm_line);
}

static void
dnf_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "dnf", "-q", "repoquery",
	    "--latest-limit=1", "--qf",
	    "%{name}\\t%{epoch}:%{version}-%{release}", NULL });
	argv_addn(a, names, n);
}

static void
yum_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "repoquery", "-q", "--qf",
	    "%{name}\\t%{epoch}:%{version}-%{release}", NULL });
	argv_addn(a, names, n);
}

/* repoquery prints nothing for a name no repository has. */
static int
rpm_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	(void)errout;
	(void)errlen;
	(void)err;
	pkg_lines_parse(out, len, set, 1, rpm_line);
	pkg_set_mark_unknown(set);
	return 0;
}

/* No lock flag: rpm waits for its own database lock. `dnf install NAME`
 * says "already installed" when an older version is, so an upgrade names
 * the version the repository offered. */
static const struct prov_txn_words dnf_words = {
	.install = (const char *const[]){ "dnf", "-y", "install", NULL },
	.remove = (const char *const[]){ "dnf", "-y", "remove", NULL },
	.version_sep = "-",
	.upgrade_by_version = 1,
};

static const struct prov_txn_words yum_words = {
	.install = (const char *const[]){ "yum", "-y", "install", NULL },
	.remove = (const char *const[]){ "yum", "-y", "remove", NULL },
	.version_sep = "-",
	.upgrade_by_version = 1,
};

static int
dnf_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	return prov_txn_split(cmds, w, n, lock_s, &dnf_words);
}

static int
yum_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	return prov_txn_split(cmds, w, n, lock_s, &yum_words);
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
