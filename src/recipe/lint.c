/*
 * Lint: what `tlaloc check` says about a recipe that compiled, before any
 * node converges it. Only what can be known without the node: a source
 * file the policy lacks is an error (every node would fail that file); a
 * command that depends on PATH, an account nothing declares and the tree
 * does not have, are warnings; recipe files this node never reads are
 * notes (another node may read them).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/ids.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/res.h"
#include "recipe/recipe.h"

#define LINT_MAX_FILES	10000	/* recipe files looked at; arbitrary */
#define LINT_MAX_DEPTH	8	/* directory levels */

void
lint_add(struct lint *l, enum lint_level level, const char *where,
    const char *fmt, ...)
{
	struct lint_item *it;
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	it = &l->v[l->n++];
	it->level = level;
	it->where = xstrdup(where != NULL ? where : "");
	it->msg = xstrdup(msg);
	if (level == LINT_ERROR)
		l->errors++;
}

void
lint_release(struct lint *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].where);
		free(l->v[i].msg);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* file{source=}: in the recipe directory, so in the policy bundle. */
static void
lint_source(const struct recipe *rec, const struct res *r, struct lint *l)
{
	const char *src;
	char *path;
	struct stat st;

	if (res_attr_index(r->type, "source") < 0 ||
	    (src = res_str(r, "source")) == NULL)
		return;
	if (src[0] == '/') {
		lint_add(l, LINT_WARNING, r->where, "%s: source '%s' is read "
		    "from each node's own disk, not from the policy", r->ref,
		    src);
		return;
	}
	path = xasprintf("%s/%s", rec->dir, src);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		lint_add(l, LINT_ERROR, r->where, "%s: source '%s' is not a "
		    "file in the recipe directory", r->ref, src);
	free(path);
}

/* exec{}: a bare command name runs whatever PATH finds first. */
static void
lint_exec(const struct res *r, struct lint *l)
{
	const struct attr_val *c;

	if (strcmp(r->type->name, "exec") != 0 || res_bool(r, "shell"))
		return;
	c = res_val(r, "command");
	if (c->nitems > 0 && c->items[0][0] != '/')
		lint_add(l, LINT_WARNING, r->where, "%s: '%.*s' is not an "
		    "absolute path; it runs whatever PATH finds", r->ref,
		    (int)strcspn(c->items[0], " \t"), c->items[0]);
}

/* Is account name (kind "user" or "group") declared, or in the tree? */
static int
account_known(const struct recipe *rec, const char *kind, const char *name,
    const char *root)
{
	char ref[128];
	uid_t uid;
	gid_t gid;

	if (name[0] >= '0' && name[0] <= '9')
		return 1;
	snprintf(ref, sizeof(ref), "%s[%s]", kind, name);
	if (graph_find(&rec->graph, ref) != NULL)
		return 1;
	if (strcmp(kind, "user") == 0)
		return ids_uid(root, name, &uid) == 0;
	return ids_gid(root, name, &gid) == 0;
}

static void
lint_account(const struct recipe *rec, const struct res *r,
    const char *attr, const char *kind, const char *root, struct lint *l)
{
	const char *name;

	if (res_attr_index(r->type, attr) < 0 ||
	    (name = res_str(r, attr)) == NULL ||
	    account_known(rec, kind, name, root))
		return;
	lint_add(l, LINT_WARNING, r->where, "%s: %s '%s' is not declared "
	    "and not in %s/etc/%s: the node must have it already", r->ref,
	    kind, name, strcmp(root, "/") ? root : "",
	    strcmp(kind, "user") == 0 ? "passwd" : "group");
}

static int
was_read(const struct recipe *rec, const char *rel)
{
	for (size_t i = 0; i < rec->nfiles; i++)
		if (strcmp(rec->files[i], rel) == 0)
			return 1;
	return 0;
}

/* Notes the *.lua files under rel that the compile never ran. */
static void
lint_unread(const struct recipe *rec, const char *rel, int depth,
    size_t *seen, struct lint *l)
{
	char *dir = xasprintf("%s%s%s", rec->dir, rel[0] ? "/" : "", rel);
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL && ++*seen <
	    LINT_MAX_FILES) {
		size_t n = strlen(de->d_name);
		char *sub, *full;

		if (de->d_name[0] == '.' || (depth == 0 && strcmp(de->d_name,
		    "data") == 0))
			continue;
		sub = xasprintf("%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		full = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < LINT_MAX_DEPTH)
				lint_unread(rec, sub, depth + 1, seen, l);
		} else if (n > 4 && strcmp(de->d_name + n - 4, ".lua") == 0 &&
		    !was_read(rec, sub))
			lint_add(l, LINT_NOTE, sub, "not read for this node");
		free(full);
		free(sub);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
}

void
recipe_lint(const struct recipe *rec, const char *root, struct lint *l)
{
	size_t seen = 0;

	for (size_t k = 0; k < rec->graph.n; k++) {
		const struct res *r = rec->graph.res[rec->graph.order[k]];

		lint_source(rec, r, l);
		lint_exec(r, l);
		lint_account(rec, r, "owner", "user", root, l);
		lint_account(rec, r, "group", "group", root, l);
		if (strcmp(r->type->name, "cron") == 0)
			lint_account(rec, r, "user", "user", root, l);
	}
	lint_unread(rec, "", 0, &seen, l);
}
