/*
 * Services, checks and live cluster data in recipes (docs/services.md).
 *
 *   service { name = "nginx", ensure = "running", port = 80,
 *             checks = { { http = "http://127.0.0.1/" } } }
 *   check { name = "disk", script = "test -w /var", interval = "30s" }
 *   for _, b in ipairs(cluster.service("web", { healthy = true })) do ... end
 *   cluster.members { pack = "web" }
 *
 * A `service` with `port` or `checks` is also registered in the catalog
 * (under `catalog`, by default its name), like Consul's service
 * definition beside the unit: the same resource keeps managing the init
 * service when it says `ensure` or `enable`, and only registers when it
 * says neither. Registrations and checks are node-level declarations,
 * handed to the agent after the compile (cli/recipe_declare.c); a later
 * recipe that drops them deregisters them.
 *
 * cluster.service() and cluster.members() ask the local agent while the
 * recipe compiles (recipe_opts.cluster_ask) and record what they read;
 * the agent converges again when an answer changes.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/catalog.h"
#include "core/buf.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/recipe.h"
#include "recipe/recipe_int.h"

#define DEF_INTERVAL_MS	10000
#define DEF_TIMEOUT_MS	5000

/* A Lua number of seconds, or a string duration_ms() reads; -1 when bad. */
static long long
value_duration_ms(lua_State *L, int idx)
{
	double v;

	if (lua_type(L, idx) == LUA_TNUMBER) {
		v = lua_tonumber(L, idx) * 1000;
		return v >= 0 && v <= 86400000.0 ? (long long)v : -1;
	}
	if (lua_type(L, idx) != LUA_TSTRING)
		return -1;
	return duration_ms(lua_tostring(L, idx));
}

static long long
opt_duration(lua_State *L, int t, const char *key, long long def)
{
	long long v = def;

	if (lua_getfield(L, t, key) != LUA_TNIL &&
	    (v = value_duration_ms(L, -1)) < 0)
		luaL_error(L, "check: %s must be a duration like \"10s\" or "
		    "\"500ms\"", key);
	lua_pop(L, 1);
	return v;
}

static long long
opt_count(lua_State *L, int t, const char *key, long long def)
{
	long long v = def;

	if (lua_getfield(L, t, key) != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || (v = lua_tointeger(L, -1)) < 1 ||
		    v > 100)
			luaL_error(L, "check: %s must be 1 to 100", key);
	}
	lua_pop(L, 1);
	return v;
}

/* A check target must not break the declaration's framing. */
static void
check_text(lua_State *L, const char *what, const char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\x1f')
			luaL_error(L, "check: %s may not hold tabs or newlines",
			    what);
}

/* The script: a list (argv, joined by \x1f) or a string (sh -c). */
static void
script_target(lua_State *L, int idx, struct buf *out)
{
	if (lua_type(L, idx) == LUA_TSTRING) {
		check_text(L, "script", lua_tostring(L, idx));
		buf_addstr(out, lua_tostring(L, idx));
		return;
	}
	if (lua_type(L, idx) != LUA_TTABLE || luaL_len(L, idx) < 1)
		luaL_error(L, "check: script is a string or a list of "
		    "arguments");
	for (lua_Integer i = 1; i <= luaL_len(L, idx); i++) {
		lua_geti(L, idx, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "check: script arguments are strings");
		check_text(L, "script", lua_tostring(L, -1));
		buf_addf(out, "%s%s", i == 1 ? "" : "\x1f",
		    lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	/* One argument alone still runs without a shell. */
	if (luaL_len(L, idx) == 1)
		buf_addch(out, '\x1f');
}

/*
 * One check table at t into a declaration "k:name\tservice\tkind\t
 * target\tinterval\ttimeout\trise\tfall\tgrace" (agent/svc_checks.c).
 */
static void
check_declare(lua_State *L, int t, const char *service, int n)
{
	static const char *const kinds[] = { "script", "http", "tcp", "ttl" };
	struct recipe *rec = compile_of(L)->rec;
	struct buf target = BUF_INIT, d = BUF_INIT;
	const char *kind = NULL, *name;
	char defname[CATALOG_NAME_MAX + 1];
	long long interval, timeout, grace, rise, fall, ttl = 0;

	luaL_checktype(L, t, LUA_TTABLE);
	for (int i = 0; i < 4; i++) {
		if (lua_getfield(L, t, kinds[i]) != LUA_TNIL) {
			if (kind != NULL)
				luaL_error(L, "check: give one of script, "
				    "http, tcp or ttl");
			kind = kinds[i];
			if (i == 0)
				script_target(L, lua_gettop(L), &target);
			else if (i == 3) {
				if ((ttl = value_duration_ms(L, -1)) < 100)
					luaL_error(L, "check: ttl must be a "
					    "duration of at least 100ms");
			} else {
				check_text(L, kind, luaL_checkstring(L, -1));
				buf_addstr(&target, lua_tostring(L, -1));
			}
		}
		lua_pop(L, 1);
	}
	if (kind == NULL)
		luaL_error(L, "check: give one of script, http, tcp or ttl");
	snprintf(defname, sizeof(defname), "%s%s%d", service ? service :
	    "check", "-", n);
	lua_getfield(L, t, "name");
	name = lua_isnil(L, -1) ? defname : luaL_checkstring(L, -1);
	if (!catalog_name_valid(name))
		luaL_error(L, "check: bad name '%s': 1 to 32 of a-z, 0-9 and "
		    "'-'", name);
	interval = ttl ? ttl : opt_duration(L, t, "interval",
	    DEF_INTERVAL_MS);
	timeout = opt_duration(L, t, "timeout", DEF_TIMEOUT_MS);
	grace = opt_duration(L, t, "grace", 0);
	rise = opt_count(L, t, "rise", ttl ? 1 : 2);
	fall = opt_count(L, t, "fall", ttl ? 1 : 3);
	if (interval < 100 || timeout < 1)
		luaL_error(L, "check '%s': interval must be at least 100ms "
		    "and timeout above 0", name);
	buf_addf(&d, "k:%s\t%s\t%s\t%s\t%lld\t%lld\t%lld\t%lld\t%lld", name,
	    service ? service : "", kind, target.data ? target.data : "",
	    interval, timeout, rise, fall, grace);
	lua_pop(L, 1);
	for (size_t i = 0; i < rec->nsvc_decl; i++)
		if (strncmp(rec->svc_decl[i], "k:", 2) == 0 &&
		    strncmp(rec->svc_decl[i] + 2, name, strlen(name)) == 0 &&
		    rec->svc_decl[i][2 + strlen(name)] == '\t')
			luaL_error(L, "check '%s' is declared twice", name);
	if (d.len > 1000)
		luaL_error(L, "check '%s' is too long", name);
	recipe_str_push(&rec->svc_decl, &rec->nsvc_decl, d.data);
	buf_release(&target);
	buf_release(&d);
}

static int
recipe_check(lua_State *L)
{
	const char *svc = NULL;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (lua_getfield(L, 1, "service") != LUA_TNIL) {
		svc = luaL_checkstring(L, -1);
		if (!catalog_name_valid(svc))
			return luaL_error(L, "check: bad service name '%s'",
			    svc);
	}
	check_declare(L, 1, svc, (int)compile_of(L)->rec->nsvc_decl + 1);
	return 0;
}

/* Registers the service in table t (a copy without the catalog keys). */
static void
service_register(lua_State *L, int t, const char *name)
{
	struct recipe *rec = compile_of(L)->rec;
	struct buf d = BUF_INIT;
	lua_Integer port = 0;

	if (lua_getfield(L, t, "port") != LUA_TNIL && (!lua_isinteger(L, -1) ||
	    (port = lua_tointeger(L, -1)) < 1 || port > 65535))
		luaL_error(L, "service '%s': port must be 1 to 65535", name);
	lua_pop(L, 1);
	if (port == 0)
		luaL_error(L, "service '%s': a registered service needs a "
		    "port", name);
	if (lua_getfield(L, t, "catalog") != LUA_TNIL)
		name = luaL_checkstring(L, -1);
	if (!catalog_name_valid(name))
		luaL_error(L, "service '%s': catalog names are 1 to 32 of "
		    "a-z, 0-9 and '-' (set catalog = \"...\")", name);
	buf_addf(&d, "s:%s:%lld:p", name, (long long)port);
	if (lua_getfield(L, t, "catalog_tags") != LUA_TNIL) {
		luaL_checktype(L, -1, LUA_TTABLE);
		for (lua_Integer i = 1; i <= luaL_len(L, -1); i++) {
			lua_geti(L, -1, i);
			buf_addf(&d, "%c%s", i == 1 ? ':' : '+',
			    luaL_checkstring(L, -1));
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	{
		struct catalog_svc v;
		if (catalog_svc_parse(d.data + 2, &v, 1) != 1)
			luaL_error(L, "service '%s': bad catalog_tags (letters, "
			    "digits, '.', '_', '-'; 64 bytes in all)", name);
	}
	for (size_t i = 0; i < rec->nsvc_decl; i++)
		if (strncmp(rec->svc_decl[i], "s:", 2) == 0 &&
		    strncmp(rec->svc_decl[i] + 2, name, strlen(name)) == 0 &&
		    rec->svc_decl[i][2 + strlen(name)] == ':')
			luaL_error(L, "service '%s' is registered twice", name);
	recipe_str_push(&rec->svc_decl, &rec->nsvc_decl, d.data);
	if (lua_getfield(L, t, "checks") != LUA_TNIL) {
		int ct = lua_gettop(L);

		luaL_checktype(L, ct, LUA_TTABLE);
		for (lua_Integer i = 1; i <= luaL_len(L, ct); i++) {
			lua_geti(L, ct, i);
			check_declare(L, lua_gettop(L), name, (int)i);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	buf_release(&d);
}

static int
is_catalog_key(const char *k)
{
	return strcmp(k, "port") == 0 || strcmp(k, "checks") == 0 ||
	    strcmp(k, "catalog") == 0 || strcmp(k, "catalog_tags") == 0;
}

/* service{...}: registers, then declares the init service if asked. */
static int
service_call(lua_State *L)
{
	int registers = 0, manages = 0, copy;
	const char *name;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_newtable(L);
	copy = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, 2) != 0) {
		if (lua_type(L, -2) == LUA_TSTRING &&
		    is_catalog_key(lua_tostring(L, -2)))
			registers = 1;
		else {
			if (lua_type(L, -2) != LUA_TSTRING ||
			    strcmp(lua_tostring(L, -2), "name") != 0)
				manages = 1;
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, copy);
			continue;
		}
		lua_pop(L, 1);
	}
	if (registers) {
		lua_getfield(L, 2, "name");
		name = luaL_checkstring(L, -1);
		service_register(L, 2, name);
		lua_pop(L, 1);
	}
	if (registers && !manages)
		return 0;
	/* The resource's own declare, with the catalog keys taken out. */
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, copy);
	lua_call(L, 2, 1);
	return 1;
}

/* ---- Live data -------------------------------------------------------- */

static void
record_read(struct recipe *rec, const char *query, const struct buf *ans)
{
	char line[256];

	snprintf(line, sizeof(line), "%s\t%016llx", query,
	    (unsigned long long)catalog_digest((const uint8_t *)ans->data,
	    ans->len));
	for (size_t i = 0; i < rec->nreads; i++)
		if (strncmp(rec->reads[i], query, strlen(query)) == 0 &&
		    rec->reads[i][strlen(query)] == '\t')
			return;	/* the first read of a query counts */
	recipe_str_push(&rec->reads, &rec->nreads, line);
}

static void
push_tags(lua_State *L, const char *tags)
{
	int n = 0;

	lua_newtable(L);
	for (const char *p = tags; *p; ) {
		size_t len = strcspn(p, "+");

		lua_pushlstring(L, p, len);
		lua_rawseti(L, -2, ++n);
		p += len + (p[len] == '+');
	}
}

/* Asks the agent, records the read, pushes the answer as a list. */
static int
ask(lua_State *L, const char *query, int is_service)
{
	struct compile *c = compile_of(L);
	struct tl_err err = TL_ERR_INIT;
	struct catalog_inst *v = NULL;
	struct buf ans = BUF_INIT;
	int n;

	if (c->opts->cluster_ask == NULL)
		return luaL_error(L, "cluster data needs the local agent (the "
		    "recipe runs without one)");
	if (c->opts->cluster_ask(c->opts->cluster_ctx, query, &ans,
	    &err) < 0) {
		buf_release(&ans);
		return luaL_error(L, "cannot read the catalog: %s", err.msg);
	}
	if ((n = catalog_decode((const uint8_t *)ans.data, ans.len, &v)) < 0) {
		buf_release(&ans);
		return luaL_error(L, "the agent's catalog answer does not "
		    "parse");
	}
	record_read(c->rec, query, &ans);
	buf_release(&ans);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_createtable(L, 0, 8);
		lua_pushstring(L, v[i].node);
		lua_setfield(L, -2, is_service ? "node" : "name");
		lua_pushstring(L, v[i].addr);
		lua_setfield(L, -2, "addr");
		if (is_service) {
			lua_pushinteger(L, v[i].port);
			lua_setfield(L, -2, "port");
			push_tags(L, v[i].tags);
			lua_setfield(L, -2, "tags");
		} else {
			lua_pushstring(L, v[i].tags);
			lua_setfield(L, -2, "pack");
		}
		lua_pushstring(L, catalog_state_name(v[i].state));
		lua_setfield(L, -2, "status");
		lua_pushboolean(L, catalog_inst_healthy(&v[i]));
		lua_setfield(L, -2, "healthy");
		lua_pushstring(L, v[i].check);
		lua_setfield(L, -2, "check");
		lua_rawseti(L, -2, i + 1);
	}
	free(v);
	return 1;
}

static int
opt_bool(lua_State *L, int t, const char *key, int def)
{
	int v = def;

	if (t != 0 && lua_getfield(L, t, key) != LUA_TNIL) {
		luaL_checktype(L, -1, LUA_TBOOLEAN);
		v = lua_toboolean(L, -1);
	}
	if (t != 0)
		lua_pop(L, 1);
	return v;
}

static const char *
opt_str(lua_State *L, int t, const char *key)
{
	const char *s = "";

	if (lua_getfield(L, t, key) != LUA_TNIL)
		s = luaL_checkstring(L, -1);
	lua_pop(L, 1);
	if (strpbrk(s, ":\t\n") != NULL || strlen(s) > 80)
		luaL_error(L, "cluster.members: bad %s '%s'", key, s);
	return s;
}

/* cluster.service(name, {healthy = true}) */
static int
cluster_service(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int t = lua_istable(L, 2) ? 2 : 0;
	char q[64];

	if (!catalog_name_valid(name))
		return luaL_error(L, "cluster.service: bad service name '%s'",
		    name);
	snprintf(q, sizeof(q), "s:%s:%s", name,
	    opt_bool(L, t, "healthy", 1) ? "h" : "a");
	return ask(L, q, 1);
}

/* cluster.members{pack = "web", tag = "role=lb", healthy = false} */
static int
cluster_members(lua_State *L)
{
	const char *pack = "", *tag = "";
	int healthy = 0;
	char q[200];

	if (lua_istable(L, 1)) {
		pack = opt_str(L, 1, "pack");
		tag = opt_str(L, 1, "tag");
		healthy = opt_bool(L, 1, "healthy", 0);
	}
	snprintf(q, sizeof(q), "m:%s:%s:%s", healthy ? "h" : "a", pack, tag);
	return ask(L, q, 0);
}

void
services_open(lua_State *L)
{
	static const luaL_Reg cl[] = {
		{ "service", cluster_service },
		{ "members", cluster_members },
		{ NULL, NULL }
	};

	lua_pushcfunction(L, recipe_check);
	lua_setglobal(L, "check");
	luaL_newlib(L, cl);
	lua_setglobal(L, "cluster");
	/* Wrap service{...}'s declare (declare.c) with the registration. */
	if (lua_getglobal(L, "service") == LUA_TTABLE &&
	    lua_getmetatable(L, -1)) {
		lua_getfield(L, -1, "__call");
		lua_pushcclosure(L, service_call, 1);
		lua_setfield(L, -2, "__call");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}
