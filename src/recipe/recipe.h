#ifndef TLALOC_RECIPE_RECIPE_H
#define TLALOC_RECIPE_RECIPE_H

/*
 * Compiling a recipe: run it (and everything it includes) in a Lua 5.4
 * sandbox that can only *declare* things: resources, the node's pack, tags
 * and channels. The sandbox has no io, os.execute, load of binary chunks or
 * debug library, a memory cap and an instruction budget; compiling changes
 * nothing on disk. Any error stops the compile with file:line.
 */

#include <stddef.h>

#include "engine/graph.h"

struct buf;
struct facts;
struct tl_err;

struct recipe {
	struct graph	  graph;	/* the declared resources, ordered */
	char		 *dir;		/* the recipe's root directory */
	char		 *pack;		/* `pack "web"`, or NULL */
	char		**tags;		/* `tag "x"` / `tags{k="v"}`: "x", "k=v" */
	size_t		  ntags;
	char		**channels;	/* `channel "#web"`, and on()'s */
	size_t		  nchannels;
	char		**handlers;	/* on(): channel, pattern, channel, ... */
	size_t		  nhandlers;	/* strings: 2 per handler */
	char		**files;	/* every recipe file read, relative */
	size_t		  nfiles;
	char		**svc_decl;	/* services and checks (services.c) */
	size_t		  nsvc_decl;
	char		**reads;	/* catalog reads: "query\tdigest" */
	size_t		  nreads;
};

/* The channel message a converge answers (on() handlers), or none. */
struct recipe_message {
	const char	*channel;	/* "#web" */
	const char	*text;
	const char	*from;		/* the sender's name; may be NULL */
};

struct recipe_opts {
	const char		*path;		/* a .lua file or a directory */
	const struct facts	*facts;		/* becomes `node`; may be NULL */
	const char *const	*only_tags;	/* --tags: converge only these */
	size_t			 n_only_tags;
	size_t			 max_memory;	/* bytes; 0 means 256 MiB */
	unsigned long long	 max_instructions; /* 0 means 1e9 */
	int			 is_pack_leader; /* pack.is_leader() */
	const struct recipe_message *message;	/* NULL: no message */
	/* cluster.service()/members(): the agent's encoded answer to a
	 * catalog query (cluster/catalog.h); NULL: no agent. */
	int	(*cluster_ask)(void *ctx, const char *query, struct buf *out,
		    struct tl_err *err);
	void			*cluster_ctx;
	/* secret(): this node's key file (STATE/node.key); NULL: secret()
	 * checks the sealed file and returns "<secret NAME>" (check, render,
	 * lookup on an operator's machine). */
	const char		*node_key;
	/* Compiled recipe files are kept in this directory and loaded
	 * from it when their source is unchanged (recipe/chunk_cache.h);
	 * NULL: every file is parsed. chunk_cache_ro: read, never write
	 * (--noop changes nothing). */
	const char		*chunk_cache;
	int			 chunk_cache_ro;
	/* The process exits after this compile's run: the Lua state is
	 * left for exit to drop instead of being closed (core/xalloc.h,
	 * TL_FREE_AT_EXIT). Never in a process that goes on. */
	int			 leave_lua_open;
};

/*
 * Compiles opts->path. A directory runs its site.lua, or else every *.lua
 * in it in name order. On success *out holds a recipe with a built graph
 * (free with recipe_free); on failure err says what and where.
 */
int	recipe_compile(const struct recipe_opts *opts, struct recipe **out,
	    struct tl_err *err);
void	recipe_free(struct recipe *rec);

/*
 * Renders template tpl (relative to the recipe directory dir) the way a
 * recipe would, and appends it to out: `node` from opts->facts, data/
 * tables, and the variables the Lua file vars_file (relative to dir; NULL:
 * none) returns, then the strings kv[0..nkv) ("NAME=VALUE") on top. For
 * `tlaloc render`. Errors name the template's file:line:column.
 */
int	recipe_render(const struct recipe_opts *opts, const char *dir,
	    const char *tpl, const char *vars_file, const char *const *kv,
	    size_t nkv, struct buf *out, struct tl_err *err);

/* What `tlaloc check` says about a compiled recipe (lint.c). */
enum lint_level { LINT_ERROR, LINT_WARNING, LINT_NOTE };

struct lint_item {
	enum lint_level	 level;
	char		*where;		/* "site.lua:4", a file, or "" */
	char		*msg;
};

struct lint {
	struct lint_item *v;
	size_t		  n, cap;
	size_t		  errors;	/* items at LINT_ERROR */
};

/*
 * Appends to l what can be said of rec without the node: missing source
 * files (errors), bare command names and accounts that are neither
 * declared nor in root's /etc/passwd or /etc/group (warnings), recipe
 * files the compile never read (notes).
 */
void	recipe_lint(const struct recipe *rec, const char *root, struct lint *l);
/* Appends one finding to l. */
void	lint_add(struct lint *l, enum lint_level level, const char *where,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	lint_release(struct lint *l);

struct lua_State;
/*
 * Opens the libraries a sandboxed chunk may use into L: no io, no
 * require/dofile/loadfile, os only for the clock and environment, load()
 * for text only, print() to stderr. Programs share it.
 */
void	recipe_sandbox(struct lua_State *L);

#endif
