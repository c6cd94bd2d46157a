#include "res.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

const char *const res_present_absent[] = { "present", "absent", NULL };

static size_t
res_nattrs(const struct res_type *type)
{
	size_t n = 0;

	while (type->attrs[n].name != NULL)
		n++;
	return n;
}

/*
 * One allocation holds the resource, its attribute slots and its title,
 * ref and where strings, which never change after this: a recipe
 * declares hundreds of resources and the allocator was a fifth of a
 * declaration's cost.
 */
struct res *
res_new(const struct res_type *type, const char *title, const char *where)
{
	size_t nvals = res_nattrs(type) + 1, tn = strlen(title), nn =
	    strlen(type->name), wn = where ? strlen(where) : 0;
	size_t off_vals = (sizeof(struct res) + _Alignof(struct attr_val) -
	    1) / _Alignof(struct attr_val) * _Alignof(struct attr_val);
	size_t off_str = off_vals + nvals * sizeof(struct attr_val);
	char *mem = xcalloc(1, off_str + (tn + 1) + (nn + tn + 3) + (wn + 1));
	struct res *r = (struct res *)mem;
	char *p = mem + off_str;

	r->type = type;
	r->vals = (struct attr_val *)(mem + off_vals);
	r->title = memcpy(p, title, tn + 1);
	p += tn + 1;
	r->ref = p;			/* "type[title]" */
	memcpy(p, type->name, nn);
	p[nn] = '[';
	memcpy(p + nn + 1, title, tn);
	memcpy(p + nn + 1 + tn, "]", 2);
	p += nn + tn + 3;
	r->where = p;
	if (wn > 0)
		memcpy(p, where, wn);
	p[wn] = '\0';
	buf_init(&r->changes);
	buf_init(&r->diff);
	buf_init(&r->assumed);
	return r;
}

/* A default's text is borrowed from the spec (res_finish), not copied. */
static void
attr_val_release(const struct attr_spec *spec, struct attr_val *v)
{
	if (v->str != spec->def)
		free(v->str);
	xfree_strs(v->items, v->nitems);
	memset(v, 0, sizeof(*v));
}

void
res_free(struct res *r)
{
	if (r == NULL)
		return;
	if (r->priv != NULL && r->type->release != NULL)
		r->type->release(r->priv);
	free(r->priv);
	for (size_t i = 0; r->type->attrs[i].name != NULL; i++)
		attr_val_release(&r->type->attrs[i], &r->vals[i]);
	refs_release(&r->require);
	refs_release(&r->before);
	refs_release(&r->notify);
	refs_release(&r->subscribe);
	for (size_t i = 0; i < r->ntags; i++)
		if (r->tags[i] != r->type->name)	/* borrowed */
			free(r->tags[i]);
	free(r->tags);
	buf_release(&r->changes);
	buf_release(&r->diff);
	buf_release(&r->assumed);
	free(r->error);
	free(r);		/* vals, title, ref and where with it */
}

int
res_attr_index(const struct res_type *type, const char *name)
{
	/* The first byte first: most names differ there, and every check
	 * and declaration asks here several times per resource. */
	for (int i = 0; type->attrs[i].name != NULL; i++)
		if (type->attrs[i].name[0] == name[0] &&
		    strcmp(type->attrs[i].name, name) == 0)
			return i;
	return -1;
}

static struct attr_val *
res_slot(const struct res *r, const char *attr)
{
	int i = res_attr_index(r->type, attr);

	TL_ASSERT(i >= 0);
	return &r->vals[i];
}

long
mode_parse(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return -1;
	errno = 0;
	v = strtol(s, &end, 8);
	if (errno != 0 || *end != '\0' || v > 07777)
		return -1;
	return v;
}

static int
parse_int(const char *s, long long *out)
{
	char *end;

	*out = 0;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static int
parse_bool(const char *s, long long *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };

	for (size_t i = 0; yes[i]; i++)
		if (strcmp(s, yes[i]) == 0)
			return (*out = 1), 0;
	for (size_t i = 0; no[i]; i++)
		if (strcmp(s, no[i]) == 0)
			return (*out = 0), 0;
	return -1;
}

static int
res_check_choice(const struct attr_spec *spec, const char *value,
    struct tl_err *err)
{
	struct buf all = BUF_INIT;
	int r;

	for (size_t i = 0; spec->choices[i] != NULL; i++)
		if (strcmp(spec->choices[i], value) == 0)
			return 0;
	for (size_t i = 0; spec->choices[i] != NULL; i++)
		buf_addf(&all, "%s'%s'", i ? ", " : "", spec->choices[i]);
	r = tl_err_set(err, TL_EINVAL, "'%s' must be one of %s, not '%s'",
	    spec->name, all.data, value);
	buf_release(&all);
	return r;
}

/* Converts text to the attribute's kind; the text is kept for reports. */
static int
res_convert(const struct attr_spec *spec, struct attr_val *v,
    struct tl_err *err)
{
	long m;

	switch (spec->kind) {
	case ATTR_INT:
		if (parse_int(v->str, &v->num) < 0)
			return tl_err_set(err, TL_EINVAL, "'%s' must be a "
			    "whole number, not '%s'", spec->name, v->str);
		return 0;
	case ATTR_BOOL:
		if (parse_bool(v->str, &v->num) < 0)
			return tl_err_set(err, TL_EINVAL, "'%s' must be true "
			    "or false, not '%s'", spec->name, v->str);
		return 0;
	case ATTR_MODE:
		if ((m = mode_parse(v->str)) < 0)
			return tl_err_set(err, TL_EINVAL, "'%s' must be an "
			    "octal mode like \"0644\", not '%s'", spec->name,
			    v->str);
		v->num = m;
		return 0;
	case ATTR_ENUM:
		return res_check_choice(spec, v->str, err);
	case ATTR_ACCOUNT:
		if (!res_account_name_ok(v->str))
			return tl_err_set(err, TL_EINVAL, "'%s' must be a user "
			    "or group name or number, not '%s'", spec->name,
			    v->str);
		return 0;
	case ATTR_PORT:
		if (parse_int(v->str, &v->num) < 0 || v->num < 1 ||
		    v->num > 65535)
			return tl_err_set(err, TL_EINVAL, "'%s' must be a port "
			    "number from 1 to 65535, not '%s'", spec->name,
			    v->str);
		return 0;
	case ATTR_LIST:
		/* A single string is a one-item list. */
		v->items = xcalloc(1, sizeof(char *));
		v->items[0] = xstrdup(v->str);
		v->nitems = 1;
		return 0;
	case ATTR_MAP:
		return tl_err_set(err, TL_EINVAL, "'%s' must be a table of "
		    "key = value pairs", spec->name);
	case ATTR_STR:
		return 0;
	}
	return 0;
}

int
res_account_name_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '-' && strlen(s) <= 32 &&
	    strpbrk(s, ":,/ \t\n\r") == NULL;
}

int
res_set_str(struct res *r, const char *attr, const char *value,
    struct tl_err *err)
{
	int i = res_attr_index(r->type, attr);
	struct attr_val v = { 0 };
	int rc;

	if (i < 0)
		return tl_err_set(err, TL_EINVAL, "%s has no attribute '%s'",
		    r->type->name, attr);
	v.str = xstrdup(value);
	v.is_set = 1;
	if ((rc = res_convert(&r->type->attrs[i], &v, err)) < 0) {
		attr_val_release(&r->type->attrs[i], &v);
		return rc;
	}
	attr_val_release(&r->type->attrs[i], &r->vals[i]);
	r->vals[i] = v;
	return 0;
}

static int
res_set_items(struct res *r, const char *attr, enum attr_kind want,
    const char *const *items, size_t n, struct tl_err *err)
{
	int i = res_attr_index(r->type, attr);
	struct attr_val *v;

	if (i < 0)
		return tl_err_set(err, TL_EINVAL, "%s has no attribute '%s'",
		    r->type->name, attr);
	if (r->type->attrs[i].kind != want)
		return tl_err_set(err, TL_EINVAL, "'%s' takes a %s, not a %s",
		    attr, r->type->attrs[i].kind == ATTR_MAP ? "table of "
		    "key = value pairs" : "single value", want == ATTR_MAP ?
		    "table of pairs" : "list");
	v = &r->vals[i];
	attr_val_release(&r->type->attrs[i], v);
	v->is_set = 1;
	v->items = xcalloc(n + 1, sizeof(char *));
	for (size_t k = 0; k < n; k++)
		v->items[k] = xstrdup(items[k]);
	v->nitems = n;
	return 0;
}

int
res_set_list(struct res *r, const char *attr, const char *const *items,
    size_t n, struct tl_err *err)
{
	return res_set_items(r, attr, ATTR_LIST, items, n, err);
}

int
res_set_map(struct res *r, const char *attr, const char *const *kv, size_t n,
    struct tl_err *err)
{
	TL_ASSERT(n % 2 == 0);
	return res_set_items(r, attr, ATTR_MAP, kv, n, err);
}

int
res_finish(struct res *r, struct tl_err *err)
{
	for (size_t i = 0; r->type->attrs[i].name != NULL; i++) {
		const struct attr_spec *spec = &r->type->attrs[i];
		struct attr_val *v = &r->vals[i];
		int rc;

		if (v->is_set)
			continue;
		if (spec->flags & ATTR_REQUIRED)
			return tl_err_set(err, TL_EINVAL, "%s needs '%s'",
			    r->ref, spec->name);
		if (spec->def == NULL)
			continue;
		v->str = (char *)spec->def;	/* borrowed: attr_val_release */
		v->is_set = 1;
		if ((rc = res_convert(spec, v, err)) < 0)
			return rc;
	}
	if (r->type->validate != NULL)
		return r->type->validate(r, err);
	return 0;
}

const struct attr_val *
res_val(const struct res *r, const char *attr)
{
	return res_slot(r, attr);
}

const char *
res_str(const struct res *r, const char *attr)
{
	const struct attr_val *v = res_slot(r, attr);

	return v->is_set ? v->str : NULL;
}

long long
res_int(const struct res *r, const char *attr)
{
	return res_slot(r, attr)->num;
}

int
res_bool(const struct res *r, const char *attr)
{
	return res_slot(r, attr)->num != 0;
}

int
res_is_set(const struct res *r, const char *attr)
{
	return res_slot(r, attr)->is_set;
}

int
res_is_absent(const struct res *r)
{
	return strcmp(res_str(r, "ensure"), "absent") == 0;
}

void
res_fail(struct res *r, const struct tl_err *err)
{
	r->result = RES_FAILED;
	free(r->error);
	r->error = xstrdup(err->msg[0] ? err->msg : tl_strerror(err->code));
}

/* Adds a line to a newline-separated list (r->changes, r->assumed). */
static void
lines_vadd(struct buf *lines, const char *fmt, va_list ap)
{
	if (lines->len > 0)
		buf_addch(lines, '\n');
	buf_vaddf(lines, fmt, ap);
}

void
res_change(struct res *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lines_vadd(&r->changes, fmt, ap);
	va_end(ap);
}

void
res_assume(struct res *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lines_vadd(&r->assumed, fmt, ap);
	va_end(ap);
}

int
res_has_changes(const struct res *r)
{
	return r->changes.len > 0;
}

void
refs_add(struct refs *refs, const char *ref)
{
	refs->v = xgrow(refs->v, &refs->cap, refs->n + 1, sizeof(char *));
	refs->v[refs->n++] = xstrdup(ref);
}

void
refs_release(struct refs *refs)
{
	xfree_strs(refs->v, refs->n);
	memset(refs, 0, sizeof(*refs));
}
