#ifndef TLALOC_CORE_BUF_H
#define TLALOC_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte string. data is never NULL and always NUL-terminated (so
 * it can be used as a C string when it holds text); appends grow the buffer
 * and never truncate. Free the contents with buf_release().
 */
struct buf {
	char	*data;
	size_t	 len;		/* bytes used, not counting the NUL */
	size_t	 cap;		/* private: bytes allocated, 0 while data is "" */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void	buf_init(struct buf *b);
/* Frees the contents; b is left as BUF_INIT. */
void	buf_release(struct buf *b);
/* Empties b but keeps its memory. */
void	buf_reset(struct buf *b);
/* Makes room for n more bytes. */
void	buf_grow(struct buf *b, size_t n);
void	buf_add(struct buf *b, const void *p, size_t n);
void	buf_addstr(struct buf *b, const char *s);
void	buf_addch(struct buf *b, int c);
/* Appends the low bytes (1 to 8) of v, most significant first (rd_u16..). */
void	buf_add_be(struct buf *b, uint64_t v, int bytes);
void	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Appends v in decimal: what buf_addf("%llu") would, without vsnprintf. */
void	buf_add_u64(struct buf *b, uint64_t v);
/* Appends s as a JSON string literal, quotes included. */
void	buf_add_json_str(struct buf *b, const char *s, size_t n);
/* Shortens b to n bytes (n <= len). */
void	buf_truncate(struct buf *b, size_t n);
/* Hands the bytes to the caller (free() them); b is left as BUF_INIT. */
char	*buf_detach(struct buf *b, size_t *len);

#endif
