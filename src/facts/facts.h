#ifndef TLALOC_FACTS_FACTS_H
#define TLALOC_FACTS_FACTS_H

/*
 * Facts: what a node knows about itself (hostname, os, distribution, cpus,
 * interfaces, ...), gathered once per run and read by recipes as `node`.
 *
 * The store is a set of facts with dotted keys ("interfaces.eth0.ipv4"),
 * kept in tree order: keys compare byte by byte with '.' lowest, so every
 * subtree ("interfaces.eth0.*") is one contiguous run and a leaf never
 * shares its name with a subtree. Setting "a.b" removes a leaf "a", and
 * setting "a" removes "a.b", "a.c", ...: the last write wins, exactly as in
 * the Lua `node` table the facts become.
 *
 * Each fact has a kind, so Lua gets numbers as numbers and JSON prints them
 * unquoted. Values are text: a FACT_NUM holds a JSON number ("4", "-1.5e3"),
 * a FACT_BOOL holds "true" or "false".
 */

#include <stddef.h>

struct buf;
struct tl_err;
struct facts;

enum fact_kind { FACT_STR, FACT_NUM, FACT_BOOL };

/* Bounds on one fact; arbitrary, far above anything a real fact needs. */
#define FACTS_KEY_MAX	255	/* bytes in a dotted key */
#define FACTS_VALUE_MAX	4096	/* bytes in a value */

struct facts_opts {
	const char	*facts_d;	/* dir of user facts; NULL: the default
					 * /etc/tlaloc/facts.d, which may be
					 * missing (a given dir must exist) */
	const char	*root;		/* read os-release, package managers,
					 * init markers, timezone from this
					 * tree; NULL or "/" for the host */
};

/* --- lifecycle --- */

/* Returns an empty store; free it with facts_free(). */
struct facts *facts_new(void);
/* Frees the store and every key and value; accepts NULL. */
void	facts_free(struct facts *f);

/* --- gathering --- */

/*
 * Adds the built-in facts (see docs/facts.md), then the user facts from
 * opts->facts_d, which override built-in ones. opts may be NULL. The
 * built-in ones are gathered lazily: each source (os, hardware, names,
 * interfaces, package manager/init/timezone) when a reader first asks
 * for one of its facts, for the life of f; the store reads the same as
 * if all had been gathered here.
 *
 * Built-in facts are best effort: one that cannot be read (no os-release,
 * getifaddrs failing) is left out, never an error. User facts are input, so
 * they fail the whole call: TL_ESYNTAX for a bad line (err->where holds
 * "file:line"), TL_ECHILD or TL_ETIMEOUT for a fact program that failed or
 * ran over 10 s, TL_EPERM for a world-writable file, TL_ENOENT for a
 * facts_d that was given but does not exist. Facts added before the error
 * stay in f. Runs no program unless facts_d holds executables.
 */
int	facts_gather(struct facts *f, const struct facts_opts *opts,
	    struct tl_err *err);

/*
 * Adds the built-in facts only: no user facts, so no program runs and
 * nothing from facts.d (which may hold what a site keeps private) is
 * read. What the agent shows of a node over HTTP (docs/http.md).
 */
void	facts_gather_builtin(struct facts *f, const char *root);
/* --- setting --- */

/*
 * Sets key to value (copied), replacing an existing key and removing any
 * leaf or subtree the key conflicts with (see above). key must pass
 * facts_key_check() and value must match kind (facts_kind_of() for
 * FACT_NUM/FACT_BOOL); both are our callers' bugs otherwise (TL_ASSERT).
 */
void	facts_set(struct facts *f, const char *key, enum fact_kind kind,
	    const char *value);

/*
 * Parses "key=value" (a --fact argument) and sets it. The value's kind is
 * facts_kind_of(value). Fails with TL_EINVAL "fact 'x' must look like
 * key=value" without '=' or with an empty key, or TL_EINVAL naming the
 * problem for a bad key or value; f is unchanged then.
 */
int	facts_set_arg(struct facts *f, const char *k_eq_v, struct tl_err *err);

/*
 * Copies every fact of src into dst (overriding dst's), as facts_set()
 * does: used to apply --fact overrides to gathered facts.
 */
void	facts_merge(struct facts *dst, const struct facts *src);

/*
 * Is key a valid dotted key: 1..FACTS_KEY_MAX bytes of segments made of
 * letters, digits, '_' and '-', joined by single dots? Returns 0 or
 * TL_EINVAL with a message naming the key.
 */
int	facts_key_check(const char *key, struct tl_err *err);

/*
 * Is value fit to be stored as key's value: at most FACTS_VALUE_MAX bytes
 * and free of control characters (a fact is one line)? Returns 0, or
 * TL_EINVAL with a message naming key.
 */
int	facts_value_check(const char *key, const char *value,
	    struct tl_err *err);

/*
 * The kind a user-given value gets: FACT_BOOL for exactly "true" or
 * "false", FACT_NUM for a JSON number ("12", "-0.5", "1e3"; not "012",
 * "1.", "+1", "0x10" or "1.2.3"), else FACT_STR.
 */
enum fact_kind facts_kind_of(const char *value);

/* --- reading --- */

/* Returns the value of key, or NULL when absent; borrowed, valid until the
 * next change to f. Gathers key's source first if it is pending. */
const char *facts_get(const struct facts *f, const char *key);

/* The number of facts; index them 0..count-1, in tree order (sorted, with
 * '.' lowest). Indices change when a fact is set. Gathers every pending
 * source first. */
size_t	facts_count(const struct facts *f);
/*
 * The facts named top[0..len) or below it ("interfaces" and
 * "interfaces.*"), gathering their source if pending: returns the index
 * of the first, and *n how many follow from there (0: none). For a
 * reader that wants one name without gathering every source.
 */
size_t	facts_range(const struct facts *f, const char *top, size_t len,
	    size_t *n);
/* The key, value and kind of fact i (i < facts_count(), or in a range
 * facts_range() gave); strings are borrowed, valid until the next
 * change to f. */
const char *facts_key(const struct facts *f, size_t i);
const char *facts_value(const struct facts *f, size_t i);
enum fact_kind facts_kind(const struct facts *f, size_t i);

/* --- output --- */

/*
 * Appends the facts as one JSON object, nested by the dotted keys, in tree
 * order, indented by two spaces, numbers and booleans unquoted; no final
 * newline. An empty store gives "{}".
 */
void	facts_to_json(const struct facts *f, struct buf *out);

/*
 * Appends "key => value\n" per fact, in tree order, with the "=>" aligned
 * one column after the longest key.
 */
void	facts_to_text(const struct facts *f, struct buf *out);

#endif
