/*
 * Operating system facts: os, kernel, kernel_version and arch from
 * uname(2); distribution, version, codename and family from os-release(5)
 * under the root. The BSDs other than FreeBSD ship no os-release, so there
 * the distribution is the os and the version the kernel release.
 */
#include <sys/utsname.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "facts/facts_int.h"

#define OSREL_MAX	16384	/* real ones are under 1 KiB */

/* Appends the value after '=' (quotes removed) up to the end of line. */
static void
osrel_unquote(const char *p, const char *end, struct buf *out)
{
	char q = 0;

	for (; p < end; p++) {
		if (q == 0 && (*p == '"' || *p == '\'')) {
			q = *p;
		} else if (q != 0 && *p == q) {
			q = 0;
		} else if (q == '"' && *p == '\\' && p + 1 < end &&
		    strchr("\\\"$`", p[1]) != NULL) {
			buf_addch(out, *++p);
		} else if (q == 0 && (*p == ' ' || *p == '\t' || *p == '#')) {
			break;		/* unquoted blank ends the value */
		} else {
			buf_addch(out, *p);
		}
	}
}

int
facts_osrel_get(const char *text, size_t len, const char *name,
    struct buf *out)
{
	const char *p = text, *end = text + len, *eol;
	size_t nlen = strlen(name);

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(eol - p) > nlen && memcmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			osrel_unquote(p + nlen + 1, eol, out);
			return 1;
		}
		if (eol == end)
			break;
	}
	return 0;
}

/* os-release IDs (or ID_LIKE words) and their family. */
static const struct {
	const char	*id;
	const char	*family;
} family_table[] = {
	{ "debian", "debian" }, { "ubuntu", "debian" },
	{ "raspbian", "debian" }, { "linuxmint", "debian" },
	{ "devuan", "debian" }, { "kali", "debian" },
	{ "rhel", "redhat" }, { "fedora", "redhat" }, { "centos", "redhat" },
	{ "rocky", "redhat" }, { "almalinux", "redhat" }, { "ol", "redhat" },
	{ "amzn", "redhat" },
	{ "suse", "suse" }, { "opensuse", "suse" }, { "sles", "suse" },
	{ "opensuse-leap", "suse" }, { "opensuse-tumbleweed", "suse" },
	{ "alpine", "alpine" },
	{ "arch", "arch" }, { "manjaro", "arch" }, { "endeavouros", "arch" },
	{ "freebsd", "bsd" }, { "openbsd", "bsd" }, { "netbsd", "bsd" },
	{ "dragonfly", "bsd" },
};

static const char *
family_lookup(const char *id, size_t len)
{
	for (size_t i = 0; i < sizeof(family_table) / sizeof(family_table[0]);
	    i++)
		if (strlen(family_table[i].id) == len &&
		    memcmp(family_table[i].id, id, len) == 0)
			return family_table[i].family;
	return NULL;
}

const char *
facts_family_of(const char *id, const char *id_like)
{
	const char *fam, *p;

	if (id != NULL && (fam = family_lookup(id, strlen(id))) != NULL)
		return fam;
	for (p = id_like; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, " \t");

		if (n > 0 && (fam = family_lookup(p, n)) != NULL)
			return fam;
		p += n;
		p += strspn(p, " \t");
	}
	return NULL;
}

void
facts_numeric_version(const char *release, struct buf *out)
{
	const char *p = release;

	while (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	buf_add(out, release, (size_t)(p - release));
}

/* Sets key to value when value is a fit, non-empty string. */
static void
set_str(struct facts *f, const char *key, const char *value)
{
	if (value[0] != '\0' && facts_value_check(key, value, NULL) == 0)
		facts_set(f, key, FACT_STR, value);
}

static void
gather_uname(struct facts *f, const struct utsname *u)
{
	struct buf b = BUF_INIT;

	for (const char *p = u->sysname; *p != '\0'; p++)
		buf_addch(&b, tolower((unsigned char)*p));
	set_str(f, "os", b.data);
	set_str(f, "kernel", u->release);
	buf_reset(&b);
	facts_numeric_version(u->release, &b);
	set_str(f, "kernel_version", b.data);
	set_str(f, "arch", u->machine);
	buf_release(&b);
}

/* Reads etc/os-release, else usr/lib/os-release, under root. */
static int
osrel_read(const char *root, struct buf *text)
{
	static const char *const paths[] = { "/etc/os-release",
	    "/usr/lib/os-release" };

	for (size_t i = 0; i < 2; i++) {
		char *p = path_in_root(root, paths[i]);
		int r = fileio_read(p, OSREL_MAX, text, NULL);

		free(p);
		if (r == 0)
			return 0;
		buf_reset(text);
	}
	return -1;
}

/* Sets key from os-release field name; returns the value, or NULL. */
static char *
osrel_fact(struct facts *f, const struct buf *text, const char *name,
    const char *key)
{
	struct buf v = BUF_INIT;

	if (!facts_osrel_get(text->data, text->len, name, &v) ||
	    v.len == 0) {
		buf_release(&v);
		return NULL;
	}
	if (key != NULL)
		set_str(f, key, v.data);
	return buf_detach(&v, NULL);
}

static void
gather_osrel(struct facts *f, const char *root)
{
	struct buf text = BUF_INIT;
	char *id, *like, *code;
	const char *fam;

	if (osrel_read(root, &text) < 0) {
		log_debug("no os-release under '%s'", root ? root : "/");
		buf_release(&text);
		return;
	}
	id = osrel_fact(f, &text, "ID", "distribution");
	free(osrel_fact(f, &text, "VERSION_ID", "version"));
	like = osrel_fact(f, &text, "ID_LIKE", NULL);
	if ((code = osrel_fact(f, &text, "VERSION_CODENAME", "codename")) ==
	    NULL)
		code = osrel_fact(f, &text, "UBUNTU_CODENAME", "codename");
	if ((fam = facts_family_of(id, like)) != NULL)
		facts_set(f, "family", FACT_STR, fam);
	else if (id != NULL)
		set_str(f, "family", id);
	free(id);
	free(like);
	free(code);
	buf_release(&text);
}

/* The BSDs without os-release: distribution = os, version = release. */
static void
gather_bsd_fallback(struct facts *f, const struct utsname *u)
{
	const char *os = facts_get(f, "os");
	const char *fam = os != NULL ? facts_family_of(os, NULL) : NULL;
	struct buf v = BUF_INIT;

	if (fam == NULL || strcmp(fam, "bsd") != 0 ||
	    facts_get(f, "distribution") != NULL)
		return;
	set_str(f, "distribution", os);
	facts_numeric_version(u->release, &v);
	set_str(f, "version", v.data);
	facts_set(f, "family", FACT_STR, "bsd");
	buf_release(&v);
}

void
facts_gather_os(struct facts *f, const char *root)
{
	struct utsname u;

	if (uname(&u) < 0) {
		log_debug("uname failed");
		memset(&u, 0, sizeof(u));
	} else
		gather_uname(f, &u);
	gather_osrel(f, root);
	gather_bsd_fallback(f, &u);
}
