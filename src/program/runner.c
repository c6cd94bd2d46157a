/*
 * Running a program: the sandboxed Lua state (the recipe sandbox, with
 * its own memory and instruction caps), the API, the script, and the
 * final report of everything done, which is written also when the
 * program stops on an error.
 */
#include "program/prog_int.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/re.h"
#include "core/xalloc.h"
#include "net/opkey.h"
#include "recipe/recipe.h"

#define PROG_MAX_FILE	(8u << 20)
#define API_CHUNK	"(program api)"

struct prog *
prog_of(lua_State *L)
{
	return lua_budget_owner(L);
}

/*
 * Message handler: errors raised inside the API or a C primitive carry
 * no position in the user's script; give them the innermost one there.
 */
static int
prog_msgh(lua_State *L)
{
	const char *msg = lua_tostring(L, 1), *chunk;
	lua_Debug ar;

	if (msg == NULL)
		msg = lua_pushstring(L, luaL_tolstring(L, 1, NULL));
	/* The API's own position means nothing to the user. */
	if (strncmp(msg, API_CHUNK ":", sizeof(API_CHUNK)) == 0) {
		const char *q = msg + sizeof(API_CHUNK);

		while (*q >= '0' && *q <= '9')
			q++;
		if (q[0] == ':' && q[1] == ' ')
			msg = q + 2;
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "tlaloc.chunk");
	chunk = lua_tostring(L, -1);
	for (int lv = 1; lua_getstack(L, lv, &ar); lv++) {
		if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline <= 0 ||
		    chunk == NULL || strcmp(ar.short_src, chunk) != 0)
			continue;
		if (strncmp(msg, ar.short_src, strlen(ar.short_src)) == 0)
			break;
		lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline,
		    msg);
		return 1;
	}
	lua_pushstring(L, msg);
	return 1;
}

static void
report_actions_text(const struct prog *p, FILE *f)
{
	if (p->nacts == 0)
		return;
	fprintf(f, "%-20s %-10s %-8s %s\n", "NODE", "ACTION", "RESULT",
	    "DETAIL");
	for (size_t i = 0; i < p->nacts; i++)
		fprintf(f, "%-20s %-10s %-8s %s\n", p->acts[i].node,
		    p->acts[i].action, p->acts[i].result, p->acts[i].detail);
}

/* One line of node names from a report list (names or {node=}). */
static void
list_text(lua_State *L, int idx, const char *field, FILE *f)
{
	fprintf(f, "  %-10s", field);
	if (lua_getfield(L, idx, field) == LUA_TTABLE) {
		for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL;
		    i++) {
			if (lua_istable(L, -1))
				lua_getfield(L, -1, "node");
			else
				lua_pushvalue(L, -1);
			fprintf(f, " %s", lua_type(L, -1) == LUA_TSTRING ?
			    lua_tostring(L, -1) : "?");
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	fputc('\n', f);
}

static void
report_rolling_text(lua_State *L, int reports, FILE *f)
{
	for (lua_Integer i = 1; lua_rawgeti(L, reports, i) == LUA_TTABLE;
	    i++) {
		int r = lua_gettop(L);

		lua_getfield(L, r, "batches_done");
		lua_getfield(L, r, "batches");
		lua_getfield(L, r, "reason");
		fprintf(f, "rolling run %lld: %lld of %lld batches%s%s\n",
		    (long long)i, (long long)lua_tointeger(L, -3),
		    (long long)lua_tointeger(L, -2),
		    lua_isstring(L, -1) ? "; stopped: " : "",
		    lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
		lua_pop(L, 3);
		list_text(L, r, "finished", f);
		list_text(L, r, "failed", f);
		list_text(L, r, "untouched", f);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* Whether every rolling run went to its end. */
static int
rolling_ok(lua_State *L, int reports)
{
	int ok = 1;

	for (lua_Integer i = 1; lua_rawgeti(L, reports, i) == LUA_TTABLE;
	    i++) {
		lua_pushliteral(L, "ok");
		lua_rawget(L, -2);
		ok &= lua_toboolean(L, -1);
		lua_pop(L, 2);
	}
	lua_pop(L, 1);
	return ok;
}

static void
report_json(lua_State *L, const struct prog *p, int reports, int result,
    const char *error, FILE *f)
{
	struct buf out = BUF_INIT;

	buf_addstr(&out, "{\"program\":");
	buf_add_json_str(&out, p->o->script, strlen(p->o->script));
	buf_addf(&out, ",\"dry_run\":%s,\"ok\":%s,\"error\":",
	    p->o->is_dry_run ? "true" : "false",
	    error == NULL && p->nfailed == 0 && rolling_ok(L, reports) ?
	    "true" : "false");
	if (error != NULL)
		buf_add_json_str(&out, error, strlen(error));
	else
		buf_addstr(&out, "null");
	buf_addstr(&out, ",\"actions\":[");
	for (size_t i = 0; i < p->nacts; i++) {
		const struct prog_action *a = &p->acts[i];

		buf_addstr(&out, i ? ",{\"node\":" : "{\"node\":");
		buf_add_json_str(&out, a->node, strlen(a->node));
		buf_addstr(&out, ",\"action\":");
		buf_add_json_str(&out, a->action, strlen(a->action));
		buf_addstr(&out, ",\"result\":");
		buf_add_json_str(&out, a->result, strlen(a->result));
		buf_addstr(&out, ",\"detail\":");
		buf_add_json_str(&out, a->detail, strlen(a->detail));
		buf_addch(&out, '}');
	}
	buf_addstr(&out, "],\"rolling\":");
	prog_json_encode(L, reports, &out);
	buf_addstr(&out, ",\"result\":");
	if (result != 0)
		prog_json_encode(L, result, &out);
	else
		buf_addstr(&out, "null");
	buf_addstr(&out, "}\n");
	fwrite(out.data, 1, out.len, f);
	buf_release(&out);
}

static void
report(lua_State *L, const struct prog *p, int reports, int result,
    const char *error)
{
	FILE *f = p->o->out;
	struct buf b = BUF_INIT;

	if (p->o->is_json) {
		report_json(L, p, reports, result, error, f);
		return;
	}
	report_actions_text(p, f);
	report_rolling_text(L, reports, f);
	if (result != 0 && !lua_isnil(L, result) &&
	    !lua_isboolean(L, result)) {
		prog_json_encode(L, result, &b);
		fprintf(f, "result: %.*s\n", (int)b.len, b.data);
		buf_release(&b);
	}
	if (error != NULL)
		fprintf(f, "program %s stopped: %s\n", p->o->script, error);
	fprintf(f, "%s%zu actions, %zu not done%s\n", p->o->is_dry_run ?
	    "dry run: " : "", p->nacts, p->nfailed, p->nacts > 0 &&
	    p->o->is_dry_run ? " (nothing was touched)" : "");
	fflush(f);
}

struct report_args {
	struct prog	*p;
	const char	*error;
	int		 is_ok;		/* out: exit 0 */
};

/*
 * report(ra, reports, result) in protected mode: a program may have left
 * metatables on what it returned, and nothing may abort the report.
 */
static int
report_protected(lua_State *L)
{
	struct report_args *ra = lua_touserdata(L, 1);

	report(L, ra->p, 2, lua_isnil(L, 3) ? 0 : 3, ra->error);
	/* A rolling run that stopped is a failure even with no failed
	 * action: its health check said no. */
	ra->is_ok = ra->error == NULL && ra->p->nfailed == 0 &&
	    rolling_ok(L, 2);
	return 0;
}

static int
load_script(lua_State *L, const char *path, struct buf *err)
{
	struct tl_err e = TL_ERR_INIT;
	struct buf src = BUF_INIT;
	char *chunk = xasprintf("@%s", path);
	int r;

	if (fileio_read(path, PROG_MAX_FILE, &src, &e) < 0) {
		buf_addf(err, "%s", e.msg);
		free(chunk);
		return -1;
	}
	r = luaL_loadbufferx(L, src.data, src.len, chunk, "t");
	buf_release(&src);
	free(chunk);
	if (r != LUA_OK) {
		buf_addstr(err, lua_tostring(L, -1));
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

static void
prog_release(struct prog *p)
{
	for (size_t i = 0; i < p->nacts; i++) {
		free(p->acts[i].node);
		free(p->acts[i].action);
		free(p->acts[i].result);
		free(p->acts[i].detail);
	}
	free(p->acts);
	free(p->sock);
	opkey_free(p->key);
}

/* Sets up the API; leaves the rolling report list on the stack. */
static int
api_open(lua_State *L, struct buf *err)
{
	recipe_sandbox(L);
	if (luaL_loadbufferx(L, prog_prelude, strlen(prog_prelude),
	    "=" API_CHUNK, "t") != LUA_OK) {
		buf_addstr(err, lua_tostring(L, -1));
		return -1;
	}
	lua_newtable(L);
	prog_prims_register(L);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		buf_addstr(err, lua_tostring(L, -1));
		return -1;
	}
	return 0;
}

int
program_run(const struct program_opts *o)
{
	struct report_args ra;
	struct prog p;
	struct buf err = BUF_INIT;
	const char *error = NULL;
	lua_State *L;
	int reports, result = 0, rc;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.budget.mem_max = o->max_memory;
	p.budget.max_instructions = o->max_instructions;
	p.budget.what = "program";
	p.budget.owner = &p;
	if (o->state_dir != NULL)
		p.sock = xasprintf("%s/agent.sock", o->state_dir);
	if ((L = lua_budget_newstate(&p.budget)) == NULL) {
		fprintf(stderr, "tlaloc: out of memory\n");
		prog_release(&p);
		return 1;
	}
	if (api_open(L, &err) < 0) {
		fprintf(stderr, "tlaloc: program api: %s\n", err.data);
		lua_close(L);
		prog_release(&p);
		buf_release(&err);
		return 1;
	}
	reports = lua_gettop(L);
	lua_pushfstring(L, "%s", o->script);
	lua_setfield(L, LUA_REGISTRYINDEX, "tlaloc.chunk");
	lua_newtable(L);
	lua_pushstring(L, o->script);
	lua_rawseti(L, -2, 0);
	for (int i = 0; i < o->nargs; i++) {
		lua_pushstring(L, o->args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");
	lua_pushcfunction(L, prog_msgh);
	if (load_script(L, o->script, &err) < 0)
		error = err.data;
	else {
		for (int i = 0; i < o->nargs; i++)
			lua_pushstring(L, o->args[i]);
		if (lua_pcall(L, o->nargs, 1, reports + 1) != LUA_OK)
			error = lua_tostring(L, -1);
		else
			result = lua_gettop(L);
	}
	lua_budget_stop(L);
	/* Room for the report even when the program died of its memory
	 * cap: what it builds is bounded by the data. */
	p.budget.mem_max = (size_t)-1;
	lua_gc(L, LUA_GCCOLLECT);
	ra.p = &p;
	ra.error = error;
	ra.is_ok = 0;
	lua_pushcfunction(L, report_protected);
	lua_pushlightuserdata(L, &ra);
	lua_pushvalue(L, reports);
	if (result != 0)
		lua_pushvalue(L, result);
	else
		lua_pushnil(L);
	if (lua_pcall(L, 3, 0, 0) != LUA_OK)
		fprintf(stderr, "tlaloc: cannot write the report: %s\n",
		    lua_tostring(L, -1));
	rc = !ra.is_ok;
	lua_close(L);
	prog_release(&p);
	buf_release(&err);
	re_cache_clear();
	return rc;
}
