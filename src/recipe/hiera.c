/*
 * Hiera 5 lookups (hiera.h). The hierarchy's paths are interpolated once,
 * when it is opened: facts do not change during a compile. Level files
 * are read together on the first lookup, because lookup_options may sit
 * in any of them and every lookup needs the merged set.
 */
#include "recipe/hiera.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "facts/facts.h"
#include "recipe/tval.h"
#include "recipe/yaml.h"

#define HIERA_LEVELS_MAX	64	/* arbitrary; Puppet sites use ~5-10 */
#define HIERA_FILE_MAX		YAML_MAX_BYTES

struct level {
	char		*name;		/* "Per-node" */
	char		*path;		/* "data/node/web-1.yaml"; NULL: skipped */
	char		*skipped;	/* why path is NULL */
	int		 is_missing;	/* no such file */
	struct tval	*data;		/* the file's mapping, or NULL */
};

struct hiera {
	char		*dir;
	char		*dir_real;
	const struct facts *facts;
	struct level	*levels;
	size_t		 nlevels;
	int		 is_loaded;
	struct tval	*options;	/* merged lookup_options, or NULL */
};

static const char *const default_paths[][2] = {
	{ "Per-node data", "node/%{trusted.certname}.yaml" },
	{ "Per-pack data", "pack/%{pack}.yaml" },
	{ "Per-role data", "role/%{facts.role}.yaml" },
	{ "Per-OS family data", "os/%{facts.family}.yaml" },
	{ "Common data", "common.yaml" },
};

/* A deep copy (tval_copy counts what it copies; nothing here charges). */
static struct tval *
tcopy(const struct tval *v, void *unused)
{
	size_t n = 0;

	(void)unused;
	return tval_copy(v, &n);
}

/* --- interpolation ------------------------------------------------------ */

/* The text %{expr} stands for, or NULL when the node has no such fact. */
static const char *
interp_var(const struct hiera *h, const char *expr, char lit[2],
    struct tl_err *err, int *bad)
{
	*bad = 0;
	if (strncmp(expr, "literal('", 9) == 0 && strlen(expr) == 11 &&
	    expr[10] == '\'' ) {
		lit[0] = expr[9];
		lit[1] = '\0';
		return lit;
	}
	if (strchr(expr, '(') != NULL) {
		*bad = 1;
		tl_err_set(err, TL_EINVAL, "interpolation '%%{%s}': only "
		    "facts and literal('x') are supported", expr);
		return NULL;
	}
	if (strcmp(expr, "trusted.certname") == 0 ||
	    strcmp(expr, "::trusted.certname") == 0)
		return facts_get(h->facts, "name");
	if (strncmp(expr, "facts.", 6) == 0)
		expr += 6;
	else if (strncmp(expr, "::", 2) == 0)
		expr += 2;
	return facts_get(h->facts, expr);
}

/*
 * Appends in to out with every %{...} replaced. 0; 1 when a fact is
 * missing (*missing: its expression, new string); < 0 on a bad one.
 */
static int
interpolate(const struct hiera *h, const char *in, struct buf *out,
    char **missing, struct tl_err *err)
{
	const char *p = in, *open, *close, *val;
	char lit[2], *expr;
	int bad;

	if (missing != NULL)
		*missing = NULL;
	while ((open = strstr(p, "%{")) != NULL) {
		buf_add(out, p, (size_t)(open - p));
		if ((close = strchr(open + 2, '}')) == NULL)
			return tl_err_set(err, TL_EINVAL, "'%s': '%%{' without "
			    "its '}'", in);
		expr = xstrndup(open + 2, (size_t)(close - open - 2));
		val = interp_var(h, expr, lit, err, &bad);
		if (bad) {
			free(expr);
			return TL_EINVAL;
		}
		if (val == NULL) {
			if (missing != NULL)
				*missing = expr;
			else
				free(expr);
			return 1;
		}
		free(expr);
		buf_addstr(out, val);
		p = close + 1;
	}
	buf_addstr(out, p);
	return 0;
}

/* --- the hierarchy ------------------------------------------------------ */

static int
path_is_inside(const char *rel)
{
	if (rel[0] == '/' || rel[0] == '\0')
		return 0;
	for (const char *p = rel; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == rel || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return 0;
	return 1;
}

static int
level_add(struct hiera *h, const char *name, const char *datadir,
    const char *path, struct tl_err *err)
{
	struct level *l;
	struct buf b = BUF_INIT;
	char *missing;
	int rc;

	if (h->nlevels >= HIERA_LEVELS_MAX)
		return tl_err_set(err, TL_ETOOBIG, "hiera.yaml: more than %d "
		    "levels", HIERA_LEVELS_MAX);
	h->levels = xrealloc(h->levels, (h->nlevels + 1) * sizeof(*l));
	l = &h->levels[h->nlevels++];
	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	buf_addf(&b, "%s/", datadir);
	if ((rc = interpolate(h, path, &b, &missing, err)) < 0) {
		buf_release(&b);
		return rc;
	}
	if (rc == 1) {
		l->skipped = xasprintf("%%{%s} is not set on this node",
		    missing);
		free(missing);
	} else if (!path_is_inside(b.data))
		rc = tl_err_set(err, TL_EINVAL, "hiera.yaml: level '%s' "
		    "reads '%s', outside the policy directory", name, b.data);
	else
		l->path = buf_detach(&b, NULL);
	buf_release(&b);
	return rc < 0 ? rc : 0;
}

static const char *
map_str(const struct tval *m, const char *key)
{
	const struct tval *v = tval_map_get(m, key);

	return tval_kind(v) == TVAL_STR ? tval_str(v, NULL) : NULL;
}

/* One entry of hierarchy:, {name, path | paths, datadir}. */
static int
hiera_entry(struct hiera *h, const struct tval *e, const char *datadir,
    struct tl_err *err)
{
	const char *name = map_str(e, "name"), *path = map_str(e, "path");
	const struct tval *paths = tval_map_get(e, "paths");
	int rc = 0;

	if (tval_kind(e) != TVAL_MAP || name == NULL)
		return tl_err_set(err, TL_ESYNTAX, "hiera.yaml: each hierarchy "
		    "entry needs a name");
	if (map_str(e, "datadir") != NULL)
		datadir = map_str(e, "datadir");
	if (tval_map_get(e, "data_hash") != NULL &&
	    (map_str(e, "data_hash") == NULL ||
	    strcmp(map_str(e, "data_hash"), "yaml_data") != 0))
		return tl_err_set(err, TL_EINVAL, "hiera.yaml: level '%s': "
		    "only data_hash: yaml_data is supported", name);
	if (path != NULL)
		return level_add(h, name, datadir, path, err);
	if (tval_kind(paths) != TVAL_LIST)
		return tl_err_set(err, TL_ESYNTAX, "hiera.yaml: level '%s' "
		    "needs a path or a list of paths", name);
	for (size_t i = 0; rc == 0 && i < tval_len(paths); i++) {
		const struct tval *p = tval_list_get(paths, i);
		if (tval_kind(p) != TVAL_STR)
			return tl_err_set(err, TL_ESYNTAX, "hiera.yaml: level "
			    "'%s': paths must be strings", name);
		rc = level_add(h, name, datadir, tval_str(p, NULL), err);
	}
	return rc;
}

static int
hiera_config(struct hiera *h, const struct tval *cfg, struct tl_err *err)
{
	const struct tval *defaults = tval_map_get(cfg, "defaults");
	const struct tval *list = tval_map_get(cfg, "hierarchy");
	const char *datadir = "data";
	int rc = 0;

	if (tval_kind(cfg) != TVAL_MAP || tval_num(tval_map_get(cfg,
	    "version")) != 5)
		return tl_err_set(err, TL_ESYNTAX, "hiera.yaml: only "
		    "'version: 5' is supported");
	if (map_str(defaults, "datadir") != NULL)
		datadir = map_str(defaults, "datadir");
	if (tval_kind(list) != TVAL_LIST)
		return tl_err_set(err, TL_ESYNTAX, "hiera.yaml: no hierarchy "
		    "list");
	for (size_t i = 0; rc == 0 && i < tval_len(list); i++)
		rc = hiera_entry(h, tval_list_get(list, i), datadir, err);
	return rc;
}

int
hiera_open(const char *dir, const struct facts *facts, struct hiera **out,
    struct tl_err *err)
{
	struct hiera *h = xcalloc(1, sizeof(*h));
	struct buf text = BUF_INIT;
	struct tval *cfg = NULL;
	char *path = xasprintf("%s/hiera.yaml", dir);
	int rc;

	*out = NULL;
	h->dir = xstrdup(dir);
	h->dir_real = realpath(dir, NULL);
	h->facts = facts;
	rc = fileio_read(path, HIERA_FILE_MAX, &text, err);
	if (rc == TL_ENOENT) {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < sizeof(default_paths) /
		    sizeof(default_paths[0]); i++)
			rc = level_add(h, default_paths[i][0], "data",
			    default_paths[i][1], err);
	} else if (rc == 0 && (rc = yaml_parse("hiera.yaml", text.data,
	    text.len, &cfg, err)) == 0)
		rc = hiera_config(h, cfg, err);
	tval_free(cfg);
	buf_release(&text);
	free(path);
	if (rc < 0) {
		hiera_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void
hiera_free(struct hiera *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nlevels; i++) {
		free(h->levels[i].name);
		free(h->levels[i].path);
		free(h->levels[i].skipped);
		tval_free(h->levels[i].data);
	}
	free(h->levels);
	tval_free(h->options);
	free(h->dir_real);
	free(h->dir);
	free(h);
}

/* --- reading the levels -------------------------------------------------- */

/* Reads one level's file; a missing one is no error. */
static int
level_load(struct hiera *h, struct level *l, struct tl_err *err)
{
	struct buf text = BUF_INIT;
	char *full = xasprintf("%s/%s", h->dir, l->path), *real;
	int rc;

	rc = fileio_read(full, HIERA_FILE_MAX, &text, err);
	if (rc == TL_ENOENT) {
		l->is_missing = 1;
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	/* A link inside the policy that leads out of it is refused. */
	real = realpath(full, NULL);
	if (h->dir_real != NULL && (real == NULL || strncmp(real, h->dir_real,
	    strlen(h->dir_real)) != 0 || real[strlen(h->dir_real)] != '/'))
		rc = tl_err_set(err, TL_EPERM, "'%s' leads outside the policy "
		    "directory", l->path);
	free(real);
	if (rc == 0 && (rc = yaml_parse(l->path, text.data, text.len,
	    &l->data, err)) == 0 && l->data != NULL &&
	    tval_kind(l->data) != TVAL_MAP)
		rc = tl_err_set(err, TL_ESYNTAX, "'%s' must be a mapping of "
		    "keys at its top", l->path);
out:
	free(full);
	buf_release(&text);
	return rc;
}

/* lookup_options of every level, merged: the most specific level wins
 * per key, as in Hiera. */
static int
hiera_load(struct hiera *h, struct tl_err *err)
{
	int rc;

	if (h->is_loaded)
		return 0;
	for (size_t i = 0; i < h->nlevels; i++)
		if (h->levels[i].path != NULL &&
		    (rc = level_load(h, &h->levels[i], err)) < 0)
			return rc;
	h->options = tval_new_map();
	for (size_t i = h->nlevels; i-- > 0;) {
		const struct tval *o = tval_map_get(h->levels[i].data,
		    "lookup_options");
		const char *k;
		const struct tval *v;
		for (size_t j = 0; (v = tval_map_at(o, j, &k)) != NULL; j++)
			tval_map_set(h->options, k, tcopy(v, NULL));
	}
	h->is_loaded = 1;
	return 0;
}

/* key's value in one level's data ("a.b" digs), borrowed, or NULL. */
static const struct tval *
level_find(const struct level *l, const char *key)
{
	const struct tval *v = tval_map_get(l->data, key);
	char *copy, *seg, *save = NULL;

	if (v != NULL || strchr(key, '.') == NULL)
		return v;
	copy = xstrdup(key);
	v = l->data;
	for (seg = strtok_r(copy, ".", &save); seg != NULL && v != NULL;
	    seg = strtok_r(NULL, ".", &save))
		v = tval_map_get(v, seg);
	free(copy);
	return v;
}

/* --- merging -------------------------------------------------------------- */

static void
unique_add(struct tval *list, const struct tval *v)
{
	for (size_t i = 0; i < tval_len(list); i++)
		if (tval_equal(tval_list_get(list, i), v))
			return;
	tval_list_push(list, tcopy(v, NULL));
}

/* Adds src under dst, src winning; maps merge all the way down when deep. */
static void
merge_into(struct tval *dst, const struct tval *src, int deep)
{
	const char *k;
	const struct tval *v;

	for (size_t i = 0; (v = tval_map_at(src, i, &k)) != NULL; i++) {
		struct tval *have = (struct tval *)tval_map_get(dst, k);
		if (deep && tval_kind(have) == TVAL_MAP &&
		    tval_kind(v) == TVAL_MAP)
			merge_into(have, v, 1);
		else
			tval_map_set(dst, k, tcopy(v, NULL));
	}
}

struct found {
	const struct level *level;
	const struct tval *v;
};

static int
merge_found(const char *key, enum hiera_merge m, const struct found *f,
    size_t n, struct tval **out, struct tl_err *err)
{
	struct tval *r;

	if (m == HIERA_FIRST) {
		*out = tcopy(f[0].v, NULL);
		return 0;
	}
	if (m == HIERA_UNIQUE) {
		r = tval_new_list();
		for (size_t i = 0; i < n; i++) {
			if (tval_kind(f[i].v) != TVAL_LIST) {
				unique_add(r, f[i].v);
				continue;
			}
			for (size_t j = 0; j < tval_len(f[i].v); j++)
				unique_add(r, tval_list_get(f[i].v, j));
		}
		*out = r;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (tval_kind(f[i].v) != TVAL_MAP)
			return tl_err_set(err, TL_EINVAL, "%s merge of '%s': "
			    "'%s' holds a %s, not a map", hiera_merge_name(m),
			    key, f[i].level->path, tval_kind(f[i].v) ==
			    TVAL_LIST ? "list" : "single value");
	r = tval_new_map();
	for (size_t i = n; i-- > 0;)
		merge_into(r, f[i].v, m == HIERA_DEEP);
	*out = r;
	return 0;
}

/* --- types ------------------------------------------------------------------ */

static const char *
kind_name(const struct tval *v)
{
	static const char *const names[] = { "nothing (nil)", "a string",
	    "a number", "a boolean", "a list", "a map" };

	return names[tval_kind(v)];
}

/* Does v match type t[0..n)? Types nest: Array[Hash[String, Integer]]. */
static int
type_match(const char *t, size_t n, const struct tval *v, int depth)
{
	const char *open = memchr(t, '[', n), *inner = NULL, *comma = NULL;
	size_t base = open ? (size_t)(open - t) : n, in_n = 0;
	int level = 0;

	while (n > 0 && t[0] == ' ')
		t++, n--, base--;
	if (depth > 16)
		return 0;
#define IS(s) (base == strlen(s) && strncmp(t, s, base) == 0)
	if (open != NULL) {
		if (t[n - 1] != ']')
			return 0;
		inner = open + 1;
		in_n = (size_t)(t + n - 1 - inner);
		for (size_t i = 0; i < in_n; i++) {
			level += inner[i] == '[';
			level -= inner[i] == ']';
			if (inner[i] == ',' && level == 0 && comma == NULL)
				comma = inner + i;
		}
	}
	if (IS("Any"))
		return 1;
	if (IS("String"))
		return tval_kind(v) == TVAL_STR;
	if (IS("Boolean"))
		return tval_kind(v) == TVAL_BOOL;
	if (IS("Numeric") || IS("Float"))
		return tval_kind(v) == TVAL_NUM;
	if (IS("Integer"))
		return tval_kind(v) == TVAL_NUM &&
		    tval_num(v) == (double)(long long)tval_num(v);
	if (IS("Optional"))
		return tval_kind(v) == TVAL_NIL || open == NULL ||
		    type_match(inner, in_n, v, depth + 1);
	if (IS("Array")) {
		if (tval_kind(v) != TVAL_LIST)
			return 0;
		for (size_t i = 0; open != NULL && i < tval_len(v); i++)
			if (!type_match(inner, in_n, tval_list_get(v, i),
			    depth + 1))
				return 0;
		return 1;
	}
	if (IS("Hash")) {
		const char *k;
		const struct tval *e;
		if (tval_kind(v) != TVAL_MAP)
			return 0;
		if (open == NULL || comma == NULL)
			return 1;
		for (size_t i = 0; (e = tval_map_at(v, i, &k)) != NULL; i++)
			if (!type_match(comma + 1, (size_t)(inner + in_n -
			    comma - 1), e, depth + 1))
				return 0;
		return 1;
	}
#undef IS
	return 0;
}

int
hiera_check_type(const char *key, const char *type, const struct tval *v,
    struct tl_err *err)
{
	size_t base = strcspn(type, "[");

	if (type_match(type, strlen(type), v, 0))
		return 0;
	/* Right on the outside, wrong inside: say so, not "not a map". */
	if (type[base] == '[' && type_match(type, base, v, 0))
		return tl_err_set(err, TL_EINVAL, "'%s' must be %s: it is %s "
		    "holding another type", key, type, kind_name(v));
	return tl_err_set(err, TL_EINVAL, "'%s' must be %s, not %s", key,
	    type, kind_name(v));
}

/* --- lookups ---------------------------------------------------------------- */

enum hiera_merge
hiera_merge_parse(const char *s)
{
	if (s == NULL)
		return HIERA_MERGE_UNSET;
	if (strcmp(s, "first") == 0)
		return HIERA_FIRST;
	if (strcmp(s, "unique") == 0)
		return HIERA_UNIQUE;
	if (strcmp(s, "hash") == 0)
		return HIERA_HASH;
	if (strcmp(s, "deep") == 0 || strcmp(s, "deep_merge") == 0)
		return HIERA_DEEP;
	return HIERA_MERGE_UNSET;
}

const char *
hiera_merge_name(enum hiera_merge m)
{
	static const char *const names[] = { "first", "first", "unique",
	    "hash", "deep" };

	return names[m];
}

/* The options for key: its merge strategy and type, from lookup_options. */
static void
key_options(const struct hiera *h, const char *key, enum hiera_merge *m,
    const char **type)
{
	const struct tval *o = tval_map_get(h->options, key);
	const struct tval *merge = tval_map_get(o, "merge");

	*type = map_str(o, "type");
	if (*m != HIERA_MERGE_UNSET)
		return;
	if (tval_kind(merge) == TVAL_MAP)
		merge = tval_map_get(merge, "strategy");
	*m = tval_kind(merge) == TVAL_STR ?
	    hiera_merge_parse(tval_str(merge, NULL)) : HIERA_MERGE_UNSET;
	if (*m == HIERA_MERGE_UNSET)
		*m = HIERA_FIRST;
}

/* Interpolates every string of v in place (a new tree in *v). */
static int
interpolate_tree(const struct hiera *h, struct tval **v, struct tl_err *err)
{
	struct buf b = BUF_INIT;
	const char *s, *k;
	const struct tval *e;
	struct tval *r;
	int rc = 0;

	switch (tval_kind(*v)) {
	case TVAL_STR:
		s = tval_str(*v, NULL);
		if (strstr(s, "%{") == NULL)
			return 0;
		if ((rc = interpolate(h, s, &b, NULL, err)) == 1)
			rc = tl_err_set(err, TL_EINVAL, "'%s' names a fact "
			    "this node does not have", s);
		if (rc == 0) {
			tval_free(*v);
			*v = tval_new_str(b.data, b.len);
		}
		buf_release(&b);
		return rc;
	case TVAL_LIST:
		r = tval_new_list();
		for (size_t i = 0; rc == 0 && i < tval_len(*v); i++) {
			struct tval *c = tcopy(tval_list_get(*v, i), NULL);
			rc = interpolate_tree(h, &c, err);
			tval_list_push(r, c);
		}
		break;
	case TVAL_MAP:
		r = tval_new_map();
		for (size_t i = 0; rc == 0 && (e = tval_map_at(*v, i, &k)) !=
		    NULL; i++) {
			struct tval *c = tcopy(e, NULL);
			rc = interpolate_tree(h, &c, err);
			tval_map_set(r, k, c);
		}
		break;
	default:
		return 0;
	}
	tval_free(*v);
	*v = r;
	return rc;
}

static void
explain_level(struct buf *ex, size_t i, const struct level *l,
    const struct tval *v)
{
	struct buf j = BUF_INIT;

	if (ex == NULL)
		return;
	buf_addf(ex, "  %zu. %s", i + 1, l->name);
	if (l->path == NULL)
		buf_addf(ex, ": skipped, %s\n", l->skipped);
	else if (l->is_missing)
		buf_addf(ex, " \"%s\": no such file\n", l->path);
	else if (v == NULL)
		buf_addf(ex, " \"%s\": no key\n", l->path);
	else {
		tval_json(v, &j);
		buf_addf(ex, " \"%s\": found %s\n", l->path, j.data);
	}
	buf_release(&j);
}

/* err: "no value for 'k' (tried a: no file; b: no key; ...)". */
static int
not_found(const struct hiera *h, const char *key, struct tl_err *err)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < h->nlevels; i++) {
		const struct level *l = &h->levels[i];
		buf_addf(&b, "%s%s", i ? "; " : "", l->path ? l->path :
		    l->name);
		if (l->path == NULL)
			buf_addf(&b, ": skipped, %s", l->skipped);
		else
			buf_addstr(&b, l->is_missing ? ": no file" :
			    ": no key");
	}
	tl_err_set(err, TL_ENOENT, "no value for '%s' (tried %s)", key,
	    h->nlevels ? b.data : "no levels");
	buf_release(&b);
	return TL_ENOENT;
}

int
hiera_lookup(struct hiera *h, const char *key, enum hiera_merge merge,
    struct tval **out, struct buf *explain, struct tl_err *err)
{
	struct found *f;
	const char *type;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = hiera_load(h, err)) < 0)
		return rc;
	key_options(h, key, &merge, &type);
	if (explain != NULL)
		buf_addf(explain, "Searching for \"%s\" (merge: %s)\n", key,
		    hiera_merge_name(merge));
	f = xcalloc(h->nlevels + 1, sizeof(*f));
	for (size_t i = 0; i < h->nlevels; i++) {
		const struct level *l = &h->levels[i];
		const struct tval *v = l->data ? level_find(l, key) : NULL;
		explain_level(explain, i, l, v);
		if (v == NULL)
			continue;
		f[n].level = l;
		f[n++].v = v;
		if (merge == HIERA_FIRST && explain == NULL)
			break;
	}
	if (n == 0)
		rc = not_found(h, key, err);
	else if ((rc = merge_found(key, merge, f, n, out, err)) == 0 &&
	    (rc = interpolate_tree(h, out, err)) == 0 && type != NULL)
		rc = hiera_check_type(key, type, *out, err);
	free(f);
	if (rc < 0) {
		tval_free(*out);
		*out = NULL;
	} else if (explain != NULL) {
		struct buf j = BUF_INIT;
		tval_json(*out, &j);
		buf_addf(explain, "  => %s\n", j.data);
		buf_release(&j);
	}
	return rc;
}
