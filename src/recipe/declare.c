/*
 * Declaring resources from Lua. Every registered type becomes a global
 * table that is callable with attributes (`file{path = ..., content = ...}`)
 * and holds the type's imperative shorthands (`file.replace_line(p, m, l)`),
 * which declare exactly the same resources. A declaration returns a handle
 * usable in require/before/notify/subscribe.
 *
 * While a struct res is being filled nothing may raise a Lua error (it
 * would leak the resource): conversions report through struct tl_err and
 * the error is raised once the resource is freed.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/registry.h"
#include "engine/res.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

#define HANDLE_MT	"tlaloc.resource"
#define MAX_LIST	100000	/* items in one list attribute */

static const char *const meta_params[] = {
	"require", "before", "notify", "subscribe", "tags", NULL
};

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* The closest attribute or meta-parameter name, if close enough. */
static const char *
did_you_mean(const struct res_type *type, const char *key)
{
	const char *best = NULL;
	size_t best_d = strlen(key) / 3 + 1;

	for (size_t i = 0; type->attrs[i].name != NULL; i++) {
		size_t d = edit_distance(key, type->attrs[i].name);
		if (d <= best_d && (best == NULL || d < best_d))
			best = type->attrs[i].name, best_d = d;
	}
	for (size_t i = 0; meta_params[i] != NULL; i++) {
		size_t d = edit_distance(key, meta_params[i]);
		if (d <= best_d && (best == NULL || d < best_d))
			best = meta_params[i], best_d = d;
	}
	return best;
}

/* Text of a scalar Lua value; 0 when the value is not a scalar. */
static int
scalar_text(lua_State *L, int idx, struct buf *out)
{
	lua_Number d;

	buf_reset(out);
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		buf_add(out, s, n);
		return 1;
	}
	case LUA_TBOOLEAN:
		buf_addstr(out, lua_toboolean(L, idx) ? "true" : "false");
		return 1;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			buf_addf(out, "%lld", (long long)lua_tointeger(L, idx));
			return 1;
		}
		d = lua_tonumber(L, idx);
		buf_addf(out, "%.17g", (double)d);
		return 1;
	}
	return 0;
}

static int
set_list(lua_State *L, struct res *r, const char *key, int idx,
    struct tl_err *err)
{
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
	struct buf item = BUF_INIT;
	char **items;
	int rc = 0;

	if (n > MAX_LIST)
		return tl_err_set(err, TL_ETOOBIG, "'%s' has more than %d "
		    "items", key, MAX_LIST);
	items = xcalloc((size_t)n + 1, sizeof(char *));
	for (lua_Integer i = 1; i <= n && rc == 0; i++) {
		lua_rawgeti(L, idx, i);
		if (!scalar_text(L, -1, &item))
			rc = tl_err_set(err, TL_EINVAL, "'%s' must list "
			    "strings or numbers", key);
		else
			items[i - 1] = xstrdup(item.data);
		lua_pop(L, 1);
	}
	if (rc == 0)
		rc = res_set_list(r, key, (const char *const *)items,
		    (size_t)n, err);
	xfree_strs(items, (size_t)n);
	buf_release(&item);
	return rc;
}

static int
cmp_pair(const void *a, const void *b)
{
	return strcmp(((char *const *)a)[0], ((char *const *)b)[0]);
}

static int
set_map(lua_State *L, struct res *r, const char *key, int idx,
    struct tl_err *err)
{
	struct buf v = BUF_INIT;
	char **kv = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	lua_pushnil(L);
	while (rc == 0 && lua_next(L, idx) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING || !scalar_text(L, -1, &v))
			rc = tl_err_set(err, TL_EINVAL, "'%s' must map names "
			    "to strings or numbers", key);
		else if (n / 2 >= MAX_LIST)
			rc = tl_err_set(err, TL_ETOOBIG, "'%s' is too big",
			    key);
		else {
			kv = xgrow(kv, &cap, n + 2, sizeof(char *));
			kv[n++] = xstrdup(lua_tostring(L, -2));
			kv[n++] = xstrdup(v.data);
		}
		lua_pop(L, 1);
	}
	if (rc != 0)
		lua_pop(L, 1);	/* the key lua_next left */
	/* Sorted, so reports and the order of env entries are stable. */
	if (rc == 0 && n > 0)
		qsort(kv, n / 2, 2 * sizeof(char *), cmp_pair);
	if (rc == 0)
		rc = res_set_map(r, key, (const char *const *)kv, n, err);
	xfree_strs(kv, n);
	buf_release(&v);
	return rc;
}

static int
set_attr(lua_State *L, struct res *r, const char *key, int idx,
    struct tl_err *err)
{
	int ai = res_attr_index(r->type, key);
	struct buf text = BUF_INIT;
	const char *hint;
	int rc;

	if (ai < 0) {
		hint = did_you_mean(r->type, key);
		if (hint != NULL)
			return tl_err_set(err, TL_EINVAL, "%s has no attribute "
			    "'%s' (did you mean '%s'?)", r->type->name, key,
			    hint);
		return tl_err_set(err, TL_EINVAL, "%s has no attribute '%s' "
		    "(see 'tlaloc resources %s')", r->type->name, key,
		    r->type->name);
	}
	if (lua_type(L, idx) == LUA_TTABLE) {
		switch (r->type->attrs[ai].kind) {
		case ATTR_LIST:
			return set_list(L, r, key, idx, err);
		case ATTR_MAP:
			return set_map(L, r, key, idx, err);
		default:
			return tl_err_set(err, TL_EINVAL, "'%s' takes a single "
			    "value, not a table", key);
		}
	}
	/* A string as it is (the common case): no copy to make text of. */
	if (lua_type(L, idx) == LUA_TSTRING)
		return res_set_str(r, key, lua_tostring(L, idx), err);
	if (!scalar_text(L, idx, &text))
		return tl_err_set(err, TL_EINVAL, "'%s' cannot be a %s", key,
		    luaL_typename(L, idx));
	rc = res_set_str(r, key, text.data, err);
	buf_release(&text);
	return rc;
}

static int
ref_is_valid(const char *s)
{
	const char *b = strchr(s, '[');
	size_t n = strlen(s);

	return b != NULL && b > s && n > 2 && s[n - 1] == ']' &&
	    b + 1 < s + n - 1;
}

/* One reference: "type[title]" or a handle. */
static int
add_one_ref(lua_State *L, struct refs *refs, const char *key, int idx,
    struct tl_err *err)
{
	const char *s = NULL;

	if (lua_type(L, idx) == LUA_TSTRING)
		s = lua_tostring(L, idx);
	else if (luaL_testudata(L, idx, HANDLE_MT) != NULL)
		s = *(const char **)lua_touserdata(L, idx);
	if (s == NULL || !ref_is_valid(s))
		return tl_err_set(err, TL_EINVAL, "'%s' takes references "
		    "like \"file[/etc/motd]\" or a declared resource, not "
		    "'%s'", key, s ? s : luaL_typename(L, idx));
	refs_add(refs, s);
	return 0;
}

static int
add_refs(lua_State *L, struct refs *refs, const char *key, int idx,
    struct tl_err *err)
{
	int rc = 0;

	if (lua_type(L, idx) != LUA_TTABLE)
		return add_one_ref(L, refs, key, idx, err);
	for (lua_Integer i = 1; rc == 0 && i <= (lua_Integer)lua_rawlen(L,
	    idx); i++) {
		lua_rawgeti(L, idx, i);
		rc = add_one_ref(L, refs, key, lua_gettop(L), err);
		lua_pop(L, 1);
	}
	return rc;
}

/* The type's own name (auto_tags) is borrowed, not copied (res.h). */
static void
tag_add(struct res *r, const char *tag)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i], tag) == 0)
			return;
	/* Room for the two automatic tags at once, then doubling. */
	if (r->ntags == 0 || (r->ntags >= 2 && (r->ntags & (r->ntags - 1)) ==
	    0))
		r->tags = xrealloc(r->tags, (r->ntags ? 2 * r->ntags : 2) *
		    sizeof(char *));
	r->tags[r->ntags++] = tag == r->type->name ? (char *)tag :
	    xstrdup(tag);
}

static int
set_tags(lua_State *L, struct res *r, int idx, struct tl_err *err)
{
	struct buf t = BUF_INIT;
	int rc = 0;

	if (lua_type(L, idx) != LUA_TTABLE) {
		if (!scalar_text(L, idx, &t))
			rc = tl_err_set(err, TL_EINVAL, "'tags' takes a "
			    "string or a list of strings");
		else
			tag_add(r, t.data);
		buf_release(&t);
		return rc;
	}
	for (lua_Integer i = 1; rc == 0 && i <= (lua_Integer)lua_rawlen(L,
	    idx); i++) {
		lua_rawgeti(L, idx, i);
		if (!scalar_text(L, -1, &t))
			rc = tl_err_set(err, TL_EINVAL, "'tags' takes a "
			    "string or a list of strings");
		else
			tag_add(r, t.data);
		lua_pop(L, 1);
	}
	buf_release(&t);
	return rc;
}

static int
set_meta(lua_State *L, struct res *r, const char *key, int idx,
    struct tl_err *err)
{
	if (strcmp(key, "require") == 0)
		return add_refs(L, &r->require, key, idx, err);
	if (strcmp(key, "before") == 0)
		return add_refs(L, &r->before, key, idx, err);
	if (strcmp(key, "notify") == 0)
		return add_refs(L, &r->notify, key, idx, err);
	if (strcmp(key, "subscribe") == 0)
		return add_refs(L, &r->subscribe, key, idx, err);
	return set_tags(L, r, idx, err);
}

static int
is_meta(const char *key)
{
	for (size_t i = 0; meta_params[i] != NULL; i++)
		if (key[0] == meta_params[i][0] &&
		    strcmp(key, meta_params[i]) == 0)
			return 1;
	return 0;
}

/* Keys the binding consumes itself: a file's template and its vars. */
static int
is_template_key(const struct res_type *type, const char *key)
{
	return (strcmp(key, "template") == 0 || strcmp(key, "vars") == 0) &&
	    res_attr_index(type, "template") >= 0;
}

static int
fill_attrs(lua_State *L, struct res *r, int tidx, struct tl_err *err)
{
	int rc = 0;

	lua_pushnil(L);
	while (lua_next(L, tidx) != 0) {
		int vidx = lua_gettop(L);
		const char *key;

		if (lua_type(L, -2) != LUA_TSTRING) {
			rc = tl_err_set(err, TL_EINVAL, "attributes are "
			    "name = value pairs; found a positional value");
		} else {
			key = lua_tostring(L, -2);
			if (is_meta(key))
				rc = set_meta(L, r, key, vidx, err);
			else if (!is_template_key(r->type, key))
				rc = set_attr(L, r, key, vidx, err);
		}
		lua_pop(L, 1);
		if (rc < 0) {
			lua_pop(L, 1);
			return rc;
		}
	}
	return 0;
}

static const char *
namevar_of(const struct res_type *type)
{
	for (size_t i = 0; type->attrs[i].name != NULL; i++)
		if (type->attrs[i].flags & ATTR_NAMEVAR)
			return type->attrs[i].name;
	return "name";
}

static int
tags_match(const struct res *r, const struct recipe_opts *opts)
{
	if (opts->n_only_tags == 0)
		return 1;
	for (size_t i = 0; i < opts->n_only_tags; i++)
		for (size_t k = 0; k < r->ntags; k++)
			if (strcmp(opts->only_tags[i], r->tags[k]) == 0)
				return 1;
	return 0;
}

/* The automatic tags: the type and the declaring file's base name, like a
 * Puppet class, so `--tags app` picks everything app.lua declares. */
static void
auto_tags(struct res *r, const char *file)
{
	const char *base = file ? strrchr(file, '/') : NULL;
	char name[128];
	size_t n;

	tag_add(r, r->type->name);
	if (file == NULL)
		return;
	base = base ? base + 1 : file;
	n = strcspn(base, ".");
	if (n > 0 && n < sizeof(name)) {
		memcpy(name, base, n);
		name[n] = '\0';
		tag_add(r, name);
	}
}

/* Pushes a handle for the ref string at stack index idx. */
static void
push_handle(lua_State *L, int idx)
{
	const char **h = lua_newuserdatauv(L, sizeof(char *), 1);

	/* The string lives in the handle's user value, so it outlives the
	 * resource (which the graph owns). */
	lua_pushvalue(L, idx);
	*h = lua_tostring(L, -1);
	lua_setiuservalue(L, -2, 1);
	luaL_setmetatable(L, HANDLE_MT);
}

/* Pushes the rendered template of the declaration at tidx, or nothing.
 * Returns 1 when it pushed. May raise (nothing is allocated yet). */
static int
render_template(lua_State *L, const struct res_type *type, int tidx)
{
	if (res_attr_index(type, "template") < 0)
		return 0;
	if (lua_getfield(L, tidx, "template") != LUA_TSTRING) {
		if (!lua_isnil(L, -1))
			luaL_error(L, "'template' takes a file name");
		lua_pop(L, 1);
		return 0;
	}
	if (lua_getfield(L, tidx, "content") != LUA_TNIL)
		luaL_error(L, "give 'content' or 'template', not both");
	lua_pop(L, 1);
	if (lua_getfield(L, tidx, "vars") != LUA_TNIL &&
	    lua_type(L, -1) != LUA_TTABLE)
		luaL_error(L, "'vars' takes a table");
	template_push(L, lua_tostring(L, -2),
	    lua_isnil(L, -1) ? 0 : lua_gettop(L));
	lua_replace(L, -3);
	lua_pop(L, 1);
	return 1;
}

/* Pushes the title made from type->title_from (see res.h). */
static void
push_title(lua_State *L, const struct res_type *type, int tidx)
{
	luaL_Buffer b;
	int parts = 0;

	luaL_buffinit(L, &b);
	for (size_t i = 0; type->title_from[i] != NULL; i++) {
		const char *alt = type->title_from[i], *bar;

		do {
			bar = strchr(alt, '|');
			lua_pushlstring(L, alt, bar ? (size_t)(bar - alt) :
			    strlen(alt));
			switch (lua_gettable(L, tidx)) {
			case LUA_TSTRING:
				if (parts++)
					luaL_addchar(&b, ':');
				luaL_addvalue(&b);
				alt = NULL;
				continue;
			case LUA_TTABLE:
				/* A list: its items joined by ','. */
				lua_getglobal(L, "table");
				lua_getfield(L, -1, "concat");
				lua_remove(L, -2);
				lua_insert(L, -2);
				lua_pushstring(L, ",");
				lua_call(L, 2, 1);
				if (parts++)
					luaL_addchar(&b, ':');
				luaL_addvalue(&b);
				alt = NULL;
				continue;
			}
			lua_pop(L, 1);
			alt = bar ? bar + 1 : NULL;
		} while (alt != NULL);
	}
	luaL_pushresult(&b);
}

static int
declare(lua_State *L, const struct res_type *type, int tidx)
{
	struct compile *c = compile_of(L);
	const char *nv = namevar_of(type), *title;
	struct tl_err err = TL_ERR_INIT;
	char where[256];
	struct res *r;
	int rendered, rc;

	luaL_checktype(L, tidx, LUA_TTABLE);
	rendered = render_template(L, type, tidx);
	switch (lua_getfield(L, tidx, nv)) {
	case LUA_TSTRING:
		break;
	case LUA_TTABLE:
		/* A list namevar (many packages in one resource) is titled
		 * by its items. */
		lua_getglobal(L, "table");
		lua_getfield(L, -1, "concat");
		lua_pushvalue(L, -3);
		lua_pushstring(L, ",");
		lua_call(L, 2, 1);
		lua_replace(L, -3);
		lua_pop(L, 1);
		break;
	case LUA_TNIL:
		if (type->title_from != NULL) {
			lua_pop(L, 1);
			push_title(L, type, tidx);
			break;
		}
		__attribute__((fallthrough));
	default:
		return luaL_error(L, "%s needs '%s' (a string)", type->name,
		    nv);
	}
	title = lua_tostring(L, -1);
	recipe_where(L, where, sizeof(where));
	r = res_new(type, title, where);
	lua_pop(L, 1);
	rc = fill_attrs(L, r, tidx, &err);
	/* A title made from other attributes names a single-valued namevar
	 * too (line's name); a list namevar (package) stays as declared. */
	if (rc == 0 && !res_is_set(r, nv) && res_attr_index(type, nv) >= 0 &&
	    type->attrs[res_attr_index(type, nv)].kind == ATTR_STR)
		rc = res_set_str(r, nv, r->title, &err);
	if (rc == 0 && rendered)
		rc = res_set_str(r, "content", lua_tostring(L, -1), &err);
	if (rc == 0)
		rc = res_finish(r, &err);
	if (rc < 0) {
		res_free(r);
		return luaL_error(L, "%s", err.msg);
	}
	auto_tags(r, c->cur_file);
	r->is_excluded = !tags_match(r, c->opts);
	lua_pushstring(L, r->ref);	/* graph_add may free r */
	if (graph_add(&c->rec->graph, r, &err) < 0)
		return luaL_error(L, "%s", err.msg);
	push_handle(L, lua_gettop(L));
	return 1;
}

static int
declare_call(lua_State *L)
{
	const struct res_type *type = lua_touserdata(L, lua_upvalueindex(1));

	/* Called as T{...}: argument 1 is the type's table itself. */
	return declare(L, type, 2);
}

static int
short_call(lua_State *L)
{
	const struct res_type *type = lua_touserdata(L, lua_upvalueindex(1));
	const struct res_short *sh = lua_touserdata(L, lua_upvalueindex(2));
	int nargs = lua_gettop(L), t;
	size_t nwant = 0;

	while (sh->args[nwant] != NULL)
		nwant++;
	if ((size_t)nargs > nwant + 1)
		return luaL_error(L, "%s.%s takes at most %d arguments",
		    sh->ns, sh->fn, (int)nwant + 1);
	lua_newtable(L);
	t = lua_gettop(L);
	for (size_t i = 0; sh->fixed != NULL && sh->fixed[i] != NULL; i++) {
		const char *eq = strchr(sh->fixed[i], '=');
		lua_pushlstring(L, sh->fixed[i], (size_t)(eq - sh->fixed[i]));
		lua_pushstring(L, eq + 1);
		lua_rawset(L, t);
	}
	/* One argument more than the shorthand names is a table of further
	 * attributes: service.start("ntpd", {enable = true}). */
	if ((size_t)nargs == nwant + 1) {
		luaL_checktype(L, nargs, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, nargs) != 0) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, t);
		}
		nargs--;
	}
	for (int i = 0; i < nargs; i++) {
		lua_pushvalue(L, i + 1);
		lua_setfield(L, t, sh->args[i]);
	}
	return declare(L, type, t);
}

static int
handle_tostring(lua_State *L)
{
	lua_pushstring(L, *(const char **)luaL_checkudata(L, 1, HANDLE_MT));
	return 1;
}

static void
declare_type(lua_State *L, const struct res_type *type)
{
	if (lua_getglobal(L, type->name) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setglobal(L, type->name);
	}
	lua_newtable(L);
	lua_pushlightuserdata(L, (void *)type);
	lua_pushcclosure(L, declare_call, 1);
	lua_setfield(L, -2, "__call");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);
}

static void
declare_shorts(lua_State *L, const struct res_type *type)
{
	for (size_t i = 0; type->shorts && type->shorts[i].ns; i++) {
		const struct res_short *sh = &type->shorts[i];

		if (lua_getglobal(L, sh->ns) != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushvalue(L, -1);
			lua_setglobal(L, sh->ns);
		}
		lua_pushlightuserdata(L, (void *)type);
		lua_pushlightuserdata(L, (void *)sh);
		lua_pushcclosure(L, short_call, 2);
		lua_setfield(L, -2, sh->fn);
		lua_pop(L, 1);
	}
}

void
declare_open(lua_State *L)
{
	luaL_newmetatable(L, HANDLE_MT);
	lua_pushcfunction(L, handle_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);
	/* Types first, so a shorthand namespace that is also a type (file)
	 * keeps its __call. */
	for (size_t i = 0; res_types[i] != NULL; i++)
		declare_type(L, res_types[i]);
	for (size_t i = 0; res_types[i] != NULL; i++)
		declare_shorts(L, res_types[i]);
}
