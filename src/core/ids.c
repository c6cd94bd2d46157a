#include "ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "rd.h"
#include "xalloc.h"

struct id_entry {
	char		*name;
	unsigned long	 id;
};

struct id_table {
	char		*root;
	const char	*file;		/* "etc/passwd" or "etc/group" */
	struct id_entry	*v;
	size_t		 n;
	int		 loaded;
};

static struct id_table users = { NULL, "/etc/passwd", NULL, 0, 0 };
static struct id_table groups = { NULL, "/etc/group", NULL, 0, 0 };

static void
table_release(struct id_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t->root);
	t->v = NULL;
	t->n = 0;
	t->root = NULL;
	t->loaded = 0;
}

void
ids_reset(void)
{
	table_release(&users);
	table_release(&groups);
}

/* name:x:id:... lines; anything malformed is skipped. */
static void
table_parse(struct id_table *t, const struct buf *b)
{
	struct rd rd;
	const uint8_t *line;
	size_t len, cap = 0;

	rd_init(&rd, b->data, b->len);
	while (rd_left(&rd) > 0) {
		const char *p, *c1, *c2, *c3;
		char *end;
		unsigned long id;

		rd_until(&rd, '\n', &line, &len, NULL);
		p = (const char *)line;
		if (len == 0 || p[0] == '#' || p[0] == '+' || p[0] == '-')
			continue;
		if ((c1 = memchr(p, ':', len)) == NULL ||
		    (c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p))) ==
		    NULL)
			continue;
		c3 = memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - p));
		if (c3 == NULL)
			c3 = p + len;
		id = strtoul(c2 + 1, &end, 10);
		if (end != c3 || c3 == c2 + 1)
			continue;
		t->v = xgrow(t->v, &cap, t->n + 1, sizeof(*t->v));
		t->v[t->n].name = xstrndup(p, (size_t)(c1 - p));
		t->v[t->n++].id = id;
	}
}

static void
table_load(struct id_table *t, const char *root)
{
	const char *r = root ? root : "/";
	struct buf b = BUF_INIT;
	char *path;

	if (t->loaded && strcmp(t->root, r) == 0)
		return;
	table_release(t);
	t->root = xstrdup(r);
	t->loaded = 1;
	path = path_in_root(r, t->file);
	if (fileio_read(path, 16u << 20, &b, NULL) == 0)
		table_parse(t, &b);
	buf_release(&b);
	free(path);
}

static int
table_lookup(struct id_table *t, const char *root, const char *name,
    unsigned long *id)
{
	char *end;

	*id = strtoul(name, &end, 10);
	if (*name != '\0' && *end == '\0')
		return 0;
	table_load(t, root);
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0) {
			*id = t->v[i].id;
			return 0;
		}
	return -1;
}

int
ids_uid(const char *root, const char *name, uid_t *uid)
{
	unsigned long id;

	if (table_lookup(&users, root, name, &id) < 0)
		return -1;
	*uid = (uid_t)id;
	return 0;
}

int
ids_gid(const char *root, const char *name, gid_t *gid)
{
	unsigned long id;

	if (table_lookup(&groups, root, name, &id) < 0)
		return -1;
	*gid = (gid_t)id;
	return 0;
}

static const char *
table_name(struct id_table *t, const char *root, unsigned long id)
{
	static char num[32];

	table_load(t, root);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return t->v[i].name;
	snprintf(num, sizeof(num), "%lu", id);
	return num;
}

const char *
ids_user_name(const char *root, uid_t uid)
{
	return table_name(&users, root, uid);
}

const char *
ids_group_name(const char *root, gid_t gid)
{
	return table_name(&groups, root, gid);
}
