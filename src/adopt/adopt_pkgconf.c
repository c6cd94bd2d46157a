/*
 * Changed configuration files on systems without dpkg, each package
 * manager asked its own way (run chrooted into --root, like the package
 * providers):
 *
 *   rpm     rpm -Va: "S.5....T.  c /etc/ssh/sshd_config" (the '5' column
 *           is the digest, 'c' marks a config file), "missing   c /etc/x"
 *   pacman  pacman -Qii: "Name            : openssh", then under "Backup
 *           Files" "MODIFIED\t/etc/ssh/sshd_config"
 *   apk     apk audit --backup: "U etc/ssh/sshd_config" (updated) or
 *           "A etc/x" (added), paths without the leading slash
 *
 * rpm -Va does not say which package a file belongs to: those go into
 * etc.lua. A config file deleted by hand is left to the reader (rpm says
 * "missing"): declaring it absent could fight the package.
 */
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/spawn.h"
#include "core/xalloc.h"
#include "providers/providers.h"

static const struct pkgconf {
	const char		*probe;
	const char *const	 argv[6];
	enum adopt_conf_form	 form;
} pkgconfs[] = {
	{ "rpm", { "rpm", "-Va", "--nodeps", "--noscripts", NULL },
	    CONF_RPM_V },
	{ "pacman", { "pacman", "-Qii", NULL }, CONF_PACMAN_QII },
	{ "apk", { "apk", "audit", "--backup", NULL }, CONF_APK_AUDIT },
};

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "S.5....T.  c /etc/x": the path when the digest changed. */
static const char *
rpm_line(char *line)
{
	char *sp = strchr(line, ' ');
	const char *rest;

	if (sp == NULL || sp - line != 9 || line[2] != '5')
		return NULL;
	rest = skip_blank(sp);
	if (rest[0] != 'c' || (rest[1] != ' ' && rest[1] != '\t'))
		return NULL;
	rest = skip_blank(rest + 1);
	return rest[0] == '/' ? rest : NULL;
}

/* "Name            : openssh" sets the package; "MODIFIED\t/etc/x". */
static const char *
pacman_line(char *line, char **pkg)
{
	if (strncmp(line, "Name", 4) == 0 && strchr(line, ':') != NULL) {
		const char *v = skip_blank(strchr(line, ':') + 1);
		free(*pkg);
		*pkg = *v ? xstrdup(v) : NULL;
		return NULL;
	}
	if (strncmp(line, "MODIFIED", 8) != 0 ||
	    (line[8] != '\t' && line[8] != ' '))
		return NULL;
	line = (char *)skip_blank(line + 8);
	return line[0] == '/' ? line : NULL;
}

/* "U etc/x" -> "/etc/x", written over the status letter. */
static const char *
apk_line(char *line)
{
	if ((line[0] != 'U' && line[0] != 'A') || line[1] != ' ' ||
	    line[2] == '\0' || line[2] == '/')
		return NULL;
	line[1] = '/';
	return line + 1;
}

size_t
adopt_conf_parse(enum adopt_conf_form form, const char *text, size_t len,
    void (*fn)(const char *path, const char *pkg, void *arg), void *arg)
{
	const char *p = text, *end = text + len, *path;
	char *pkg = NULL;
	size_t count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n);

		line[strcspn(line, "\r")] = '\0';
		switch (form) {
		case CONF_RPM_V:
			path = rpm_line(line);
			break;
		case CONF_PACMAN_QII:
			path = pacman_line(line, &pkg);
			break;
		default:
			path = apk_line(line);
			break;
		}
		if (path != NULL && path_is_clean_abs(path)) {
			fn(path, form == CONF_PACMAN_QII ? pkg : NULL, arg);
			count++;
		}
		free(line);
		p += n + (nl != NULL);
	}
	free(pkg);
	return count;
}

static void
add_conf(const char *path, const char *pkg, void *arg)
{
	struct adopt_ctx *c = arg;
	char *note;

	if (adopt_is_noise(path))
		return;
	note = pkg ? xasprintf("config file of package %s, changed from the "
	    "packaged default", pkg) : xstrdup("config file changed from "
	    "its package's default");
	adopt_file(c, pkg ? pkg : "etc", path, pkg, note);
	free(note);
}

void
adopt_pkgconf(struct adopt_ctx *c)
{
	for (size_t i = 0; i < sizeof(pkgconfs) / sizeof(pkgconfs[0]); i++) {
		const struct pkgconf *q = &pkgconfs[i];
		struct argv av = ARGV_INIT;
		struct spawn_result res;
		struct tl_err err = TL_ERR_INIT;

		if (!prov_have(c->a->opts.root, q->probe))
			continue;
		argv_addv(&av, q->argv);
		spawn_result_init(&res);
		/* rpm -Va exits 1 when anything differs: read it anyway. */
		if (prov_run(c->a->opts.root, &av, NULL, 600000, &res,
		    &err) == 0)
			adopt_conf_parse(q->form, res.out.data, res.out.len,
			    add_conf, c);
		spawn_result_release(&res);
		argv_release(&av);
		return;
	}
}
