#ifndef TLALOC_CORE_XALLOC_H
#define TLALOC_CORE_XALLOC_H

#include <stddef.h>

/*
 * Allocation that aborts with a message when memory runs out. That is safe
 * only because every size derived from input is bounded before it gets here.
 */
void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
/* Grows an array of nmemb items of size bytes to hold at least need. */
void	*xgrow(void *p, size_t *nmemb, size_t need, size_t size);
/* Frees the n strings of v, then v; v may be NULL when n is 0. */
void	 xfree_strs(char **v, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* Returns a new string built like printf; caller frees. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * TL_FREE_AT_EXIT: 1 when a command that is about to exit frees what it
 * holds first. Only leak checkers need that: exit(2) drops the whole heap
 * at once, and walking a recipe's graph to free it piece by piece was 8%
 * of a no-op `tlaloc apply`. On by itself under AddressSanitizer (the
 * SANITIZE= build), so its leak check still covers every teardown path;
 * build with -DTL_FREE_AT_EXIT=1 to run valgrind's leak check.
 */
#ifndef TL_FREE_AT_EXIT
#if defined(__SANITIZE_ADDRESS__)
#define TL_FREE_AT_EXIT	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define TL_FREE_AT_EXIT	1
#endif
#endif
#endif
#ifndef TL_FREE_AT_EXIT
#define TL_FREE_AT_EXIT	0
#endif

#endif
