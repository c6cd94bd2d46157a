/*
 * pacman (Arch). Installed state: one `pacman -Q a b c` ("name version"
 * lines; "error: package 'x' was not found" on stderr for the others).
 * Candidates: one `pacman -Sp --print-format '%n %v'` ("error: target not
 * found: x" for names no repository has). A transaction is
 * `pacman -S --noconfirm --needed a b` then `pacman -R --noconfirm c`.
 * The lock is the existence of /var/lib/pacman/db.lck: the resource waits
 * for it to go away, with a bound.
 */
#include "providers.h"

#include <string.h>

#include "core/err.h"

static void
pacman_query_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "pacman", "-Q", NULL });
	argv_addn(a, names, n);
}

/* "name version", from -Q and -Sp alike. */
static void
pacman_line(char *line, void *arg)
{
	char *sp = strchr(line, ' ');

	if (sp == NULL || strncmp(line, "error:", 6) == 0)
		return;
	*sp = '\0';
	pkg_lines_put(arg, line, sp + 1);
}

static int
pacman_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	(void)err;
	return pkg_lines_parse(out, len, set, 0, pacman_line);
}

static void
pacman_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_addv(a, (const char *const[]){ "pacman", "-Sp", "--print-format",
	    "%n %v", NULL });
	argv_addn(a, names, n);
}

static void
pacman_unknown_line(char *line, void *arg)
{
	static const char tnf[] = "error: target not found: ";

	if (strncmp(line, tnf, sizeof(tnf) - 1) == 0)
		pkg_set_unknown(arg, line + sizeof(tnf) - 1, line);
}

static int
pacman_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	(void)err;
	pkg_lines_parse(out, len, set, 1, pacman_line);
	prov_each_line(errout, errlen, pacman_unknown_line, set);
	return 0;
}

/* No version spelling: pacman installs what the repositories have. */
static const struct prov_txn_words pacman_words = {
	.install = (const char *const[]){ "pacman", "-S", "--noconfirm",
	    "--needed", NULL },
	.remove = (const char *const[]){ "pacman", "-R", "--noconfirm",
	    NULL },
};

static int
pacman_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	return prov_txn_split(cmds, w, n, lock_s, &pacman_words);
}

const struct pkg_provider pkg_pacman = {
	.name = "pacman",
	.probe = "pacman",
	.lock = "/var/lib/pacman/db.lck",
	.lock_is_file = 1,
	.query_argv = pacman_query_argv,
	.parse_query = pacman_parse_query,
	.candidate_argv = pacman_candidate_argv,
	.parse_candidates = pacman_parse_candidates,
	.txn_argv = pacman_txn_argv,
	.is_repo_version_only = 1,
};
