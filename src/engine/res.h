#ifndef TLALOC_ENGINE_RES_H
#define TLALOC_ENGINE_RES_H

/*
 * The resource API. A recipe declares resources; each has a type that knows
 * how to check (observe the system and plan changes) and fix (make the
 * planned changes). Adding a resource type is one new file in
 * src/resources/ defining a `const struct res_type` and one line in
 * engine/registry.c.
 *
 * Life of a resource in a run:
 *   recipe:  res_new() -> res_set_*() per attribute -> type->validate()
 *   graph:   type->autorequire() adds implicit edges
 *   engine:  type->prefetch() once per type (optional, batch observation)
 *            type->check()  records planned changes with res_change()
 *            type->fix()    only when changes were planned and not --noop
 *            type->refresh() when a resource it subscribes to changed
 *            type->release() frees what r->priv holds; the engine
 *            frees r->priv itself
 */

#include <stddef.h>

#include "core/buf.h"

struct run_ctx;
struct tl_err;

/* An autorequire's callback: "r needs type[title] first, if declared". */
typedef void (*res_require_fn)(void *ctx, const char *type,
    const char *title);

enum res_result {
	RES_UNCHANGED,
	RES_CHANGED,	/* changed, or would change under --noop */
	RES_FAILED,
	RES_SKIPPED	/* a dependency failed or was skipped */
};

enum attr_kind {
	ATTR_STR,
	ATTR_INT,
	ATTR_BOOL,
	ATTR_LIST,	/* a string, or a list of strings */
	ATTR_MAP,	/* string keys to string values */
	ATTR_MODE,	/* octal permission bits: "0644", "644" or 420 */
	ATTR_ENUM,	/* one of spec->choices */
	ATTR_ACCOUNT,	/* a user or group: a name, or a number */
	ATTR_PORT	/* a TCP/UDP port, 1-65535 (in num) */
};

#define ATTR_REQUIRED	0x1
#define ATTR_SECRET	0x2	/* value never printed in reports or diffs */
#define ATTR_NAMEVAR	0x4	/* this attribute is the resource's title */

struct attr_spec {
	const char		*name;
	enum attr_kind		 kind;
	unsigned		 flags;		/* ATTR_* */
	const char		*def;		/* default as text, or NULL */
	const char *const	*choices;	/* ATTR_ENUM: NULL-terminated */
	const char		*doc;		/* one line for `tlaloc resources` */
};

/* The "ensure" attribute of most types, present (the default) or absent:
 * a row of a type's attrs table. */
extern const char *const res_present_absent[];
#define ATTR_ENSURE_PRESENT_ABSENT \
	{ "ensure", ATTR_ENUM, 0, "present", res_present_absent, \
	    "present or absent" }

struct attr_val {
	int		  is_set;	/* declared, or given its default */
	char		 *str;		/* STR, ENUM and MODE text; INT text;
					   a default is the spec's own def
					   (not a copy: read only) */
	long long	  num;		/* INT, BOOL (0/1), MODE bits */
	char		**items;	/* LIST: items; MAP: key, value, ... */
	size_t		  nitems;	/* LIST: count; MAP: 2 * pairs */
};

/* A list of resource references, "type[title]". */
struct refs {
	char	**v;
	size_t	  n, cap;
};

struct res {
	const struct res_type	*type;
	char			*title;		/* the namevar's value */
	char			*ref;		/* "type[title]" */
	char			*where;		/* "recipes/x.lua:12" */
	size_t			 index;		/* declaration order */
	struct attr_val		*vals;		/* one per type->attrs entry */
	struct refs		 require, before, notify, subscribe;
	char			**tags;		/* type->name itself, if
						   there, is not a copy */
	size_t			 ntags;
	void			*priv;		/* the type's, from check to fix;
						   one malloc'd block, freed
						   by res_free() */
	int			 is_excluded;	/* left out by --tags */

	/* Filled in by the engine as the run goes. */
	enum res_result		 result;
	struct buf		 changes;	/* planned/made changes, a line each */
	struct buf		 diff;		/* unified diff, for --diff */
	struct buf		 assumed;	/* --noop: what the prediction
						   had to assume, a line each */
	char			*error;		/* why it failed or was skipped */
	int			 refresh_pending; /* notified by a change */
	int			 refreshed;	/* refresh() ran (or would) */
	unsigned		 duration_ms;
};

/* An imperative shorthand: `ns.fn(arg1, arg2)` declares a resource of the
 * type that lists it, e.g. file.replace_line(path, match, line). */
struct res_short {
	const char		*ns;		/* Lua table: "file" */
	const char		*fn;		/* function: "replace_line" */
	const char *const	*args;		/* attributes, in argument order */
	const char *const	*fixed;		/* "ensure=present" pairs, or NULL */
	const char		*doc;
};

struct res_type {
	const char		*name;
	const char		*doc;
	const struct attr_spec	*attrs;		/* ends with { NULL } */
	const struct res_short	*shorts;	/* ends with { NULL }, or NULL */
	const char		*providers;	/* for docs: "apt, dnf, ..." */
	const char		*provider_proof; /* for docs: one line per
						    provider, how it is tested */
	/* When the namevar is not given, the title is these attributes'
	 * values joined by ':' ("a|b": the first of a, b that is set);
	 * NULL: the namevar is required. */
	const char *const	*title_from;

	/* Cross-attribute checks at compile time (attributes are already
	 * typed and defaulted). Returns < 0 and fills err (no file:line; the
	 * caller adds the declaration's). */
	int	(*validate)(struct res *r, struct tl_err *err);
	/* Implicit dependencies: add(ctx, type, title) for each resource
	 * r needs first if it is declared (e.g. "directory" and the parent
	 * directory's path). */
	void	(*autorequire)(const struct res *r, res_require_fn add,
		    void *ctx);
	/* Optional: observe every resource of this type in one go before
	 * the run (one package query for all packages). */
	int	(*prefetch)(struct res **rs, size_t n, struct run_ctx *ctx,
		    struct tl_err *err);
	/* Observe and plan: record each needed change with res_change() and
	 * fill r->diff when ctx->want_diff. Changes nothing. */
	int	(*check)(struct res *r, struct run_ctx *ctx, struct tl_err *err);
	/* Make the planned changes. Called only when check planned some and
	 * the run is not --noop. */
	int	(*fix)(struct res *r, struct run_ctx *ctx, struct tl_err *err);
	/* React to a notification (restart a service, run a refreshonly
	 * exec): 0 done, 1 nothing needed doing, < 0 failed. NULL:
	 * notifications are ignored. */
	int	(*refresh)(struct res *r, struct run_ctx *ctx,
		    struct tl_err *err);
	/* --noop only, after check planned changes: records in
	 * ctx->predict what fix would make (engine/predict.h), so later
	 * resources are judged against it. NULL: the type changes nothing
	 * another resource looks at. Also called when a refresh would run. */
	void	(*predict)(struct res *r, struct run_ctx *ctx);
	/* --noop only: would a refresh do anything now? NULL: yes. */
	int	(*would_refresh)(const struct res *r,
		    const struct run_ctx *ctx);
	/* Frees what priv (r->priv, never NULL here) holds, not priv
	 * itself: res_free() frees that. NULL: priv holds nothing of its
	 * own. */
	void	(*release)(void *priv);
	/* Its check and fix may run while other resources' writes wait in
	 * ctx->batch (engine/run.h): it reads files only through run_*()
	 * and calls run_settle() before changing at once a path a queued
	 * write touches. 0: the engine commits the batch before its check
	 * (a command, a package, a service must see the files in place). */
	int	 batch_safe;
};

/* Returns a new resource of type with title (the namevar), declared at
 * where; attributes are unset. Free with res_free(). */
struct res *res_new(const struct res_type *type, const char *title,
	    const char *where);
void	res_free(struct res *r);

/* Index of attribute name in r->type->attrs, or -1. */
int	res_attr_index(const struct res_type *type, const char *name);

/*
 * Setting attributes (the recipe layer converts Lua values to these calls).
 * Each checks the kind (a bad mode, an unknown enum choice) and returns
 * < 0 with a plain sentence in err. Setting twice replaces.
 */
int	res_set_str(struct res *r, const char *attr, const char *value,
	    struct tl_err *err);
int	res_set_list(struct res *r, const char *attr, const char *const *items,
	    size_t n, struct tl_err *err);
/* kv holds key, value, key, value...; n counts entries (2 * pairs). */
int	res_set_map(struct res *r, const char *attr, const char *const *kv,
	    size_t n, struct tl_err *err);
/* Gives unset attributes their defaults and checks ATTR_REQUIRED ones. */
int	res_finish(struct res *r, struct tl_err *err);

/* Reading attributes: NULL, 0 or an empty value when unset. The name must
 * be one of the type's attributes (a bug otherwise: asserts). */
const char	*res_str(const struct res *r, const char *attr);
long long	 res_int(const struct res *r, const char *attr);
int		 res_bool(const struct res *r, const char *attr);
int		 res_is_set(const struct res *r, const char *attr);
/* ensure = "absent", for a type with ATTR_ENSURE_PRESENT_ABSENT. */
int		 res_is_absent(const struct res *r);
const struct attr_val *res_val(const struct res *r, const char *attr);

/* Marks r failed with err's message (or its code's name). */
void	res_fail(struct res *r, const struct tl_err *err);

/* Records one planned change ("mode 0644 -> 0600"), shown in the report. */
void	res_change(struct res *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	res_has_changes(const struct res *r);
/* Records what a --noop prediction assumed ("not in the package index
 * yet: exec[apt-update] runs first"), shown beside the changes. */
void	res_assume(struct res *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

void	refs_add(struct refs *refs, const char *ref);
void	refs_release(struct refs *refs);

/* Is s a user or group name the account tools accept: 1 to 32 bytes, not
 * starting with '-', without ':', ',', '/', blanks or newlines? */
int	res_account_name_ok(const char *s);

/* Parses "0644", "644", "u=rw,go=r" is not supported; returns -1 if bad. */
long	mode_parse(const char *s);

#endif
