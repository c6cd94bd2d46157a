/*
 * dnf and yum, over rpm. Installed state: one `rpm -q --qf` for every name
 * (rpm says "package x is not installed" for the others). Candidates: one
 * `dnf repoquery` / `repoquery`. Versions are "[epoch:]version-release";
 * a transaction is `dnf -y install a b-1.2-1` then `dnf -y remove c`.
 * rpm waits for its own database lock; dnf and yum hold theirs briefly.
 */
#include "providers.h"

#include <string.h>

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

static const char *const rpm_query[] = { "rpm", "-q", "--qf",
	"%{NAME}\\t%{EPOCH}:%{VERSION}-%{RELEASE}\\n", NULL };

/* repoquery prints nothing for a name no repository has. */
#define REPOQUERY_QF	"%{name}\\t%{epoch}:%{version}-%{release}"

/* No lock flag: rpm waits for its own database lock. `dnf install NAME`
 * says "already installed" when an older version is, so an upgrade names
 * the version the repository offered. */
const struct pkg_provider pkg_dnf = {
	.name = "dnf",
	.probe = "dnf",
	.query = rpm_query,
	.query_line = rpm_line,
	.candidates = (const char *const[]){ "dnf", "-q", "repoquery",
	    "--latest-limit=1", "--qf", REPOQUERY_QF, NULL },
	.candidate_line = rpm_line,
	.txn = &(const struct prov_txn_words){
		.install = (const char *const[]){ "dnf", "-y", "install",
		    NULL },
		.remove = (const char *const[]){ "dnf", "-y", "remove", NULL },
		.version_sep = "-",
		.upgrade_by_version = 1,
	},
};

const struct pkg_provider pkg_yum = {
	.name = "yum",
	.probe = "yum",
	.query = rpm_query,
	.query_line = rpm_line,
	.candidates = (const char *const[]){ "repoquery", "-q", "--qf",
	    REPOQUERY_QF, NULL },
	.candidate_line = rpm_line,
	.txn = &(const struct prov_txn_words){
		.install = (const char *const[]){ "yum", "-y", "install",
		    NULL },
		.remove = (const char *const[]){ "yum", "-y", "remove", NULL },
		.version_sep = "-",
		.upgrade_by_version = 1,
	},
};
