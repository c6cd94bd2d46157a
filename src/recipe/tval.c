/*
 * The template value tree. Maps are sorted arrays rather than hash tables:
 * they are small (facts, a recipe's vars), lookups are a binary search, and
 * the sorted order is exactly what templates need for deterministic loops.
 */
#include "tval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

struct tval_entry {
	char		*key;
	struct tval	*val;
};

struct tval {
	enum tval_kind	 kind;
	union {
		struct {
			char	*p;	/* NUL-terminated copy */
			size_t	 n;	/* bytes, without the NUL */
		} str;
		double	 num;
		int	 b;
		struct {
			struct tval	**v;
			size_t		  n, cap;
		} list;
		struct {
			struct tval_entry *e;	/* sorted by strcmp(key) */
			size_t		   n, cap;
		} map;
	} u;
};

static struct tval *
tval_alloc(enum tval_kind kind)
{
	struct tval *v = xcalloc(1, sizeof(*v));

	v->kind = kind;
	return v;
}

struct tval *
tval_new_nil(void)
{
	return tval_alloc(TVAL_NIL);
}

struct tval *
tval_new_str(const char *s, size_t n)
{
	struct tval *v = tval_alloc(TVAL_STR);

	TL_ASSERT(n < (size_t)-1);
	v->u.str.p = xmalloc(n + 1);
	if (n > 0)
		memcpy(v->u.str.p, s, n);
	v->u.str.p[n] = '\0';
	v->u.str.n = n;
	return v;
}

struct tval *
tval_new_num(double d)
{
	struct tval *v = tval_alloc(TVAL_NUM);

	v->u.num = d;
	return v;
}

struct tval *
tval_new_bool(int b)
{
	struct tval *v = tval_alloc(TVAL_BOOL);

	v->u.b = b != 0;
	return v;
}

struct tval *
tval_new_list(void)
{
	return tval_alloc(TVAL_LIST);
}

struct tval *
tval_new_map(void)
{
	return tval_alloc(TVAL_MAP);
}

void
tval_list_push(struct tval *list, struct tval *item)
{
	TL_ASSERT(list != NULL && list->kind == TVAL_LIST && item != NULL);
	list->u.list.v = xgrow(list->u.list.v, &list->u.list.cap,
	    list->u.list.n + 1, sizeof(*list->u.list.v));
	list->u.list.v[list->u.list.n++] = item;
}

/* Returns 1 and the index of key, or 0 and where it would be inserted. */
static int
tval_map_find(const struct tval *map, const char *key, size_t *at)
{
	size_t lo = 0, hi = map->u.map.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, map->u.map.e[mid].key);

		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return 0;
}

static void
tval_map_remove(struct tval *map, size_t i)
{
	struct tval_entry *e = map->u.map.e;

	free(e[i].key);
	tval_free(e[i].val);
	memmove(e + i, e + i + 1, (map->u.map.n - i - 1) * sizeof(*e));
	map->u.map.n--;
}

void
tval_map_set(struct tval *map, const char *key, struct tval *v)
{
	struct tval_entry *e;
	size_t i;

	TL_ASSERT(map != NULL && map->kind == TVAL_MAP && key != NULL);
	if (tval_map_find(map, key, &i)) {
		if (v == NULL) {
			tval_map_remove(map, i);
			return;
		}
		tval_free(map->u.map.e[i].val);
		map->u.map.e[i].val = v;
		return;
	}
	if (v == NULL)
		return;
	map->u.map.e = xgrow(map->u.map.e, &map->u.map.cap, map->u.map.n + 1,
	    sizeof(*map->u.map.e));
	e = map->u.map.e;
	memmove(e + i + 1, e + i, (map->u.map.n - i) * sizeof(*e));
	e[i].key = xstrdup(key);
	e[i].val = v;
	map->u.map.n++;
}

struct tval *
tval_copy(const struct tval *v, size_t *count)
{
	struct tval *c;

	if (v == NULL)
		return NULL;
	(*count)++;
	switch (v->kind) {
	case TVAL_STR:
		return tval_new_str(v->u.str.p, v->u.str.n);
	case TVAL_NUM:
		return tval_new_num(v->u.num);
	case TVAL_BOOL:
		return tval_new_bool(v->u.b);
	case TVAL_LIST:
		c = tval_new_list();
		for (size_t i = 0; i < v->u.list.n; i++)
			tval_list_push(c, v->u.list.v[i] != NULL ?
			    tval_copy(v->u.list.v[i], count) : tval_new_nil());
		return c;
	case TVAL_MAP:
		c = tval_new_map();
		for (size_t i = 0; i < v->u.map.n; i++)
			tval_map_set(c, v->u.map.e[i].key,
			    tval_copy(v->u.map.e[i].val, count));
		return c;
	case TVAL_NIL:
		break;
	}
	return tval_new_nil();
}

void
tval_free(struct tval *v)
{
	size_t i;

	if (v == NULL)
		return;
	switch (v->kind) {
	case TVAL_STR:
		free(v->u.str.p);
		break;
	case TVAL_LIST:
		for (i = 0; i < v->u.list.n; i++)
			tval_free(v->u.list.v[i]);
		free(v->u.list.v);
		break;
	case TVAL_MAP:
		for (i = 0; i < v->u.map.n; i++) {
			free(v->u.map.e[i].key);
			tval_free(v->u.map.e[i].val);
		}
		free(v->u.map.e);
		break;
	default:
		break;
	}
	free(v);
}

enum tval_kind
tval_kind(const struct tval *v)
{
	return v == NULL ? TVAL_NIL : v->kind;
}

const char *
tval_str(const struct tval *v, size_t *n)
{
	if (tval_kind(v) != TVAL_STR) {
		if (n != NULL)
			*n = 0;
		return NULL;
	}
	if (n != NULL)
		*n = v->u.str.n;
	return v->u.str.p;
}

double
tval_num(const struct tval *v)
{
	return tval_kind(v) == TVAL_NUM ? v->u.num : 0;
}

int
tval_bool(const struct tval *v)
{
	return tval_kind(v) == TVAL_BOOL ? v->u.b : 0;
}

size_t
tval_len(const struct tval *v)
{
	switch (tval_kind(v)) {
	case TVAL_STR:
		return v->u.str.n;
	case TVAL_LIST:
		return v->u.list.n;
	case TVAL_MAP:
		return v->u.map.n;
	default:
		return 0;
	}
}

const struct tval *
tval_list_get(const struct tval *list, size_t i)
{
	if (tval_kind(list) != TVAL_LIST || i >= list->u.list.n)
		return NULL;
	return list->u.list.v[i];
}

const struct tval *
tval_map_get(const struct tval *map, const char *key)
{
	size_t i;

	if (tval_kind(map) != TVAL_MAP || key == NULL)
		return NULL;
	return tval_map_find(map, key, &i) ? map->u.map.e[i].val : NULL;
}

const struct tval *
tval_map_at(const struct tval *map, size_t i, const char **key)
{
	*key = NULL;
	if (tval_kind(map) != TVAL_MAP || i >= map->u.map.n)
		return NULL;
	*key = map->u.map.e[i].key;
	return map->u.map.e[i].val;
}

int
tval_truthy(const struct tval *v)
{
	switch (tval_kind(v)) {
	case TVAL_NIL:
		return 0;
	case TVAL_BOOL:
		return v->u.b;
	case TVAL_NUM:
		return 1;
	default:
		return tval_len(v) > 0;
	}
}

int
tval_equal(const struct tval *a, const struct tval *b)
{
	if (tval_kind(a) != tval_kind(b))
		return 0;
	switch (tval_kind(a)) {
	case TVAL_NIL:
		return 1;
	case TVAL_STR:
		return a->u.str.n == b->u.str.n &&
		    memcmp(a->u.str.p, b->u.str.p, a->u.str.n) == 0;
	case TVAL_NUM:
		return a->u.num == b->u.num;
	case TVAL_BOOL:
		return a->u.b == b->u.b;
	default:
		return a == b;
	}
}

void
tval_format_num(double d, struct buf *out)
{
	/* 2^63: past it an integral double no longer fits a long long. */
	const double limit = 9223372036854775808.0;

	if (isnan(d))
		buf_addstr(out, "nan");
	else if (isinf(d))
		buf_addstr(out, d < 0 ? "-inf" : "inf");
	else if (d == floor(d) && d >= -limit && d < limit)
		buf_addf(out, "%lld", (long long)d);
	else
		buf_addf(out, "%.14g", d);
}

int
tval_format(const struct tval *v, struct buf *out)
{
	switch (tval_kind(v)) {
	case TVAL_STR:
		buf_add(out, v->u.str.p, v->u.str.n);
		return 0;
	case TVAL_NUM:
		tval_format_num(v->u.num, out);
		return 0;
	case TVAL_BOOL:
		buf_addstr(out, v->u.b ? "true" : "false");
		return 0;
	default:
		return -1;
	}
}

static int
tval_json_at(const struct tval *v, struct buf *out, int depth)
{
	size_t i;
	int r;

	if (depth > TVAL_JSON_MAX_DEPTH)
		return TL_ETOOBIG;
	switch (tval_kind(v)) {
	case TVAL_STR:
		buf_add_json_str(out, v->u.str.p, v->u.str.n);
		return 0;
	case TVAL_NUM:
		if (!isfinite(v->u.num))
			break;
		tval_format_num(v->u.num, out);
		return 0;
	case TVAL_BOOL:
		buf_addstr(out, v->u.b ? "true" : "false");
		return 0;
	case TVAL_LIST:
		buf_addch(out, '[');
		for (i = 0; i < v->u.list.n; i++) {
			if (i > 0)
				buf_addch(out, ',');
			r = tval_json_at(v->u.list.v[i], out, depth + 1);
			if (r < 0)
				return r;
		}
		buf_addch(out, ']');
		return 0;
	case TVAL_MAP:
		buf_addch(out, '{');
		for (i = 0; i < v->u.map.n; i++) {
			const char *k = v->u.map.e[i].key;

			if (i > 0)
				buf_addch(out, ',');
			buf_add_json_str(out, k, strlen(k));
			buf_addch(out, ':');
			r = tval_json_at(v->u.map.e[i].val, out, depth + 1);
			if (r < 0)
				return r;
		}
		buf_addch(out, '}');
		return 0;
	default:
		break;
	}
	buf_addstr(out, "null");
	return 0;
}

int
tval_json(const struct tval *v, struct buf *out)
{
	return tval_json_at(v, out, 0);
}
