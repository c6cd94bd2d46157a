/*
 * Unified diffs for --diff and --noop, by Myers' O(ND) algorithm (1986)
 * over lines, after trimming the common head and tail. The edit distance
 * is capped so a rewrite of a large file costs bounded time and memory;
 * past the cap the whole middle is shown as replaced.
 */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define DIFF_CONTEXT	3
#define DIFF_MAX_D	1000

struct line {
	const char	*p;
	size_t		 n;	/* without the newline */
};

enum op_kind { OP_EQ, OP_DEL, OP_INS };

struct op {
	enum op_kind	kind;
	size_t		a, b;	/* line indexes in a and b */
};

static struct line *
split_lines(const char *s, size_t len, size_t *n)
{
	struct line *v = NULL;
	size_t cap = 0, start = 0;

	*n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		v = xgrow(v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = (struct line){ s + start, i - start };
		start = i + 1;
	}
	return v;
}

static int
line_eq(const struct line *x, const struct line *y)
{
	return x->n == y->n && memcmp(x->p, y->p, x->n) == 0;
}

struct ops {
	struct op	*v;
	size_t		 n, cap;
};

static void
ops_push(struct ops *o, enum op_kind k, size_t a, size_t b)
{
	o->v = xgrow(o->v, &o->cap, o->n + 1, sizeof(*o->v));
	o->v[o->n++] = (struct op){ k, a, b };
}

/* Edit script of A[0..n) -> B[0..m), appended in reverse order; returns
 * -1 when the distance exceeds DIFF_MAX_D. */
static int
myers(const struct line *A, size_t n, const struct line *B, size_t m,
    size_t a0, size_t b0, struct ops *rev)
{
	long max = (long)(n + m), dmax = max < DIFF_MAX_D ? max : DIFF_MAX_D;
	long *v = xcalloc((size_t)(2 * max + 3), sizeof(long)), **trace;
	long d, found = -1;

	trace = xcalloc((size_t)dmax + 2, sizeof(long *));
	for (d = 0; d <= dmax && found < 0; d++) {
		trace[d] = xmalloc((size_t)(2 * d + 1) * sizeof(long));
		for (long k = -d; k <= d; k++)
			trace[d][k + d] = v[max + 1 + k];
		for (long k = -d; k <= d; k += 2) {
			long x, y;

			if (k == -d || (k != d && v[max + k] < v[max + k + 2]))
				x = v[max + k + 2];
			else
				x = v[max + k] + 1;
			y = x - k;
			while (x < (long)n && y < (long)m &&
			    line_eq(&A[x], &B[y]))
				x++, y++;
			v[max + 1 + k] = x;
			if (x >= (long)n && y >= (long)m) {
				found = d;
				break;
			}
		}
	}
	if (found >= 0) {
		long x = (long)n, y = (long)m;

		for (d = found; d >= 0; d--) {
			long k = x - y, pk, px, py;
			long *t = trace[d];
#define TV(kk) t[(kk) + d]
			if (d == 0) {
				while (x > 0 && y > 0)
					ops_push(rev, OP_EQ, a0 + (size_t)--x,
					    b0 + (size_t)--y);
				break;
			}
			pk = (k == -d || (k != d && TV(k - 1) < TV(k + 1))) ?
			    k + 1 : k - 1;
			px = TV(pk);
			py = px - pk;
#undef TV
			while (x > px && y > py)
				ops_push(rev, OP_EQ, a0 + (size_t)--x,
				    b0 + (size_t)--y);
			if (x == px)
				ops_push(rev, OP_INS, a0 + (size_t)x,
				    b0 + (size_t)--y);
			else
				ops_push(rev, OP_DEL, a0 + (size_t)--x,
				    b0 + (size_t)y);
		}
	}
	for (long i = 0; i <= dmax && trace[i] != NULL; i++)
		free(trace[i]);
	free(trace);
	free(v);
	return found >= 0 ? 0 : -1;
}

static void
emit_line(struct buf *out, char sign, const struct line *l)
{
	buf_addch(out, sign);
	buf_add(out, l->p, l->n);
	buf_addch(out, '\n');
}

static void
emit_hunk(struct buf *out, const struct op *ops, size_t from, size_t to,
    const struct line *A, const struct line *B)
{
	size_t na = 0, nb = 0, a1 = ops[from].a, b1 = ops[from].b;

	for (size_t i = from; i < to; i++) {
		na += ops[i].kind != OP_INS;
		nb += ops[i].kind != OP_DEL;
	}
	buf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? a1 + 1 : a1, na,
	    nb ? b1 + 1 : b1, nb);
	for (size_t i = from; i < to; i++) {
		if (ops[i].kind == OP_EQ)
			emit_line(out, ' ', &A[ops[i].a]);
		else if (ops[i].kind == OP_DEL)
			emit_line(out, '-', &A[ops[i].a]);
		else
			emit_line(out, '+', &B[ops[i].b]);
	}
}

static void
emit_hunks(struct buf *out, const struct ops *o, const struct line *A,
    const struct line *B)
{
	size_t i = 0;

	while (i < o->n) {
		size_t start, end, last;

		while (i < o->n && o->v[i].kind == OP_EQ)
			i++;
		if (i == o->n)
			break;
		start = i > DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
		last = i;
		/* Extend while the next change is within two contexts. */
		for (end = i; end < o->n; end++) {
			if (o->v[end].kind != OP_EQ)
				last = end;
			else if (end - last > 2 * DIFF_CONTEXT)
				break;
		}
		end = last + 1 + DIFF_CONTEXT;
		if (end > o->n)
			end = o->n;
		emit_hunk(out, o->v, start, end, A, B);
		i = end;
	}
}

void
diff_unified(const char *a, size_t alen, const char *b, size_t blen,
    const char *a_name, const char *b_name, struct buf *out)
{
	struct line *A, *B;
	size_t n, m, pre = 0, suf = 0;
	struct ops rev = { 0 }, fwd = { 0 };

	if (alen == blen && memcmp(a, b, alen) == 0)
		return;
	buf_addf(out, "--- %s\n+++ %s\n", a_name, b_name);
	if (memchr(a, '\0', alen) != NULL || memchr(b, '\0', blen) != NULL) {
		buf_addstr(out, "binary content differs\n");
		return;
	}
	A = split_lines(a, alen, &n);
	B = split_lines(b, blen, &m);
	while (pre < n && pre < m && line_eq(&A[pre], &B[pre]))
		pre++;
	while (suf < n - pre && suf < m - pre &&
	    line_eq(&A[n - 1 - suf], &B[m - 1 - suf]))
		suf++;
	for (size_t i = 0; i < suf; i++)
		ops_push(&rev, OP_EQ, n - 1 - i, m - 1 - i);
	if (myers(A + pre, n - pre - suf, B + pre, m - pre - suf, pre, pre,
	    &rev) < 0) {
		/* Too different: the middle is replaced wholesale. */
		for (size_t i = m - suf; i-- > pre;)
			ops_push(&rev, OP_INS, n - suf, i);
		for (size_t i = n - suf; i-- > pre;)
			ops_push(&rev, OP_DEL, i, pre);
	}
	for (size_t i = pre; i-- > 0;)
		ops_push(&rev, OP_EQ, i, i);
	for (size_t i = rev.n; i-- > 0;)
		ops_push(&fwd, rev.v[i].kind, rev.v[i].a, rev.v[i].b);
	emit_hunks(out, &fwd, A, B);
	if ((alen > 0 && a[alen - 1] != '\n') || (blen > 0 &&
	    b[blen - 1] != '\n'))
		buf_addstr(out, "\\ no newline at end of file\n");
	free(rev.v);
	free(fwd.v);
	free(A);
	free(B);
}
