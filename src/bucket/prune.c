/*
 * Bucket retention: drop index entries past an age or beyond a total
 * size, then the objects no remaining entry names.
 *
 * What is never dropped: the newest backup of each path, whatever its age
 * or size, so the last version a converge replaced can always come back.
 * Past that, entries older than max_age go first, then the oldest entries
 * until the distinct objects still named fit in max_bytes.
 *
 * The index is rewritten from the kept lines, byte for byte (ids stay
 * what users saw), into a temp file renamed over it, all under the index
 * flock. An appender that was waiting for the lock notices the rename
 * (bucket.c re-opens when its fd is no longer the file at the path), so
 * no backup line is written into the replaced file.
 */
#include "bucket.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bucket_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/xalloc.h"

struct line {
	const char		*p;	/* into the index image, with '\n' */
	size_t			 n;
	struct bucket_entry	 e;
	int			 is_kept;
	int			 is_newest;	/* of its path: never dropped */
};

struct lines {
	struct line	*v;
	size_t		 n, cap;
};

static void
lines_release(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		bucket_entry_release(&ls->v[i].e);
	free(ls->v);
}

/* Splits the image into decodable lines; damaged ones are left out. */
static void
lines_parse(struct lines *ls, const char *p, size_t len)
{
	struct tl_err err = TL_ERR_INIT;
	const char *end = p + len, *nl;

	for (; p < end; p = nl + 1) {
		struct line *l;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;		/* torn last line: dropped */
		ls->v = xgrow(ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v));
		l = &ls->v[ls->n];
		memset(l, 0, sizeof(*l));
		if (bucket_index_decode((const uint8_t *)p, (size_t)(nl - p),
		    &l->e, &err) < 0)
			continue;
		l->p = p;
		l->n = (size_t)(nl - p) + 1;
		l->is_kept = 1;
		ls->n++;
	}
	for (size_t i = ls->n; i > 0; i--) {
		int seen = 0;

		for (size_t k = i; k < ls->n && !seen; k++)
			seen = strcmp(ls->v[k].e.path, ls->v[i - 1].e.path)
			    == 0;
		ls->v[i - 1].is_newest = !seen;
	}
}

/* Is hash named by a kept line other than skip? */
static int
hash_kept(const struct lines *ls, const char *hash, size_t skip)
{
	for (size_t i = 0; i < ls->n; i++)
		if (i != skip && ls->v[i].is_kept &&
		    strcmp(ls->v[i].e.hash, hash) == 0)
			return 1;
	return 0;
}

static unsigned long long
kept_bytes(const struct lines *ls)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < ls->n; i++) {
		int first = 1;

		if (!ls->v[i].is_kept)
			continue;
		for (size_t k = 0; k < i && first; k++)
			first = !(ls->v[k].is_kept &&
			    strcmp(ls->v[k].e.hash, ls->v[i].e.hash) == 0);
		if (first)
			total += ls->v[i].e.size;
	}
	return total;
}

static void
lines_choose(struct lines *ls, const struct bucket_retention *r, long long now)
{
	unsigned long long total;

	for (size_t i = 0; i < ls->n; i++)
		if (!ls->v[i].is_newest && r->max_age_s > 0 &&
		    now - ls->v[i].e.time > r->max_age_s)
			ls->v[i].is_kept = 0;
	if (r->max_bytes == 0)
		return;
	total = kept_bytes(ls);
	/* Oldest first: the index is in time order. */
	for (size_t i = 0; i < ls->n && total > r->max_bytes; i++) {
		struct line *l = &ls->v[i];

		if (!l->is_kept || l->is_newest)
			continue;
		l->is_kept = 0;
		if (!hash_kept(ls, l->e.hash, i))
			total -= l->e.size;
	}
}

/* Through an fsroot of the bucket with its ledger (bucket.c), so a prune
 * killed mid-write leaves nothing the next bucket_open() keeps. */
static int
index_rewrite(const char *dir, const struct lines *ls, struct tl_err *err)
{
	struct fileio_meta meta = { 0600, (uid_t)-1, (gid_t)-1 };
	struct buf out = BUF_INIT;
	struct fsroot *fs;
	char *ledger;
	int r;

	if ((r = fsroot_open(dir, &fs, err)) < 0)
		return r;
	ledger = xasprintf("%s/tmp", dir);
	fsroot_set_ledger(fs, ledger);
	free(ledger);
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].is_kept)
			buf_add(&out, ls->v[i].p, ls->v[i].n);
	r = fsroot_write(fs, "/index", out.data, out.len, &meta, 0, err);
	buf_release(&out);
	fsroot_free(fs);
	return r;
}

static void
objects_remove(const char *dir, const struct lines *ls,
    struct bucket_prune_stats *st)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct bucket_entry *e = &ls->v[i].e;
		char *path;
		int done = 0;

		if (ls->v[i].is_kept || hash_kept(ls, e->hash, i))
			continue;
		/* Removed once, even when several dropped lines name it. */
		for (size_t k = 0; k < i && !done; k++)
			done = !ls->v[k].is_kept &&
			    strcmp(ls->v[k].e.hash, e->hash) == 0;
		if (done)
			continue;
		path = xasprintf("%s/objects/%.2s/%s", dir, e->hash,
		    e->hash + 2);
		if (unlink(path) == 0) {
			st->objects_removed++;
			st->bytes_freed += e->size;
		}
		free(path);
	}
}

int
bucket_prune_dir(const char *dir, const struct bucket_retention *r,
    long long now, struct bucket_prune_stats *st, struct tl_err *err)
{
	char *path = xasprintf("%s/index", dir);
	struct lines ls = { NULL, 0, 0 };
	struct buf data = BUF_INIT;
	int fd, rc;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : tl_err_sys(err, TL_EIO,
		    "cannot open '%s'", path);
		free(path);
		return rc;
	}
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		rc = tl_err_sys(err, TL_EIO, "cannot lock '%s'", path);
	else if ((rc = fileio_read(path, (size_t)256 << 20, &data, err)) == 0) {
		lines_parse(&ls, data.data, data.len);
		lines_choose(&ls, r, now);
		for (size_t i = 0; i < ls.n; i++)
			st->entries_dropped += !ls.v[i].is_kept;
		st->entries_kept = ls.n - st->entries_dropped;
		if (st->entries_dropped > 0 &&
		    (rc = index_rewrite(dir, &ls, err)) == 0)
			objects_remove(dir, &ls, st);
	}
	close(fd);
	lines_release(&ls);
	buf_release(&data);
	free(path);
	return rc;
}

/* A multiplier a suffix stands for ("K": 1024). */
struct unit {
	char			c;
	unsigned long long	mult;
};

/*
 * s as a number with one of units[0..n)'s suffixes (or none, if '\0' is
 * one), times its multiplier, when that is at most max. -1 otherwise.
 */
static int
scaled(const char *s, const struct unit *units, size_t n,
    unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0' && end[1] != '\0')
		return -1;
	for (i = 0; i < n && units[i].c != *end; i++)
		;
	if (i == n || v > max / units[i].mult)
		return -1;
	*out = v * units[i].mult;
	return 0;
}

int
bucket_retention_parse(const char *age, const char *size,
    struct bucket_retention *r, struct tl_err *err)
{
	static const struct unit ages[] = {
		{ '\0', 1 }, { 's', 1 }, { 'm', 60 }, { 'h', 3600 },
		{ 'd', 86400 }, { 'w', 604800 } };
	static const struct unit sizes[] = {
		{ '\0', 1 }, { 'K', 1ull << 10 }, { 'M', 1ull << 20 },
		{ 'G', 1ull << 30 } };
	unsigned long long v;

	memset(r, 0, sizeof(*r));
	if (age != NULL) {
		if (scaled(age, ages, 6, 1ull << 40, &v) < 0)
			goto bad_age;
		r->max_age_s = (long long)v;
	}
	if (size != NULL &&
	    scaled(size, sizes, 4, 1ull << 50, &r->max_bytes) < 0)
		goto bad_size;
	return 0;
bad_age:
	return tl_err_set(err, TL_EINVAL, "backup age must be a number with "
	    "an optional s, m, h, d or w, not '%s'", age);
bad_size:
	return tl_err_set(err, TL_EINVAL, "backup size must be a number of "
	    "bytes with an optional K, M or G, not '%s'", size);
}
