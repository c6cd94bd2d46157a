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

static void
pacman_unknown_line(char *line, void *arg)
{
	static const char tnf[] = "error: target not found: ";

	if (strncmp(line, tnf, sizeof(tnf) - 1) == 0)
		pkg_set_unknown(arg, line + sizeof(tnf) - 1, line);
}

/* No version spelling: pacman installs what the repositories have. */
const struct pkg_provider pkg_pacman = {
	.name = "pacman",
	.probe = "pacman",
	.lock = "/var/lib/pacman/db.lck",
	.lock_is_file = 1,
	.query = (const char *const[]){ "pacman", "-Q", NULL },
	.query_line = pacman_line,
	.candidates = (const char *const[]){ "pacman", "-Sp",
	    "--print-format", "%n %v", NULL },
	.candidate_line = pacman_line,
	.unknown_line = pacman_unknown_line,
	.txn = &(const struct prov_txn_words){
		.install = (const char *const[]){ "pacman", "-S",
		    "--noconfirm", "--needed", NULL },
		.remove = (const char *const[]){ "pacman", "-R", "--noconfirm",
		    NULL },
	},
	.is_repo_version_only = 1,
};
