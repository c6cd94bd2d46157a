/*
 * The template lexer: inside a {{ }} or {% %} tag, one token at a time up
 * to the closer, so "}}" inside a string literal does not end the tag.
 * Every token carries its line and column, for errors.
 */
#include "template_int.h"

#include <stdarg.h>
#include <string.h>

#include "core/err.h"

int
tpl_parse_fail(struct parser *p, struct tpl_at at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tpl_vfail(p->err, p->name, at, TL_ESYNTAX, fmt, ap);
	va_end(ap);
	return rc;
}

void
tpl_advance(struct parser *p, size_t to)
{
	const char *s = p->src + p->pos, *end = p->src + to, *nl;

	TL_ASSERT(to >= p->pos && to <= p->len);
	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		p->line++;
		s = nl + 1;
		p->line_start = (size_t)(s - p->src);
	}
	p->pos = to;
}

struct tpl_at
tpl_at_of(const struct parser *p, size_t off)
{
	struct tpl_at at = { p->line, 1 };

	if (off >= p->line_start)
		at.col = (int)(off - p->line_start > 1000000 ? 1000000 :
		    off - p->line_start) + 1;
	return at;
}

int
tpl_is_word(const struct token *t, const char *w)
{
	size_t n = strlen(w);

	return t->kind == TOK_NAME && t->n == n && memcmp(t->s, w, n) == 0;
}

int
tpl_is_keyword(const struct token *t)
{
	static const char *const words[] = { "and", "or", "not", "in" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (tpl_is_word(t, words[i]))
			return 1;
	return 0;
}

int
tpl_tok_width(const struct token *t)
{
	return t->n > 40 ? 40 : (int)t->n;
}

static int
is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* name(.segment)*: segments are letters, digits, '_' and '-'. */
static int
lex_name(struct parser *p, size_t i, size_t *n)
{
	size_t j = i;

	for (;;) {
		while (j < p->len && is_name_char((unsigned char)p->src[j]))
			j++;
		if (j >= p->len || p->src[j] != '.')
			break;
		if (j + 1 >= p->len ||
		    !is_name_char((unsigned char)p->src[j + 1]))
			return tpl_parse_fail(p, tpl_at_of(p, i), "bad "
			    "variable name '%.*s'", (int)(j - i > 40 ? 40 :
			    j - i + 1), p->src + i);
		j++;
	}
	*n = j - i;
	return 0;
}

/* -?digits(.digits)? */
static int
lex_number(struct parser *p, size_t i, size_t *n)
{
	size_t j = i;

	if (p->src[j] == '-')
		j++;
	while (j < p->len && is_digit((unsigned char)p->src[j]))
		j++;
	if (j + 1 < p->len && p->src[j] == '.' &&
	    is_digit((unsigned char)p->src[j + 1])) {
		j++;
		while (j < p->len && is_digit((unsigned char)p->src[j]))
			j++;
	}
	if (j - i > 40 || (j < p->len && is_name_char(
	    (unsigned char)p->src[j])))
		return tpl_parse_fail(p, tpl_at_of(p, i), "bad number "
		    "'%.*s'", (int)(j - i > 40 ? 40 : j - i), p->src + i);
	*n = j - i;
	return 0;
}

/* A quoted string; escapes are decoded later, by the expression parser. */
static int
lex_string(struct parser *p, size_t i, size_t *n)
{
	char q = p->src[i];
	size_t j = i + 1;

	while (j < p->len && p->src[j] != q && p->src[j] != '\n')
		j += p->src[j] == '\\' ? 2 : 1;
	if (j >= p->len || p->src[j] != q)
		return tpl_parse_fail(p, tpl_at_of(p, i), "unclosed string");
	*n = j + 1 - i;
	return 0;
}

static int
lex_punct(struct parser *p, size_t i, size_t *n)
{
	/* Longest first: "//" before "/", "<=" before "<". */
	static const struct { char s[3]; enum tok kind; } punct[] = {
		{ "==", TOK_EQ }, { "!=", TOK_NE }, { "<=", TOK_LE },
		{ ">=", TOK_GE }, { "//", TOK_DSLASH }, { "<", TOK_LT },
		{ ">", TOK_GT }, { "+", TOK_PLUS }, { "-", TOK_MINUS },
		{ "*", TOK_STAR }, { "/", TOK_SLASH }, { "%", TOK_PERCENT },
		{ "~", TOK_TILDE }, { "|", TOK_PIPE }, { "(", TOK_LPAREN },
		{ ")", TOK_RPAREN }, { ",", TOK_COMMA },
	};
	unsigned char c = (unsigned char)p->src[i];
	struct tpl_at at = tpl_at_of(p, i);

	for (size_t k = 0; k < sizeof(punct) / sizeof(punct[0]); k++) {
		size_t m = strlen(punct[k].s);

		if (i + m <= p->len && memcmp(p->src + i, punct[k].s, m) == 0) {
			p->tok.kind = punct[k].kind;
			*n = m;
			return 0;
		}
	}
	if (c == '=')
		return tpl_parse_fail(p, at, "'=' is not an operator; use "
		    "'=='");
	if (c >= 0x20 && c < 0x7f)
		return tpl_parse_fail(p, at, "unexpected character '%c'", c);
	return tpl_parse_fail(p, at, "unexpected byte 0x%02x", c);
}

/* Is the tag's closer ("}}" or "%}") at i? */
static int
at_closer(const struct parser *p, size_t i)
{
	return (p->src[i] == '}' || p->src[i] == '%') && i + 1 < p->len &&
	    p->src[i + 1] == '}';
}

int
tpl_lex(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos, n = 0;
	int r = 0;

	while (i < p->len && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	tpl_advance(p, i);
	if (i >= p->len)
		return tpl_parse_fail(p, p->tag_at, "unclosed '%s' tag",
		    p->closer == '}' ? "{{" : "{%");
	p->tok.s = s + i;
	p->tok.at = tpl_at_of(p, i);
	if (at_closer(p, i)) {
		if (s[i] != p->closer)
			return tpl_parse_fail(p, p->tok.at, "'%c}' cannot "
			    "close a '%s' tag", s[i],
			    p->closer == '}' ? "{{" : "{%");
		p->tok.kind = TOK_CLOSE;
		n = 2;
	} else if (s[i] == '"' || s[i] == '\'') {
		p->tok.kind = TOK_STR;
		r = lex_string(p, i, &n);
	} else if (is_digit((unsigned char)s[i])) {
		p->tok.kind = TOK_NUM;
		r = lex_number(p, i, &n);
	} else if (is_name_char((unsigned char)s[i]) && s[i] != '-') {
		p->tok.kind = TOK_NAME;
		r = lex_name(p, i, &n);
	} else
		r = lex_punct(p, i, &n);
	if (r < 0)
		return r;
	p->tok.n = n;
	tpl_advance(p, i + n);
	return 0;
}
