/*
 * Parsers for dpkg's status file, apt's extended_states and dpkg's .list
 * files (see dpkg_db.h). Both stanza files are RFC 822-like: "Field: value"
 * lines, continuation lines starting with a space, stanzas separated by an
 * empty line. Only the fields adopting needs are kept.
 */
#include "adopt/dpkg_db.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/xalloc.h"

/* A stanza as it is read: the fields we keep, borrowed from the text. */
struct stanza {
	const char	*pkg, *version, *status, *priority, *essential, *autoi;
	size_t		 pkg_n, version_n, status_n, priority_n, essential_n,
			 autoi_n;
	const char	*conf;		/* the Conffiles block, continuation */
	size_t		 conf_n;	/* lines included */
};

void
dpkg_db_init(struct dpkg_db *db)
{
	memset(db, 0, sizeof(*db));
}

static void
pkg_release(struct dpkg_pkg *p)
{
	free(p->name);
	free(p->version);
	for (size_t i = 0; i < p->nconf; i++)
		free(p->conf[i].path);
	free(p->conf);
}

void
dpkg_db_release(struct dpkg_db *db)
{
	for (size_t i = 0; i < db->n; i++)
		pkg_release(&db->v[i]);
	free(db->v);
	strmap_release(&db->by_name);
	dpkg_db_init(db);
}

static int
field_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && strncasecmp(line, name, k) == 0 && line[k] == ':';
}

/* The value after "Name:", trimmed; borrowed. */
static const char *
field_value(const char *line, size_t n, size_t *vn)
{
	const char *c = memchr(line, ':', n), *end = line + n;

	c = c ? c + 1 : end;
	text_trim(&c, &end);
	*vn = (size_t)(end - c);
	return c;
}

static void
stanza_field(struct stanza *s, const char *line, size_t n)
{
	static const struct {
		const char *name;
		size_t off, noff;
	} keep[] = {
#define K(f, m) \
	{ f, offsetof(struct stanza, m), offsetof(struct stanza, m##_n) }
		K("Package", pkg), K("Version", version), K("Status", status),
		K("Priority", priority), K("Essential", essential),
		K("Auto-Installed", autoi),
#undef K
	};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (!field_is(line, n, keep[i].name))
			continue;
		*(const char **)((char *)s + keep[i].off) =
		    field_value(line, n, (size_t *)((char *)s + keep[i].noff));
		return;
	}
}

/* Calls fn for each stanza of text. */
static void
each_stanza(const char *text, size_t len,
    void (*fn)(const struct stanza *, void *), void *arg)
{
	const char *p = text, *end = text + len;
	struct stanza s;
	int in_conf = 0, any = 0;

	memset(&s, 0, sizeof(s));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n == 0 || (n == 1 && p[0] == '\r')) {
			if (any)
				fn(&s, arg);
			memset(&s, 0, sizeof(s));
			in_conf = any = 0;
		} else if (p[0] == ' ' || p[0] == '\t') {
			if (in_conf)
				s.conf_n = (size_t)(p + n - s.conf);
		} else {
			any = 1;
			in_conf = field_is(p, n, "Conffiles");
			if (in_conf) {
				s.conf = p + n;
				s.conf_n = 0;
			}
			stanza_field(&s, p, n);
		}
		p += n + (nl != NULL);
	}
	if (any)
		fn(&s, arg);
}

static char *
base_name(const char *pkg, size_t n)
{
	const char *colon = memchr(pkg, ':', n);

	return xstrndup(pkg, colon ? (size_t)(colon - pkg) : n);
}

static struct dpkg_pkg *
db_get(struct dpkg_db *db, const char *pkg, size_t n)
{
	char *name = base_name(pkg, n);
	struct dpkg_pkg *p;
	size_t i;

	if (strmap_get(&db->by_name, name, &i)) {
		free(name);
		p = &db->v[i];
		return p;
	}
	db->v = xgrow(db->v, &db->cap, db->n + 1, sizeof(*db->v));
	p = &db->v[db->n];
	memset(p, 0, sizeof(*p));
	p->name = name;
	strmap_put(&db->by_name, name, db->n++);
	return p;
}

static int
is_hex32(const char *s, size_t n)
{
	if (n != 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* " /etc/x 0123... [obsolete]" */
static void
conf_line(struct dpkg_pkg *p, const char *line, size_t n)
{
	const char *end = line + n, *path, *sum;
	size_t path_n, sum_n;
	struct dpkg_conffile *c;

	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	path = line;
	while (line < end && *line != ' ')
		line++;
	path_n = (size_t)(line - path);
	while (line < end && *line == ' ')
		line++;
	sum = line;
	while (line < end && *line != ' ' && *line != '\r')
		line++;
	sum_n = (size_t)(line - sum);
	if (path_n == 0 || path[0] != '/' || memchr(path, '\0', path_n))
		return;
	p->conf = xrealloc(p->conf, (p->nconf + 1) * sizeof(*p->conf));
	c = &p->conf[p->nconf++];
	memset(c, 0, sizeof(*c));
	c->path = xstrndup(path, path_n);
	if (is_hex32(sum, sum_n))
		memcpy(c->md5, sum, 32);
	c->is_obsolete = memmem(line, (size_t)(end - line), "obsolete", 8) !=
	    NULL;
}

static int
value_has_word(const char *v, size_t n, const char *word)
{
	size_t k = strlen(word);

	for (size_t i = 0; i + k <= n; i++)
		if ((i == 0 || v[i - 1] == ' ') &&
		    memcmp(v + i, word, k) == 0 &&
		    (i + k == n || v[i + k] == ' '))
			return 1;
	return 0;
}

static void
on_status(const struct stanza *s, void *arg)
{
	struct dpkg_db *db = arg;
	struct dpkg_pkg *p;
	const char *c, *end;

	if (s->pkg == NULL || s->pkg_n == 0 || memchr(s->pkg, '\0', s->pkg_n))
		return;
	p = db_get(db, s->pkg, s->pkg_n);
	/* A multi-arch package has one stanza per architecture: installed
	 * if any of them is. */
	if (s->status != NULL && value_has_word(s->status, s->status_n,
	    "installed") && !p->is_installed) {
		p->is_installed = 1;
		free(p->version);
		p->version = s->version ? xstrndup(s->version, s->version_n) :
		    NULL;
	}
	p->is_base |= (s->essential && value_has_word(s->essential,
	    s->essential_n, "yes")) || (s->priority &&
	    (value_has_word(s->priority, s->priority_n, "required") ||
	    value_has_word(s->priority, s->priority_n, "important")));
	if (s->conf == NULL)
		return;
	for (c = s->conf, end = s->conf + s->conf_n; c < end;) {
		const char *nl = memchr(c, '\n', (size_t)(end - c));
		size_t n = nl ? (size_t)(nl - c) : (size_t)(end - c);
		conf_line(p, c, n);
		c += n + 1;
	}
}

void
dpkg_status_parse(struct dpkg_db *db, const char *text, size_t len)
{
	each_stanza(text, len, on_status, db);
}

static void
on_auto(const struct stanza *s, void *arg)
{
	struct dpkg_db *db = arg;
	char *name;
	size_t i;

	if (s->pkg == NULL || s->autoi == NULL || s->autoi_n != 1 ||
	    s->autoi[0] != '1')
		return;
	name = base_name(s->pkg, s->pkg_n);
	if (strmap_get(&db->by_name, name, &i))
		db->v[i].is_auto = 1;
	free(name);
}

void
dpkg_auto_parse(struct dpkg_db *db, const char *text, size_t len)
{
	each_stanza(text, len, on_auto, db);
}

void
dpkg_list_parse(struct strmap *owner, size_t pkg, const char *text,
    size_t len)
{
	const char *p = text, *end = text + len;
	char *path;
	size_t prev;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[0] == '/' && !memchr(p, '\0', n)) {
			path = xstrndup(p, n);
			if (strmap_get(owner, path, &prev) && prev != pkg)
				strmap_put(owner, path, DPKG_SHARED);
			else
				strmap_put(owner, path, pkg);
			free(path);
		}
		p += n + (nl != NULL);
	}
}

char *
dpkg_list_name(char *file)
{
	size_t n = strlen(file);
	char *colon;

	if (n <= 5 || strcmp(file + n - 5, ".list") != 0)
		return NULL;
	file[n - 5] = '\0';
	if ((colon = strchr(file, ':')) != NULL)
		*colon = '\0';
	return file;
}

int
dpkg_is_manual(const struct dpkg_pkg *p)
{
	return p->is_installed && !p->is_auto && !p->is_base;
}
