#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

char buf_empty[1];

void
buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void
buf_release(struct buf *b)
{
	if (b->cap != 0)
		free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap != 0)
		b->data[0] = '\0';
}

void
buf_grow(struct buf *b, size_t n)
{
	size_t need = b->len + n + 1;
	size_t cap = b->cap;

	TL_ASSERT(need > b->len);
	if (need <= cap)
		return;
	if (cap < 64)
		cap = 64;
	while (cap < need)
		cap *= 2;
	if (b->cap == 0) {
		b->data = xmalloc(cap);
		b->data[0] = '\0';
	} else
		b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_add_be(struct buf *b, uint64_t v, int bytes)
{
	uint8_t x[8];

	TL_ASSERT(bytes >= 1 && bytes <= 8);
	for (int i = 0; i < bytes; i++)
		x[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	buf_add(b, x, (size_t)bytes);
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n <= 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	buf_grow(b, n + 2);
	buf_addch(b, '"');
	for (i = 0; i < n; i += run) {
		unsigned char c;

		/* Plain bytes go in one copy, not one call each: a run's
		 * report is mostly plain text. */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				break;
		}
		if (run > 0) {
			buf_add(b, s + i, run);
			continue;
		}
		run = 1;
		switch (c = (unsigned char)s[i]) {
		case '"':  buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			    hex[c & 15] };
			buf_add(b, e, 6);
		}
		}
	}
	buf_addch(b, '"');
}

void
buf_truncate(struct buf *b, size_t n)
{
	TL_ASSERT(n <= b->len);
	b->len = n;
	if (b->cap != 0)
		b->data[n] = '\0';
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len != NULL)
		*len = b->len;
	p = b->cap != 0 ? b->data : xstrdup("");
	buf_init(b);
	return p;
}
