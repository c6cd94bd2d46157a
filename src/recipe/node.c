/*
 * What a recipe reads about its node: the `node` table built from the facts
 * (dotted keys become nested tables: node.interfaces.eth0.ipv4), and Perl
 * regular expressions on strings, as in the vision's preg_match:
 *
 * The table fills as it is read: its __index gathers the fact's source
 * (facts_range) and sets every fact under that first name, so
 * node.interfaces arrives whole; pairs(node) and templates see it all
 * (node_fill). A recipe that reads no fact gathers none.
 *
 *   if node.name:match_re("^app-[0-9]+\\.dmz\\.") then ... end
 */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/re.h"
#include "facts/facts.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

#define RE_MAX_GROUPS	32

static void
push_fact_value(lua_State *L, const struct facts *f, size_t i)
{
	const char *v = facts_value(f, i);

	switch (facts_kind(f, i)) {
	case FACT_NUM:
		if (lua_stringtonumber(L, v) == 0)
			lua_pushstring(L, v);
		break;
	case FACT_BOOL:
		lua_pushboolean(L, strcmp(v, "true") == 0);
		break;
	default:
		lua_pushstring(L, v);
	}
}

/* Sets node[a][b][c] = value for the key "a.b.c" (table at top). */
static void
node_set(lua_State *L, const char *key, const struct facts *f, size_t i)
{
	const char *dot;
	int depth = 0;

	lua_pushvalue(L, -1);
	while ((dot = strchr(key, '.')) != NULL) {
		lua_pushlstring(L, key, (size_t)(dot - key));
		if (lua_rawget(L, -2) != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushlstring(L, key, (size_t)(dot - key));
			lua_pushvalue(L, -2);
			lua_rawset(L, -4);
		}
		lua_remove(L, -2);
		key = dot + 1;
		depth++;
	}
	push_fact_value(L, f, i);
	lua_setfield(L, -2, key);
	lua_pop(L, 1);
	(void)depth;
}

/* __index(node, k): the facts under k, set into node, then node[k]. */
static int
node_index(lua_State *L)
{
	const struct facts *f = lua_touserdata(L, lua_upvalueindex(1));
	size_t len, i, n;
	const char *k;

	if (f == NULL || lua_type(L, 2) != LUA_TSTRING)
		return lua_pushnil(L), 1;
	k = lua_tolstring(L, 2, &len);
	i = facts_range(f, k, len, &n);
	lua_pushvalue(L, 1);
	for (size_t e = i + n; i < e; i++)
		node_set(L, facts_key(f, i), f, i);
	lua_pushvalue(L, 2);
	lua_rawget(L, -2);
	return 1;
}

void
node_fill(lua_State *L, int idx)
{
	const struct facts *f;
	size_t n;
	int fill = 0;

	idx = lua_absindex(L, idx);
	if (!lua_getmetatable(L, idx))
		return;
	lua_getfield(L, -1, "__index");
	if (lua_tocfunction(L, -1) != node_index ||
	    !lua_getupvalue(L, -1, 1)) {
		lua_pop(L, 2);
		return;
	}
	f = lua_touserdata(L, -1);
	lua_pop(L, 3);
	if (f == NULL)
		return;
	n = facts_count(f);
	lua_pushvalue(L, idx);
	for (size_t i = 0; i < n; i++) {
		const char *key = facts_key(f, i), *dot = strchr(key, '.');
		size_t len = dot ? (size_t)(dot - key) : strlen(key);

		/* Per first name (facts in tree order keep each together):
		 * one already there, read or set by the recipe, stays. */
		if (i == 0 || strncmp(facts_key(f, i - 1), key, len) != 0 ||
		    (facts_key(f, i - 1)[len] != '.' &&
		    facts_key(f, i - 1)[len] != '\0')) {
			lua_pushlstring(L, key, len);
			fill = lua_rawget(L, -2) == LUA_TNIL;
			lua_pop(L, 1);
		}
		if (fill)
			node_set(L, key, f, i);
	}
	lua_pop(L, 1);
}

static int
node_next(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

/* __pairs(node): every fact, then the table's own next. */
static int
node_pairs(lua_State *L)
{
	node_fill(L, 1);
	lua_pushcfunction(L, node_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

void
node_open(lua_State *L, const struct compile *c)
{
	const struct facts *f = c->opts->facts;

	lua_newtable(L);
	lua_pushstring(L, c->rec->dir);
	lua_setfield(L, -2, "recipe_dir");
	lua_createtable(L, 0, 2);
	lua_pushlightuserdata(L, (void *)f);
	lua_pushcclosure(L, node_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, node_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_setmetatable(L, -2);
	lua_setglobal(L, "node");
}

static const struct re *
check_re(lua_State *L, int idx)
{
	struct tl_err err = TL_ERR_INIT;
	const struct re *re = re_get(luaL_checkstring(L, idx), &err);

	if (re == NULL)
		luaL_error(L, "%s", err.msg);
	return re;
}

/* s:match_re(re [, init]) -> the match, or its captures; nil if none. */
static int
str_match_re(lua_State *L)
{
	size_t len, ov[2 * RE_MAX_GROUPS];
	const char *s = luaL_checklstring(L, 1, &len);
	const struct re *re = check_re(L, 2);
	lua_Integer init = luaL_optinteger(L, 3, 1);
	int n;

	if (init < 1 || (size_t)init > len + 1)
		return lua_pushnil(L), 1;
	n = re_match(re, s, len, (size_t)init - 1, ov, RE_MAX_GROUPS);
	if (n < 0)
		return luaL_error(L, "regex match failed (too complex?)");
	if (n == 0)
		return lua_pushnil(L), 1;
	if (n > RE_MAX_GROUPS)
		n = RE_MAX_GROUPS;
	if (n == 1) {
		lua_pushlstring(L, s + ov[0], ov[1] - ov[0]);
		return 1;
	}
	for (int i = 1; i < n; i++) {
		if (ov[2 * i] == (size_t)-1)
			lua_pushnil(L);
		else
			lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] -
			    ov[2 * i]);
	}
	return n - 1;
}

/* Appends repl with $0..$9 replaced by the groups of the match. */
static void
expand_repl(luaL_Buffer *b, const char *s, const char *repl, size_t rlen,
    const size_t *ov, int n)
{
	for (size_t i = 0; i < rlen; i++) {
		if (repl[i] == '$' && i + 1 < rlen && repl[i + 1] >= '0' &&
		    repl[i + 1] <= '9') {
			int g = repl[++i] - '0';
			if (g < n && ov[2 * g] != (size_t)-1)
				luaL_addlstring(b, s + ov[2 * g],
				    ov[2 * g + 1] - ov[2 * g]);
		} else if (repl[i] == '$' && i + 1 < rlen &&
		    repl[i + 1] == '$') {
			luaL_addchar(b, '$');
			i++;
		} else
			luaL_addchar(b, repl[i]);
	}
}

/* s:gsub_re(re, repl) -> new string, count. repl may use $0..$9. */
static int
str_gsub_re(lua_State *L)
{
	size_t len, rlen, ov[2 * RE_MAX_GROUPS], at = 0, count = 0;
	const char *s = luaL_checklstring(L, 1, &len);
	const struct re *re = check_re(L, 2);
	const char *repl = luaL_checklstring(L, 3, &rlen);
	luaL_Buffer b;
	int n;

	luaL_buffinit(L, &b);
	while (at <= len && (n = re_match(re, s, len, at, ov,
	    RE_MAX_GROUPS)) > 0) {
		if (n > RE_MAX_GROUPS)
			n = RE_MAX_GROUPS;
		luaL_addlstring(&b, s + at, ov[0] - at);
		expand_repl(&b, s, repl, rlen, ov, n);
		count++;
		if (ov[1] == ov[0]) {	/* empty match: step one byte */
			if (ov[1] < len)
				luaL_addchar(&b, s[ov[1]]);
			at = ov[1] + 1;
		} else
			at = ov[1];
	}
	if (at < len)
		luaL_addlstring(&b, s + at, len - at);
	luaL_pushresult(&b);
	lua_pushinteger(L, (lua_Integer)count);
	return 2;
}

void
regex_open(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "match_re", str_match_re },
		{ "gsub_re", str_gsub_re },
		{ NULL, NULL }
	};

	/* On the string table, so both s:match_re(p) and
	 * string.match_re(s, p) work. */
	lua_getglobal(L, "string");
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
	/* And as re.match(s, p), re.gsub(s, p, r). */
	lua_newtable(L);
	lua_pushcfunction(L, str_match_re);
	lua_setfield(L, -2, "match");
	lua_pushcfunction(L, str_gsub_re);
	lua_setfield(L, -2, "gsub");
	lua_setglobal(L, "re");
}
