/*
 * The redaction set (redact.h). Kept small and simple: a handful of
 * secrets per run, matched with memmem, longest first so a value that
 * holds another is masked whole.
 */
#include "core/redact.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#define REDACT_MAX	1024	/* values; the rest are masked by lines */

struct piece {
	char	*p;	/* sodium_malloc */
	size_t	 n;
};

static struct piece	 pieces[REDACT_MAX];
static size_t		 npieces;

static void
piece_add(const char *p, size_t n)
{
	size_t i;

	if (n < REDACT_MIN || npieces == REDACT_MAX)
		return;
	TL_ASSERT(sodium_init() >= 0);	/* sodium_malloc needs it */
	for (i = 0; i < npieces; i++)
		if (pieces[i].n == n && memcmp(pieces[i].p, p, n) == 0)
			return;
	/* Keep longest first: "pa55word" before "pa55". */
	for (i = npieces; i > 0 && pieces[i - 1].n < n; i--)
		pieces[i] = pieces[i - 1];
	pieces[i].p = sodium_malloc(n);
	TL_ASSERT(pieces[i].p != NULL);
	memcpy(pieces[i].p, p, n);
	pieces[i].n = n;
	npieces++;
}

void
redact_add(const char *value, size_t n)
{
	const char *p = value, *end = value + n, *nl;

	piece_add(value, n);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p != (long)n)
			piece_add(p, (size_t)(nl - p));
		p = nl + 1;
	}
}

int
redact_empty(void)
{
	return npieces == 0;
}

int
redact_contains(const char *p, size_t n)
{
	for (size_t i = 0; i < npieces; i++)
		if (memmem(p, n, pieces[i].p, pieces[i].n) != NULL)
			return 1;
	return 0;
}

/* Masks one piece in b; the mask holds no piece (all are >= 4 bytes and
 * the mask's own text is never a secret's value worth keeping). */
static void
redact_piece(struct buf *b, const struct piece *pc)
{
	struct buf out = BUF_INIT;
	const char *p = b->data, *end = b->data + b->len, *hit;

	if (memmem(p, b->len, pc->p, pc->n) == NULL)
		return;
	while ((hit = memmem(p, (size_t)(end - p), pc->p, pc->n)) != NULL) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_addstr(&out, REDACT_MASK);
		p = hit + pc->n;
	}
	buf_add(&out, p, (size_t)(end - p));
	sodium_memzero(b->data, b->len);
	buf_release(b);
	*b = out;
}

void
redact_buf(struct buf *b)
{
	for (size_t i = 0; i < npieces; i++)
		redact_piece(b, &pieces[i]);
}

char *
redact_str(const char *s)
{
	struct buf b = BUF_INIT;

	if (s == NULL)
		return NULL;
	buf_addstr(&b, s);
	redact_buf(&b);
	return buf_detach(&b, NULL);
}

void
redact_clear(void)
{
	for (size_t i = 0; i < npieces; i++)
		sodium_free(pieces[i].p);
	npieces = 0;
}
