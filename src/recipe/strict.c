/*
 * Strict data: a table whose missing keys are errors, so a typo in a
 * recipe's data (`data.admin.keys` for `data.admin.key`) stops the compile
 * with the recipe's file:line and the key, instead of handing nil on and
 * writing an empty file.
 *
 *   data.NAME        the table data/NAME.lua returns, strict all the way
 *                    down (loaded before the recipe runs)
 *   strict(t [, n])  makes t and every table in it strict, in place; n
 *                    names it in messages (default "table")
 *   maybe(t).k       t.k, or nil when t has no k (t may be nil too):
 *                    a lookup that is allowed to miss
 *
 * Only string keys are strict: list positions past the end stay nil, so
 * ipairs() and `t[#t + 1]` work as in plain Lua. Writing new keys is
 * allowed; pairs(), # and rawget() see the table as it is.
 */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

#define STRICT_MAX_DEPTH	64	/* nested tables made strict */
#define STRICT_MAX_KEYS		12	/* keys listed in a message */
#define DATA_DIR		"data"

static const char strict_path_key = 'p';	/* metatable field */

/* Lists (a few of) t's string keys after the message, sorted. */
static void
strict_keys(lua_State *L, int t, struct buf *b)
{
	char *keys[STRICT_MAX_KEYS];
	size_t n = 0, more = 0;

	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			continue;
		if (n < STRICT_MAX_KEYS)
			keys[n++] = xstrdup(lua_tostring(L, -1));
		else
			more++;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(keys[k - 1], keys[k]) > 0;
		    k--) {
			char *x = keys[k];
			keys[k] = keys[k - 1];
			keys[k - 1] = x;
		}
	buf_addstr(b, n == 0 ? " (it has no named keys)" : " (it has: ");
	for (size_t i = 0; i < n; i++) {
		buf_addf(b, "%s%s", i ? ", " : "", keys[i]);
		free(keys[i]);
	}
	if (more > 0)
		buf_addf(b, " and %zu more", more);
	if (n > 0)
		buf_addch(b, ')');
}

/* __index of a strict table: t, key. */
static int
strict_index(lua_State *L)
{
	struct buf b = BUF_INIT;
	const char *name;

	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;	/* positions: nil past the end */
	lua_getmetatable(L, 1);
	lua_rawgetp(L, -1, &strict_path_key);
	name = lua_tostring(L, -1);
	buf_addf(&b, "no key '%s' in %s", lua_tostring(L, 2),
	    name != NULL ? name : "table");
	strict_keys(L, 1, &b);
	lua_pushlstring(L, b.data, b.len);
	buf_release(&b);
	/* Raised at the recipe line that read the key. */
	luaL_where(L, 1);
	lua_insert(L, -2);
	lua_concat(L, 2);
	return lua_error(L);
}

/* Gives the table at idx (and those it holds) a strict metatable named
 * name; tables seen before (cycles, shared parts) are left as they are. */
static void
strict_apply(lua_State *L, int idx, const char *name, int seen, int depth)
{
	idx = lua_absindex(L, idx);
	lua_pushvalue(L, idx);
	if (lua_rawget(L, seen) != LUA_TNIL || depth > STRICT_MAX_DEPTH) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, seen);
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, strict_index);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, name);
	lua_rawsetp(L, -2, &strict_path_key);
	lua_setmetatable(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -1) == LUA_TTABLE) {
			if (lua_type(L, -2) == LUA_TSTRING)
				lua_pushfstring(L, "%s.%s", name,
				    lua_tostring(L, -2));
			else
				lua_pushfstring(L, "%s[%s]", name,
				    luaL_tolstring(L, -2, NULL)),
				    lua_remove(L, -2);
			strict_apply(L, -2, lua_tostring(L, -1), seen,
			    depth + 1);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
}

/* strict(t [, name]) -> t */
static int
recipe_strict(lua_State *L)
{
	const char *name = luaL_optstring(L, 2, "table");

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_newtable(L);
	strict_apply(L, 1, name, lua_gettop(L), 0);
	lua_settop(L, 1);
	return 1;
}

/* __index of maybe()'s view: rawget on the table it wraps, or nil. */
static int
maybe_index(lua_State *L)
{
	lua_getiuservalue(L, 1, 1);
	if (lua_type(L, -1) != LUA_TTABLE)
		return 0;
	lua_pushvalue(L, 2);
	lua_rawget(L, -2);
	return 1;
}

/* maybe(t) -> a view of t whose missing keys are nil */
static int
recipe_maybe(lua_State *L)
{
	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_newuserdatauv(L, 0, 1);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	if (luaL_newmetatable(L, "tlaloc.maybe")) {
		lua_pushcfunction(L, maybe_index);
		lua_setfield(L, -2, "__index");
	}
	lua_setmetatable(L, -2);
	return 1;
}

/* Runs data/NAME.lua (through include's machinery, so the file is part of
 * the recipe) and sets data.NAME to what it returns, made strict. */
static void
data_load(lua_State *L, int data, const char *rel)
{
	const char *base = strrchr(rel, '/') + 1;
	int name = lua_gettop(L) + 1, value = name + 1;

	lua_pushlstring(L, base, strlen(base) - 4);	/* without ".lua" */
	recipe_run_file(L, rel, 1);
	if (lua_type(L, value) != LUA_TTABLE)
		luaL_error(L, "%s must return a table (return { ... })", rel);
	lua_pushfstring(L, "data.%s", lua_tostring(L, name));
	lua_newtable(L);
	strict_apply(L, value, lua_tostring(L, -2), lua_gettop(L), 0);
	lua_pop(L, 2);
	lua_rawset(L, data);
}

void
strict_open(lua_State *L)
{
	lua_Integer n;
	int data;

	lua_register(L, "strict", recipe_strict);
	lua_register(L, "maybe", recipe_maybe);
	lua_newtable(L);
	data = lua_gettop(L);
	recipe_list_dir(L, compile_of(L)->rec->dir, DATA_DIR);
	n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		data_load(L, data, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_newtable(L);
	strict_apply(L, data, "data", lua_gettop(L), 0);
	lua_pop(L, 1);	/* the seen table */
	lua_setglobal(L, "data");
}
