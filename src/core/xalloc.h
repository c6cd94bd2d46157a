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
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* Returns a new string built like printf; caller frees. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
