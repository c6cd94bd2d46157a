/*
 * Writing the adopted items out as a recipe directory:
 *
 *   OUT/site.lua              includes every recipe file, accounts first
 *   OUT/recipes/CONCERN.lua   users, packages, one per package or service
 *                             with files of its own, etc, cron
 *   OUT/files/PATH            file contents, at the path they came from
 *   OUT/README.md             what was adopted, and the secrets left out
 *
 * Each declaration is preceded by a comment saying where the fact came
 * from. A secret is written commented out, with a note, and its content
 * is not copied. Contents are read through the tree's fsroot (a->fs) and
 * written through one of OUT (core/fsroot.h): no link is followed on
 * either side.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"

#define ASSET_MAX	(16u << 20)

/* Concerns in include order: accounts before what they own, packages
 * before their files, loose files and cron last. */
static int
concern_rank(const char *c)
{
	if (strcmp(c, "users") == 0)
		return 0;
	if (strcmp(c, "packages") == 0)
		return 1;
	if (strcmp(c, "etc") == 0)
		return 3;
	if (strcmp(c, "cron") == 0)
		return 4;
	return 2;
}

static int
cmp_items(const void *x, const void *y)
{
	const struct adopt_item *a = *(const struct adopt_item *const *)x;
	const struct adopt_item *b = *(const struct adopt_item *const *)y;
	int d = concern_rank(a->concern) - concern_rank(b->concern);

	if (d == 0)
		d = strcmp(a->concern, b->concern);
	if (d == 0)
		d = (int)a->rank - (int)b->rank;
	/* Paths and names sort (parents before children, a stable output);
	 * crontab entries keep their table's order. */
	if (d == 0 && a->rank != ADOPT_RANK_CRON)
		d = strcmp(a->ref, b->ref);
	if (d == 0)
		d = a < b ? -1 : a > b;		/* collection order */
	return d;
}

/* The items in writing order; caller frees the array (not the items). */
static const struct adopt_item **
sorted_items(const struct adopt *a)
{
	const struct adopt_item **idx = xcalloc(a->n + 1, sizeof(*idx));

	for (size_t i = 0; i < a->n; i++)
		idx[i] = &a->v[i];
	qsort(idx, a->n, sizeof(*idx), cmp_items);
	return idx;
}

static int
dir_is_empty_or_missing(const char *path, struct tl_err *err)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return tl_err_sys(err, TL_EIO, "cannot open '%s'", path);
	}
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty)
		return tl_err_set(err, TL_EEXIST, "'%s' is not empty: adopt "
		    "writes a new recipe directory", path);
	return 0;
}

/* Concerns are package and service names: never a slash or a dot first
 * (dpkg, rc links and unit names allow neither). */
static void
concern_file(struct buf *b, const char *concern)
{
	buf_addf(b, "/recipes/%s.lua", concern);
}

/* prev: the item written before in the same file, or NULL. A run of
 * items with the same note gets it once, as a heading. */

/*
 * Or keep it out of the tree for good: sealed to this node's key and
 * opened only there (docs/secrets.md). The secret's name is the path's,
 * '/' and other bytes a secret name may not hold made '_'.
 */
static void
add_seal_hint(struct buf *b, const struct adopt_item *it)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	const char *path = it->ref + 5;
	char name[101];
	size_t n, k = 0;

	if (strncmp(it->ref, "file[/", 6) != 0)
		return;
	n = strlen(path) - 1;	/* without the closing ']' */
	for (size_t i = 1; i < n && k < sizeof(name) - 1; i++)
		name[k++] = strchr(ok, path[i]) != NULL ? path[i] : '_';
	name[k] = '\0';
	buf_addf(b, "-- Or seal it to this node:\n--   tlaloc secret set %s "
	    "--for name=NODE --policy DIR --key OPERATOR.key < ", name);
	/* A comment line: no byte of the path may end it. */
	for (size_t i = 0; i < n; i++)
		buf_addch(b, (unsigned char)path[i] < 0x20 ||
		    path[i] == 0x7f ? '?' : path[i]);
	buf_addf(b, "\n-- and declare it with content = secret(\"%s\"), "
	    "sensitive = true instead of source.\n", name);
}

static void
write_item(struct buf *b, const struct adopt_item *it,
    const struct adopt_item *prev)
{
	int same = prev != NULL && prev->note != NULL && it->note != NULL &&
	    strcmp(prev->note, it->note) == 0 && !prev->is_secret &&
	    !it->is_secret;

	if (!same)
		buf_addch(b, '\n');
	if (it->note != NULL && !same)
		buf_addf(b, "-- %s\n", it->note);
	if (!it->is_secret) {
		buf_addf(b, "%s\n", it->lua);
		return;
	}
	buf_addf(b, "-- SECRET, not copied: put the file at %s and remove "
	    "the comment marks\n-- below, or adopt with --include-secrets.\n",
	    it->asset ? it->asset : "its source path");
	add_seal_hint(b, it);
	buf_addstr(b, "-- ");
	for (const char *p = it->lua; *p; p++)
		if (*p == '\n')
			buf_addstr(b, "\n-- ");
		else
			buf_addch(b, *p);
	buf_addch(b, '\n');
}

static int
copy_asset(const struct adopt *a, struct fsroot *out,
    const struct adopt_item *it, struct tl_err *err)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct buf data = BUF_INIT;
	struct stat st;
	char *dst = xasprintf("/%s", it->asset), *dir;
	int rc;

	if ((rc = fsroot_read(a->fs, it->asset_from, ASSET_MAX, &data, &st,
	    err)) < 0)
		goto out;
	/* A copied secret stays as private as the original. */
	meta.mode = !(st.st_mode & S_IROTH) ? 0600 : 0644;
	dir = path_dirname(dst);
	rc = fsroot_mkdirs(out, dir, 0755, err);
	free(dir);
	if (rc == 0)
		rc = fsroot_write(out, dst, data.data, data.len, &meta,
		    FSROOT_QUICK, err);
out:
	free(dst);
	buf_release(&data);
	return rc;
}

static int
flush_concern(struct fsroot *out, const char *path, struct buf *text,
    struct tl_err *err)
{
	struct fileio_meta meta = { 0644, (uid_t)-1, (gid_t)-1 };
	int rc = 0;

	if (text->len > 0)
		rc = fsroot_write(out, path, text->data, text->len, &meta,
		    FSROOT_QUICK, err);
	buf_reset(text);
	return rc;
}

static void
readme(const struct adopt *a, const struct adopt_item **idx, struct buf *b)
{
	size_t nfiles = 0;

	buf_addf(b, "# Adopted from %s\n\nWritten by `tlaloc adopt`. "
	    "Apply with `tlaloc apply .` (or `--noop` first).\n"
	    "Each declaration says where it came from; docs/adopt.md "
	    "explains the sources and the noise filter (%zu files left "
	    "out as noise).\n\n## Resources\n\n", a->opts.root, a->nnoise);
	for (size_t i = 0; i < a->n; i++)
		nfiles += idx[i]->asset_from != NULL;
	buf_addf(b, "- %zu declarations, %zu file contents under files/\n",
	    a->n, nfiles);
	if (a->nunread > 0)
		buf_addf(b, "- %zu files left out: unreadable or over 16 MiB\n",
		    a->nunread);
	buf_addf(b, "\n## Secrets left out (%zu)\n\n", a->nsecrets);
	for (size_t i = 0; i < a->n; i++) {
		const struct adopt_item *it = idx[i];

		if (it->is_secret)
			buf_addf(b, "- `%s` (recipes/%s.lua): put its content "
			    "at `%s` and uncomment the declaration\n", it->ref,
			    it->concern, it->asset);
		else if (strstr(it->lua, "-- password") != NULL)
			buf_addf(b, "- `%s` (recipes/%s.lua): password hash "
			    "not copied\n", it->ref, it->concern);
	}
}

static int
write_site(const struct adopt *a, struct fsroot *out,
    const struct adopt_item **idx, struct tl_err *err)
{
	struct buf site = BUF_INIT, text = BUF_INIT;
	int rc;

	buf_addf(&site, "-- Adopted from %s by tlaloc adopt. One recipe "
	    "file per concern.\n", a->opts.root);
	for (size_t i = 0; i < a->n; i++)
		if (i == 0 || strcmp(idx[i]->concern, idx[i - 1]->concern) != 0)
			buf_addf(&site, "include \"recipes/%s.lua\"\n",
			    idx[i]->concern);
	rc = flush_concern(out, "/site.lua", &site, err);
	readme(a, idx, &text);
	if (rc == 0)
		rc = flush_concern(out, "/README.md", &text, err);
	buf_release(&site);
	buf_release(&text);
	return rc;
}

static int
write_items(const struct adopt *a, struct fsroot *out,
    const struct adopt_item **idx, struct tl_err *err)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < a->n && rc == 0; i++) {
		const struct adopt_item *it = idx[i];
		int first = text.len == 0;

		if (first) {
			buf_reset(&path);
			concern_file(&path, it->concern);
			buf_addf(&text, "-- %s: adopted from %s by tlaloc "
			    "adopt\n", it->concern, a->opts.root);
		}
		write_item(&text, it, first ? NULL : idx[i - 1]);
		if (it->asset_from != NULL)
			rc = copy_asset(a, out, it, err);
		if (rc == 0 && (i + 1 == a->n || strcmp(it->concern,
		    idx[i + 1]->concern) != 0))
			rc = flush_concern(out, path.data, &text, err);
	}
	buf_release(&path);
	buf_release(&text);
	return rc;
}

int
adopt_write(const struct adopt *a, const char *out, struct tl_err *err)
{
	const struct adopt_item **idx;
	struct fsroot *ofs;
	int rc;

	if ((rc = dir_is_empty_or_missing(out, err)) < 0 ||
	    (rc = fileio_mkdirs(out, 0755, err)) < 0 ||
	    (rc = fsroot_open(out, &ofs, err)) < 0)
		return rc;
	if ((rc = fsroot_mkdirs(ofs, "/recipes", 0755, err)) < 0) {
		fsroot_free(ofs);
		return rc;
	}
	idx = sorted_items(a);
	rc = write_items(a, ofs, idx, err);
	if (rc == 0)
		rc = write_site(a, ofs, idx, err);
	free(idx);
	fsroot_free(ofs);
	return rc;
}
