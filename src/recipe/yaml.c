/*
 * YAML into a value tree, on libyaml's event parser: one recursive
 * descent over the events of the first document. Anchors are remembered
 * by name and an alias gets a copy of what its anchor named, every copied
 * value counted against YAML_MAX_NODES, so a file of nested aliases
 * cannot make us build a tree of billions of values. Duplicate mapping
 * keys are refused (YAML says keys are unique; a second one is usually a
 * typo that would silently win).
 */
#include "recipe/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/tval.h"

struct anchor {
	char		*name;
	const struct tval *v;		/* borrowed from the tree */
};

struct yload {
	yaml_parser_t	 parser;
	const char	*name;
	size_t		 nodes;
	struct anchor	*anchors;
	size_t		 nanchors;
	struct tl_err	*err;
};

static int
yload_fail(struct yload *y, const yaml_mark_t *m, int code, const char *what)
{
	tl_err_set(y->err, code, "%s", what);
	if (y->err != NULL)
		snprintf(y->err->where, sizeof(y->err->where), "%s:%zu:%zu",
		    y->name, m->line + 1, m->column + 1);
	return code;
}

static int
yload_next(struct yload *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	tl_err_set(y->err, TL_ESYNTAX, "%s%s%s", y->parser.problem ?
	    y->parser.problem : "bad YAML", y->parser.context ? " " : "",
	    y->parser.context ? y->parser.context : "");
	if (y->err != NULL)
		snprintf(y->err->where, sizeof(y->err->where), "%s:%zu:%zu",
		    y->name, y->parser.problem_mark.line + 1,
		    y->parser.problem_mark.column + 1);
	return TL_ESYNTAX;
}

static int
yload_count(struct yload *y, const yaml_mark_t *m, size_t n)
{
	y->nodes += n;
	if (y->nodes > YAML_MAX_NODES)
		return yload_fail(y, m, TL_ETOOBIG, "more than 1000000 values "
		    "(aliases included)");
	return 0;
}

static int
is_int_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/* YAML 1.2 core schema for a plain scalar. */
static struct tval *
yload_plain(const char *s, size_t n)
{
	char *end;
	double d;

	if (n == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return tval_new_nil();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return tval_new_bool(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return tval_new_bool(0);
	if (is_int_text(s) || strspn(s, "+-0123456789.eE") == n) {
		errno = 0;
		d = strtod(s, &end);
		if (*end == '\0' && errno == 0 && isfinite(d) &&
		    strcmp(s, ".") != 0)
			return tval_new_num(d);
	}
	return tval_new_str(s, n);
}

static int yload_node(struct yload *, yaml_event_t *, int, struct tval **);

static void
yload_anchor(struct yload *y, const yaml_char_t *name, const struct tval *v)
{
	if (name == NULL)
		return;
	y->anchors = xrealloc(y->anchors, (y->nanchors + 1) *
	    sizeof(*y->anchors));
	y->anchors[y->nanchors].name = xstrdup((const char *)name);
	y->anchors[y->nanchors].v = v;
	y->nanchors++;
}

static int
yload_alias(struct yload *y, yaml_event_t *ev, struct tval **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t copied = 0;

	/* The newest anchor of a name wins, as in YAML. */
	for (size_t i = y->nanchors; i-- > 0;)
		if (strcmp(y->anchors[i].name, name) == 0) {
			/* An anchor was counted when read, so one copy stays
			 * within twice the bound before it is refused. */
			struct tval *copy = tval_copy(y->anchors[i].v, &copied);
			int rc = yload_count(y, &ev->start_mark, copied);

			if (rc < 0) {
				tval_free(copy);
				return rc;
			}
			*out = copy;
			return 0;
		}
	return yload_fail(y, &ev->start_mark, TL_ESYNTAX,
	    "alias to an unknown anchor");
}

static int
yload_seq(struct yload *y, yaml_event_t *start, int depth, struct tval **out)
{
	struct tval *list = tval_new_list(), *item;
	yaml_event_t ev;
	int rc;

	yload_anchor(y, start->data.sequence_start.anchor, list);
	for (;;) {
		if ((rc = yload_next(y, &ev)) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			*out = list;
			return 0;
		}
		rc = yload_node(y, &ev, depth + 1, &item);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto fail;
		tval_list_push(list, item);
	}
fail:
	tval_free(list);
	return rc;
}

/* A mapping key must be a scalar: its text. */
static int
yload_key(struct yload *y, yaml_event_t *ev, char **key)
{
	*key = NULL;
	if (ev->type != YAML_SCALAR_EVENT)
		return yload_fail(y, &ev->start_mark, TL_ESYNTAX,
		    "a mapping key must be a plain text, not a list or map");
	*key = xstrndup((const char *)ev->data.scalar.value,
	    ev->data.scalar.length);
	return 0;
}

static int
yload_map(struct yload *y, yaml_event_t *start, int depth, struct tval **out)
{
	struct tval *map = tval_new_map(), *v;
	yaml_event_t ev;
	yaml_mark_t at;
	char *key;
	int rc;

	yload_anchor(y, start->data.mapping_start.anchor, map);
	for (;;) {
		if ((rc = yload_next(y, &ev)) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			*out = map;
			return 0;
		}
		at = ev.start_mark;
		rc = yload_key(y, &ev, &key);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto fail;
		if (tval_map_get(map, key) != NULL) {
			char msg[160];
			snprintf(msg, sizeof(msg), "key '%.100s' given twice",
			    key);
			free(key);
			rc = yload_fail(y, &at, TL_ESYNTAX, msg);
			goto fail;
		}
		if ((rc = yload_next(y, &ev)) < 0) {
			free(key);
			goto fail;
		}
		rc = yload_node(y, &ev, depth + 1, &v);
		yaml_event_delete(&ev);
		if (rc < 0) {
			free(key);
			goto fail;
		}
		tval_map_set(map, key, v);
		free(key);
	}
fail:
	tval_free(map);
	return rc;
}

/* One node, whose first event is ev (still owned by the caller). */
static int
yload_node(struct yload *y, yaml_event_t *ev, int depth, struct tval **out)
{
	int rc;

	*out = NULL;
	if (depth > YAML_MAX_DEPTH)
		return yload_fail(y, &ev->start_mark, TL_ETOOBIG,
		    "nested deeper than 64 levels");
	if ((rc = yload_count(y, &ev->start_mark, 1)) < 0)
		return rc;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			*out = yload_plain((const char *)ev->data.scalar.value,
			    ev->data.scalar.length);
		else
			*out = tval_new_str((const char *)
			    ev->data.scalar.value, ev->data.scalar.length);
		yload_anchor(y, ev->data.scalar.anchor, *out);
		return 0;
	case YAML_ALIAS_EVENT:
		return yload_alias(y, ev, out);
	case YAML_SEQUENCE_START_EVENT:
		return yload_seq(y, ev, depth, out);
	case YAML_MAPPING_START_EVENT:
		return yload_map(y, ev, depth, out);
	default:
		return yload_fail(y, &ev->start_mark, TL_ESYNTAX,
		    "unexpected YAML event");
	}
}

/* Skips events up to the first document's root node; 1 when the stream
 * holds no document. */
static int
yload_to_root(struct yload *y, yaml_event_t *ev)
{
	int rc;

	for (;;) {
		if ((rc = yload_next(y, ev)) < 0)
			return rc;
		if (ev->type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(ev);
			return 1;
		}
		if (ev->type != YAML_STREAM_START_EVENT &&
		    ev->type != YAML_DOCUMENT_START_EVENT)
			return 0;
		yaml_event_delete(ev);
	}
}

/* After the root: the document ends, and no second one follows. */
static int
yload_finish(struct yload *y)
{
	yaml_event_t ev;
	int rc;

	if ((rc = yload_next(y, &ev)) < 0)
		return rc;
	yaml_event_delete(&ev);		/* DOCUMENT_END */
	if ((rc = yload_next(y, &ev)) < 0)
		return rc;
	if (ev.type != YAML_STREAM_END_EVENT)
		rc = yload_fail(y, &ev.start_mark, TL_ESYNTAX,
		    "a second YAML document in one file");
	yaml_event_delete(&ev);
	return rc;
}

int
yaml_parse(const char *name, const char *text, size_t len,
    struct tval **out, struct tl_err *err)
{
	struct yload y;
	yaml_event_t ev;
	int rc;

	*out = NULL;
	if (len > YAML_MAX_BYTES) {
		tl_err_set(err, TL_ETOOBIG, "'%s' is over 8 MiB", name);
		return TL_ETOOBIG;
	}
	memset(&y, 0, sizeof(y));
	y.name = name;
	y.err = err;
	if (!yaml_parser_initialize(&y.parser))
		return tl_err_set(err, TL_EIO, "cannot start the YAML parser");
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text,
	    len);
	if ((rc = yload_to_root(&y, &ev)) == 0) {
		rc = yload_node(&y, &ev, 0, out);
		yaml_event_delete(&ev);
		if (rc == 0 && (rc = yload_finish(&y)) < 0) {
			tval_free(*out);
			*out = NULL;
		}
	} else if (rc == 1)
		rc = 0;
	for (size_t i = 0; i < y.nanchors; i++)
		free(y.anchors[i].name);
	free(y.anchors);
	yaml_parser_delete(&y.parser);
	return rc;
}
