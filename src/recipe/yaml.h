#ifndef TLALOC_RECIPE_YAML_H
#define TLALOC_RECIPE_YAML_H

/*
 * YAML data files (Hiera's format, so a Puppet site's hieradata reads
 * unchanged) into a value tree, with libyaml's parser. Only what data
 * needs: mappings with scalar keys, sequences, scalars; plain scalars are
 * typed the YAML 1.2 core way (null, ~, true, false, integers, floats,
 * else strings), quoted ones are strings; aliases are copied. Tags are
 * ignored; a second document in one file is refused.
 *
 * Input is untrusted text: it is bounded (YAML_MAX_BYTES, YAML_MAX_DEPTH,
 * YAML_MAX_NODES counting alias copies, so "billion laughs" stops early),
 * and every error names file:line:column.
 */

#include <stddef.h>

struct tl_err;
struct tval;

#define YAML_MAX_BYTES	(8u << 20)	/* one file; arbitrary */
#define YAML_MAX_DEPTH	64		/* nesting; arbitrary */
#define YAML_MAX_NODES	1000000		/* values, alias copies included */

/*
 * Parses text[0..len) (name is used in messages, e.g. "data/common.yaml")
 * into *out: a new tree (free with tval_free), or NULL for an empty
 * document. Returns 0, or TL_ESYNTAX / TL_ETOOBIG with err->where set to
 * "name:line:column" and *out NULL.
 */
int	yaml_parse(const char *name, const char *text, size_t len,
	    struct tval **out, struct tl_err *err);

#endif
