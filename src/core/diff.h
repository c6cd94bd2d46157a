#ifndef TLALOC_CORE_DIFF_H
#define TLALOC_CORE_DIFF_H

#include <stddef.h>

struct buf;

/*
 * Appends a unified diff (3 lines of context) of two texts to out, with
 * "--- a_name" / "+++ b_name" headers. Nothing is appended when they are
 * equal. Binary content (a NUL byte) gets one line saying so; very
 * different large texts fall back to a whole-file hunk.
 */
void	diff_unified(const char *a, size_t alen, const char *b, size_t blen,
	    const char *a_name, const char *b_name, struct buf *out);

#endif
