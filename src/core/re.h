#ifndef TLALOC_CORE_RE_H
#define TLALOC_CORE_RE_H

#include <stddef.h>

/*
 * Perl-compatible regular expressions (PCRE2), the syntax of the vision's
 * preg_match. Compiled patterns are cached by text, so a recipe that
 * matches the same pattern in a loop compiles it once.
 */
struct re;
struct tl_err;

/* Returns a compiled pattern owned by the cache (do not free), or NULL
 * with err naming the pattern and the offset of the problem. */
const struct re *re_get(const char *pattern, struct tl_err *err);

/*
 * Matches subject[0..len) from offset start. Returns the number of
 * captured groups + 1 (>= 1) on a match, 0 on no match, < 0 on error
 * (e.g. the match limit). ovec receives 2 offsets per group, up to nvec
 * pairs; unset groups are (size_t)-1.
 */
int	re_match(const struct re *re, const char *subject, size_t len,
	    size_t start, size_t *ovec, size_t nvec);

/* Frees every cached pattern (at exit, for leak checkers). */
void	re_cache_clear(void);

#endif
