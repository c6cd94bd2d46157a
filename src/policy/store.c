/*
 * The content-addressed policy store (layout in store.h).
 */
#include "policy/store.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/spawn.h"
#include "core/xalloc.h"

#define STORE_DEPTH_MAX	16	/* recipe dir nesting we follow */

struct pstore {
	char	*dir;		/* STATE_DIR/policy */
};

struct pstore *
pstore_open(const char *state_dir, struct tl_err *err)
{
	struct pstore *ps = xcalloc(1, sizeof(*ps));
	const char *subs[] = { "chunks", "bundles", "trees" };

	ps->dir = xasprintf("%s/policy", state_dir);
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", ps->dir, subs[i]);
		int r = fileio_mkdirs(p, 0700, err);

		free(p);
		if (r < 0) {
			pstore_free(ps);
			return NULL;
		}
	}
	return ps;
}

void
pstore_free(struct pstore *ps)
{
	if (ps == NULL)
		return;
	free(ps->dir);
	free(ps);
}

const char *
pstore_path(const struct pstore *ps)
{
	return ps->dir;
}

static char *
chunk_path(const struct pstore *ps, const uint8_t h[BUNDLE_HASH_LEN])
{
	char hex[65];

	bundle_hash_hex(h, hex);
	return xasprintf("%s/chunks/%s", ps->dir, hex);
}

int
pstore_has_chunk(const struct pstore *ps, const uint8_t h[BUNDLE_HASH_LEN])
{
	char *p = chunk_path(ps, h);
	struct stat st;
	int r = stat(p, &st) == 0;

	free(p);
	return r;
}

int
pstore_put_chunk(struct pstore *ps, const uint8_t h[BUNDLE_HASH_LEN],
    const uint8_t *p, size_t n, struct tl_err *err)
{
	uint8_t got[BUNDLE_HASH_LEN];
	char *path;
	int r;

	bundle_hash(p, n, got);
	if (memcmp(got, h, BUNDLE_HASH_LEN) != 0)
		return tl_err_set(err, TL_ECRYPTO, "chunk does not match its "
		    "hash");
	path = chunk_path(ps, h);
	r = fileio_write_private(path, p, n, err);
	free(path);
	return r;
}

int
pstore_get_chunk(const struct pstore *ps, const uint8_t h[BUNDLE_HASH_LEN],
    struct buf *out, struct tl_err *err)
{
	char *path = chunk_path(ps, h);
	int r = fileio_read(path, BUNDLE_CHUNK, out, err);

	free(path);
	return r;
}

int
pstore_put_bundle(struct pstore *ps, uint64_t serial, const uint8_t *p,
    size_t n, struct tl_err *err)
{
	char *path = xasprintf("%s/bundles/%" PRIu64, ps->dir, serial);
	int r = fileio_write_private(path, p, n, err);

	free(path);
	return r;
}

int
pstore_get_bundle(const struct pstore *ps, uint64_t serial, struct buf *out,
    struct tl_err *err)
{
	char *path = xasprintf("%s/bundles/%" PRIu64, ps->dir, serial);
	int r = fileio_read(path, BUNDLE_WIRE_MAX, out, err);

	free(path);
	return r;
}

static int
serial_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
pstore_list(const struct pstore *ps, uint64_t **out)
{
	char *path = xasprintf("%s/bundles", ps->dir);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0, cap = 0;
	char *end;

	*out = NULL;
	free(path);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		unsigned long long v = strtoull(e->d_name, &end, 10);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end != '\0')
			continue;
		*out = xgrow(*out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = v;
	}
	closedir(d);
	if (n > 0)
		qsort(*out, n, sizeof(**out), serial_cmp);
	return n;
}

uint64_t
pstore_mark_get(const struct pstore *ps, const char *name)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = xasprintf("%s/%s", ps->dir, name);
	struct buf b = BUF_INIT;
	uint64_t v = 0;

	if (fileio_read(path, 64, &b, &err) == 0)
		v = strtoull(b.data, NULL, 10);
	buf_release(&b);
	free(path);
	return v;
}

int
pstore_mark_set(struct pstore *ps, const char *name, uint64_t serial,
    struct tl_err *err)
{
	char *path = xasprintf("%s/%s", ps->dir, name);
	char text[32];
	int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", serial);
	int r = fileio_write_quick(path, text, (size_t)n, err);

	free(path);
	return r;
}

size_t
pstore_missing(const struct pstore *ps, const struct bundle *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nfiles; i++)
		for (uint32_t c = 0; c < b->files[i].nchunks; c++)
			if (!pstore_has_chunk(ps, b->files[i].hashes +
			    (size_t)c * BUNDLE_HASH_LEN))
				n++;
	return n;
}

/* Reads file f's chunks back into one buffer, checking each hash. */
static int
assemble_file(struct pstore *ps, const struct bundle_file *f,
    struct buf *out, struct tl_err *err)
{
	uint8_t got[BUNDLE_HASH_LEN];
	int r;

	for (uint32_t c = 0; c < f->nchunks; c++) {
		const uint8_t *h = f->hashes + (size_t)c * BUNDLE_HASH_LEN;
		size_t at = out->len;

		if ((r = pstore_get_chunk(ps, h, out, err)) < 0)
			return r;
		bundle_hash((uint8_t *)out->data + at, out->len - at, got);
		if (memcmp(got, h, BUNDLE_HASH_LEN) != 0)
			return tl_err_set(err, TL_ECRYPTO, "stored chunk of "
			    "'%s' is damaged", f->path);
	}
	if (out->len != f->size)
		return tl_err_set(err, TL_EINVAL, "'%s' rebuilt to %zu bytes, "
		    "not %llu", f->path, out->len,
		    (unsigned long long)f->size);
	return 0;
}

static int
write_tree_file(struct pstore *ps, const char *tree,
    const struct bundle_file *f, struct tl_err *err)
{
	struct fileio_meta meta = { f->mode & 0755, (uid_t)-1, (gid_t)-1 };
	char *path = xasprintf("%s/%s", tree, f->path);
	char *dir = path_dirname(path);
	struct buf data = BUF_INIT;
	int r;

	if ((r = fileio_mkdirs(dir, 0700, err)) == 0 &&
	    (r = assemble_file(ps, f, &data, err)) == 0)
		r = fileio_write_quick(path, data.data, data.len, err);
	if (r == 0 && chmod(path, meta.mode | 0400) < 0)
		r = tl_err_sys(err, TL_EIO, "cannot chmod '%s'", path);
	buf_release(&data);
	free(dir);
	free(path);
	return r;
}

int
pstore_materialize(struct pstore *ps, const struct bundle *b, char **dir,
    struct tl_err *err)
{
	char *tree = xasprintf("%s/trees/%" PRIu64, ps->dir, b->serial);
	char *tmp = xasprintf("%s.tmp", tree);
	char *rm[] = { "rm", "-rf", tmp, NULL };
	struct stat st;
	int r = 0;

	*dir = NULL;
	if (stat(tree, &st) == 0)
		goto done;
	/* A half-built tree from a crash is thrown away, not trusted. */
	if (stat(tmp, &st) == 0 &&
	    (r = spawn_simple((const char *const *)rm, err)) != 0)
		goto fail;
	for (size_t i = 0; i < b->nfiles && r == 0; i++)
		r = write_tree_file(ps, tmp, &b->files[i], err);
	if (r == 0 && b->nfiles == 0)
		r = fileio_mkdirs(tmp, 0700, err);
	if (r == 0 && rename(tmp, tree) < 0)
		r = tl_err_sys(err, TL_EIO, "cannot rename '%s'", tmp);
	if (r < 0)
		goto fail;
done:
	free(tmp);
	*dir = tree;
	return 0;
fail:
	free(tmp);
	free(tree);
	return r < 0 ? r : TL_EIO;
}

int
pstore_add_bytes(struct pstore *ps, const char *rel, const void *p,
    size_t len, uint16_t mode, struct bundle *b, struct tl_err *err)
{
	uint32_t n = (uint32_t)((len + BUNDLE_CHUNK - 1) / BUNDLE_CHUNK);
	uint8_t *hashes = xmalloc((size_t)n * BUNDLE_HASH_LEN + 1);
	int r = 0;

	for (uint32_t c = 0; c < n && r == 0; c++) {
		size_t off = (size_t)c * BUNDLE_CHUNK;
		size_t clen = len - off < BUNDLE_CHUNK ? len - off :
		    BUNDLE_CHUNK;
		uint8_t *h = hashes + (size_t)c * BUNDLE_HASH_LEN;

		bundle_hash((const uint8_t *)p + off, clen, h);
		r = pstore_put_chunk(ps, h, (const uint8_t *)p + off, clen,
		    err);
	}
	if (r == 0)
		bundle_add_file(b, rel, mode, len, hashes, n);
	free(hashes);
	return r;
}

static int
add_file(struct pstore *ps, const char *full, const char *rel, mode_t mode,
    struct bundle *b, struct tl_err *err)
{
	struct buf data = BUF_INIT;
	int r;

	if ((r = fileio_read(full, BUNDLE_FILE_MAX, &data, err)) == 0)
		r = pstore_add_bytes(ps, rel, data.data, data.len,
		    (uint16_t)mode, b, err);
	buf_release(&data);
	return r;
}

static int
add_tree(struct pstore *ps, const char *dir, const char *rel, int depth,
    struct bundle *b, struct tl_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int r = 0;

	if (d == NULL)
		return tl_err_sys(err, TL_EIO, "cannot read '%s'", dir);
	while (r == 0 && (e = readdir(d)) != NULL) {
		char *full, *sub;

		if (e->d_name[0] == '.')
			continue;
		full = xasprintf("%s/%s", dir, e->d_name);
		sub = *rel ? xasprintf("%s/%s", rel, e->d_name) :
		    xstrdup(e->d_name);
		if (stat(full, &st) < 0)
			r = tl_err_sys(err, TL_EIO, "cannot stat '%s'", full);
		else if (S_ISDIR(st.st_mode) && depth < STORE_DEPTH_MAX)
			r = add_tree(ps, full, sub, depth + 1, b, err);
		else if (S_ISREG(st.st_mode) && b->nfiles >= BUNDLE_FILES_MAX)
			r = tl_err_set(err, TL_ETOOBIG, "more than %d files",
			    BUNDLE_FILES_MAX);
		else if (S_ISREG(st.st_mode))
			r = add_file(ps, full, sub, st.st_mode, b, err);
		free(full);
		free(sub);
	}
	closedir(d);
	return r;
}

int
pstore_add_dir(struct pstore *ps, const char *dir, struct bundle *b,
    struct tl_err *err)
{
	return add_tree(ps, dir, "", 0, b, err);
}
