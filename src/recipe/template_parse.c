/*
 * The template parser: tags and blocks, building the tree of
 * template_int.h from the source (expressions come from template_expr.c,
 * tokens from template_lex.c); every syntax error names the template,
 * line and column. The language itself is described in template.c.
 */
#include "template_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/template.h"
#include "recipe/tval.h"

/* Freeing. Recursion is bounded by TPL_MAX_DEPTH and TPL_MAX_EXPR. */

static void
node_release(struct node *n)
{
	tpl_expr_free(n->expr);
	for (size_t i = 0; i < n->nbr; i++) {
		tpl_expr_free(n->br[i].cond);
		tpl_body_release(&n->br[i].body);
	}
	free(n->br);
	free(n->key);
	free(n->var);
	free(n->include);
	tpl_body_release(&n->body);
}

void
tpl_body_release(struct body *b)
{
	for (size_t i = 0; i < b->n; i++)
		node_release(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

/* Takes the contents of n. */
static void
body_push(struct body *b, const struct node *n)
{
	b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof(*b->v));
	b->v[b->n++] = *n;
}

/* Ends the building of n, whose parse returned r: b takes n when r is 0;
 * a node that failed half-way is released. Returns r. */
static int
body_push_built(struct body *b, struct node *n, int r)
{
	if (r < 0) {
		node_release(n);
		return r;
	}
	body_push(b, n);
	return 0;
}

enum tag_kind {
	TAG_EOF, TAG_IF, TAG_ELIF, TAG_ELSE, TAG_END, TAG_ENDIF, TAG_ENDFOR,
	TAG_FOR, TAG_RAW, TAG_ENDRAW, TAG_INCLUDE
};

static const char *const tag_names[] = {
	"end of template", "if", "elif", "else", "end", "endif", "endfor",
	"for", "raw", "endraw", "include"
};

struct tag {
	enum tag_kind	 kind;
	struct tpl_at	 at;
	struct expr	*expr;		/* if, elif, for */
	char		*key, *var;	/* for */
	char		*include;	/* include */
};

static int parse_body(struct parser *, struct body *, struct tag *);

static int
expect_close(struct parser *p, const char *what)
{
	if (p->tok.kind == TOK_CLOSE)
		return 0;
	return tpl_parse_fail(p, p->tok.at, "unexpected '%.*s' in '%s' tag",
	    tpl_tok_width(&p->tok), p->tok.s, what);
}

/* Tags. */

static int
parse_loop_name(struct parser *p, char **out)
{
	if (p->tok.kind != TOK_NAME || tpl_is_keyword(&p->tok) ||
	    memchr(p->tok.s, '.', p->tok.n) != NULL)
		return tpl_parse_fail(p, p->tok.at, "bad loop variable "
		    "'%.*s'", tpl_tok_width(&p->tok), p->tok.s);
	if (tpl_is_word(&p->tok, "loop"))
		return tpl_parse_fail(p, p->tok.at, "'loop' is reserved; name "
		    "the loop variable something else");
	*out = xstrndup(p->tok.s, p->tok.n);
	return tpl_lex(p);
}

/* for NAME [, NAME] in OPERAND; p->tok is the first name. */
static int
parse_for_tag(struct parser *p, struct tag *tag)
{
	int r;

	if ((r = parse_loop_name(p, &tag->var)) < 0)
		return r;
	if (p->tok.kind == TOK_COMMA) {
		tag->key = tag->var;
		tag->var = NULL;
		if ((r = tpl_lex(p)) < 0 ||
		    (r = parse_loop_name(p, &tag->var)) < 0)
			return r;
	}
	if (!tpl_is_word(&p->tok, "in"))
		return tpl_parse_fail(p, p->tok.at, "expected 'in' after the "
		    "loop variable, got '%.*s'", tpl_tok_width(&p->tok),
		    p->tok.s);
	if ((r = tpl_lex(p)) < 0)
		return r;
	return tpl_parse_operand(p, &tag->expr);
}

/* include "NAME": a string literal, so what a template pulls in is known
 * when it is parsed. */
static int
parse_include_tag(struct parser *p, struct tag *tag)
{
	struct tval *name;
	int r;

	if (p->tok.kind != TOK_STR)
		return tpl_parse_fail(p, p->tok.at, "include takes a template "
		    "name in quotes");
	if (!tpl_parse_literal(p, &name, &r) || r < 0)
		return r;
	tag->include = xstrdup(tval_str(name, NULL));
	tval_free(name);
	return tpl_lex(p);
}

/* The inside of {% ... %}; p->pos is just past the "{%". */
static int
parse_tag(struct parser *p, struct tag *tag)
{
	size_t k;
	int r;

	memset(tag, 0, sizeof(*tag));
	tag->at = p->tag_at;
	p->closer = '%';
	if ((r = tpl_lex(p)) < 0)
		return r;
	if (p->tok.kind == TOK_CLOSE)
		return tpl_parse_fail(p, p->tok.at, "empty '{%% %%}' tag");
	for (k = 1; k < sizeof(tag_names) / sizeof(tag_names[0]); k++)
		if (tpl_is_word(&p->tok, tag_names[k]))
			break;
	if (k == sizeof(tag_names) / sizeof(tag_names[0]))
		return tpl_parse_fail(p, p->tok.at, "unknown tag '%.*s'",
		    tpl_tok_width(&p->tok), p->tok.s);
	tag->kind = (enum tag_kind)k;
	if ((r = tpl_lex(p)) < 0)
		return r;
	if (tag->kind == TAG_IF || tag->kind == TAG_ELIF)
		r = tpl_parse_expr(p, &tag->expr);
	else if (tag->kind == TAG_FOR)
		r = parse_for_tag(p, tag);
	else if (tag->kind == TAG_INCLUDE)
		r = parse_include_tag(p, tag);
	if (r < 0)
		return r;
	return expect_close(p, tag_names[k]);
}

static void
tag_release(struct tag *tag)
{
	tpl_expr_free(tag->expr);
	free(tag->key);
	free(tag->var);
	free(tag->include);
	memset(tag, 0, sizeof(*tag));
}

/*
 * A tag alone on its line (blanks around it allowed) takes the whole line
 * with it, newline included, so block tags leave no blank lines behind.
 * Sets where the text before the tag ends and where the text after starts.
 */
static void
standalone(const struct parser *p, size_t text_start, size_t open,
    size_t close, size_t *text_end, size_t *next)
{
	const char *s = p->src;
	size_t a = open, z = close;

	*text_end = open;
	*next = close;
	while (a > text_start && (s[a - 1] == ' ' || s[a - 1] == '\t'))
		a--;
	if (a > 0 && s[a - 1] != '\n')
		return;
	while (z < p->len && (s[z] == ' ' || s[z] == '\t'))
		z++;
	if (z + 1 < p->len && s[z] == '\r' && s[z + 1] == '\n')
		z++;
	if (z < p->len && s[z] != '\n')
		return;
	*text_end = a;
	*next = z < p->len ? z + 1 : z;
}

static void
push_text(struct body *b, const char *s, size_t n)
{
	struct node node;

	if (n == 0)
		return;
	memset(&node, 0, sizeof(node));
	node.kind = NODE_TEXT;
	node.text = s;
	node.len = n;
	body_push(b, &node);
}

/* Offset of the next "{{", "{%" or "{#" at or after from, or len. */
static size_t
find_open(const struct parser *p, size_t from)
{
	const char *s = p->src, *c;
	size_t i = from;

	while (i + 1 < p->len &&
	    (c = memchr(s + i, '{', p->len - i - 1)) != NULL) {
		i = (size_t)(c - s);
		if (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')
			return i;
		i++;
	}
	return p->len;
}

/* Returns the end of a "{% endraw %}" opening at i, or 0. */
static size_t
match_endraw(const struct parser *p, size_t i)
{
	const char *s = p->src;
	size_t j = i + 2;

	while (j < p->len && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
		j++;
	if (p->len - j < 6 || memcmp(s + j, "endraw", 6) != 0)
		return 0;
	j += 6;
	while (j < p->len && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
		j++;
	if (p->len - j < 2 || memcmp(s + j, "%}", 2) != 0)
		return 0;
	return j + 2;
}

/* Everything up to {% endraw %} is text; p->pos is past {% raw %}. */
static int
parse_raw(struct parser *p, struct body *b, struct tpl_at at)
{
	size_t open = p->pos, close = 0, text_end, next;

	while ((open = find_open(p, open)) < p->len) {
		if (p->src[open + 1] == '%' &&
		    (close = match_endraw(p, open)) != 0)
			break;
		open++;
	}
	if (close == 0)
		return tpl_parse_fail(p, at, "unclosed 'raw' block");
	standalone(p, p->pos, open, close, &text_end, &next);
	push_text(b, p->src + p->pos, text_end - p->pos);
	tpl_advance(p, next);
	return 0;
}

/* Blocks. */

static int
block_enter(struct parser *p, struct tpl_at at)
{
	if (++p->depth > TPL_MAX_DEPTH)
		return tpl_parse_fail(p, at, "blocks nest deeper than %d",
		    TPL_MAX_DEPTH);
	return 0;
}

/* Takes the tag's condition. */
static struct branch *
branch_add(struct node *n, struct tag *tag)
{
	n->br = xgrow(n->br, &n->capbr, n->nbr + 1, sizeof(*n->br));
	memset(&n->br[n->nbr], 0, sizeof(n->br[0]));
	n->br[n->nbr].cond = tag->expr;
	n->br[n->nbr].at = tag->at;
	tag->expr = NULL;
	return &n->br[n->nbr++];
}

/* Checks the tag that ended a block opened by `kind` at at. */
static int
block_end(struct parser *p, const struct tag *end, enum tag_kind kind,
    struct tpl_at at)
{
	const char *name = tag_names[kind];

	if (end->kind == TAG_END || (kind == TAG_IF && end->kind ==
	    TAG_ENDIF) || (kind == TAG_FOR && end->kind == TAG_ENDFOR))
		return 0;
	if (end->kind == TAG_EOF)
		return tpl_parse_fail(p, at, "unclosed '%s' block", name);
	if (end->kind == TAG_ENDIF || end->kind == TAG_ENDFOR)
		return tpl_parse_fail(p, end->at, "'%s' cannot close the '%s' "
		    "block opened at line %d", tag_names[end->kind], name,
		    at.line);
	if (kind == TAG_IF)
		return tpl_parse_fail(p, end->at, "'%s' after 'else'",
		    tag_names[end->kind]);
	return tpl_parse_fail(p, end->at, "'%s' without 'if'",
	    tag_names[end->kind]);
}

/* if/elif/else up to the end; takes tag->expr. */
static int
parse_if(struct parser *p, struct tag *tag, struct node *n)
{
	struct tag end;
	struct branch *br;
	int r, has_else = 0;

	n->kind = NODE_IF;
	n->at = tag->at;
	br = branch_add(n, tag);
	if ((r = block_enter(p, tag->at)) < 0)
		return r;
	for (;;) {
		if ((r = parse_body(p, &br->body, &end)) < 0)
			return r;
		if ((end.kind != TAG_ELIF && end.kind != TAG_ELSE) ||
		    has_else)
			break;
		has_else = end.kind == TAG_ELSE;
		br = branch_add(n, &end);
	}
	r = block_end(p, &end, TAG_IF, tag->at);
	tag_release(&end);
	p->depth--;
	return r;
}

/* for ... up to the end; takes the tag's names and expression. */
static int
parse_for(struct parser *p, struct tag *tag, struct node *n)
{
	struct tag end;
	int r;

	n->kind = NODE_FOR;
	n->at = tag->at;
	n->expr = tag->expr;
	n->key = tag->key;
	n->var = tag->var;
	memset(tag, 0, sizeof(*tag));
	if ((r = block_enter(p, n->at)) < 0)
		return r;
	if ((r = parse_body(p, &n->body, &end)) < 0)
		return r;
	r = block_end(p, &end, TAG_FOR, n->at);
	tag_release(&end);
	p->depth--;
	return r;
}

/* {{ EXPR }}; p->pos is just past the "{{". */
static int
parse_output(struct parser *p, struct body *b)
{
	struct node n;
	int r;

	memset(&n, 0, sizeof(n));
	n.kind = NODE_OUT;
	n.at = p->tag_at;
	p->closer = '}';
	if ((r = tpl_lex(p)) < 0)
		return r;
	if (p->tok.kind == TOK_CLOSE)
		return tpl_parse_fail(p, p->tok.at, "empty '{{ }}' tag");
	r = tpl_parse_expr(p, &n.expr);
	if (r == 0)
		r = expect_close(p, "{{ }}");
	return body_push_built(b, &n, r);
}

/* {# ... #}; returns where it ends. */
static int
parse_comment(struct parser *p, size_t open, size_t *close)
{
	const char *s = p->src;
	size_t i;

	for (i = open + 2; i + 1 < p->len; i++)
		if (s[i] == '#' && s[i + 1] == '}') {
			*close = i + 2;
			return 0;
		}
	return tpl_parse_fail(p, p->tag_at, "unclosed comment");
}

/* A block tag just read: builds its node into b, or reports a closer. */
static int
parse_block_tag(struct parser *p, struct body *b, struct tag *tag,
    int *closes)
{
	struct node n;
	int r;

	*closes = 0;
	memset(&n, 0, sizeof(n));
	switch (tag->kind) {
	case TAG_IF:
		r = parse_if(p, tag, &n);
		break;
	case TAG_FOR:
		r = parse_for(p, tag, &n);
		break;
	case TAG_RAW:
		return parse_raw(p, b, tag->at);
	case TAG_ENDRAW:
		return tpl_parse_fail(p, tag->at, "'endraw' without 'raw'");
	case TAG_INCLUDE:
		n.kind = NODE_INCLUDE;
		n.at = tag->at;
		n.include = tag->include;
		tag->include = NULL;
		body_push(b, &n);
		return 0;
	default:
		*closes = 1;
		return 0;
	}
	return body_push_built(b, &n, r);
}

/* A comment or block tag at open: the text before it, then the tag. */
static int
parse_standalone_tag(struct parser *p, struct body *b, size_t open,
    struct tag *tag, int *closes)
{
	size_t text_start = p->pos, close = 0, text_end, next;
	int r;

	*closes = 0;
	tpl_advance(p, open);
	p->tag_at = tpl_at_of(p, open);
	if (p->src[open + 1] == '#')
		r = parse_comment(p, open, &close);
	else {
		tpl_advance(p, open + 2);
		r = parse_tag(p, tag);
		close = p->pos;
	}
	if (r < 0)
		return r;
	standalone(p, text_start, open, close, &text_end, &next);
	push_text(b, p->src + text_start, text_end - text_start);
	tpl_advance(p, next);
	if (p->src[open + 1] == '#')
		return 0;
	return parse_block_tag(p, b, tag, closes);
}

/*
 * Parses nodes into b until a tag it cannot place (elif, else, end...) or
 * the end of the template; *end says which, and owns its expression.
 */
static int
parse_body(struct parser *p, struct body *b, struct tag *end)
{
	size_t open;
	int r, closes;

	memset(end, 0, sizeof(*end));
	for (;;) {
		open = find_open(p, p->pos);
		if (open == p->len) {
			push_text(b, p->src + p->pos, p->len - p->pos);
			tpl_advance(p, p->len);
			end->kind = TAG_EOF;
			end->at = tpl_at_of(p, p->len);
			return 0;
		}
		if (p->src[open + 1] == '{') {
			push_text(b, p->src + p->pos, open - p->pos);
			tpl_advance(p, open);
			p->tag_at = tpl_at_of(p, open);
			tpl_advance(p, open + 2);
			if ((r = parse_output(p, b)) < 0) {
				end->kind = TAG_EOF;
				return r;
			}
			continue;
		}
		r = parse_standalone_tag(p, b, open, end, &closes);
		if (r < 0)
			tag_release(end);
		if (r < 0 || closes)
			return r;
		tag_release(end);
	}
}

int
tpl_parse_body(struct tpl *t, struct tl_err *err)
{
	struct parser p;
	struct tag end;
	int r;

	memset(&p, 0, sizeof(p));
	p.name = t->name;
	p.src = t->src;
	p.len = t->len;
	p.line = 1;
	p.err = err;
	if ((r = parse_body(&p, &t->body, &end)) == 0 && end.kind != TAG_EOF)
		r = tpl_parse_fail(&p, end.at, "'%s' without an open block",
		    tag_names[end.kind]);
	tag_release(&end);
	return r;
}
