/*
 * line: one line in a file someone else owns (the vision's
 * $File->Replace_Line). With `match`, every line matching the regex is
 * replaced by `line`; when nothing matches and `line` is not there yet, it
 * is appended (after the first line matching `after`, if given). Absent
 * removes lines equal to `line`, or matching `match`. Idempotent even when
 * `match` does not match `line` itself. The file is read and replaced
 * through ctx->fs (core/fsroot.h): a link at the path is refused unless
 * follow = true.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/re.h"
#include "core/xalloc.h"
#include "engine/predict.h"
#include "engine/res.h"
#include "engine/run.h"
#include "resources/fsattr.h"

#define LINE_MAX_FILE	(64u << 20)

static const struct attr_spec line_attrs[] = {
	{ "name", ATTR_STR, ATTR_NAMEVAR, NULL, NULL,
	    "a title; defaults to \"PATH:MATCH\" (or \"PATH:LINE\")" },
	{ "path", ATTR_STR, ATTR_REQUIRED, NULL, NULL, "the file to edit" },
	{ "line", ATTR_STR, 0, NULL, NULL, "the whole line, without newline" },
	{ "match", ATTR_STR, 0, NULL, NULL,
	    "Perl regex: lines it matches are replaced (or removed)" },
	{ "after", ATTR_STR, 0, NULL, NULL,
	    "Perl regex: append after the first line it matches" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "create", ATTR_BOOL, 0, "false", NULL,
	    "create the file when it is missing" },
	{ "backup", ATTR_BOOL, 0, "true", NULL,
	    "keep the old content in the bucket before changing it" },
	{ "follow", ATTR_BOOL, 0, "false", NULL,
	    "when path is a symbolic link, edit the file it leads to (inside "
	    "the root) instead of refusing the link" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const args_replace[] = { "path", "match", "line", NULL };
static const char *const args_line[] = { "path", "line", NULL };
static const char *const fixed_absent[] = { "ensure=absent", NULL };

static const struct res_short line_shorts[] = {
	{ "file", "replace_line", args_replace, NULL,
	    "file.replace_line(path, regex, line): matching lines become line" },
	{ "file", "ensure_line", args_line, NULL,
	    "file.ensure_line(path, line): line is present" },
	{ "file", "remove_line", args_line, fixed_absent,
	    "file.remove_line(path, line): line is absent" },
	{ NULL, NULL, NULL, NULL, NULL }
};

struct line_state {
	char		*path;		/* managed path acted on (followed) */
	int		 exists;
	struct stat	 st;
	struct buf	 after;		/* the file as it should be */
	int		 cur_unknown;	/* --noop: a command makes it */
};

static int
line_validate(struct res *r, struct tl_err *err)
{
	const char *path = res_str(r, "path");
	struct tl_err rerr = TL_ERR_INIT;
	int absent = res_is_absent(r);
	const char *l = res_str(r, "line");

	if (!path_is_clean_abs(path))
		return tl_err_set(err, TL_EINVAL, "line path '%s' must be "
		    "absolute", path);
	if (!absent && l == NULL)
		return tl_err_set(err, TL_EINVAL, "line needs 'line'");
	if (absent && l == NULL && !res_is_set(r, "match"))
		return tl_err_set(err, TL_EINVAL, "an absent line needs "
		    "'line' or 'match'");
	if (l != NULL && strchr(l, '\n') != NULL)
		return tl_err_set(err, TL_EINVAL, "'line' must be one line "
		    "(it holds a newline)");
	/* Compile the regexes now, so a bad one fails before any change. */
	if (res_is_set(r, "match") && re_get(res_str(r, "match"), &rerr) ==
	    NULL)
		return tl_err_set(err, TL_ESYNTAX, "%s", rerr.msg);
	if (res_is_set(r, "after") && re_get(res_str(r, "after"), &rerr) ==
	    NULL)
		return tl_err_set(err, TL_ESYNTAX, "%s", rerr.msg);
	return 0;
}

static int
line_matches(const struct re *re, const char *p, size_t n)
{
	size_t ov[2];

	return re != NULL && re_match(re, p, n, 0, ov, 1) > 0;
}

/* Builds the edited text into out. Lines that stay as they are go in
 * as runs of the input, one copy per run: on a converged file that is
 * one copy of the whole text, not two appends per line. */
static void
line_edit(const struct res *r, const char *text, size_t len,
    struct buf *out)
{
	const char *want = res_str(r, "line"), *match = res_str(r, "match");
	const char *after = res_str(r, "after");
	/* Looked up once, not per line. A full cache is emptied by the
	 * lookup that misses (core/re.h): match is looked up again after
	 * after, so both are in the cache as it ends up. */
	const struct re *match_re = match ? re_get(match, NULL) : NULL;
	const struct re *after_re = after ? re_get(after, NULL) : NULL;
	int absent = res_is_absent(r);
	size_t wlen = want ? strlen(want) : 0, pos = 0, insert_at = (size_t)-1;
	size_t kept = 0;	/* text[kept..pos) is still to be copied */
	int present = 0, replaced = 0;

	if (match != NULL && after != NULL)
		match_re = re_get(match, NULL);
	while (pos < len) {
		const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		int is_want = want && n == wlen && memcmp(p, want, n) == 0;
		int hit = match ? line_matches(match_re, p, n) : is_want;
		size_t start = pos;

		pos += n + (nl != NULL);
		if (absent && hit) {
			buf_add(out, text + kept, start - kept);
			kept = pos;
			continue;
		}
		if (!absent && hit && !is_want) {
			buf_add(out, text + kept, start - kept);
			buf_add(out, want, wlen);
			buf_addch(out, '\n');
			kept = pos;
			replaced = present = 1;
		} else
			present |= is_want;
		if (after_re != NULL && insert_at == (size_t)-1 &&
		    line_matches(after_re, p, n))
			insert_at = out->len + (pos - kept);
	}
	buf_add(out, text + kept, pos - kept);
	if (absent || present || replaced)
		return;
	if (out->len > 0 && out->data[out->len - 1] != '\n') {
		/* The `after` line was this unterminated last one: the new
		 * line goes after the newline it gets, not inside it. */
		if (insert_at == out->len)
			insert_at++;
		buf_addch(out, '\n');
	}
	if (insert_at == (size_t)-1) {
		buf_add(out, want, wlen);
		buf_addch(out, '\n');
		return;
	}
	/* Insert after the `after` line: rebuild the tail. */
	{
		char *tail = xstrndup(out->data + insert_at,
		    out->len - insert_at);
		size_t tlen = out->len - insert_at;

		buf_truncate(out, insert_at);
		buf_add(out, want, wlen);
		buf_addch(out, '\n');
		buf_add(out, tail, tlen);
		free(tail);
	}
}

static void
line_release(void *priv)
{
	struct line_state *ls = priv;

	free(ls->path);
	buf_release(&ls->after);
}

/* Finds the file (following links when asked) and reads it, once for
 * all the edits of it in a row (run_load_kept(): *cur is borrowed); 1
 * when it is missing. */
static int
line_locate(struct res *r, struct run_ctx *ctx, struct line_state *ls,
    const struct buf **cur, struct tl_err *err)
{
	const char *path = res_str(r, "path");
	int rc;

	if (res_bool(r, "follow")) {
		if ((rc = fsroot_follow(ctx->fs, path, &ls->path, err)) < 0)
			return rc;
	} else
		ls->path = xstrdup(path);
	rc = run_load_kept(ctx, ls->path, LINE_MAX_FILE, cur, &ls->st, err);
	if (rc == 1) {		/* --noop: made by an earlier command */
		ls->cur_unknown = 1;
		rc = 0;
	}
	if (rc == TL_ENOENT)
		return 1;
	if (rc < 0)
		return rc;
	ls->exists = 1;
	if (S_ISLNK(ls->st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link; "
		    "tlaloc does not edit through it (follow = true edits the "
		    "file it leads to)", path);
	if (!S_ISREG(ls->st.st_mode))
		return tl_err_set(err, TL_EEXIST, "cannot edit '%s': not a "
		    "regular file", path);
	return 0;
}

static int
line_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct line_state *ls = xcalloc(1, sizeof(*ls));
	const char *path = res_str(r, "path");
	const struct buf *cur;
	int rc;

	r->priv = ls;
	buf_init(&ls->after);
	if ((rc = line_locate(r, ctx, ls, &cur, err)) < 0)
		return rc;
	if (rc == 1 && !res_bool(r, "create")) {
		if (res_is_absent(r))
			return 0;
		return tl_err_set(err, TL_ENOENT, "cannot edit '%s': No such "
		    "file or directory", path);
	}
	if (ls->cur_unknown)
		res_assume(r, "the file's lines are unknown: an earlier command "
		    "of this run makes it");
	line_edit(r, cur->data, cur->len, &ls->after);
	if (!ls->exists || cur->len != ls->after.len ||
	    memcmp(cur->data, ls->after.data, cur->len) != 0) {
		res_change(r, "%s", res_is_absent(r) ? "line removed" :
		    "line set");
		if (ctx->want_diff)
			diff_unified(cur->data, cur->len, ls->after.data,
			    ls->after.len, path, path, &r->diff);
	}
	return ls->exists ? fs_links_check(r, path, &ls->st, err) : 0;
}

static int
line_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct line_state *ls = r->priv;
	struct fileio_meta meta = { 0644, (uid_t)-1, (gid_t)-1 };

	if (ls->exists)
		meta = (struct fileio_meta){ ls->st.st_mode & 07777,
		    ls->st.st_uid, ls->st.st_gid };
	return run_write(ctx, r, ls->path, ls->after.data, ls->after.len,
	    &meta, ls->exists && res_bool(r, "backup"), err);
}

/* --noop: the file with the line edited, for the resources after. */
static void
line_predict(struct res *r, struct run_ctx *ctx)
{
	struct line_state *ls = r->priv;
	struct pred *e = predict_set(ctx->predict, PS_PATH, ls->path,
	    PRED_FILE, r->ref);

	e->mode = ls->exists ? ls->st.st_mode & 07777 : 0644;
	e->uid = ls->exists ? ls->st.st_uid : geteuid();
	e->gid = ls->exists ? ls->st.st_gid : getegid();
	e->has_content = 1;
	buf_add(&e->content, ls->after.data, ls->after.len);
}

static void
line_autorequire(const struct res *r, res_require_fn add, void *ctx)
{
	add(ctx, "file", res_str(r, "path"));
}

static const char *const line_title[] = { "path", "match|line", NULL };

const struct res_type res_type_line = {
	.name = "line",
	.batch_safe = 1,
	.doc = "one line of a file: replace the lines matching a regex, "
	    "ensure present, or absent",
	.attrs = line_attrs,
	.shorts = line_shorts,
	.title_from = line_title,
	.validate = line_validate,
	.autorequire = line_autorequire,
	.check = line_check,
	.fix = line_fix,
	.predict = line_predict,
	.release = line_release,
};
