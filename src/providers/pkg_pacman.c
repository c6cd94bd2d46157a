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

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

static void
pacman_query_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "pacman");
	argv_add(a, "-Q");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

struct pacman_line {
	struct pkg_set	*set;
	int		 candidate;
};

static void
pacman_line(char *line, void *arg)
{
	struct pacman_line *pl = arg;
	char *sp = strchr(line, ' ');
	struct pkg_state *p;

	if (sp == NULL || strncmp(line, "error:", 6) == 0)
		return;
	*sp = '\0';
	p = pkg_set_get(pl->set, line, 1);
	if (pl->candidate) {
		free(p->candidate);
		p->candidate = xstrdup(sp + 1);
	} else {
		free(p->installed);
		p->installed = xstrdup(sp + 1);
	}
}

static int
pacman_parse_query(const char *out, size_t len, struct pkg_set *set,
    struct tl_err *err)
{
	struct pacman_line pl = { set, 0 };

	(void)err;
	prov_each_line(out, len, pacman_line, &pl);
	return 0;
}

static void
pacman_candidate_argv(struct argv *a, const char *const *names, size_t n)
{
	argv_add(a, "pacman");
	argv_add(a, "-Sp");
	argv_add(a, "--print-format");
	argv_add(a, "%n %v");
	for (size_t i = 0; i < n; i++)
		argv_add(a, names[i]);
}

static void
pacman_unknown_line(char *line, void *arg)
{
	static const char tnf[] = "error: target not found: ";
	struct pkg_state *p;

	if (strncmp(line, tnf, sizeof(tnf) - 1) != 0)
		return;
	p = pkg_set_get(arg, line + sizeof(tnf) - 1, 1);
	p->is_unknown = 1;
	free(p->unknown_msg);
	p->unknown_msg = xstrdup(line);
}

static int
pacman_parse_candidates(const char *out, size_t len, const char *errout,
    size_t errlen, struct pkg_set *set, struct tl_err *err)
{
	struct pacman_line pl = { set, 1 };

	(void)err;
	prov_each_line(out, len, pacman_line, &pl);
	prov_each_line(errout, errlen, pacman_unknown_line, set);
	return 0;
}

static int
pacman_txn_argv(struct argv cmds[2], const struct pkg_want *w, size_t n,
    unsigned lock_s)
{
	int ncmd = 0, have_in = 0, have_out = 0;

	(void)lock_s;
	for (size_t i = 0; i < n; i++) {
		have_in |= w[i].op == PKG_INSTALL;
		have_out |= w[i].op != PKG_INSTALL;
	}
	if (have_in) {
		argv_add(&cmds[ncmd], "pacman");
		argv_add(&cmds[ncmd], "-S");
		argv_add(&cmds[ncmd], "--noconfirm");
		argv_add(&cmds[ncmd], "--needed");
		for (size_t i = 0; i < n; i++)
			if (w[i].op == PKG_INSTALL)
				argv_add(&cmds[ncmd], w[i].name);
		ncmd++;
	}
	if (have_out) {
		argv_add(&cmds[ncmd], "pacman");
		argv_add(&cmds[ncmd], "-R");
		argv_add(&cmds[ncmd], "--noconfirm");
		for (size_t i = 0; i < n; i++)
			if (w[i].op != PKG_INSTALL)
				argv_add(&cmds[ncmd], w[i].name);
		ncmd++;
	}
	return ncmd;
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
};
