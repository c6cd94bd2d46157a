/*
 * cron: one entry in a user's crontab, identified by its name. Each entry
 * tlaloc manages sits between its own markers,
 *
 *   # BEGIN tlaloc cron: backup
 *   0 3 * * * /usr/local/bin/backup
 *   # END tlaloc cron: backup
 *
 * so a run changes or removes only what it manages; lines outside the
 * markers (a user's own entries) are never touched. The crontab is read
 * and written with the crontab(1) tool (chrooted under --root), which
 * validates it and signals the daemon.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/spawn.h"
#include "core/text.h"
#include "core/xalloc.h"
#include "engine/res.h"
#include "engine/run.h"
#include "providers/providers.h"

#define CRON_BEGIN	"# BEGIN tlaloc cron: "
#define CRON_END	"# END tlaloc cron: "

static const char *const specials[] = { "reboot", "yearly", "annually",
	"monthly", "weekly", "daily", "midnight", "hourly", NULL };

static const struct attr_spec cron_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "identifies the entry (its markers) in the crontab" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "user", ATTR_ACCOUNT, 0, "root", NULL, "whose crontab" },
	{ "command", ATTR_STR, 0, NULL, NULL,
	    "the command line (required when present)" },
	{ "minute", ATTR_STR, 0, "*", NULL, "0-59, lists, ranges, steps" },
	{ "hour", ATTR_STR, 0, "*", NULL, "0-23" },
	{ "monthday", ATTR_STR, 0, "*", NULL, "1-31" },
	{ "month", ATTR_STR, 0, "*", NULL, "1-12 or jan-dec" },
	{ "weekday", ATTR_STR, 0, "*", NULL, "0-7 or sun-sat" },
	{ "special", ATTR_ENUM, 0, NULL, specials,
	    "@reboot, @daily ...: instead of the five time fields" },
	{ "environment", ATTR_LIST, 0, NULL, NULL,
	    "\"NAME=value\" lines placed before the entry" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const time_fields[] = { "minute", "hour", "monthday",
	"month", "weekday", NULL };

struct cron_priv {
	char	*new_text;	/* the whole crontab to install */
};

/* The range of each time field, and the names it accepts. */
static const struct cron_range {
	int			 lo, hi;
	const char *const	*names;		/* names[i] stands for lo + i */
} ranges[] = {
	{ 0, 59, NULL },
	{ 0, 23, NULL },
	{ 1, 31, NULL },
	{ 1, 12, (const char *const[]){ "jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL } },
	{ 0, 7, (const char *const[]){ "sun", "mon", "tue", "wed", "thu",
	    "fri", "sat", "sun", NULL } },
};

/* Reads a number or a name of rg at *p; -1 when there is none. */
static int
cron_value(const char **p, const struct cron_range *rg)
{
	long v;
	char *end;

	if (**p >= '0' && **p <= '9') {
		v = strtol(*p, &end, 10);
		*p = end;
		return v > 1000 ? 1000 : (int)v;
	}
	for (size_t i = 0; rg->names != NULL && rg->names[i] != NULL; i++)
		if (strncasecmp(*p, rg->names[i], 3) == 0) {
			*p += 3;
			return rg->lo + (int)i;
		}
	return -1;
}

/*
 * Checks one time field as cron(8) reads it: a comma-separated list of
 * `*`, N or N-M, each with an optional /STEP, within the field's range.
 */
static int
cron_field_check(const char *field, const char *v,
    const struct cron_range *rg, struct tl_err *err)
{
	const char *p = v;

	for (;;) {
		int a = rg->lo, b = rg->hi, step = 1;

		if (*p == '*')
			p++;
		else if ((a = b = cron_value(&p, rg)) >= 0 && *p == '-') {
			p++;
			b = cron_value(&p, rg);
		}
		if (a >= 0 && b >= 0 && *p == '/') {
			p++;
			step = cron_value(&p, &(struct cron_range){ 1, 0,
			    NULL });
		}
		if (a < 0 || b < 0 || step < 1 || (*p != ',' && *p != '\0'))
			return tl_err_set(err, TL_EINVAL, "cron %s '%s' is not "
			    "a cron field (N, N-M, *, */STEP, or a list of "
			    "them)", field, v);
		if (a < rg->lo || b > rg->hi || a > b || step > rg->hi)
			return tl_err_set(err, TL_EINVAL, "cron %s '%s' is out "
			    "of range: %s takes %d-%d", field, v, field,
			    rg->lo, rg->hi);
		if (*p++ == '\0')
			return 0;
	}
}

static int
cron_validate(struct res *r, struct tl_err *err)
{
	const struct attr_val *env = res_val(r, "environment");
	const char *cmd = res_str(r, "command");

	if (strpbrk(r->title, "\n") != NULL || r->title[0] == '\0')
		return tl_err_set(err, TL_EINVAL, "a cron name is one line");
	if (strcmp(res_str(r, "ensure"), "present") == 0 &&
	    (cmd == NULL || cmd[0] == '\0'))
		return tl_err_set(err, TL_EINVAL, "cron needs a command");
	if (cmd != NULL && strpbrk(cmd, "\n\r") != NULL)
		return tl_err_set(err, TL_EINVAL, "a cron command is one line");
	for (size_t i = 0; time_fields[i] != NULL; i++) {
		const char *v = res_str(r, time_fields[i]);
		if (v[0] == '\0' || strpbrk(v, " \t\n") != NULL)
			return tl_err_set(err, TL_EINVAL, "%s '%s' must be one "
			    "word", time_fields[i], v);
		if (cron_field_check(time_fields[i], v, &ranges[i], err) < 0)
			return err->code;
	}
	for (size_t i = 0; i < env->nitems; i++)
		if (strchr(env->items[i], '=') == NULL ||
		    strchr(env->items[i], '\n') != NULL)
			return tl_err_set(err, TL_EINVAL, "environment takes "
			    "NAME=value lines, not '%s'", env->items[i]);
	return 0;
}

static void
cron_autorequire(const struct res *r, res_require_fn add, void *ctx)
{
	add(ctx, "user", res_str(r, "user"));
}

/* Appends r's block (markers included) to b. */
static void
cron_block(const struct res *r, struct buf *b)
{
	const struct attr_val *env = res_val(r, "environment");

	buf_addf(b, CRON_BEGIN "%s\n", r->title);
	for (size_t i = 0; i < env->nitems; i++)
		buf_addf(b, "%s\n", env->items[i]);
	if (res_str(r, "special") != NULL)
		buf_addf(b, "@%s", res_str(r, "special"));
	else
		for (size_t i = 0; time_fields[i] != NULL; i++)
			buf_addf(b, "%s%s", i ? " " : "",
			    res_str(r, time_fields[i]));
	buf_addf(b, " %s\n", res_str(r, "command"));
	buf_addf(b, CRON_END "%s\n", r->title);
}

/* Skips one blank-separated word of a crontab line. */
static const char *
cron_word(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

/*
 * Is the line [a, a + alen) the same entry as [b, b + blen)? cron splits
 * the schedule (five fields, or one @word) on any run of blanks and hands
 * the rest to the shell, so the schedule words are compared one by one and
 * the command exactly, without its leading and trailing blanks.
 */
static int
cron_same_entry(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *ae = a + alen, *be = b + blen, *an, *bn;
	int words;

	text_trim(&a, &ae);
	text_trim(&b, &be);
	words = a < ae && *a == '@' ? 1 : 5;
	for (int i = 0; i < words; i++) {
		an = cron_word(a, ae);
		bn = cron_word(b, be);
		text_trim(&a, &an);
		text_trim(&b, &bn);
		if (an == a || an - a != bn - b ||
		    memcmp(a, b, (size_t)(an - a)) != 0)
			return 0;
		a = an;
		b = bn;
	}
	text_trim(&a, &ae);
	text_trim(&b, &be);
	return ae > a && ae - a == be - b && memcmp(a, b, (size_t)(ae - a)) ==
	    0;
}

/* The lines of a text, each (start, length), without the newline. */
struct cron_lines {
	struct cron_line {
		const char	*at;
		size_t		 len;
	}		*v;
	size_t		 n, cap;
};

static void
cron_lines_split(const char *text, size_t textlen, struct cron_lines *l)
{
	memset(l, 0, sizeof(*l));
	for (const char *p = text; p < text + textlen;) {
		size_t n = strcspn(p, "\n");

		l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
		l->v[l->n].at = p;
		l->v[l->n++].len = n;
		p += n + (p[n] == '\n');
	}
}

static void
cron_lines_release(struct cron_lines *l)
{
	free(l->v);
}

/* The index of the unmarked line of t that is the same entry as the
 * block's entry line, or t->n. */
static size_t
cron_find_unmarked(const struct cron_lines *t, const char *entry,
    size_t elen)
{
	int inside = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (strncmp(t->v[i].at, CRON_BEGIN, strlen(CRON_BEGIN)) == 0)
			inside = 1;
		else if (strncmp(t->v[i].at, CRON_END, strlen(CRON_END)) == 0)
			inside = 0;
		else if (!inside && cron_same_entry(t->v[i].at, t->v[i].len, entry,
		    elen))
			return i;
	}
	return t->n;
}

/*
 * A crontab that already holds the entry of a new block outside any
 * markers (written by hand, then described by `tlaloc adopt`) gets the
 * block in that entry's place, instead of a second copy of it: the entry,
 * and the NAME=value lines just above it when they are the block's own,
 * are taken over. Rewrites *out and returns 1 when it did.
 */
static int
cron_take_over(struct buf *out, const char *block)
{
	struct cron_lines t, b;
	size_t at, from, nenv;
	struct buf res = BUF_INIT;

	cron_lines_split(out->data, out->len, &t);
	cron_lines_split(block, strlen(block), &b);
	if (b.n < 3 || (at = cron_find_unmarked(&t, b.v[b.n - 2].at,
	    b.v[b.n - 2].len)) == t.n) {
		cron_lines_release(&t);
		cron_lines_release(&b);
		return 0;
	}
	nenv = b.n - 3;
	from = at;
	if (nenv <= at) {
		from = at - nenv;
		for (size_t k = 0; k < nenv && from != at; k++)
			if (t.v[from + k].len != b.v[1 + k].len ||
			    memcmp(t.v[from + k].at, b.v[1 + k].at,
			    b.v[1 + k].len) != 0)
				from = at;
	}
	buf_add(&res, out->data, (size_t)(t.v[from].at - out->data));
	buf_addstr(&res, block);
	if (at + 1 < t.n)
		buf_add(&res, t.v[at + 1].at, out->len -
		    (size_t)(t.v[at + 1].at - out->data));
	buf_reset(out);
	buf_add(out, res.data, res.len);
	buf_release(&res);
	cron_lines_release(&t);
	cron_lines_release(&b);
	return 1;
}

/*
 * Returns the crontab text with name's block replaced by block (NULL:
 * removed; put in the place of the same entry written without markers,
 * else appended, when missing). Everything else is kept byte for byte.
 * Exposed to the unit tests through cron_rewrite().
 */
char	*cron_rewrite(const char *text, const char *name, const char *block);

static char *
cron_rewrite_how(const char *text, const char *name, const char *block,
    int *took_over)
{
	struct buf out = BUF_INIT;
	char *begin = xasprintf(CRON_BEGIN "%s", name);
	char *end = xasprintf(CRON_END "%s", name);
	const char *p = text;
	int inside = 0, done = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");
		int nl = p[len] == '\n';

		if (!inside && len == strlen(begin) &&
		    strncmp(p, begin, len) == 0 && !done) {
			inside = 1;
			if (block != NULL)
				buf_addstr(&out, block);
			done = 1;
		} else if (inside) {
			if (len == strlen(end) && strncmp(p, end, len) == 0)
				inside = 0;
		} else {
			buf_add(&out, p, len);
			buf_addch(&out, '\n');
		}
		p += len + nl;
	}
	*took_over = 0;
	if (!done && block != NULL && !(*took_over = cron_take_over(&out,
	    block)))
		buf_addstr(&out, block);
	free(begin);
	free(end);
	return buf_detach(&out, NULL);
}

char *
cron_rewrite(const char *text, const char *name, const char *block)
{
	int took_over;

	return cron_rewrite_how(text, name, block, &took_over);
}

/* Reads user's crontab into out ("" when there is none). */
static int
cron_read(const struct run_ctx *ctx, const char *user, struct buf *out,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	struct spawn_result res;
	int rc;

	argv_add(&a, "crontab");
	argv_add(&a, "-u");
	argv_add(&a, user);
	argv_add(&a, "-l");
	spawn_result_init(&res);
	rc = prov_run(ctx->root, &a, NULL, 30 * 1000, &res, err);
	if (rc == 0 && res.status == 0) {
		buf_add(out, res.out.data, res.out.len);
	} else if (rc == 0 && strstr(res.errout.data, "no crontab for") ==
	    NULL) {
		struct buf msg = BUF_INIT;
		prov_tail(&msg, res.errout.data, res.errout.len);
		rc = tl_err_set(err, TL_ECHILD, "'crontab -u %s -l' exited "
		    "%d: %s", user, res.status, msg.data);
		buf_release(&msg);
	}
	spawn_result_release(&res);
	argv_release(&a);
	return rc;
}

static int
cron_user_exists(const struct run_ctx *ctx, const char *user)
{
	char *real = path_in_root(ctx->root, "/etc/passwd");
	struct buf text = BUF_INIT;
	struct acct_user u;
	int found;

	fileio_read(real, 64u << 20, &text, NULL);
	found = acct_passwd_find(text.data, user, &u);
	acct_user_release(&u);
	buf_release(&text);
	free(real);
	return found;
}

static int
cron_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct cron_priv *p;
	struct buf cur = BUF_INIT, block = BUF_INIT;
	int present = strcmp(res_str(r, "ensure"), "present") == 0;
	int rc, took_over;

	r->priv = p = xcalloc(1, sizeof(*p));
	/* A user the run has yet to create (--noop) has no crontab yet. */
	if (cron_user_exists(ctx, res_str(r, "user")) &&
	    (rc = cron_read(ctx, res_str(r, "user"), &cur, err)) < 0)
		goto out;
	rc = 0;
	if (present)
		cron_block(r, &block);
	p->new_text = cron_rewrite_how(cur.data, r->title, present ?
	    block.data : NULL, &took_over);
	if (strcmp(p->new_text, cur.data) != 0) {
		char *name = xasprintf("crontab of %s", res_str(r, "user"));
		if (!present)
			res_change(r, "remove entry from %s", name);
		else if (took_over)
			res_change(r, "mark the entry already in %s as "
			    "managed", name);
		else if (strstr(cur.data, CRON_BEGIN) != NULL &&
		    strstr(cur.data, r->title) != NULL)
			res_change(r, "change entry in %s", name);
		else
			res_change(r, "add entry to %s", name);
		if (ctx->want_diff)
			diff_unified(cur.data, cur.len, p->new_text,
			    strlen(p->new_text), name, name, &r->diff);
		free(name);
	}
out:
	buf_release(&cur);
	buf_release(&block);
	return rc;
}

static int
cron_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct cron_priv *p = r->priv;
	struct argv a = ARGV_INIT;
	int rc;

	argv_add(&a, "crontab");
	argv_add(&a, "-u");
	argv_add(&a, res_str(r, "user"));
	argv_add(&a, "-");
	rc = prov_run_input(ctx->root, &a, p->new_text, 30 * 1000, err);
	argv_release(&a);
	return rc;
}

static void
cron_release(void *priv)
{
	struct cron_priv *p = priv;

	free(p->new_text);
}

const struct res_type res_type_cron = {
	.name = "cron",
	.doc = "an entry in a user's crontab, between its own markers",
	.attrs = cron_attrs,
	.providers = "crontab(1)",
	.provider_proof = "crontab: tested live (Debian 12's cron 3.0pl1)\n",
	.validate = cron_validate,
	.autorequire = cron_autorequire,
	.check = cron_check,
	.fix = cron_fix,
	.release = cron_release,
};
