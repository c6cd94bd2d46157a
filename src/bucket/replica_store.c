/*
 * One origin's replicas: a bucket of its own under STATE_DIR/replicas/,
 * kept within the same retention as our backups plus a cap per origin,
 * so one peer cannot fill our disk.
 */
#include "replica.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

static int
name_byte_ok(unsigned char c, size_t i)
{
	if (c == '.')
		return i > 0;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

char *
repl_origin_dir(const char *state_dir, const char *origin)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/replicas/", state_dir);
	for (size_t i = 0; origin[i] != '\0'; i++) {
		unsigned char c = (unsigned char)origin[i];

		if (name_byte_ok(c, i))
			buf_addch(&b, c);
		else
			buf_addf(&b, "%%%02X", c);
	}
	return buf_detach(&b, NULL);
}

static unsigned long long
distinct_bytes(const struct bucket_entry *v, size_t n)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < n; i++) {
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(v[i].hash, v[j].hash) == 0;
		if (!seen)
			total += v[i].size;
	}
	return total;
}

int
repl_dir_bytes(const char *dir, unsigned long long *bytes,
    struct tl_err *err)
{
	struct bucket_entry *v = NULL;
	struct bucket *b;
	struct stat st;
	size_t n = 0;
	int r;

	*bytes = 0;
	if (stat(dir, &st) < 0 && errno == ENOENT)
		return 0;
	if ((r = bucket_open(dir, &b, err)) < 0)
		return r;
	if ((r = bucket_list(b, NULL, &v, &n, err)) == 0)
		*bytes = distinct_bytes(v, n);
	bucket_entries_free(v, n);
	bucket_close(b);
	return r;
}

/* Prunes dir to the retention, with max_bytes at most the cap. */
static int
prune_to(const char *dir, const struct repl_limits *lim, long long now,
    struct tl_err *err)
{
	struct bucket_retention r = lim->retention;
	struct bucket_prune_stats st;

	if (lim->cap > 0 && (r.max_bytes == 0 || r.max_bytes > lim->cap))
		r.max_bytes = lim->cap;
	if (r.max_age_s == 0 && r.max_bytes == 0)
		return 0;
	return bucket_prune_dir(dir, &r, now, &st, err);
}

/* Will v[i] survive any prune once item is stored as newest of its path? */
static int
is_kept(const struct bucket_entry *v, size_t n, size_t i,
    const struct repl_item *item)
{
	if (strcmp(v[i].path, item->e.path) == 0)
		return 0;
	for (size_t j = i + 1; j < n; j++)
		if (strcmp(v[j].path, v[i].path) == 0)
			return 0;
	return 1;
}

/*
 * Bytes a prune can never free once item is stored: the newest backup of
 * every other path (a prune keeps those) plus item itself, which becomes
 * the newest of its path, so the older versions of its path may go.
 */
static unsigned long long
floor_bytes(const struct bucket_entry *v, size_t n,
    const struct repl_item *item)
{
	unsigned long long total = 0;
	int has_item = 0;

	for (size_t i = 0; i < n; i++) {
		int dup = 0;

		if (!is_kept(v, n, i, item))
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = is_kept(v, n, j, item) &&
			    strcmp(v[j].hash, v[i].hash) == 0;
		if (!dup)
			total += v[i].size;
		has_item |= strcmp(v[i].hash, item->e.hash) == 0;
	}
	return has_item ? total : total + item->e.size;
}

int
repl_store(const char *dir, const struct repl_item *item,
    const struct repl_limits *lim, long long now, struct tl_err *err)
{
	struct tl_err perr = TL_ERR_INIT;
	struct bucket_entry *v = NULL;
	struct bucket *b;
	char id[16];
	size_t n = 0;
	int r;

	if (lim->cap > 0 && item->e.size > lim->cap)
		return tl_err_set(err, TL_ETOOBIG, "replica of '%s' (%llu "
		    "bytes) is over the %llu-byte cap per origin",
		    item->e.path, item->e.size, lim->cap);
	if ((r = bucket_open(dir, &b, err)) < 0)
		return r;
	if ((r = bucket_list(b, NULL, &v, &n, err)) < 0)
		goto out;
	if (lim->cap > 0 && floor_bytes(v, n, item) > lim->cap) {
		r = tl_err_set(err, TL_ETOOBIG, "no room for a replica of "
		    "'%s': the origin's newest backups already fill its "
		    "%llu-byte cap", item->e.path, lim->cap);
		goto out;
	}
	if ((r = bucket_put(b, &item->e, item->data, (size_t)item->e.size, id,
	    err)) < 0)
		goto out;
	r = id[0] != '\0';
	/* Stored; a failed prune only delays the trim to the next store. */
	(void)prune_to(dir, lim, now, &perr);
out:
	bucket_entries_free(v, n);
	bucket_close(b);
	return r;
}
