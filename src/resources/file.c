/*
 * file: a regular file's content (literal, copied from the recipe
 * directory, or rendered from a template at compile time), mode, owner and
 * group, or its absence. Content is compared byte for byte; a change is
 * written atomically after the old bytes are backed up. Everything goes
 * through ctx->fs (core/fsroot.h): a link at the path is refused unless
 * follow = true, and then the file it leads to inside the root is managed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/diff.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/redact.h"
#include "core/xalloc.h"
#include "engine/res.h"
#include "engine/run.h"
#include "resources/fsattr.h"

#define FILE_MAX_CONTENT	(64u << 20)

static const struct attr_spec file_attrs[] = {
	{ "path", ATTR_STR, ATTR_NAMEVAR | ATTR_REQUIRED, NULL, NULL,
	    "absolute path of the file" },
	ATTR_ENSURE_PRESENT_ABSENT,
	{ "content", ATTR_STR, 0, NULL, NULL, "the exact bytes to hold" },
	{ "source", ATTR_STR, 0, NULL, NULL,
	    "copy content from this file, relative to the recipe directory" },
	{ "template", ATTR_STR, 0, NULL, NULL,
	    "render this template (relative to the recipe dir) as content" },
	{ "vars", ATTR_MAP, 0, NULL, NULL,
	    "values for the template, beside `node`" },
	{ "mode", ATTR_MODE, 0, NULL, NULL, "octal permissions, e.g. \"0644\" "
	    "(new files get 0644 when unset)" },
	{ "owner", ATTR_ACCOUNT, 0, NULL, NULL, "user name or uid" },
	{ "group", ATTR_ACCOUNT, 0, NULL, NULL, "group name or gid" },
	{ "backup", ATTR_BOOL, 0, "true", NULL,
	    "keep the old content in the bucket before changing it" },
	{ "sensitive", ATTR_BOOL, 0, "false", NULL,
	    "content never shown (no diff, no hashes) and no backup kept in "
	    "clear; implied when the content holds a secret()" },
	{ "replace", ATTR_BOOL, 0, "true", NULL,
	    "false: only create the file when missing, never rewrite it" },
	{ "follow", ATTR_BOOL, 0, "false", NULL,
	    "when path is a symbolic link, manage the file it leads to "
	    "(inside the root) instead of refusing the link" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static const char *const short_content[] = { "path", "content", NULL };
static const char *const short_absent[] = { "path", NULL };
static const char *const fix_absent[] = { "ensure=absent", NULL };

static const struct res_short file_shorts[] = {
	{ "file", "content", short_content, NULL,
	    "file.content(path, text): the file holds exactly text" },
	{ "file", "absent", short_absent, fix_absent,
	    "file.absent(path): the file does not exist" },
	{ NULL, NULL, NULL, NULL, NULL }
};

struct file_state {
	const char	*path;		/* managed path acted on: r->title,
					   or followed's */
	char		*followed;	/* where follow = true led; NULL */
	int		 exists;
	struct stat	 st;
	struct fs_want	 want;
	int		 manage_content;
	int		 content_differs;
	struct buf	 content;	/* desired bytes */
	struct buf	 cur;		/* bytes there, when compared */
	int		 cur_unknown;	/* --noop: a command makes them */
};

static int
file_validate(struct res *r, struct tl_err *err)
{
	int n = res_is_set(r, "content") + res_is_set(r, "source");

	if (!path_is_clean_abs(r->title))
		return tl_err_set(err, TL_EINVAL, "file path '%s' must be "
		    "absolute, without '.', '..' or a trailing '/'", r->title);
	if (n > 1)
		return tl_err_set(err, TL_EINVAL, "give one of 'content', "
		    "'source' or 'template'");
	if (res_is_absent(r) && n > 0)
		return tl_err_set(err, TL_EINVAL, "an absent file has no "
		    "content");
	return 0;
}

static void
file_release(void *priv)
{
	struct file_state *fs = priv;

	free(fs->followed);
	buf_release(&fs->content);
	buf_release(&fs->cur);
}

static int
file_desired(struct res *r, struct run_ctx *ctx, struct file_state *fs,
    struct tl_err *err)
{
	const char *src = res_str(r, "source");
	char *path;
	int rc;

	if (res_is_set(r, "content")) {
		const char *c = res_str(r, "content");

		/* Borrowed, not copied: r holds it for the run. cap 0 keeps
		 * buf_release() off it; nothing appends to it. */
		fs->content = (struct buf){ (char *)c, strlen(c), 0 };
		fs->manage_content = 1;
		return 0;
	}
	if (src == NULL)
		return 0;
	path = src[0] == '/' ? xstrdup(src) :
	    xasprintf("%s/%s", ctx->recipe_dir ? ctx->recipe_dir : ".", src);
	rc = fileio_read(path, FILE_MAX_CONTENT, &fs->content, err);
	free(path);
	fs->manage_content = 1;
	return rc;
}

static void
short_hash(const struct buf *b, char out[13])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)b->data, b->len);
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/*
 * Is this file's content secret? Declared so, or holding a value the
 * recipe opened with secret() (old content too: it may hold the value a
 * rotation replaces, which no longer decrypts into the redaction set but
 * is as secret as the new one when the file is declared sensitive).
 */
static int
file_is_sensitive(struct res *r, const struct file_state *fs)
{
	return res_bool(r, "sensitive") ||
	    redact_contains(fs->content.data, fs->content.len) ||
	    redact_contains(fs->cur.data, fs->cur.len);
}

/* The content read into ctx->scratch is compared in place: kept (in
 * fs->cur) only when it differs, for the report and the fix. */
static int
file_check_content(struct res *r, struct run_ctx *ctx, struct file_state *fs,
    struct tl_err *err)
{
	const struct buf *cur = &fs->cur;
	char a[13], b[13];

	(void)err;
	if (!fs->manage_content || !res_bool(r, "replace"))
		return 0;
	if (fs->cur_unknown)
		res_assume(r, "the content it replaces is unknown: an earlier "
		    "command of this run makes the file");
	if (ctx->scratch.len != fs->content.len ||
	    memcmp(ctx->scratch.data, fs->content.data, fs->content.len) != 0) {
		buf_add(&fs->cur, ctx->scratch.data, ctx->scratch.len);
		fs->content_differs = 1;
		if (file_is_sensitive(r, fs)) {
			res_change(r, "content changed (sensitive: not shown; "
			    "%zu -> %zu bytes)", cur->len, fs->content.len);
			return 0;
		}
		short_hash(cur, a);
		short_hash(&fs->content, b);
		res_change(r, "content %s -> %s (%zu -> %zu bytes)", a, b,
		    cur->len, fs->content.len);
		if (ctx->want_diff)
			diff_unified(cur->data, cur->len, fs->content.data,
			    fs->content.len, r->title, r->title, &r->diff);
	}
	return 0;
}

/* Finds what to act on: the path, or with follow where its links lead;
 * fills exists and st, and cur when the content is to be compared (one
 * lookup for both). */
static int
file_locate(struct res *r, struct run_ctx *ctx, struct file_state *fs,
    struct tl_err *err)
{
	int compare = !res_is_absent(r) &&
	    (res_is_set(r, "content") || res_is_set(r, "source")) &&
	    res_bool(r, "replace");
	int rc;

	if (res_bool(r, "follow")) {
		if ((rc = fsroot_follow(ctx->fs, r->title, &fs->followed,
		    err)) < 0)
			return rc;
		fs->path = fs->followed;
	} else
		fs->path = r->title;	/* r outlives its state: no copy */
	if (ctx->scratch.data == NULL)	/* a zeroed run_ctx */
		buf_init(&ctx->scratch);
	buf_reset(&ctx->scratch);
	rc = run_load(ctx, fs->path, FILE_MAX_CONTENT,
	    compare ? &ctx->scratch : NULL, &fs->st, err);
	if (rc == 1) {		/* --noop: made by an earlier command */
		fs->cur_unknown = 1;
		rc = 0;
	}
	if (rc == TL_ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	fs->exists = 1;
	if (S_ISLNK(fs->st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' is a symbolic link; "
		    "tlaloc does not write through it (follow = true manages "
		    "the file it leads to)", r->title);
	if (!S_ISREG(fs->st.st_mode))
		return tl_err_set(err, TL_EEXIST, "'%s' exists and is not a "
		    "regular file", r->title);
	return 0;
}

static int
file_check(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct file_state *fs = xcalloc(1, sizeof(*fs));
	int absent = res_is_absent(r), rc;

	r->priv = fs;
	buf_init(&fs->content);
	buf_init(&fs->cur);
	if ((rc = file_locate(r, ctx, fs, err)) < 0)
		return rc;
	if (absent) {
		if (fs->exists)
			res_change(r, "remove (%lld bytes)",
			    (long long)fs->st.st_size);
		return 0;
	}
	if ((rc = fs_want_load(r, ctx, &fs->want, err)) < 0 ||
	    (rc = file_desired(r, ctx, fs, err)) < 0)
		return rc;
	if (!fs->exists) {
		if ((rc = fs_parent_check(ctx, fs->path, err)) < 0)
			return rc;
		res_change(r, "create (%zu bytes%s)", fs->content.len,
		    file_is_sensitive(r, fs) ? ", sensitive: not shown" : "");
		if (ctx->want_diff && fs->content.len > 0 &&
		    !file_is_sensitive(r, fs))
			diff_unified("", 0, fs->content.data, fs->content.len,
			    "/dev/null", r->title, &r->diff);
		return 0;
	}
	if ((rc = file_check_content(r, ctx, fs, err)) < 0)
		return rc;
	fs_want_check(r, ctx, &fs->st, &fs->want, 0);
	return fs_links_check(r, r->title, &fs->st, err);
}

/*
 * The bucket keeps old content in clear (and replicas of it go to
 * peers), so a sensitive file's old content is not kept at all: the
 * value it held is in the sealed policy, which is where it is restored
 * from. The report says so.
 */
static int
file_backup_wanted(struct res *r, const struct file_state *fs)
{
	if (!res_bool(r, "backup"))
		return 0;
	if (file_is_sensitive(r, fs)) {
		res_change(r, "no backup: sensitive content is not kept in "
		    "clear");
		return 0;
	}
	return 1;
}

static int
file_write(struct res *r, struct run_ctx *ctx, struct file_state *fs,
    struct tl_err *err)
{
	struct fileio_meta meta = {
		fs->want.has_mode ? fs->want.mode :
		    fs->exists ? fs->st.st_mode & 07777 : 0644,
		fs->want.has_uid ? fs->want.uid :
		    fs->exists ? fs->st.st_uid : (uid_t)-1,
		fs->want.has_gid ? fs->want.gid :
		    fs->exists ? fs->st.st_gid : (gid_t)-1,
	};

	return run_write(ctx, r, fs->path, fs->content.data, fs->content.len,
	    &meta, fs->exists && file_backup_wanted(r, fs), err);
}

static int
file_fix(struct res *r, struct run_ctx *ctx, struct tl_err *err)
{
	struct file_state *fs = r->priv;
	int rc, absent = res_is_absent(r);

	if (!absent && (!fs->exists || fs->content_differs))
		return file_write(r, ctx, fs, err);
	run_settle(ctx, fs->path, 0);	/* what follows acts at once */
	if (absent) {
		if (file_backup_wanted(r, fs) &&
		    (rc = run_backup(ctx, fs->path, err)) < 0)
			return rc;
		if ((rc = fsroot_unlink(ctx->fs, fs->path, err)) < 0)
			return rc;
		return fsroot_sync_parent(ctx->fs, fs->path, err);
	}
	return fs_want_fix(ctx, fs->path, &fs->st, &fs->want, 0, err);
}

/* --noop: the file as fix would leave it, for the resources after. */
static void
file_predict(struct res *r, struct run_ctx *ctx)
{
	struct file_state *fs = r->priv;
	struct tl_err err = TL_ERR_INIT;
	struct buf cur = BUF_INIT;
	struct pred *e;
	int known = 1, keep = fs->exists && !fs->content_differs;

	if (res_is_absent(r)) {
		predict_set(ctx->predict, PS_PATH, fs->path, PRED_ABSENT,
		    r->ref);
		return;
	}
	/* Only mode or owner change: the bytes stay what they are (or
	 * would be), read before this prediction replaces the last one. */
	if (keep)
		known = run_read(ctx, fs->path, FILE_MAX_CONTENT, &cur, NULL,
		    &err) == 0;
	e = fs_predict(r, ctx, fs->path, PRED_FILE, &fs->st, fs->exists,
	    &fs->want, 0644);
	e->has_content = known;
	if (keep)
		buf_add(&e->content, cur.data, cur.len);
	else
		buf_add(&e->content, fs->content.data, fs->content.len);
	buf_release(&cur);
}

const struct res_type res_type_file = {
	.name = "file",
	.batch_safe = 1,
	.doc = "a regular file: content, mode, owner, group, or absence",
	.attrs = file_attrs,
	.shorts = file_shorts,
	.validate = file_validate,
	.autorequire = fs_autorequire,
	.check = file_check,
	.fix = file_fix,
	.predict = file_predict,
	.release = file_release,
};
