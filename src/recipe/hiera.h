#ifndef TLALOC_RECIPE_HIERA_H
#define TLALOC_RECIPE_HIERA_H

/*
 * Data lookup over a hierarchy (docs/data.md), the way Puppet's Hiera 5
 * does it, so a site's hiera.yaml and hieradata read unchanged:
 *
 *   POLICY/hiera.yaml     version 5; defaults.datadir (default "data");
 *                         hierarchy: a list of {name, path | paths}, most
 *                         specific first, paths with %{facts.X} in them
 *   POLICY/data/NAME.yaml the levels' data: a mapping of keys
 *
 * Without a hiera.yaml the hierarchy is node/%{trusted.certname}.yaml,
 * pack/%{pack}.yaml, role/%{facts.role}.yaml, os/%{facts.family}.yaml,
 * common.yaml.
 *
 * A lookup walks the levels in order and merges what it finds: first (the
 * default: the most specific level that has the key), unique (lists of
 * every level, flattened, each value once, most specific first), hash
 * (the top-level keys of every level's map, most specific winning), deep
 * (maps merged all the way down). The strategy comes from the caller, else
 * from `lookup_options` in the data (merged across levels, as Hiera does),
 * else first; `lookup_options` may also give a `type` the value must have
 * (String, Integer, Float, Numeric, Boolean, Array, Hash, Array[T],
 * Hash[K, V], Optional[T], Any). "a.b" digs into the map under key a.
 * String values are interpolated (%{facts.X}, %{trusted.certname},
 * %{literal('%')}) when they are read.
 *
 * Level files are read once, on the first lookup that needs them, from
 * inside the policy directory only (no "..", no link that leads out).
 */

#include <stddef.h>

struct buf;
struct facts;
struct tl_err;
struct tval;
struct hiera;

enum hiera_merge {
	HIERA_MERGE_UNSET,	/* from lookup_options, else first */
	HIERA_FIRST,
	HIERA_UNIQUE,
	HIERA_HASH,
	HIERA_DEEP
};

/*
 * Reads dir/hiera.yaml (or takes the default hierarchy) and interpolates
 * its paths with facts (borrowed; must outlive the hiera). A level whose
 * path names a fact the node lacks is skipped (and said so by --explain).
 * Returns 0 with *out (free with hiera_free), or < 0 with err naming
 * hiera.yaml:line:column.
 */
int	hiera_open(const char *dir, const struct facts *facts,
	    struct hiera **out, struct tl_err *err);
void	hiera_free(struct hiera *h);

/* Parses "first", "unique", "hash", "deep" (and Hiera's "deep_merge"
 * spellings); HIERA_MERGE_UNSET for anything else. */
enum hiera_merge hiera_merge_parse(const char *s);
const char	*hiera_merge_name(enum hiera_merge m);

/*
 * Looks key up. 0: *out is a new tree (free with tval_free). TL_ENOENT
 * when no level has it: err says which levels were tried and why each
 * had nothing. TL_ESYNTAX for a bad data file (err->where "file:l:c"),
 * TL_EINVAL for a value of the wrong type or an unknown interpolation.
 * explain (may be NULL) gets one line per level tried, then the result.
 */
int	hiera_lookup(struct hiera *h, const char *key, enum hiera_merge merge,
	    struct tval **out, struct buf *explain, struct tl_err *err);

/*
 * Checks v against a type name (see above); 0, or TL_EINVAL with a
 * sentence naming key, the wanted type and what v is.
 */
int	hiera_check_type(const char *key, const char *type,
	    const struct tval *v, struct tl_err *err);

#endif
