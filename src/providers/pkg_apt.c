/*
 * apt/dpkg. Installed state: one `dpkg-query -W` for every name (fast: it
 * reads only dpkg's status file). Candidates, asked only when some package
 * is missing or wants "latest" or a version: one `apt-cache policy`.
 * A transaction is one `apt-get install a b=1.2 c- d_`: apt removes the
 * names suffixed '-' and purges those suffixed '_' in the same run.
 * apt itself waits for dpkg's lock (DPkg::Lock::Timeout).
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

/* Splits line at tabs into up to max fields (borrowed, NUL-terminated
 * in place); returns how many. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

/* One line: "name<TAB>ii <TAB>1.2-3". The second letter of the status
 * abbreviation is dpkg's current state. */
static void
apt_query_line(char *line, void *arg)
{
	struct pkg_lines *l = arg;
	struct pkg_state *p;
	char *f[3];
	char st;

	if (split_tabs(line, f, 3) != 3 || f[0][0] == '\0' ||
	    strlen(f[1]) < 2)
		return;
	st = f[1][1];
	if (st == 'n')
		return;		/* known to dpkg, not installed */
	p = pkg_set_get(l->set, f[0], 1);
	free(p->installed);
	p->installed = NULL;
	if (st == 'c') {
		p->is_config = 1;
		return;
	}
	p->installed = xstrdup(f[2]);
	/* half-installed, unpacked, half-configured: needs a reinstall */
	p->is_broken = strchr("HUF", st) != NULL;
}

/*
 *   nginx:
 *     Installed: (none)
 *     Candidate: 1.22.1-9
 *     Version table: ...
 */
static void
apt_policy_line(char *line, void *arg)
{
	struct pkg_lines *l = arg;
	struct pkg_state *cur = l->cur;
	size_t n = strlen(line);

	if (n > 1 && line[0] != ' ' && line[n - 1] == ':') {
		line[n - 1] = '\0';
		l->cur = pkg_set_get(l->set, line, 1);
	} else if (cur != NULL && strncmp(line, "  Candidate: ", 13) == 0) {
		free(cur->candidate);
		cur->candidate = strcmp(line + 13, "(none)") == 0 ? NULL :
		    xstrdup(line + 13);
		if (cur->candidate == NULL && cur->installed == NULL)
			cur->is_unknown = 1;
	}
}

/* "N: Unable to locate package nosuch": a name apt does not know is
 * missing from stdout; stderr says so. */
static void
apt_unknown_line(char *line, void *arg)
{
	static const char unable[] = "Unable to locate package ";
	const char *at = strstr(line, unable);

	if (at != NULL)
		pkg_set_unknown(arg, at + sizeof(unable) - 1, line);
}

static int
apt_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	struct argv *a = &cmds[0];
	int reinstall = 0;

	for (size_t i = 0; i < n; i++)
		reinstall |= w[i].reinstall;
	argv_add(a, "apt-get");
	argv_add(a, "-y");
	argv_add(a, "-q");
	argv_addf(a, "-oDPkg::Lock::Timeout=%u", lock_s);
	argv_add(a, "-oDpkg::Options::=--force-confdef");
	argv_add(a, "-oDpkg::Options::=--force-confold");
	argv_add(a, "--allow-downgrades");
	if (reinstall)
		argv_add(a, "--reinstall");
	argv_add(a, "install");
	for (size_t i = 0; i < n; i++) {
		if (w[i].op == PKG_REMOVE)
			argv_addf(a, "%s-", w[i].name);
		else if (w[i].op == PKG_PURGE)
			argv_addf(a, "%s_", w[i].name);
		else
			prov_add_want(a, &w[i], "=");
	}
	return 1;
}

static const char *const apt_env[] = {
	"DEBIAN_FRONTEND=noninteractive", "APT_LISTCHANGES_FRONTEND=none",
	NULL
};

const struct pkg_provider pkg_apt = {
	.name = "apt",
	.probe = "apt-get",
	.lock = "/var/lib/dpkg/lock-frontend",
	.query = (const char *const[]){ "dpkg-query", "-W",
	    "-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n", NULL },
	.query_line = apt_query_line,
	.candidates = (const char *const[]){ "apt-cache", "policy", NULL },
	.candidate_line = apt_policy_line,
	.unknown_line = apt_unknown_line,
	.txn_argv = apt_txn_argv,
	.env = apt_env,
};
