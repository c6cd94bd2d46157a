/*
 * The adopt scan: load what the collectors share (the tree's accounts and
 * dpkg's database), run each collector --only asks for, then put every
 * package that has files or services of its own into that concern's
 * recipe file, so nginx's package, its changed conffiles and its service
 * read together in recipes/nginx.lua.
 */
#include "adopt/adopt.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"

#define DB_MAX	(256u << 20)	/* bytes of one dpkg database file */

static const struct {
	const char *name;
	unsigned bit;
} sources[] = {
	{ "packages", ADOPT_PACKAGES }, { "files", ADOPT_FILES },
	{ "services", ADOPT_SERVICES }, { "users", ADOPT_USERS },
	{ "cron", ADOPT_CRON },
};

unsigned
adopt_parse_only(const char *list, struct tl_err *err)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	unsigned mask = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
			if (strcmp(tok, sources[i].name) == 0)
				break;
		if (i == sizeof(sources) / sizeof(sources[0])) {
			tl_err_set(err, TL_EINVAL, "unknown source '%s' "
			    "(packages, files, services, users, cron)", tok);
			free(copy);
			return 0;
		}
		mask |= sources[i].bit;
	}
	free(copy);
	if (mask == 0)
		tl_err_set(err, TL_EINVAL, "--only needs at least one source");
	return mask;
}

int
adopt_is_excluded(const struct adopt *a, const char *title)
{
	for (size_t i = 0; i < a->opts.nexclude; i++)
		if (fnmatch(a->opts.exclude[i], title, 0) == 0)
			return 1;
	return 0;
}

/* The title inside "type[title]". */
static char *
ref_title(const char *ref)
{
	const char *b = strchr(ref, '[');
	size_t n = strlen(ref);

	if (b == NULL || n < 2)
		return xstrdup(ref);
	return xstrndup(b + 1, (size_t)(ref + n - 1 - (b + 1)));
}

struct adopt_item *
adopt_add(struct adopt *a, const char *concern, enum adopt_rank rank,
    const char *ref, const char *lua, const char *note)
{
	char *title = ref_title(ref);
	struct adopt_item *it;
	size_t i;
	int skip = adopt_is_excluded(a, title);

	free(title);
	if (skip || strmap_get(&a->refs, ref, &i))
		return NULL;
	a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof(*a->v));
	it = &a->v[a->n];
	memset(it, 0, sizeof(*it));
	it->concern = xstrdup(concern);
	it->ref = xstrdup(ref);
	it->lua = xstrdup(lua ? lua : "");
	it->note = note ? xstrdup(note) : NULL;
	it->rank = rank;
	strmap_put(&a->refs, ref, a->n++);
	return it;
}

void
adopt_lua_str(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_addstr(b, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			buf_addf(b, "\\%03u", *p);
		else
			buf_addch(b, *p);
	}
	buf_addch(b, '"');
}

char *
adopt_path(const struct adopt *a, const char *path)
{
	return path_in_root(a->opts.root, path);
}

size_t
adopt_split(char *line, char sep, char **f, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == sep) {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* Reads ROOT/path whole into out; 0 when it is there. */
static int
read_db(const struct adopt *a, const char *path, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	char *p = adopt_path(a, path);
	int rc = fileio_read(p, DB_MAX, out, &err);

	free(p);
	return rc;
}

static void
load_lists(struct adopt_ctx *c)
{
	struct buf text = BUF_INIT;
	char *path;

	for (size_t i = 0; i < c->db.n; i++) {
		struct dpkg_pkg *p = &c->db.v[i];

		if (!p->is_installed)
			continue;
		/* Multi-arch "same" packages name their list NAME:ARCH. */
		path = xasprintf("/var/lib/dpkg/info/%s.list", p->name);
		buf_reset(&text);
		if (read_db(c->a, path, &text) < 0) {
			free(path);
			continue;
		}
		free(path);
		dpkg_list_parse(&c->owner, i, text.data, text.len);
		for (size_t k = 0; k < p->nconf; k++)
			strmap_put(&c->conffiles, p->conf[k].path, i);
	}
	buf_release(&text);
}

/* The .list files of multi-arch packages carry the architecture: read
 * the directory for the ones the plain name missed. */
static void
load_arch_lists(struct adopt_ctx *c)
{
	struct buf text = BUF_INIT;
	char *dir = adopt_path(c->a, "/var/lib/dpkg/info");
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		char name[256], *pkg, *path;
		size_t i;

		if (strchr(e->d_name, ':') == NULL ||
		    snprintf(name, sizeof(name), "%s", e->d_name) >=
		    (int)sizeof(name) || (pkg = dpkg_list_name(name)) == NULL ||
		    !strmap_get(&c->db.by_name, pkg, &i))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		buf_reset(&text);
		if (fileio_read(path, DB_MAX, &text, &(struct tl_err)
		    TL_ERR_INIT) == 0)
			dpkg_list_parse(&c->owner, i, text.data, text.len);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	buf_release(&text);
}

static void
load_dpkg(struct adopt_ctx *c)
{
	struct buf text = BUF_INIT;

	if (read_db(c->a, "/var/lib/dpkg/status", &text) < 0) {
		buf_release(&text);
		return;
	}
	c->has_dpkg = 1;
	dpkg_status_parse(&c->db, text.data, text.len);
	buf_reset(&text);
	if (read_db(c->a, "/var/lib/apt/extended_states", &text) == 0)
		dpkg_auto_parse(&c->db, text.data, text.len);
	buf_release(&text);
	if (c->a->opts.only & (ADOPT_FILES | ADOPT_SERVICES)) {
		load_lists(c);
		load_arch_lists(c);
	}
}

/* A package whose conffiles or services were adopted moves from the
 * package list into its own concern. */
static void
group_packages(struct adopt *a)
{
	struct strmap concerns = STRMAP_INIT;
	size_t dummy;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].rank != ADOPT_RANK_PACKAGE)
			strmap_put(&concerns, a->v[i].concern, i);
	for (size_t i = 0; i < a->n; i++) {
		struct adopt_item *it = &a->v[i];
		char *name;

		if (it->rank != ADOPT_RANK_PACKAGE)
			continue;
		name = ref_title(it->ref);
		if (strmap_get(&concerns, name, &dummy)) {
			free(it->concern);
			it->concern = name;
		} else
			free(name);
	}
	strmap_release(&concerns);
}

int
adopt_scan(const struct adopt_opts *opts, struct adopt *a,
    struct tl_err *err)
{
	struct adopt_ctx c;
	char *etc;
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->opts = *opts;
	if (a->opts.root == NULL)
		a->opts.root = "/";
	if (a->opts.only == 0)
		a->opts.only = ADOPT_ALL;
	etc = adopt_path(a, "/etc");
	if (stat(etc, &st) < 0 || !S_ISDIR(st.st_mode)) {
		tl_err_sys(err, TL_ENOENT, "cannot read '%s'", etc);
		free(etc);
		return TL_ENOENT;
	}
	free(etc);
	if (fsroot_open(a->opts.root, &a->fs, err) < 0)
		return TL_ENOENT;
	memset(&c, 0, sizeof(c));
	c.a = a;
	dpkg_db_init(&c.db);
	adopt_ids_load(a);
	load_dpkg(&c);
	if (a->opts.only & ADOPT_USERS)
		adopt_accounts(&c);
	if (a->opts.only & ADOPT_PACKAGES)
		adopt_packages(&c);
	if ((a->opts.only & ADOPT_FILES) && c.has_dpkg) {
		adopt_conffiles(&c);
		adopt_unowned(&c);
	} else if (a->opts.only & ADOPT_FILES)
		adopt_pkgconf(&c);
	if (a->opts.only & ADOPT_SERVICES)
		adopt_services(&c);
	if (a->opts.only & ADOPT_CRON)
		adopt_cron(&c);
	group_packages(a);
	dpkg_db_release(&c.db);
	strmap_release(&c.owner);
	strmap_release(&c.conffiles);
	return 0;
}

void
adopt_release(struct adopt *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct adopt_item *it = &a->v[i];

		free(it->concern);
		free(it->ref);
		free(it->lua);
		free(it->note);
		free(it->asset);
		free(it->asset_from);
		free(it->pkg);
	}
	free(a->v);
	fsroot_free(a->fs);
	strmap_release(&a->refs);
	strmap_release(&a->manual);
	adopt_ids_release(&a->ids);
	memset(a, 0, sizeof(*a));
}
