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

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

char *
repl_origin_dir(const char *state_dir, const uint8_t origin[REPL_ID_LEN])
{
	char hex[2 * REPL_ID_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), origin, REPL_ID_LEN);
	return xasprintf("%s/replicas/%s", state_dir, hex);
}

void
repl_item_entry(const struct repl_item *item, struct bucket_entry *e)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char tag[2 * REPL_TAG_LEN + 1];

	memset(e, 0, sizeof(*e));
	sodium_bin2hex(tag, sizeof(tag), item->tag, REPL_TAG_LEN);
	e->path = xasprintf("/sealed/%s", tag);
	e->run_id = xstrdup(REPL_SEALED_RUN);
	crypto_hash_sha256(h, item->data, item->size);
	sodium_bin2hex(e->hash, sizeof(e->hash), h, sizeof(h));
	e->size = item->size;
	e->mode = 0400;
	e->time = item->time;
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
    const struct bucket_entry *item)
{
	if (strcmp(v[i].path, item->path) == 0)
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
    const struct bucket_entry *item)
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
		has_item |= strcmp(v[i].hash, item->hash) == 0;
	}
	return has_item ? total : total + item->size;
}

int
repl_store(const char *dir, const struct repl_item *item,
    const struct repl_limits *lim, long long now, struct tl_err *err)
{
	struct tl_err perr = TL_ERR_INIT;
	struct bucket_entry *v = NULL, e;
	struct bucket *b = NULL;
	char id[16];
	size_t n = 0;
	int r;

	repl_item_entry(item, &e);
	if (lim->cap > 0 && e.size > lim->cap) {
		r = tl_err_set(err, TL_ETOOBIG, "a replica of %llu bytes is over "
		    "the %llu-byte cap per origin", e.size, lim->cap);
		goto out;
	}
	if ((r = bucket_open(dir, &b, err)) < 0 ||
	    (r = bucket_list(b, NULL, &v, &n, err)) < 0)
		goto out;
	if (lim->cap > 0 && floor_bytes(v, n, &e) > lim->cap) {
		r = tl_err_set(err, TL_ETOOBIG, "no room for a replica: the "
		    "origin's newest backups already fill its %llu-byte cap",
		    lim->cap);
		goto out;
	}
	if ((r = bucket_put(b, &e, item->data, item->size, id, err)) < 0)
		goto out;
	r = id[0] != '\0';
	/* Stored; a failed prune only delays the trim to the next store. */
	(void)prune_to(dir, lim, now, &perr);
out:
	free(e.path);
	free(e.run_id);
	bucket_entries_free(v, n);
	bucket_close(b);
	return r;
}
