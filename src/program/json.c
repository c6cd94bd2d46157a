/*
 * JSON text to Lua values, for the agent's answers (members, packs,
 * facts). Objects become tables with string keys, arrays sequences from
 * 1, null becomes nil (so a null field is simply absent). Nesting is
 * capped: the text may come from a remote node's facts.
 */
#include "program/prog_int.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX	64
#define JSON_OUT_MAX	(16u << 20)	/* a shared subtable is copied */

struct jp {
	const char	*p, *end;
	const char	*err;
};

static void
ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
lit(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static void
utf8_put(luaL_Buffer *b, unsigned long c)
{
	if (c < 0x80)
		luaL_addchar(b, (char)c);
	else if (c < 0x800) {
		luaL_addchar(b, (char)(0xc0 | c >> 6));
		luaL_addchar(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		luaL_addchar(b, (char)(0xe0 | c >> 12));
		luaL_addchar(b, (char)(0x80 | (c >> 6 & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (c & 0x3f)));
	} else {
		luaL_addchar(b, (char)(0xf0 | c >> 18));
		luaL_addchar(b, (char)(0x80 | (c >> 12 & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (c >> 6 & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (c & 0x3f)));
	}
}

static int
hex4(struct jp *j, unsigned long *out)
{
	char tmp[5], *e;

	if (j->end - j->p < 4)
		return -1;
	memcpy(tmp, j->p, 4);
	tmp[4] = '\0';
	*out = strtoul(tmp, &e, 16);
	if (e != tmp + 4)
		return -1;
	j->p += 4;
	return 0;
}

static int
str(lua_State *L, struct jp *j)
{
	luaL_Buffer b;
	unsigned long c;

	j->p++;			/* the opening quote */
	luaL_buffinit(L, &b);
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return j->err = "control character in a string", -1;
		if (*j->p != '\\') {
			luaL_addchar(&b, *j->p++);
			continue;
		}
		if (++j->p == j->end)
			break;
		switch (*j->p++) {
		case '"':  luaL_addchar(&b, '"'); break;
		case '\\': luaL_addchar(&b, '\\'); break;
		case '/':  luaL_addchar(&b, '/'); break;
		case 'b':  luaL_addchar(&b, '\b'); break;
		case 'f':  luaL_addchar(&b, '\f'); break;
		case 'n':  luaL_addchar(&b, '\n'); break;
		case 'r':  luaL_addchar(&b, '\r'); break;
		case 't':  luaL_addchar(&b, '\t'); break;
		case 'u':
			if (hex4(j, &c) < 0)
				return j->err = "bad \\u escape", -1;
			utf8_put(&b, c);
			break;
		default:
			return j->err = "bad escape", -1;
		}
	}
	if (j->p == j->end)
		return j->err = "unterminated string", -1;
	j->p++;
	luaL_pushresult(&b);
	return 0;
}

static int
num(lua_State *L, struct jp *j)
{
	char tmp[64];
	const char *s = j->p;
	size_t n;

	while (j->p < j->end && strchr("+-0123456789.eE", *j->p) != NULL)
		j->p++;
	n = (size_t)(j->p - s);
	if (n == 0 || n >= sizeof(tmp))
		return j->err = "bad number", -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (lua_stringtonumber(L, tmp) == 0)
		return j->err = "bad number", -1;
	return 0;
}

static int value(lua_State *L, struct jp *j, int depth);

static int
container(lua_State *L, struct jp *j, int depth)
{
	int is_obj = *j->p++ == '{';
	lua_Integer i = 1;

	if (depth >= JSON_DEPTH_MAX)
		return j->err = "nested too deep", -1;
	luaL_checkstack(L, 4, "json");
	lua_newtable(L);
	ws(j);
	if (j->p < j->end && *j->p == (is_obj ? '}' : ']')) {
		j->p++;
		return 0;
	}
	for (;;) {
		ws(j);
		if (is_obj) {
			if (j->p == j->end || *j->p != '"')
				return j->err = "expected a key", -1;
			if (str(L, j) < 0)
				return -1;
			ws(j);
			if (j->p == j->end || *j->p++ != ':')
				return j->err = "expected ':'", -1;
		}
		if (value(L, j, depth + 1) < 0)
			return -1;
		if (is_obj)
			lua_rawset(L, -3);
		else
			lua_rawseti(L, -2, i++);
		ws(j);
		if (j->p == j->end)
			return j->err = "unterminated container", -1;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != (is_obj ? '}' : ']'))
			return j->err = "expected ',' or a closing bracket", -1;
		return 0;
	}
}

static int
value(lua_State *L, struct jp *j, int depth)
{
	ws(j);
	if (j->p == j->end)
		return j->err = "unexpected end", -1;
	if (*j->p == '{' || *j->p == '[')
		return container(L, j, depth);
	if (*j->p == '"')
		return str(L, j);
	if (lit(j, "true"))
		lua_pushboolean(L, 1);
	else if (lit(j, "false"))
		lua_pushboolean(L, 0);
	else if (lit(j, "null"))
		lua_pushnil(L);
	else
		return num(L, j);
	return 0;
}

int
prog_json_push(lua_State *L, const char *text, size_t len, const char **why)
{
	struct jp j = { text, text + len, NULL };
	int top = lua_gettop(L);

	if (value(L, &j, 0) == 0) {
		ws(&j);
		if (j.p == j.end)
			return 0;
		j.err = "trailing text";
	}
	lua_settop(L, top);
	*why = j.err;
	return -1;
}

/* ---- Lua to JSON, for the report ------------------------------------ */

static int
is_sequence(lua_State *L, int idx, lua_Integer *n)
{
	lua_Integer count = 0;

	*n = (lua_Integer)lua_rawlen(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		count++;
	}
	return count == *n;
}

static void
encode(lua_State *L, int idx, struct buf *out, int depth)
{
	lua_Integer n;
	size_t len;
	const char *s;
	int first = 1;

	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		buf_addstr(out, lua_toboolean(L, idx) ? "true" : "false");
		return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			buf_addf(out, "%lld", (long long)lua_tointeger(L, idx));
		else
			buf_addf(out, "%.14g", lua_tonumber(L, idx));
		return;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		buf_add_json_str(out, s, len);
		return;
	case LUA_TTABLE:
		break;
	default:
		buf_addstr(out, "null");
		return;
	}
	/* Every call writes, so this bounds the work too: a table made of
	 * itself twice over is cut, not followed 2^64 times. */
	if (depth >= JSON_DEPTH_MAX || out->len > JSON_OUT_MAX) {
		buf_addstr(out, "null");
		return;
	}
	luaL_checkstack(L, 4, "json");
	/* An empty table is more often an empty list than a record. */
	if (is_sequence(L, idx, &n)) {
		buf_addch(out, '[');
		for (lua_Integer i = 1; i <= n; i++) {
			buf_addstr(out, i > 1 ? "," : "");
			lua_rawgeti(L, idx, i);
			encode(L, -1, out, depth + 1);
			lua_pop(L, 1);
		}
		buf_addch(out, ']');
		return;
	}
	buf_addch(out, '{');
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		/* Only string and number keys: converting a key in place
		 * would confuse next(), and metamethods may raise. */
		if (lua_type(L, -2) == LUA_TSTRING) {
			s = lua_tolstring(L, -2, &len);
			buf_addstr(out, first ? "" : ",");
			buf_add_json_str(out, s, len);
		} else if (lua_type(L, -2) == LUA_TNUMBER) {
			buf_addstr(out, first ? "\"" : ",\"");
			if (lua_isinteger(L, -2))
				buf_addf(out, "%lld",
				    (long long)lua_tointeger(L, -2));
			else
				buf_addf(out, "%.14g", lua_tonumber(L, -2));
			buf_addch(out, '"');
		} else {
			lua_pop(L, 1);
			continue;
		}
		buf_addch(out, ':');
		encode(L, -1, out, depth + 1);
		lua_pop(L, 1);
		first = 0;
	}
	buf_addch(out, '}');
}

void
prog_json_encode(lua_State *L, int idx, struct buf *out)
{
	encode(L, idx, out, 0);
}
