#ifndef TLALOC_RECIPE_TVAL_H
#define TLALOC_RECIPE_TVAL_H

#include <stddef.h>

struct buf;

/*
 * A small value tree for templates: the recipe layer converts Lua values
 * into it, the template engine reads it. Strings carry their length (they
 * may hold NUL bytes), numbers are doubles like Lua's floats, maps keep
 * their keys sorted by byte order so every walk over them is deterministic.
 *
 * A tree owns its children: building functions take ownership of what they
 * are handed, tval_free() frees the whole tree. Readers get const pointers
 * borrowed from the tree, valid until it is freed or changed.
 */

enum tval_kind { TVAL_NIL, TVAL_STR, TVAL_NUM, TVAL_BOOL, TVAL_LIST, TVAL_MAP };

struct tval;

/* Building. Each returns a new value; free it with tval_free(). */
struct tval	*tval_new_nil(void);
/* Copies n bytes of s (s may be NULL when n is 0). */
struct tval	*tval_new_str(const char *s, size_t n);
struct tval	*tval_new_num(double d);
/* Any nonzero b is true. */
struct tval	*tval_new_bool(int b);
struct tval	*tval_new_list(void);
struct tval	*tval_new_map(void);

/* Appends item (not NULL) to list; takes ownership of item. */
void	tval_list_push(struct tval *list, struct tval *item);
/*
 * Sets key (copied) to v, taking ownership of v and freeing the value it
 * replaces. A NULL v removes the key, like assigning nil in Lua. Inserting
 * keeps the keys sorted, so it costs O(n) moves: fine for facts and vars,
 * not meant for maps of hundreds of thousands of keys.
 */
void	tval_map_set(struct tval *map, const char *key, struct tval *v);
/* Returns a deep copy of v (NULL for NULL) and adds the values it copied
 * to *count, so callers can charge the work. */
struct tval	*tval_copy(const struct tval *v, size_t *count);
/* Frees v and its whole tree; accepts NULL. */
void	tval_free(struct tval *v);

/* Reading. All accept NULL (read as nil) and never fail. */
enum tval_kind	 tval_kind(const struct tval *v);
/* The bytes of a string (NUL-terminated, *n without the NUL), else NULL. */
const char	*tval_str(const struct tval *v, size_t *n);
/* The number, or 0 for another kind. */
double		 tval_num(const struct tval *v);
/* 1 or 0 for a boolean, 0 for another kind. */
int		 tval_bool(const struct tval *v);
/* Items of a list, keys of a map, bytes of a string; 0 otherwise. */
size_t		 tval_len(const struct tval *v);
/* Item i (0-based) of a list; NULL when out of range or not a list. */
const struct tval *tval_list_get(const struct tval *list, size_t i);
/* The value under key; NULL when absent or not a map. Borrowed. */
const struct tval *tval_map_get(const struct tval *map, const char *key);
/*
 * Entry i (0-based) of a map in sorted key order: returns the value and
 * sets *key (borrowed); NULL when out of range or not a map.
 */
const struct tval *tval_map_at(const struct tval *map, size_t i,
		    const char **key);

/* Semantics shared by templates. */

/* Lua-like truth, widened for config files: nil, false, "" and empty lists
 * and maps are false; everything else, 0 included, is true. */
int	tval_truthy(const struct tval *v);
/*
 * Equality without conversions, as in Lua: same kind and same value;
 * "1" ~= 1. Lists and maps are equal only to themselves. Two nils are equal.
 */
int	tval_equal(const struct tval *a, const struct tval *b);
/*
 * Appends a number the way Lua 5.4 prints it for integers and floats:
 * integral values without ".0", others with 14 significant digits
 * ("%.14g"), and inf, -inf, nan.
 */
void	tval_format_num(double d, struct buf *out);
/*
 * Appends a scalar as text: strings as their bytes, numbers as above,
 * booleans as true/false. Returns -1 and appends nothing for nil, lists and
 * maps, which have no single text form.
 */
int	tval_format(const struct tval *v, struct buf *out);
/*
 * Appends v as JSON: maps as objects with sorted keys, nil and non-finite
 * numbers as null. Returns TL_ETOOBIG, with out possibly half written,
 * when v nests deeper than TVAL_JSON_MAX_DEPTH.
 */
#define TVAL_JSON_MAX_DEPTH	64	/* arbitrary; recipe vars stop at 32 */
int	tval_json(const struct tval *v, struct buf *out);

#endif
