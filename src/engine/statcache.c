#include "engine/statcache.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/platform.h"
#include "core/rd.h"
#include "core/strmap.h"
#include "core/xalloc.h"

#define SC_MAGIC	"tlaloc-stat-1\n\0"	/* 16 bytes with its NUL */
#define SC_MAGIC_LEN	16
#define SC_BOOT_LEN	40
#define SC_HDR_LEN	(SC_MAGIC_LEN + SC_BOOT_LEN + 32 + 4)
#define SC_SUM_LEN	32
#define SC_MAX		(64u << 20)	/* bytes; arbitrary, ~300K files */
#define SC_PATH_MAX	4096
#define SC_FILE		"files"

/* What is compared of a stat: every field a write, a replacement or a
 * chmod/chown moves. */
struct sc_stat {
	uint64_t	dev, ino, size;
	int64_t		mtime_s, ctime_s;
	uint32_t	mtime_ns, ctime_ns, mode, uid, gid;
};

struct sc_entry {
	char		*path;
	struct sc_stat	 st;
	uint8_t		 digest[STATCACHE_DIGEST_LEN];
	int		 is_kept;	/* trusted or noted this run: saved */
};

struct statcache {
	char			*dir;
	char			 boot[SC_BOOT_LEN];
	uint8_t			 root[32];
	int			 is_usable;	/* a boot id: else no cache */
	int64_t			 now_ns;
	struct sc_entry		*v;
	size_t			 n, cap;
	struct strmap		 index;		/* path -> v[] */
	int			 is_dirty;	/* a noted entry differs */
	struct statcache_stats	 stats;
};

static void
sc_stat_of(const struct stat *st, struct sc_stat *o)
{
	memset(o, 0, sizeof(*o));
	o->dev = (uint64_t)st->st_dev;
	o->ino = (uint64_t)st->st_ino;
	o->size = (uint64_t)st->st_size;
	o->mtime_s = (int64_t)st->st_mtim.tv_sec;
	o->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	o->ctime_s = (int64_t)st->st_ctim.tv_sec;
	o->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	o->mode = (uint32_t)st->st_mode;
	o->uid = (uint32_t)st->st_uid;
	o->gid = (uint32_t)st->st_gid;
}

static int
sc_stat_eq(const struct sc_stat *a, const struct sc_stat *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	    a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns &&
	    a->mode == b->mode && a->uid == b->uid && a->gid == b->gid;
}

void
statcache_digest(const void *data, size_t len,
    uint8_t out[STATCACHE_DIGEST_LEN])
{
	crypto_generichash(out, STATCACHE_DIGEST_LEN, data, len, NULL, 0);
}

static struct sc_entry *
sc_find(struct statcache *sc, const char *path)
{
	size_t i;

	return strmap_get(&sc->index, path, &i) ? &sc->v[i] : NULL;
}

static struct sc_entry *
sc_add(struct statcache *sc, const char *path)
{
	struct sc_entry *e = sc_find(sc, path);

	if (e != NULL)
		return e;
	sc->v = xgrow(sc->v, &sc->cap, sc->n + 1, sizeof(*sc->v));
	e = &sc->v[sc->n];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	strmap_put(&sc->index, path, sc->n++);
	return e;
}

static void
sc_clear(struct statcache *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->v[i].path);
	sc->n = 0;
	strmap_release(&sc->index);
}

static int
sc_get_i64(struct rd *rd, int64_t *v)
{
	uint64_t u;
	int rc = rd_u64(rd, &u);

	*v = (int64_t)u;
	return rc;
}

static int
sc_get_entry(struct statcache *sc, struct rd *rd)
{
	const uint8_t *p;
	struct sc_stat st;
	struct sc_entry *e;
	uint16_t plen;
	size_t n;
	char path[SC_PATH_MAX + 1];

	if (rd_u16(rd, &plen) < 0 || plen == 0 || plen > SC_PATH_MAX ||
	    rd_bytes(rd, &p, plen) < 0 || memchr(p, '\0', plen) != NULL)
		return -1;
	memcpy(path, p, plen);
	path[plen] = '\0';
	memset(&st, 0, sizeof(st));
	if (rd_u64(rd, &st.dev) < 0 || rd_u64(rd, &st.ino) < 0 ||
	    rd_u64(rd, &st.size) < 0 || sc_get_i64(rd, &st.mtime_s) < 0 ||
	    rd_u32(rd, &st.mtime_ns) < 0 || sc_get_i64(rd, &st.ctime_s) < 0 ||
	    rd_u32(rd, &st.ctime_ns) < 0 || rd_u32(rd, &st.mode) < 0 ||
	    rd_u32(rd, &st.uid) < 0 || rd_u32(rd, &st.gid) < 0 ||
	    rd_bytes(rd, &p, STATCACHE_DIGEST_LEN) < 0)
		return -1;
	n = sc->n;
	if ((e = sc_add(sc, path)) != &sc->v[n])	/* twice: not ours */
		return -1;
	e->st = st;
	memcpy(e->digest, p, STATCACHE_DIGEST_LEN);
	return 0;
}

int
statcache_decode(struct statcache *sc, const uint8_t *data, size_t len)
{
	uint8_t sum[SC_SUM_LEN];
	const uint8_t *p;
	uint32_t count;
	struct rd rd;

	sc_clear(sc);
	if (len < SC_HDR_LEN + SC_SUM_LEN)
		return -1;
	crypto_generichash(sum, sizeof(sum), data, len - SC_SUM_LEN, NULL, 0);
	if (sodium_memcmp(sum, data + len - SC_SUM_LEN, SC_SUM_LEN) != 0)
		return -1;
	rd_init(&rd, data, len - SC_SUM_LEN);
	if (rd_bytes(&rd, &p, SC_MAGIC_LEN) < 0 ||
	    memcmp(p, SC_MAGIC, SC_MAGIC_LEN) != 0)
		return -1;
	/* Whole, but of another boot or tree: stale, not corrupt. */
	if (rd_bytes(&rd, &p, SC_BOOT_LEN) < 0 ||
	    memcmp(p, sc->boot, SC_BOOT_LEN) != 0 ||
	    rd_bytes(&rd, &p, sizeof(sc->root)) < 0 ||
	    memcmp(p, sc->root, sizeof(sc->root)) != 0)
		return -2;
	if (rd_u32(&rd, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++)
		if (sc_get_entry(sc, &rd) < 0) {
			sc_clear(sc);
			return -1;
		}
	if (rd_left(&rd) != 0) {
		sc_clear(sc);
		return -1;
	}
	return 0;
}

static void
sc_put_u64(struct buf *b, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	buf_add(b, x, 8);
}

static void
sc_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	buf_add(b, x, 4);
}

static void
sc_put_entry(struct buf *b, const struct sc_entry *e)
{
	size_t plen = strlen(e->path);

	buf_addch(b, (char)(plen >> 8));
	buf_addch(b, (char)plen);
	buf_add(b, e->path, plen);
	sc_put_u64(b, e->st.dev);
	sc_put_u64(b, e->st.ino);
	sc_put_u64(b, e->st.size);
	sc_put_u64(b, (uint64_t)e->st.mtime_s);
	sc_put_u32(b, e->st.mtime_ns);
	sc_put_u64(b, (uint64_t)e->st.ctime_s);
	sc_put_u32(b, e->st.ctime_ns);
	sc_put_u32(b, e->st.mode);
	sc_put_u32(b, e->st.uid);
	sc_put_u32(b, e->st.gid);
	buf_add(b, e->digest, STATCACHE_DIGEST_LEN);
}

void
statcache_encode(const struct statcache *sc, struct buf *out)
{
	size_t count = 0, at;
	uint8_t sum[SC_SUM_LEN];

	buf_add(out, SC_MAGIC, SC_MAGIC_LEN);
	buf_add(out, sc->boot, SC_BOOT_LEN);
	buf_add(out, sc->root, sizeof(sc->root));
	at = out->len;
	sc_put_u32(out, 0);
	for (size_t i = 0; i < sc->n; i++)
		if (sc->v[i].is_kept && strlen(sc->v[i].path) <= SC_PATH_MAX) {
			sc_put_entry(out, &sc->v[i]);
			count++;
		}
	for (int i = 0; i < 4; i++)
		out->data[at + i] = (char)((uint32_t)count >> (24 - 8 * i));
	crypto_generichash(sum, sizeof(sum), (const uint8_t *)out->data,
	    out->len, NULL, 0);
	buf_add(out, sum, sizeof(sum));
}

struct statcache *
statcache_open(const char *dir, const char *root, int64_t now_ns)
{
	struct statcache *sc = xcalloc(1, sizeof(*sc));
	struct buf f = BUF_INIT;
	int dfd, refused = 0, rc = 0;

	sc->dir = xstrdup(dir);
	sc->now_ns = now_ns;
	crypto_generichash(sc->root, sizeof(sc->root), (const uint8_t *)root,
	    strlen(root), NULL, 0);
	sc->is_usable = platform_boot_id(sc->boot, sizeof(sc->boot)) == 0;
	if (!sc->is_usable)
		return sc;
	if ((dfd = fileio_open_private_dir(dir, 0, &refused)) >= 0) {
		if (fileio_read_private_at(dfd, SC_FILE, 0, SC_MAX, &f,
		    &refused) == 0)
			rc = statcache_decode(sc, (const uint8_t *)f.data,
			    f.len);
		close(dfd);
	}
	sc->stats.corrupt = refused || rc == -1;
	sc->stats.stale = rc == -2;
	sc->stats.loaded = sc->n;
	/* A refused, torn or stale file is written anew (when the dir
	 * allows). */
	sc->is_dirty = sc->stats.corrupt || sc->stats.stale;
	buf_release(&f);
	return sc;
}

void
statcache_free(struct statcache *sc)
{
	if (sc == NULL)
		return;
	sc_clear(sc);
	free(sc->v);
	free(sc->dir);
	free(sc);
}

int
statcache_knows(struct statcache *sc, const char *path)
{
	return sc != NULL && sc_find(sc, path) != NULL;
}

int
statcache_trusts(struct statcache *sc, const char *path,
    const struct stat *st, const uint8_t digest[STATCACHE_DIGEST_LEN])
{
	struct sc_entry *e;
	struct sc_stat now;

	if (sc == NULL || (e = sc_find(sc, path)) == NULL)
		return 0;
	sc_stat_of(st, &now);
	if (!sc_stat_eq(&e->st, &now) || sodium_memcmp(e->digest, digest,
	    STATCACHE_DIGEST_LEN) != 0)
		return 0;
	e->is_kept = 1;
	sc->stats.trusted++;
	return 1;
}

/* Could a write after now_ns leave st's times as they are? */
static int
sc_is_racy(const struct statcache *sc, const struct sc_stat *st)
{
	int64_t edge = sc->now_ns - STATCACHE_RACY_NS;
	int64_t m = st->mtime_s * 1000000000LL + st->mtime_ns;
	int64_t c = st->ctime_s * 1000000000LL + st->ctime_ns;

	return m >= edge || c >= edge;
}

void
statcache_note(struct statcache *sc, const char *path, const struct stat *st,
    const uint8_t digest[STATCACHE_DIGEST_LEN])
{
	struct sc_entry *e;
	struct sc_stat now;

	if (sc == NULL || !sc->is_usable)
		return;
	/* Only a file no one else may write: through a shared writable
	 * mapping a writer can change bytes without moving the ctime (a
	 * page still dirty from its last fault), so trust goes no further
	 * than to whoever can already change anything here. Group bits
	 * carry an ACL's mask, so a named user's write shows there too. */
	if (st->st_uid != geteuid() || (st->st_mode & 022) != 0)
		return;
	sc_stat_of(st, &now);
	if (sc_is_racy(sc, &now)) {
		sc->stats.racy++;
		return;
	}
	e = sc_add(sc, path);
	if (!sc_stat_eq(&e->st, &now) || memcmp(e->digest, digest,
	    STATCACHE_DIGEST_LEN) != 0)
		sc->is_dirty = 1;
	e->st = now;
	memcpy(e->digest, digest, STATCACHE_DIGEST_LEN);
	e->is_kept = 1;
}

int
statcache_save(struct statcache *sc)
{
	struct buf f = BUF_INIT;
	size_t kept = 0;
	int dfd, rc;

	if (sc == NULL || !sc->is_usable)
		return 0;
	for (size_t i = 0; i < sc->n; i++)
		kept += sc->v[i].is_kept != 0;
	sc->stats.recorded = kept;
	/* Nothing new and nothing dropped: the file says it already, and a
	 * no-op run writes nothing. */
	if (!sc->is_dirty && kept == sc->stats.loaded)
		return 0;
	if ((dfd = fileio_open_private_dir(sc->dir, 1, NULL)) < 0)
		return -1;
	statcache_encode(sc, &f);
	rc = f.len <= SC_MAX ? fileio_replace_private_at(dfd, SC_FILE, f.data,
	    f.len) : -1;
	buf_release(&f);
	close(dfd);
	return rc;
}

const struct statcache_stats *
statcache_stats(const struct statcache *sc)
{
	return &sc->stats;
}
