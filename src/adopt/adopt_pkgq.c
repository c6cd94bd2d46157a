/*
 * "Which packages were installed on request?" for the package managers
 * other than dpkg, each with its own answer: pacman's explicit flag, apk's
 * world file, dnf's userinstalled query, FreeBSD pkg's automatic flag and
 * OpenBSD's manual mark. The query runs chrooted into --root like the
 * package providers do; the parsers are plain and unit-tested.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "providers/providers.h"

static const struct pkgq {
	const char		*probe;		/* program under root */
	const char *const	 argv[7];	/* the query, or {NULL}: file */
	const char		*file;		/* read this instead */
	enum adopt_pkgq_form	 form;
	const char		*note;
} pkgqs[] = {
	{ "pacman", { "pacman", "-Qqe", NULL }, NULL, PKGQ_NAMES,
	    "explicitly installed (pacman -Qqe)" },
	{ "apk", { NULL }, "/etc/apk/world", PKGQ_APK_WORLD,
	    "asked for in /etc/apk/world" },
	{ "dnf", { "dnf", "-q", "repoquery", "--userinstalled", "--qf",
	    "%{name}\n", NULL }, NULL, PKGQ_NAMES,
	    "installed by a user (dnf repoquery --userinstalled)" },
	{ "pkg", { "pkg", "query", "-e", "%a = 0", "%n", NULL }, NULL,
	    PKGQ_NAMES, "not automatic (pkg query -e '%a = 0')" },
	{ "pkg_info", { "pkg_info", "-mq", NULL }, NULL, PKGQ_NAME_VERSION,
	    "installed manually (pkg_info -m)" },
};

/* Cuts line down to the package name it holds; NULL to skip it. */
static char *
line_name(char *line, enum adopt_pkgq_form form)
{
	char *name, *version;

	while (isspace((unsigned char)*line))
		line++;
	line[strcspn(line, " \t\r")] = '\0';
	if (*line == '\0' || *line == '#')
		return NULL;
	switch (form) {
	case PKGQ_APK_WORLD:
		/* "name>=1.2", "name@edge", "name=1.2-r0", "!name" */
		if (*line == '!')
			return NULL;
		line[strcspn(line, "<>=~@")] = '\0';
		return *line ? line : NULL;
	case PKGQ_NAME_VERSION:
		if (prov_split_name_version(line, 1, &name, &version) < 0)
			return line;
		return name;
	default:
		return line;
	}
}

size_t
adopt_pkgq_parse(enum adopt_pkgq_form form, const char *text, size_t len,
    void (*fn)(const char *name, void *arg), void *arg)
{
	const char *p = text, *end = text + len;
	size_t count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n), *name;

		/* apk's world may hold several names on one line. */
		for (char *save = NULL, *tok = strtok_r(line, " \t", &save);
		    tok != NULL; tok = strtok_r(NULL, " \t", &save))
			if ((name = line_name(tok, form)) != NULL) {
				fn(name, arg);
				count++;
			}
		free(line);
		p += n + (nl != NULL);
	}
	return count;
}

struct add_arg {
	struct adopt	*a;
	const char	*note;
};

static void
add_one(const char *name, void *arg)
{
	struct add_arg *aa = arg;

	adopt_package(aa->a, name, aa->note);
}

/* 1 when the tool answered (exit 0), its list in out; else 0. */
static int
run_query(struct adopt *a, const struct pkgq *q, struct buf *out)
{
	struct argv av = ARGV_INIT;
	struct spawn_result res;
	struct tl_err err = TL_ERR_INIT;
	int ok;

	argv_addv(&av, q->argv);
	spawn_result_init(&res);
	ok = prov_run(a->opts.root, &av, NULL, 120000, &res, &err) == 0 &&
	    !res.timed_out && res.status == 0;
	if (ok)
		buf_add(out, res.out.data, res.out.len);
	spawn_result_release(&res);
	argv_release(&av);
	return ok;
}

void
adopt_pkgq(struct adopt *a)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(pkgqs) / sizeof(pkgqs[0]); i++) {
		const struct pkgq *q = &pkgqs[i];
		struct add_arg aa = { a, q->note };
		char *path;

		int answered;

		if (!prov_have(a->opts.root, q->probe))
			continue;
		buf_reset(&out);
		if (q->file != NULL) {
			path = adopt_path(a, q->file);
			answered = fileio_read(path, 1u << 20, &out,
			    &(struct tl_err)TL_ERR_INIT) == 0;
			free(path);
		} else
			answered = run_query(a, q, &out);
		/* A tool that is here but holds nothing (pacman -Qqe exits 1
		 * on an empty database) is not this root's manager: ask the
		 * next one. */
		if (!answered || adopt_pkgq_parse(q->form, out.data, out.len,
		    add_one, &aa) == 0)
			continue;
		break;
	}
	buf_release(&out);
}
