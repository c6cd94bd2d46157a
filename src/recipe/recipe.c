#include "recipe.h"

#include <sys/stat.h>

#include <dirent.h>
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "recipe/chunk_cache.h"
#include "recipe/lua_budget.h"
#include "recipe/recipe_int.h"

#define RECIPE_MAX_FILE		(8u << 20)	/* one recipe file */

struct compile *
compile_of(lua_State *L)
{
	return lua_budget_owner(L);
}

/* print() goes to stderr with the caller's position: stdout is the
 * report's. */
static int
recipe_print(lua_State *L)
{
	int n = lua_gettop(L);

	luaL_where(L, 1);
	fprintf(stderr, "%s", lua_tostring(L, -1));
	lua_pop(L, 1);
	for (int i = 1; i <= n; i++)
		fprintf(stderr, " %s", luaL_tolstring(L, i, NULL)),
		    lua_pop(L, 1);
	fputc('\n', stderr);
	return 0;
}

/* load() for text chunks only: binary chunks can crash the interpreter. */
static int
recipe_load(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *name = luaL_optstring(L, 2, "=(load)");

	if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	return 1;
}

void
recipe_sandbox(lua_State *L)
{
	static const char *const unsafe[] = {
		"dofile", "loadfile", "require", "collectgarbage", NULL
	};
	static const char *const os_keep[] = {
		"time", "date", "clock", "getenv", "difftime", NULL
	};

	luaL_requiref(L, "_G", luaopen_base, 1);
	luaL_requiref(L, "string", luaopen_string, 1);
	luaL_requiref(L, "table", luaopen_table, 1);
	luaL_requiref(L, "math", luaopen_math, 1);
	luaL_requiref(L, "utf8", luaopen_utf8, 1);
	lua_pop(L, 5);
	luaL_requiref(L, "os", luaopen_os, 0);	/* kept on the stack */
	for (size_t i = 0; unsafe[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setglobal(L, unsafe[i]);
	}
	lua_pushcfunction(L, recipe_print);
	lua_setglobal(L, "print");
	lua_pushcfunction(L, recipe_load);
	lua_setglobal(L, "load");
	/* os: only what reads the clock and environment. */
	lua_newtable(L);
	for (size_t i = 0; os_keep[i] != NULL; i++) {
		lua_getfield(L, -2, os_keep[i]);
		lua_setfield(L, -2, os_keep[i]);
	}
	lua_setglobal(L, "os");
	lua_pop(L, 1);
}

/* Splits "file:12: message" into err->where and err->msg. */
static void
recipe_error(const char *text, struct tl_err *err)
{
	const char *p = text, *colon;

	while ((colon = strchr(p, ':')) != NULL) {
		const char *q = colon + 1;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q > colon + 1 && q[0] == ':' && q[1] == ' ') {
			snprintf(err->where, sizeof(err->where), "%.*s",
			    (int)(q - text), text);
			tl_err_set(err, TL_ESYNTAX, "%s", q + 2);
			return;
		}
		p = colon + 1;
	}
	tl_err_set(err, TL_ESYNTAX, "%s", text);
}

static void
recipe_add_file(struct recipe *rec, const char *rel)
{
	rec->files = xrealloc(rec->files, (rec->nfiles + 1) * sizeof(char *));
	rec->files[rec->nfiles++] = xstrdup(rel);
}

/* Pushes the function of the file rel, whose source is src: from the
 * chunk cache when it holds it, else compiled (and then cached). */
static int
recipe_load_file(lua_State *L, struct compile *c, const char *rel,
    const char *chunk, const struct buf *src)
{
	const char *cache = c->opts->chunk_cache;
	struct chunk_key k;
	int rc;

	if (cache == NULL)
		return luaL_loadbufferx(L, src->data, src->len, chunk, "t");
	chunk_key_make(&k, rel, chunk, src->data, src->len);
	if (chunk_cache_load(L, cache, &k, chunk) == 0)
		return LUA_OK;
	rc = luaL_loadbufferx(L, src->data, src->len, chunk, "t");
	if (rc == LUA_OK && !c->opts->chunk_cache_ro)
		chunk_cache_save(L, cache, &k);
	return rc;
}

void
recipe_run_file(lua_State *L, const char *rel, int nret)
{
	struct compile *c = compile_of(L);
	char *path = xasprintf("%s/%s", c->rec->dir, rel);
	char *chunk = xasprintf("@%s", rel);
	struct buf src = BUF_INIT;
	struct tl_err err = TL_ERR_INIT;
	const char *saved = c->cur_file;
	int rc;

	rc = fileio_read(path, RECIPE_MAX_FILE, &src, &err);
	free(path);
	if (rc < 0) {
		buf_release(&src);
		free(chunk);
		luaL_error(L, "%s", err.msg);
	}
	recipe_add_file(c->rec, rel);
	rc = recipe_load_file(L, c, rel, chunk, &src);
	buf_release(&src);
	free(chunk);
	if (rc != LUA_OK)
		lua_error(L);
	c->cur_file = c->rec->files[c->rec->nfiles - 1];
	lua_call(L, 0, nret);
	c->cur_file = saved;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
recipe_list_dir(lua_State *L, const char *root, const char *rel)
{
	char *path = xasprintf("%s/%s", root, rel);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name);

			if (len < 5 || de->d_name[0] == '.' ||
			    strcmp(de->d_name + len - 4, ".lua") != 0)
				continue;
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = rel[0] ? xasprintf("%s/%s", rel,
			    de->d_name) : xstrdup(de->d_name);
		}
		closedir(d);
	}
	free(path);
	if (n > 0)
		qsort(names, n, sizeof(char *), cmp_str);
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
		free(names[i]);
	}
	free(names);
}

/* Runs each file of the list on top of the stack once; pops the list. */
static void
recipe_run_list(lua_State *L)
{
	struct compile *c = compile_of(L);
	lua_Integer n = luaL_len(L, -1);

	for (lua_Integer i = 1; i <= n; i++) {
		const char *name;

		lua_rawgeti(L, -1, i);
		name = lua_tostring(L, -1);
		if (strmap_put(&c->included, name, 1))
			recipe_run_file(L, name, 0);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/*
 * Resolves an include and pushes its path relative to the recipe root.
 * "./x" and "../x" are relative to the including file, anything else to
 * the root. Nothing outside the recipe directory may be included: a policy
 * bundle must be self-contained.
 */
static const char *
recipe_resolve(lua_State *L, const char *want)
{
	struct compile *c = compile_of(L);
	size_t rootlen = strlen(c->root_real);
	const char *cand;
	char *real;
	int inside;

	if (want[0] == '/')
		luaL_error(L, "cannot include '%s': give a path relative to "
		    "the recipe directory", want);
	if (strncmp(want, "./", 2) == 0 || strncmp(want, "../", 3) == 0) {
		char *dir = path_dirname(c->cur_file ? c->cur_file : "x");
		cand = lua_pushfstring(L, "%s/%s/%s", c->rec->dir, dir, want);
		free(dir);
	} else
		cand = lua_pushfstring(L, "%s/%s", c->rec->dir, want);
	if ((real = realpath(cand, NULL)) == NULL)
		luaL_error(L, "cannot include '%s': no such file (looked for "
		    "%s)", want, cand);
	lua_pop(L, 1);
	inside = strncmp(real, c->root_real, rootlen) == 0 &&
	    (real[rootlen] == '/' || real[rootlen] == '\0');
	lua_pushstring(L, real[rootlen] && inside ? real + rootlen + 1 : "");
	free(real);
	if (!inside)
		luaL_error(L, "cannot include '%s': it is outside the recipe "
		    "directory", want);
	return lua_tostring(L, -1);
}

static int
recipe_include(lua_State *L)
{
	struct compile *c = compile_of(L);
	const char *rel = recipe_resolve(L, luaL_checkstring(L, 1));
	const char *full = lua_pushfstring(L, "%s/%s", c->rec->dir, rel);
	struct stat st;
	size_t dummy;

	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		recipe_list_dir(L, c->rec->dir, rel);
		recipe_run_list(L);
	} else if (!strmap_get(&c->included, rel, &dummy)) {
		/* Like a class: including twice declares once. */
		strmap_put(&c->included, rel, 1);
		recipe_run_file(L, rel, 0);
	}
	return 0;
}

void
recipe_str_push(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
}

/* pack "web": called through the pack table's __call, so arg 1 is it. */
static int
recipe_pack(lua_State *L)
{
	struct recipe *rec = compile_of(L)->rec;
	const char *name = luaL_checkstring(L, 2);

	if (rec->pack != NULL && strcmp(rec->pack, name) != 0)
		return luaL_error(L, "this node is already in pack '%s'; a "
		    "node belongs to one pack", rec->pack);
	free(rec->pack);
	rec->pack = xstrdup(name);
	return 0;
}

/*
 * pack.is_leader(): whether the agent said, just before this compile,
 * that this node holds its pack's leader lease (recipe_opts).
 */
static int
recipe_pack_is_leader(lua_State *L)
{
	lua_pushboolean(L, compile_of(L)->opts->is_pack_leader);
	return 1;
}

/* The global `pack`: callable to declare, with is_leader() inside. */
static void
pack_open(lua_State *L)
{
	lua_newtable(L);
	lua_pushcfunction(L, recipe_pack_is_leader);
	lua_setfield(L, -2, "is_leader");
	lua_newtable(L);
	lua_pushcfunction(L, recipe_pack);
	lua_setfield(L, -2, "__call");
	lua_setmetatable(L, -2);
	lua_setglobal(L, "pack");
}

/* tag "web" or tags{"web", role = "db"} */
static int
recipe_tags(lua_State *L)
{
	struct recipe *rec = compile_of(L)->rec;

	if (lua_type(L, 1) == LUA_TSTRING) {
		recipe_str_push(&rec->tags, &rec->ntags, lua_tostring(L, 1));
		return 0;
	}
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		if (lua_type(L, -2) == LUA_TNUMBER)
			recipe_str_push(&rec->tags, &rec->ntags,
			    luaL_checkstring(L, -1));
		else {
			char *kv = xasprintf("%s=%s", luaL_checkstring(L, -2),
			    luaL_checkstring(L, -1));
			recipe_str_push(&rec->tags, &rec->ntags, kv);
			free(kv);
		}
		lua_pop(L, 1);
	}
	return 0;
}

static int
recipe_channel(lua_State *L)
{
	struct recipe *rec = compile_of(L)->rec;
	const char *name = luaL_checkstring(L, 1);

	recipe_check_channel(L, name);
	recipe_str_push(&rec->channels, &rec->nchannels, name);
	return 0;
}

void
recipe_check_channel(lua_State *L, const char *name)
{
	if (name[0] != '#' || name[1] == '\0' || strlen(name) > 64 ||
	    strpbrk(name, " \t\n,") != NULL)
		luaL_error(L, "bad channel name '%s': it starts with '#', has "
		    "no spaces or commas, and is at most 64 bytes", name);
}

static int
recipe_template(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);

	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	template_push(L, path, lua_isnoneornil(L, 2) ? 0 : 2);
	return 1;
}

static void
recipe_globals(lua_State *L, const struct compile *c)
{
	static const luaL_Reg fns[] = {
		{ "include", recipe_include },
		{ "tag", recipe_tags },
		{ "tags", recipe_tags },
		{ "channel", recipe_channel },
		{ "on", recipe_on },
		{ "template", recipe_template },
		{ NULL, NULL }
	};

	lua_pushglobaltable(L);
	luaL_setfuncs(L, fns, 0);
	lua_pop(L, 1);
	pack_open(L);
	node_open(L, c);
	regex_open(L);
	declare_open(L);
	services_open(L);
	lookup_open(L);
	sealed_open_lib(L);
	strict_open(L);	/* last: data files may use all of the above */
}

/* The protected body of a compile: everything that can raise. */
static int
recipe_main(lua_State *L)
{
	struct compile *c = compile_of(L);
	const char *entry = lua_tostring(L, 1);

	recipe_globals(L, c);
	if (entry != NULL) {
		strmap_put(&c->included, entry, 1);
		recipe_run_file(L, entry, 0);
		return 0;
	}
	recipe_list_dir(L, c->rec->dir, "");
	if (luaL_len(L, -1) == 0)
		return luaL_error(L, "no site.lua and no *.lua files in '%s'",
		    c->rec->dir);
	recipe_run_list(L);
	return 0;
}

/* Splits opts->path into the recipe dir and the entry file (NULL: run
 * every *.lua of the dir). */
static int
recipe_locate(const char *path, char **dir, char **entry, struct tl_err *err)
{
	struct stat st;
	char *site;

	*dir = *entry = NULL;
	if (stat(path, &st) < 0)
		return tl_err_sys(err, TL_ENOENT, "cannot read recipe '%s'",
		    path);
	if (!S_ISDIR(st.st_mode)) {
		const char *slash = strrchr(path, '/');
		*dir = path_dirname(path);
		*entry = xstrdup(slash ? slash + 1 : path);
		return 0;
	}
	*dir = xstrdup(path);
	site = xasprintf("%s/site.lua", path);
	if (stat(site, &st) == 0)
		*entry = xstrdup("site.lua");
	free(site);
	return 0;
}

/*
 * Runs fn(arg) protected, in a fresh sandbox for the recipe directory dir:
 * the shared part of a compile and a render. The stack fn sees holds arg
 * (a string, or nil) at 1. Errors are positioned by recipe_msgh and split
 * into err.
 */
static int
recipe_run(struct compile *c, const char *dir, lua_CFunction fn,
    const char *arg, struct tl_err *err)
{
	lua_State *L;
	int rc = 0;

	c->budget.mem_max = c->opts->max_memory;
	c->budget.max_instructions = c->opts->max_instructions;
	c->budget.what = "recipe";
	c->budget.owner = c;
	c->rec->dir = xstrdup(dir);
	if ((c->root_real = realpath(dir, NULL)) == NULL)
		return tl_err_sys(err, TL_ENOENT, "cannot read '%s'", dir);
	if ((L = lua_budget_newstate(&c->budget)) == NULL)
		return tl_err_set(err, TL_EIO, "cannot start Lua");
	recipe_sandbox(L);
	lua_pushcfunction(L, recipe_msgh);
	lua_pushcfunction(L, fn);
	if (arg != NULL)
		lua_pushstring(L, arg);
	else
		lua_pushnil(L);
	if (lua_pcall(L, 1, 0, lua_gettop(L) - 2) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		recipe_error(msg ? msg : "recipe error (out of memory?)", err);
		rc = err ? err->code : TL_ESYNTAX;
	}
	/* Nothing of the recipe's outlives the state but copies; a __gc
	 * (lookup's hiera) only frees memory. */
	if (!c->opts->leave_lua_open)
		lua_close(L);
	return rc;
}

static void
compile_release(struct compile *c)
{
	free(c->root_real);
	strmap_release(&c->included);
}

int
recipe_compile(const struct recipe_opts *opts, struct recipe **out,
    struct tl_err *err)
{
	struct compile c;
	struct recipe *rec = xcalloc(1, sizeof(*rec));
	char *dir = NULL, *entry = NULL;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	graph_init(&rec->graph);
	c.rec = rec;
	c.opts = opts;
	if ((rc = recipe_locate(opts->path, &dir, &entry, err)) == 0 &&
	    (rc = recipe_run(&c, dir, recipe_main, entry, err)) == 0)
		rc = graph_build(&rec->graph, err);
	free(dir);
	free(entry);
	compile_release(&c);
	if (rc < 0) {
		recipe_free(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

/* What recipe_render() hands its protected body. */
struct render_job {
	const char		*tpl;		/* relative to the dir */
	const char		*vars_file;	/* relative, or NULL */
	const char *const	*kv;		/* "k=v", ... */
	size_t			 nkv;
	struct buf		*out;
};

/* The protected body of a render: globals, the vars table, the template. */
static int
render_main(lua_State *L)
{
	struct compile *c = compile_of(L);
	const struct render_job *j = c->render_job;
	const char *s;
	size_t len;

	recipe_globals(L, c);
	if (j->vars_file != NULL) {
		recipe_run_file(L, j->vars_file, 1);
		if (lua_type(L, -1) != LUA_TTABLE)
			return luaL_error(L, "%s must return a table of "
			    "variables", j->vars_file);
	} else
		lua_newtable(L);
	for (size_t i = 0; i < j->nkv; i++) {
		const char *eq = strchr(j->kv[i], '=');

		if (eq == NULL || eq == j->kv[i])
			return luaL_error(L, "--var takes NAME=VALUE, not '%s'",
			    j->kv[i]);
		lua_pushlstring(L, j->kv[i], (size_t)(eq - j->kv[i]));
		lua_pushstring(L, eq + 1);
		lua_rawset(L, -3);
	}
	template_push(L, j->tpl, lua_gettop(L));
	s = lua_tolstring(L, -1, &len);
	buf_add(j->out, s, len);
	return 0;
}

int
recipe_render(const struct recipe_opts *opts, const char *dir,
    const char *tpl, const char *vars_file, const char *const *kv,
    size_t nkv, struct buf *out, struct tl_err *err)
{
	struct render_job j = { tpl, vars_file, kv, nkv, out };
	struct compile c;
	struct recipe *rec = xcalloc(1, sizeof(*rec));
	int rc;

	memset(&c, 0, sizeof(c));
	graph_init(&rec->graph);
	c.rec = rec;
	c.opts = opts;
	c.render_job = &j;
	rc = recipe_run(&c, dir, render_main, NULL, err);
	compile_release(&c);
	recipe_free(rec);
	return rc;
}

void
recipe_free(struct recipe *rec)
{
	if (rec == NULL)
		return;
	graph_release(&rec->graph);
	xfree_strs(rec->tags, rec->ntags);
	xfree_strs(rec->channels, rec->nchannels);
	xfree_strs(rec->handlers, rec->nhandlers);
	xfree_strs(rec->files, rec->nfiles);
	xfree_strs(rec->svc_decl, rec->nsvc_decl);
	xfree_strs(rec->reads, rec->nreads);
	free(rec->pack);
	free(rec->dir);
	free(rec);
}
