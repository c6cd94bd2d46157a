/* Seen nonces, kept across restarts (nonces.h). */
#include "core/nonces.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "core/xalloc.h"

struct seen {
	uint8_t		 nonce[NONCES_LEN];
	uint64_t	 time_ms;
};

struct nonces {
	char		*path;		/* NULL: memory only */
	size_t		 max;
	uint64_t	 window_ms;
	uint64_t	 horizon_ms;	/* forgotten nonces were at or before */
	struct seen	*ring;		/* oldest first from `first` */
	size_t		 n, first;
};

static struct seen *
at(const struct nonces *ns, size_t i)
{
	return &ns->ring[(ns->first + i) % ns->max];
}

/* Takes one in, forgetting the oldest (and raising the horizon) if full. */
static void
remember(struct nonces *ns, const uint8_t *nonce, uint64_t time_ms)
{
	struct seen *s;

	if (ns->n == ns->max) {
		s = at(ns, 0);
		if (s->time_ms > ns->horizon_ms)
			ns->horizon_ms = s->time_ms;
		ns->first = (ns->first + 1) % ns->max;
		ns->n--;
	}
	s = at(ns, ns->n++);
	memcpy(s->nonce, nonce, NONCES_LEN);
	s->time_ms = time_ms;
}

static int
is_seen(const struct nonces *ns, const uint8_t *nonce)
{
	for (size_t i = 0; i < ns->n; i++)
		if (memcmp(at(ns, i)->nonce, nonce, NONCES_LEN) == 0)
			return 1;
	return 0;
}

int
nonces_decode(struct nonces *ns, const uint8_t *p, size_t len)
{
	const uint8_t *nonce;
	uint64_t ver, horizon, t;
	struct rd rd;
	size_t n;
	int r;

	ns->n = ns->first = 0;
	ns->horizon_ms = 0;
	rd_init(&rd, p, len);
	if ((r = codec_get_array_exact(&rd, 3)) < 0)
		return r;
	if ((r = codec_get_uint(&rd, &ver)) < 0 ||
	    ver != NONCES_VERSION || (r = codec_get_uint(&rd, &horizon)) < 0 ||
	    (r = codec_get_array(&rd, SIZE_MAX, &n)) < 0)
		return r < 0 ? r : TL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if ((r = codec_get_array_exact(&rd, 2)) < 0)
			return r;
		if ((r = codec_get_bytes_exact(&rd, NONCES_LEN, &nonce)) < 0 ||
		    (r = codec_get_uint(&rd, &t)) < 0)
			return r;
		remember(ns, nonce, t);
	}
	if (horizon > ns->horizon_ms)
		ns->horizon_ms = horizon;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

/* Writes the horizon and the nonces still inside the window. */
static int
save(struct nonces *ns, uint64_t now_ms, struct tl_err *err)
{
	struct fileio_meta meta = FILEIO_META_KEEP;
	struct buf b = BUF_INIT;
	size_t keep = 0;
	int r;

	if (ns->path == NULL)
		return 0;
	for (size_t i = 0; i < ns->n; i++)
		keep += at(ns, i)->time_ms + ns->window_ms >= now_ms;
	codec_put_array(&b, 3);
	codec_put_uint(&b, NONCES_VERSION);
	codec_put_uint(&b, ns->horizon_ms);
	codec_put_array(&b, keep);
	for (size_t i = 0; i < ns->n; i++) {
		const struct seen *s = at(ns, i);

		if (s->time_ms + ns->window_ms < now_ms)
			continue;
		codec_put_array(&b, 2);
		codec_put_bytes(&b, s->nonce, NONCES_LEN);
		codec_put_uint(&b, s->time_ms);
	}
	meta.mode = 0600;
	r = fileio_write_atomic(ns->path, b.data, b.len, &meta, err);
	buf_release(&b);
	return r;
}

struct nonces *
nonces_open(const char *path, size_t max, uint64_t window_ms,
    uint64_t now_ms, struct tl_err *err)
{
	struct nonces *ns = xcalloc(1, sizeof(*ns));
	struct buf b = BUF_INIT;
	int r;

	(void)now_ms;
	ns->max = max > 0 ? max : 1;
	ns->window_ms = window_ms;
	ns->ring = xcalloc(ns->max, sizeof(*ns->ring));
	if (path == NULL)
		return ns;
	ns->path = xstrdup(path);
	/* A window's worth of nonces, with room: 64 bytes each is ample. */
	r = fileio_read(path, 64 * ns->max + 64, &b, err);
	if (r == TL_ENOENT) {
		tl_err_clear(err);
		r = 0;
	} else if (r >= 0 && (r = nonces_decode(ns, (uint8_t *)b.data,
	    b.len)) < 0)
		tl_err_set(err, r, "'%s' is damaged (%s): it remembers which "
		    "signed requests were already acted on; move it away to "
		    "start afresh, after the window (%llu s) has passed", path,
		    tl_strerror(r), (unsigned long long)(window_ms / 1000));
	buf_release(&b);
	if (r < 0) {
		nonces_free(ns);
		return NULL;
	}
	return ns;
}

void
nonces_free(struct nonces *ns)
{
	if (ns == NULL)
		return;
	free(ns->path);
	free(ns->ring);
	free(ns);
}

int
nonces_check(struct nonces *ns, const uint8_t nonce[NONCES_LEN],
    uint64_t time_ms, uint64_t now_ms, struct tl_err *err)
{
	struct nonces undo;
	struct seen *slot, old;
	int r;

	if (time_ms <= ns->horizon_ms)
		return TL_ETIMEOUT;
	if (is_seen(ns, nonce))
		return TL_EEXIST;
	/* What remember() changes, to put back if the write fails: the
	 * counters, and the slot it fills (the oldest one when full). */
	undo = *ns;
	slot = at(ns, ns->n == ns->max ? 0 : ns->n);
	old = *slot;
	remember(ns, nonce, time_ms);
	if ((r = save(ns, now_ms, err)) < 0) {
		*ns = undo;
		*slot = old;
	}
	return r;
}

size_t
nonces_count(const struct nonces *ns)
{
	return ns->n;
}

uint64_t
nonces_horizon(const struct nonces *ns)
{
	return ns->horizon_ms;
}
