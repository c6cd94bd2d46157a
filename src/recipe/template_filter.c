/*
 * Template filters: `value | name` or `value | name(arg, arg)`, applied
 * left to right. Text filters take a scalar; list filters take a list (an
 * empty Lua table, which arrives as an empty map, counts as an empty
 * list) and make a new one, charging a step per value they copy, so the
 * render limits bound them like loops.
 */
#include "template_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/tval.h"

typedef int filter_fn(struct render *, const struct filter *, struct val *);

/* Indexed by enum tpl_filter: name, least and most arguments, how many of
 * the first arguments must be strings. */
const struct tpl_filter_def tpl_filter_defs[TPL_FILTER_COUNT] = {
	[TPL_FILTER_DEFAULT] = { "default", 1, 1, 0 },
	[TPL_FILTER_UPPER] = { "upper", 0, 0, 0 },
	[TPL_FILTER_LOWER] = { "lower", 0, 0, 0 },
	[TPL_FILTER_TRIM] = { "trim", 0, 0, 0 },
	[TPL_FILTER_JOIN] = { "join", 0, 1, 1 },
	[TPL_FILTER_JSON] = { "json", 0, 0, 0 },
	[TPL_FILTER_QUOTE] = { "quote", 0, 0, 0 },
	[TPL_FILTER_LENGTH] = { "length", 0, 0, 0 },
	[TPL_FILTER_SORT] = { "sort", 0, 1, 1 },
	[TPL_FILTER_REVERSE] = { "reverse", 0, 0, 0 },
	[TPL_FILTER_UNIQUE] = { "unique", 0, 0, 0 },
	[TPL_FILTER_FIRST] = { "first", 0, 0, 0 },
	[TPL_FILTER_LAST] = { "last", 0, 0, 0 },
	[TPL_FILTER_MIN] = { "min", 0, 0, 0 },
	[TPL_FILTER_MAX] = { "max", 0, 0, 0 },
	[TPL_FILTER_SUM] = { "sum", 0, 0, 0 },
	[TPL_FILTER_KEYS] = { "keys", 0, 0, 0 },
	[TPL_FILTER_VALUES] = { "values", 0, 0, 0 },
	[TPL_FILTER_MAP] = { "map", 1, 1, 1 },
	[TPL_FILTER_SELECT] = { "select", 0, 1, 1 },
	[TPL_FILTER_REJECT] = { "reject", 0, 1, 1 },
	[TPL_FILTER_WHERE] = { "where", 2, 2, 1 },
	[TPL_FILTER_SPLIT] = { "split", 0, 1, 1 },
};

/* Is v a list for the list filters (or an empty Lua table)? */
static int
is_list(const struct tval *v)
{
	return tval_kind(v) == TVAL_LIST || (tval_kind(v) == TVAL_MAP &&
	    tval_len(v) == 0);
}

static int
need_list(struct render *r, const struct filter *f, const struct val *v)
{
	return tpl_render_fail(r, f->at, "filter '%s' needs a list, got %s",
	    tpl_filter_defs[f->def].name, tpl_kind_name(v->v));
}

/* A copy of v, charged to the render's work. */
static int
copy_charged(struct render *r, const struct filter *f, const struct tval *v,
    struct tval **out)
{
	size_t n = 0;

	*out = tval_copy(v, &n);
	return tpl_charge(r, f->at, n);
}

/* Appends a copy of item to list, charged to the render's work. The list
 * owns the copy even when the charge fails: the caller frees the list. */
static int
push_charged(struct render *r, const struct filter *f, struct tval *list,
    const struct tval *item)
{
	struct tval *c;
	int rc = copy_charged(r, f, item, &c);

	tval_list_push(list, c);
	return rc;
}

/* Ends a filter that built res: v takes it when rc is 0, else it is
 * freed. Returns rc. */
static int
set_result(struct val *v, struct tval *res, int rc)
{
	if (rc < 0) {
		tval_free(res);
		return rc;
	}
	tpl_val_set(v, res);
	return 0;
}

/* The value an item is judged by: the item, or its field (arg 0). */
static const struct tval *
item_key(const struct filter *f, const struct tval *item)
{
	if (f->nargs == 0)
		return item;
	return tval_map_get(item, tval_str(f->args[0], NULL));
}


static int
filter_default(struct render *r, const struct filter *f, struct val *v)
{
	(void)r;
	if (v->v == NULL)
		v->v = f->args[0];	/* borrowed from the template */
	return 0;
}

/* The text of a scalar, for the string filters. */
static int
filter_text(struct render *r, const struct filter *f, const struct val *v,
    struct buf *b)
{
	if (tval_format(v->v, b) == 0)
		return 0;
	return tpl_render_fail(r, f->at, "filter '%s' needs a string, got %s",
	    tpl_filter_defs[f->def].name, tpl_kind_name(v->v));
}

static int
filter_case(struct render *r, const struct filter *f, struct val *v,
    int upper)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	if ((rc = filter_text(r, f, v, &b)) < 0)
		return rc;
	for (i = 0; i < b.len; i++) {
		char c = b.data[i];

		/* ASCII only: locale rules would make output host-dependent. */
		if (upper && c >= 'a' && c <= 'z')
			b.data[i] = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			b.data[i] = (char)(c - 'A' + 'a');
	}
	tpl_val_set(v, tval_new_str(b.data, b.len));
	buf_release(&b);
	return 0;
}

static int
filter_upper(struct render *r, const struct filter *f, struct val *v)
{
	return filter_case(r, f, v, 1);
}

static int
filter_lower(struct render *r, const struct filter *f, struct val *v)
{
	return filter_case(r, f, v, 0);
}

static int
filter_trim(struct render *r, const struct filter *f, struct val *v)
{
	static const char blanks[] = " \t\r\n\v\f";
	struct buf b = BUF_INIT;
	size_t a = 0, z;
	int rc;

	if ((rc = filter_text(r, f, v, &b)) < 0)
		return rc;
	z = b.len;
	while (a < z && strchr(blanks, b.data[a]) != NULL && b.data[a] != 0)
		a++;
	while (z > a && strchr(blanks, b.data[z - 1]) != NULL &&
	    b.data[z - 1] != 0)
		z--;
	tpl_val_set(v, tval_new_str(b.data + a, z - a));
	buf_release(&b);
	return 0;
}

static int
filter_join(struct render *r, const struct filter *f, struct val *v)
{
	struct buf b = BUF_INIT;
	const char *sep = "";
	size_t i, seplen = 0, n = tval_len(v->v);
	char lim[32];
	int rc;

	if (!is_list(v->v))
		return need_list(r, f, v);
	if (f->nargs > 0)
		sep = tval_str(f->args[0], &seplen);
	if ((rc = tpl_charge(r, f->at, n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		const struct tval *item = tval_list_get(v->v, i);

		if (i > 0)
			buf_add(&b, sep, seplen);
		if (tval_format(item, &b) < 0) {
			buf_release(&b);
			return tpl_render_fail(r, f->at, "filter 'join': item %zu "
			    "is %s", i + 1, tpl_kind_name(item));
		}
		if (b.len > r->t->max_output) {
			buf_release(&b);
			tpl_size_desc(r->t->max_output, lim, sizeof(lim));
			return tpl_fail(r->err, r->t->name, f->at, TL_ETOOBIG,
			    "output is larger than %s", lim);
		}
	}
	tpl_val_set(v, tval_new_str(b.data, b.len));
	buf_release(&b);
	return 0;
}

static int
filter_json(struct render *r, const struct filter *f, struct val *v)
{
	struct buf b = BUF_INIT;
	int rc;

	(void)f;
	if (tval_json(v->v, &b) < 0) {
		buf_release(&b);
		return tpl_render_fail(r, f->at, "filter 'json': value nests "
		    "deeper than %d", TVAL_JSON_MAX_DEPTH);
	}
	/* A step per 64 bytes: about one per value in the tree. */
	if ((rc = tpl_charge(r, f->at, b.len / 64)) < 0) {
		buf_release(&b);
		return rc;
	}
	tpl_val_set(v, tval_new_str(b.data, b.len));
	buf_release(&b);
	return 0;
}

/* POSIX shell single quotes: ' becomes '\'' and nothing else is special. */
static int
filter_quote(struct render *r, const struct filter *f, struct val *v)
{
	struct buf text = BUF_INIT, b = BUF_INIT;
	size_t i;
	int rc;

	if ((rc = filter_text(r, f, v, &text)) < 0)
		return rc;
	buf_addch(&b, '\'');
	for (i = 0; i < text.len; i++) {
		if (text.data[i] == '\'')
			buf_add(&b, "'\\''", 4);
		else
			buf_addch(&b, text.data[i]);
	}
	buf_addch(&b, '\'');
	tpl_val_set(v, tval_new_str(b.data, b.len));
	buf_release(&text);
	buf_release(&b);
	return 0;
}

static int
filter_length(struct render *r, const struct filter *f, struct val *v)
{
	enum tval_kind k = tval_kind(v->v);

	(void)f;
	if (k != TVAL_STR && k != TVAL_LIST && k != TVAL_MAP)
		return tpl_render_fail(r, f->at, "filter 'length' needs a string, "
		    "list or map, got %s", tpl_kind_name(v->v));
	tpl_val_set(v, tval_new_num((double)tval_len(v->v)));
	return 0;
}


/* Items of a list to order: by number, or by bytes of text. */
struct sort_item {
	const struct tval	*key;
	const struct tval	*item;
	size_t			 at;	/* keeps equal keys in order */
};

static int
sort_cmp(const void *pa, const void *pb)
{
	const struct sort_item *a = pa, *b = pb;
	size_t na, nb;
	const char *sa = tval_str(a->key, &na), *sb = tval_str(b->key, &nb);
	int c = 0;

	if (sa == NULL) {
		double x = tval_num(a->key), y = tval_num(b->key);
		c = x < y ? -1 : x > y;
	} else if ((c = memcmp(sa, sb, na < nb ? na : nb)) == 0)
		c = (na > nb) - (na < nb);
	return c != 0 ? c : (a->at > b->at) - (a->at < b->at);
}

/* The list's items with their keys, checked to be all numbers or all
 * strings; *out is NULL for an empty list. */
static int
sort_items(struct render *r, const struct filter *f, const struct tval *l,
    struct sort_item **out)
{
	size_t n = tval_len(l);
	enum tval_kind k0 = TVAL_NIL;
	int rc;

	*out = NULL;
	if ((rc = tpl_charge(r, f->at, n)) < 0 || n == 0)
		return rc;
	*out = xcalloc(n, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		const struct tval *item = tval_list_get(l, i);
		const struct tval *key = item_key(f, item);
		enum tval_kind k = tval_kind(key);

		if (i == 0)
			k0 = k;
		if ((k != TVAL_NUM && k != TVAL_STR) || k != k0) {
			free(*out);
			*out = NULL;
			return tpl_render_fail(r, f->at, "filter '%s' orders "
			    "numbers or strings, all of one kind; item %zu%s%s "
			    "is %s", tpl_filter_defs[f->def].name, i + 1,
			    f->nargs ? "'s " : "", f->nargs ? tval_str(
			    f->args[0], NULL) : "", tpl_kind_name(key));
		}
		(*out)[i] = (struct sort_item){ key, item, i };
	}
	qsort(*out, n, sizeof(**out), sort_cmp);
	return 0;
}

/* Sets v to a new list of the items sorted (or just the first or last). */
static int
filter_order(struct render *r, const struct filter *f, struct val *v)
{
	struct sort_item *s;
	struct tval *res = NULL;
	size_t n = tval_len(v->v);
	int rc;

	if (!is_list(v->v))
		return need_list(r, f, v);
	if ((rc = sort_items(r, f, v->v, &s)) < 0)
		return rc;
	if (f->def == TPL_FILTER_SORT) {
		res = tval_new_list();
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = push_charged(r, f, res, s[i].item);
	} else if (n > 0)
		rc = copy_charged(r, f, s[f->def == TPL_FILTER_MIN ? 0 :
		    n - 1].item, &res);
	free(s);
	return set_result(v, res, rc);	/* min/max of nothing: missing */
}

/* reverse, unique, first, last: a new list (or item) from the items. */
static int
filter_pick(struct render *r, const struct filter *f, struct val *v)
{
	size_t n = tval_len(v->v);
	struct tval *res = NULL;
	int rc = 0;

	if (!is_list(v->v))
		return need_list(r, f, v);
	if (f->def == TPL_FILTER_FIRST || f->def == TPL_FILTER_LAST) {
		if (n > 0)
			rc = copy_charged(r, f, tval_list_get(v->v,
			    f->def == TPL_FILTER_FIRST ? 0 : n - 1), &res);
		/* of nothing: missing, for default() */
		return set_result(v, res, rc);
	}
	res = tval_new_list();
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct tval *item = tval_list_get(v->v,
		    f->def == TPL_FILTER_REVERSE ? n - 1 - i : i);
		int seen = 0;

		/* unique: quadratic, and charged so. */
		for (size_t k = 0; f->def == TPL_FILTER_UNIQUE && k < i &&
		    !seen; k++)
			seen = tval_equal(item, tval_list_get(v->v, k));
		if (f->def == TPL_FILTER_UNIQUE &&
		    (rc = tpl_charge(r, f->at, i)) < 0)
			break;
		if (!seen)
			rc = push_charged(r, f, res, item);
	}
	return set_result(v, res, rc);
}

static int
filter_sum(struct render *r, const struct filter *f, struct val *v)
{
	double sum = 0;
	int rc;

	if (!is_list(v->v))
		return need_list(r, f, v);
	if ((rc = tpl_charge(r, f->at, tval_len(v->v))) < 0)
		return rc;
	for (size_t i = 0; i < tval_len(v->v); i++) {
		const struct tval *item = tval_list_get(v->v, i);

		if (tval_kind(item) != TVAL_NUM)
			return tpl_render_fail(r, f->at, "filter 'sum': item "
			    "%zu is %s", i + 1, tpl_kind_name(item));
		sum += tval_num(item);
	}
	tpl_val_set(v, tval_new_num(sum));
	return 0;
}

/* keys, values: a map's, as lists in key order. */
static int
filter_entries(struct render *r, const struct filter *f, struct val *v)
{
	struct tval *res;
	const char *key;
	int rc = 0;

	if (tval_kind(v->v) != TVAL_MAP)
		return tpl_render_fail(r, f->at, "filter '%s' needs a map, got "
		    "%s", tpl_filter_defs[f->def].name, tpl_kind_name(v->v));
	res = tval_new_list();
	for (size_t i = 0; i < tval_len(v->v) && rc == 0; i++) {
		const struct tval *val = tval_map_at(v->v, i, &key);

		if (f->def == TPL_FILTER_KEYS) {
			tval_list_push(res, tval_new_str(key, strlen(key)));
			rc = tpl_step(r, f->at);
		} else
			rc = push_charged(r, f, res, val);
	}
	return set_result(v, res, rc);
}

/* Does item pass select/reject/where? */
static int
item_passes(const struct filter *f, const struct tval *item)
{
	const struct tval *key = item_key(f, item);

	switch (f->def) {
	case TPL_FILTER_SELECT:
		return tval_truthy(key);
	case TPL_FILTER_REJECT:
		return !tval_truthy(key);
	default:	/* where */
		return key != NULL && tval_equal(key, f->args[1]);
	}
}

/* map(field), select([field]), reject([field]), where(field, value). */
static int
filter_each(struct render *r, const struct filter *f, struct val *v)
{
	struct tval *res;
	int rc = 0;

	if (!is_list(v->v))
		return need_list(r, f, v);
	res = tval_new_list();
	for (size_t i = 0; i < tval_len(v->v) && rc == 0; i++) {
		const struct tval *item = tval_list_get(v->v, i);
		const struct tval *pick = item;

		if (f->def == TPL_FILTER_MAP &&
		    (pick = item_key(f, item)) == NULL) {
			rc = tpl_render_fail(r, f->at, "filter 'map': item %zu "
			    "has no '%s'", i + 1, tval_str(f->args[0], NULL));
			break;
		}
		if (f->def != TPL_FILTER_MAP && !item_passes(f, item)) {
			rc = tpl_step(r, f->at);
			continue;
		}
		rc = push_charged(r, f, res, pick);
	}
	return set_result(v, res, rc);
}

/* split([sep]): a string's parts between sep, or between runs of blanks
 * (no empty parts) without one. */
static int
filter_split(struct render *r, const struct filter *f, struct val *v)
{
	struct buf text = BUF_INIT;
	struct tval *res;
	size_t seplen = 0, at = 0;
	const char *sep = f->nargs ? tval_str(f->args[0], &seplen) : NULL;
	int rc;

	if ((rc = filter_text(r, f, v, &text)) < 0)
		return rc;
	if (sep != NULL && seplen == 0) {
		buf_release(&text);
		return tpl_render_fail(r, f->at, "filter 'split' needs a "
		    "separator that is not empty");
	}
	res = tval_new_list();
	while (at <= text.len && rc == 0) {
		const char *p = text.data + at, *hit;
		size_t n;

		if (sep == NULL) {
			at += strspn(p, " \t\r\n");
			if (at >= text.len)
				break;
			p = text.data + at;
			n = strcspn(p, " \t\r\n");
		} else {
			hit = memmem(p, text.len - at, sep, seplen);
			n = hit ? (size_t)(hit - p) : text.len - at;
		}
		tval_list_push(res, tval_new_str(p, n));
		at += n + (sep ? seplen : 0);
		rc = tpl_step(r, f->at);
		if (sep != NULL && at > text.len)
			break;
	}
	buf_release(&text);
	return set_result(v, res, rc);
}

/* Indexed like tpl_filter_defs[]. */
static filter_fn *const filter_fns[TPL_FILTER_COUNT] = {
	[TPL_FILTER_DEFAULT] = filter_default,
	[TPL_FILTER_UPPER] = filter_upper,
	[TPL_FILTER_LOWER] = filter_lower,
	[TPL_FILTER_TRIM] = filter_trim,
	[TPL_FILTER_JOIN] = filter_join,
	[TPL_FILTER_JSON] = filter_json,
	[TPL_FILTER_QUOTE] = filter_quote,
	[TPL_FILTER_LENGTH] = filter_length,
	[TPL_FILTER_SORT] = filter_order,
	[TPL_FILTER_REVERSE] = filter_pick,
	[TPL_FILTER_UNIQUE] = filter_pick,
	[TPL_FILTER_FIRST] = filter_pick,
	[TPL_FILTER_LAST] = filter_pick,
	[TPL_FILTER_MIN] = filter_order,
	[TPL_FILTER_MAX] = filter_order,
	[TPL_FILTER_SUM] = filter_sum,
	[TPL_FILTER_KEYS] = filter_entries,
	[TPL_FILTER_VALUES] = filter_entries,
	[TPL_FILTER_MAP] = filter_each,
	[TPL_FILTER_SELECT] = filter_each,
	[TPL_FILTER_REJECT] = filter_each,
	[TPL_FILTER_WHERE] = filter_each,
	[TPL_FILTER_SPLIT] = filter_split,
};

int
tpl_filter_apply(struct render *r, const struct filter *f, struct val *v)
{
	return filter_fns[f->def](r, f, v);
}
