/*
 * Reading accounts from the tree's own files (passwd, shadow, group,
 * master.passwd), never from the host's NSS: under --root the accounts
 * are the tree's. Lines are split on ':' without allocation tricks; a
 * malformed line is skipped, as getpwent does.
 */
#include "providers.h"

#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/xalloc.h"

#define ACCT_MAX_FIELDS	12

/* Splits line at ':' in place; returns the field count. */
static size_t
acct_split(char *line, char **f)
{
	size_t n = 0;

	for (;;) {
		f[n++] = line;
		if (n == ACCT_MAX_FIELDS || (line = strchr(line, ':')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static long
acct_num(const char *s)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' ? v : -1;
}

/* Calls fn for each line split into fields until it returns nonzero;
 * returns that value. */
static int
acct_each(const char *text, int (*fn)(char **f, size_t n, void *arg),
    void *arg)
{
	const char *p = text;
	int rc = 0;

	while (rc == 0 && *p) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		char *f[ACCT_MAX_FIELDS];
		size_t n;

		if (line[0] != '#' && line[0] != '\0') {
			n = acct_split(line, f);
			rc = fn(f, n, arg);
		}
		free(line);
		p += len + (p[len] == '\n');
	}
	return rc;
}

struct user_find {
	const char		*name;
	struct acct_user	*u;
};

static int
passwd_match(char **f, size_t n, void *arg)
{
	struct user_find *uf = arg;
	int master = n == 10;	/* BSD master.passwd */

	if ((n != 7 && !master) || strcmp(f[0], uf->name) != 0)
		return 0;
	uf->u->name = xstrdup(f[0]);
	uf->u->uid = acct_num(f[2]);
	uf->u->gid = acct_num(f[3]);
	uf->u->comment = xstrdup(f[master ? 7 : 4]);
	uf->u->home = xstrdup(f[master ? 8 : 5]);
	uf->u->shell = xstrdup(f[master ? 9 : 6]);
	if (master)
		uf->u->hash = xstrdup(f[1]);
	return 1;
}

int
acct_passwd_find(const char *text, const char *name, struct acct_user *u)
{
	struct user_find uf = { name, u };

	memset(u, 0, sizeof(*u));
	return acct_each(text, passwd_match, &uf);
}

struct hash_find {
	const char	*name;
	char		**hash;
};

static int
shadow_match(char **f, size_t n, void *arg)
{
	struct hash_find *hf = arg;

	if (n < 2 || strcmp(f[0], hf->name) != 0)
		return 0;
	*hf->hash = xstrdup(f[1]);
	return 1;
}

int
acct_shadow_hash(const char *text, const char *name, char **hash)
{
	struct hash_find hf = { name, hash };

	*hash = NULL;
	return acct_each(text, shadow_match, &hf);
}

/* Appends s (taken) to the NULL-terminated list *v of *n names. */
static void
acct_names_push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static void
acct_members(const char *list, char ***v, size_t *n)
{
	const char *p = list;

	*v = xcalloc(1, sizeof(char *));
	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len > 0)
			acct_names_push(v, n, xstrndup(p, len));
		p += len + (p[len] == ',');
	}
}

struct group_find {
	const char		*name;
	struct acct_group	*g;
};

static int
group_match(char **f, size_t n, void *arg)
{
	struct group_find *gf = arg;

	if (n != 4 || strcmp(f[0], gf->name) != 0)
		return 0;
	gf->g->name = xstrdup(f[0]);
	gf->g->gid = acct_num(f[2]);
	acct_members(f[3], &gf->g->members, &gf->g->nmembers);
	return 1;
}

int
acct_group_find(const char *text, const char *name, struct acct_group *g)
{
	struct group_find gf = { name, g };

	memset(g, 0, sizeof(*g));
	return acct_each(text, group_match, &gf);
}

struct id_owner {
	long		 id;
	int		 is_group;
	const char	*except;
	char		*owner;
};

static int
id_match(char **f, size_t n, void *arg)
{
	struct id_owner *o = arg;

	if (n < 4 || (o->is_group && n != 4) || acct_num(f[2]) != o->id ||
	    (o->except != NULL && strcmp(f[0], o->except) == 0))
		return 0;
	o->owner = xstrdup(f[0]);
	return 1;
}

char *
acct_uid_owner(const char *passwd, long uid, const char *except)
{
	struct id_owner o = { uid, 0, except, NULL };

	acct_each(passwd, id_match, &o);
	return o.owner;
}

char *
acct_gid_owner(const char *group, long gid, const char *except)
{
	struct id_owner o = { gid, 1, except, NULL };

	acct_each(group, id_match, &o);
	return o.owner;
}

struct member_of {
	const char	*user;
	char		**v;
	size_t		  n;
};

static int
member_match(char **f, size_t n, void *arg)
{
	struct member_of *m = arg;
	char **mem;
	size_t nmem;

	if (n != 4)
		return 0;
	acct_members(f[3], &mem, &nmem);
	for (size_t i = 0; i < nmem; i++)
		if (strcmp(mem[i], m->user) == 0) {
			acct_names_push(&m->v, &m->n, xstrdup(f[0]));
			break;
		}
	acct_names_free(mem);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
acct_groups_of(const char *group, const char *user, size_t *n)
{
	struct member_of m = { user, NULL, 0 };

	m.v = xcalloc(1, sizeof(char *));
	acct_each(group, member_match, &m);
	qsort(m.v, m.n, sizeof(char *), cmp_str);
	*n = m.n;
	return m.v;
}

void
acct_names_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
acct_user_release(struct acct_user *u)
{
	free(u->name);
	free(u->comment);
	free(u->home);
	free(u->shell);
	if (u->hash != NULL)
		memset(u->hash, 0, strlen(u->hash));
	free(u->hash);
	memset(u, 0, sizeof(*u));
}

void
acct_group_release(struct acct_group *g)
{
	free(g->name);
	acct_names_free(g->members);
	memset(g, 0, sizeof(*g));
}
