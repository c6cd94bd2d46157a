#include "predict.h"

#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"
#include "core/xalloc.h"

/*
 * Placeholder ids for accounts the run would create: far above any id a
 * tool hands out (shadow stops at 60000 by default, the BSDs at 32000)
 * and below (uid_t)-1, which means "no change" to chown.
 */
#define PREDICT_ID_BASE	4000000000ul

struct predict {
	struct strmap	  index;	/* "S:name" -> position in v */
	struct pred	 *v;
	char		**keys;		/* parallel to v */
	size_t		  n, cap, capkeys;
	unsigned long	  next_id;
	char		 *last_command;
	char		 *first_install;
};

struct predict *
predict_new(void)
{
	struct predict *p = xcalloc(1, sizeof(*p));

	p->next_id = PREDICT_ID_BASE;
	return p;
}

static void
pred_release(struct pred *e)
{
	buf_release(&e->content);
	free(e->target);
	free(e->by);
	memset(e, 0, sizeof(*e));
}

void
predict_free(struct predict *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		pred_release(&p->v[i]);
		free(p->keys[i]);
	}
	free(p->v);
	free(p->keys);
	strmap_release(&p->index);
	free(p->last_command);
	free(p->first_install);
	free(p);
}

static char *
pred_key(enum pred_space sp, const char *name)
{
	return xasprintf("%c:%s", "pugks"[sp], name);
}

static const struct pred *
pred_find(const struct predict *p, enum pred_space sp, const char *name)
{
	char *key = pred_key(sp, name);
	size_t i;
	int found = strmap_get(&p->index, key, &i);

	free(key);
	return found ? &p->v[i] : NULL;
}

/* A removed ancestor of path, if any: then path is gone too. */
static const struct pred *
removed_parent(const struct predict *p, const char *path)
{
	char *dir = xstrdup(path), *slash;
	const struct pred *e = NULL;

	while (e == NULL && (slash = strrchr(dir, '/')) != NULL &&
	    slash != dir) {
		*slash = '\0';
		e = pred_find(p, PS_PATH, dir);
		if (e != NULL && e->kind != PRED_ABSENT)
			e = NULL;
	}
	free(dir);
	return e;
}

const struct pred *
predict_get(const struct predict *p, enum pred_space sp, const char *name)
{
	const struct pred *e;

	if (p == NULL)
		return NULL;
	if ((e = pred_find(p, sp, name)) != NULL || sp != PS_PATH)
		return e;
	return removed_parent(p, name);
}

struct pred *
predict_set(struct predict *p, enum pred_space sp, const char *name,
    enum pred_kind kind, const char *by)
{
	char *key = pred_key(sp, name);
	struct pred *e;
	size_t i;

	if (strmap_get(&p->index, key, &i)) {
		free(key);
		pred_release(&p->v[i]);
	} else {
		p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
		p->keys = xgrow(p->keys, &p->capkeys, p->n + 1,
		    sizeof(*p->keys));
		i = p->n++;
		memset(&p->v[i], 0, sizeof(p->v[i]));
		p->keys[i] = key;
		strmap_put(&p->index, key, i);
	}
	e = &p->v[i];
	buf_init(&e->content);
	e->kind = kind;
	e->by = xstrdup(by);
	if (sp == PS_PACKAGE && kind == PRED_PRESENT &&
	    p->first_install == NULL)
		p->first_install = xstrdup(by);
	return e;
}

unsigned long
predict_new_id(struct predict *p)
{
	return p->next_id++;
}

const char *
predict_id_name(const struct predict *p, enum pred_space sp,
    unsigned long id)
{
	char lead = "pugks"[sp];

	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (p->keys[i][0] == lead && p->v[i].kind == PRED_PRESENT &&
		    (sp == PS_USER ? p->v[i].uid == id : p->v[i].gid == id))
			return p->keys[i] + 2;
	return NULL;
}

size_t
predict_size(const struct predict *p)
{
	return p != NULL ? p->n + (p->last_command != NULL) : 0;
}

void
predict_note_command(struct predict *p, const char *ref)
{
	free(p->last_command);
	p->last_command = xstrdup(ref);
}

const char *
predict_last_command(const struct predict *p)
{
	return p != NULL ? p->last_command : NULL;
}

const char *
predict_any_install(const struct predict *p)
{
	return p != NULL ? p->first_install : NULL;
}
