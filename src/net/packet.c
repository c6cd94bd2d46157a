#include "packet.h"

#include <string.h>

#include <sodium.h>

#include "core/be.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rd.h"
#include "core/xalloc.h"

void
pkt_stats_count(struct pkt_stats *st, int rc)
{
	switch (rc) {
	case 0:		   st->accepted++; break;
	case TL_ETRUNC:	   st->truncated++; break;
	case TL_ETOOBIG:   st->oversized++; break;
	case TL_EINVAL:	   st->bad_header++; break;
	case TL_ENOENT:	   st->unknown_key++; break;
	case TL_ECRYPTO:   st->decrypt_failures++; break;
	case TL_EEXIST:	   st->replays++; break;
	case TL_ETIMEOUT:  st->stale++; break;
	case TL_EAGAIN:	   st->future++; break;
	default:	   st->malformed++; break;
	}
}

uint64_t
pkt_stats_dropped(const struct pkt_stats *st)
{
	return st->truncated + st->oversized + st->bad_header +
	    st->unknown_key + st->decrypt_failures + st->replays + st->stale +
	    st->future + st->malformed;
}

/* ---- Replay cache ---------------------------------------------------- */

/*
 * A binary min-heap of the accepted nonces, ordered by their send time,
 * with a hash index (open addressing, linear probing) from nonce to heap
 * position. Ordering by send time, not arrival, matters twice: expired
 * entries always sit at the top (an entry stamped later cannot hold older
 * ones in the cache behind it), and when the cache is full the entry
 * evicted is the oldest-stamped, so the horizon rises as little as it
 * can.
 */
struct replay_ent {
	uint64_t	nonce;		/* first 8 nonce bytes, | 1 */
	uint64_t	sent_ms;
	size_t		slot;		/* its place in the hash index */
};

struct replay {
	struct replay_ent *heap;	/* n entries of cap */
	size_t		 cap, n;
	size_t		 min, max;	/* cap moves between these */
	uint32_t	*tab;		/* heap index + 1; 0 = empty */
	size_t		 tabcap;	/* power of two, >= 2 * cap */
	uint32_t	 past_ms, future_ms;
	uint64_t	 horizon_ms;	/* refuse sent_ms <= this */
};

static size_t
replay_slot(const struct replay *rp, uint64_t nonce, int *found)
{
	size_t mask = rp->tabcap - 1, i = (size_t)(nonce * 0x9e3779b97f4a7c15ull
	    >> 20) & mask;

	*found = 0;
	for (;; i = (i + 1) & mask) {
		uint32_t v = rp->tab[i];

		if (v == 0)
			return i;
		if (rp->heap[v - 1].nonce == nonce) {
			*found = 1;
			return i;
		}
	}
}

/* Puts e at heap index i and points its table slot there. */
static void
replay_place(struct replay *rp, size_t i, const struct replay_ent *e)
{
	rp->heap[i] = *e;
	rp->tab[e->slot] = (uint32_t)i + 1;
}

static void
replay_alloc(struct replay *rp, size_t cap)
{
	rp->cap = cap;
	rp->heap = xcalloc(cap, sizeof(*rp->heap));
	for (rp->tabcap = 16; rp->tabcap < 2 * cap; rp->tabcap *= 2)
		;
	rp->tab = xcalloc(rp->tabcap, sizeof(*rp->tab));
}

struct replay *
replay_new(size_t cap, size_t max, uint32_t past_ms, uint32_t future_ms)
{
	struct replay *rp = xcalloc(1, sizeof(*rp));

	TL_ASSERT(cap > 0 && cap <= max && max < UINT32_MAX / 4);
	replay_alloc(rp, cap);
	rp->min = cap;
	rp->max = max;
	rp->past_ms = past_ms;
	rp->future_ms = future_ms;
	return rp;
}

/*
 * Moves the cache to cap entries (>= n). A heap copied in order is still
 * a heap. It doubles when full and halves when under a quarter full, so a
 * burst (a join storm) does not pin its memory for good.
 */
static void
replay_resize(struct replay *rp, size_t cap)
{
	struct replay old = *rp;
	int found;

	TL_ASSERT(cap >= old.n);
	replay_alloc(rp, cap);
	for (size_t i = 0; i < old.n; i++) {
		rp->heap[i] = old.heap[i];
		rp->heap[i].slot = replay_slot(rp, rp->heap[i].nonce, &found);
		rp->tab[rp->heap[i].slot] = (uint32_t)i + 1;
	}
	free(old.heap);
	free(old.tab);
}

void
replay_free(struct replay *rp)
{
	if (rp == NULL)
		return;
	free(rp->heap);
	free(rp->tab);
	free(rp);
}

/* Deletes table slot i, re-homing the run after it (linear probing). */
static void
replay_tab_delete(struct replay *rp, size_t i)
{
	size_t mask = rp->tabcap - 1, j;
	int found;

	rp->tab[i] = 0;
	for (j = (i + 1) & mask; rp->tab[j] != 0; j = (j + 1) & mask) {
		uint32_t v = rp->tab[j];
		size_t k;

		rp->tab[j] = 0;
		k = replay_slot(rp, rp->heap[v - 1].nonce, &found);
		rp->tab[k] = v;
		rp->heap[v - 1].slot = k;
	}
}

static void
replay_sift_up(struct replay *rp, size_t i)
{
	struct replay_ent e = rp->heap[i];

	while (i > 0 && rp->heap[(i - 1) / 2].sent_ms > e.sent_ms) {
		replay_place(rp, i, &rp->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	replay_place(rp, i, &e);
}

static void
replay_sift_down(struct replay *rp, size_t i)
{
	struct replay_ent e = rp->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= rp->n)
			break;
		if (c + 1 < rp->n && rp->heap[c + 1].sent_ms <
		    rp->heap[c].sent_ms)
			c++;
		if (rp->heap[c].sent_ms >= e.sent_ms)
			break;
		replay_place(rp, i, &rp->heap[c]);
		i = c;
	}
	replay_place(rp, i, &e);
}

/* Drops the oldest-stamped entry; the horizon rises to its send time. */
static void
replay_pop(struct replay *rp)
{
	replay_tab_delete(rp, rp->heap[0].slot);
	if (rp->heap[0].sent_ms > rp->horizon_ms)
		rp->horizon_ms = rp->heap[0].sent_ms;
	if (--rp->n > 0) {
		replay_place(rp, 0, &rp->heap[rp->n]);
		replay_sift_down(rp, 0);
	}
}

int
replay_check(struct replay *rp, const uint8_t nonce[PKT_NONCE_LEN],
    uint64_t sent_ms, uint64_t now_ms)
{
	uint64_t key, lo = now_ms > rp->past_ms ? now_ms - rp->past_ms : 0;
	size_t slot;
	int found;

	/* Entries that left the window cannot match a fresh packet. */
	while (rp->n > 0 && rp->heap[0].sent_ms < lo)
		replay_pop(rp);
	if (sent_ms > now_ms + rp->future_ms)
		return TL_EAGAIN;	/* never enters the cache */
	if (sent_ms < lo || sent_ms <= rp->horizon_ms)
		return TL_ETIMEOUT;
	memcpy(&key, nonce, sizeof(key));
	key |= 1;	/* never 0, which marks an empty entry; 63 bits left */
	(void)replay_slot(rp, key, &found);
	if (found)
		return TL_EEXIST;
	if (rp->n == rp->cap && rp->cap < rp->max)
		replay_resize(rp, rp->cap * 2 > rp->max ? rp->max :
		    rp->cap * 2);
	else if (rp->n < rp->cap / 4 && rp->cap / 2 >= rp->min)
		replay_resize(rp, rp->cap / 2);
	if (rp->n == rp->cap) {
		replay_pop(rp);
		if (sent_ms <= rp->horizon_ms)
			return TL_ETIMEOUT;
	}
	/* Resizes and pops moved the table: find the slot again. */
	slot = replay_slot(rp, key, &found);
	rp->heap[rp->n].nonce = key;
	rp->heap[rp->n].sent_ms = sent_ms;
	rp->heap[rp->n].slot = slot;
	rp->tab[slot] = (uint32_t)rp->n + 1;
	rp->n++;
	replay_sift_up(rp, rp->n - 1);
	return 0;
}

uint64_t
replay_horizon(const struct replay *rp)
{
	return rp->horizon_ms;
}

/* ---- Seal and open --------------------------------------------------- */

int
pkt_seal(const struct keyring *kr, const uint8_t *key_id, uint8_t type,
    uint64_t now_ms, const uint8_t *body, size_t len, struct buf *out)
{
	uint8_t id[KEYRING_ID_LEN], *hdr, *ct, stamp[8];
	const uint8_t *key;
	unsigned long long clen = 0;
	uint8_t *plain;
	size_t start = out->len;

	if (key_id != NULL) {
		memcpy(id, key_id, KEYRING_ID_LEN);
		key = keyring_find(kr, id);
	} else
		key = keyring_at(kr, 0, id);
	if (key == NULL)
		return TL_ENOENT;
	buf_grow(out, PKT_HDR_LEN + 8 + len + PKT_TAG_LEN);
	hdr = (uint8_t *)out->data + start;
	hdr[0] = PKT_VERSION;
	hdr[1] = type;
	memcpy(hdr + 2, id, KEYRING_ID_LEN);
	randombytes_buf(hdr + 2 + KEYRING_ID_LEN, PKT_NONCE_LEN);
	ct = hdr + PKT_HDR_LEN;
	/* Encrypt in place: build the plaintext where the ciphertext goes. */
	be_put(stamp, now_ms, 8);
	plain = ct;
	memcpy(plain, stamp, 8);
	if (len > 0)
		memcpy(plain + 8, body, len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, plain, 8 + len,
	    hdr, PKT_HDR_LEN, NULL, hdr + 2 + KEYRING_ID_LEN, key);
	out->len = start + PKT_HDR_LEN + (size_t)clen;
	out->data[out->len] = '\0';
	return 0;
}

int
pkt_open(const struct keyring *kr, struct replay *rp, uint8_t type,
    uint64_t now_ms, const uint8_t *p, size_t len, size_t max,
    uint8_t *plain, const uint8_t **body, size_t *blen,
    uint8_t key_id[KEYRING_ID_LEN])
{
	unsigned long long plen = 0;
	const uint8_t *key;
	uint64_t sent = 0;
	int r;

	*body = NULL;
	*blen = 0;
	memset(key_id, 0, KEYRING_ID_LEN);
	if (len > max)
		return TL_ETOOBIG;
	if (len < PKT_HDR_LEN + PKT_TAG_LEN + 8)
		return TL_ETRUNC;
	if (p[0] != PKT_VERSION || p[1] != type)
		return TL_EINVAL;
	if ((key = keyring_find(kr, p + 2)) == NULL)
		return TL_ENOENT;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
	    p + PKT_HDR_LEN, len - PKT_HDR_LEN, p, PKT_HDR_LEN,
	    p + 2 + KEYRING_ID_LEN, key) != 0)
		return TL_ECRYPTO;
	sent = be_get(plain, 8);
	if (rp != NULL &&
	    (r = replay_check(rp, p + 2 + KEYRING_ID_LEN, sent, now_ms)) < 0)
		return r;
	memcpy(key_id, p + 2, KEYRING_ID_LEN);
	*body = plain + 8;
	*blen = (size_t)plen - 8;
	return 0;
}

int
pkt_peek(const struct keyring *kr, uint32_t types, const uint8_t *p,
    size_t n)
{
	if (n < PKT_PEEK_LEN || p[0] != PKT_VERSION || p[1] >= 32 ||
	    (types & (uint32_t)1 << p[1]) == 0)
		return TL_EINVAL;
	return keyring_find(kr, p + 2) != NULL ? 0 : TL_ENOENT;
}

/* ---- Compound bodies ------------------------------------------------- */

void
pkt_part_add(struct buf *body, uint8_t kind, const void *p, size_t n)
{
	uint8_t h[PKT_PART_HDR];

	TL_ASSERT(n <= UINT16_MAX && kind != 0);
	h[0] = kind;
	h[1] = (uint8_t)(n >> 8);
	h[2] = (uint8_t)n;
	buf_add(body, h, sizeof(h));
	buf_add(body, p, n);
}

int
pkt_part_next(struct rd *rd, uint8_t *kind, const uint8_t **p, size_t *n)
{
	uint16_t len;
	int r;

	*kind = 0;
	*p = NULL;
	*n = 0;
	if (rd_left(rd) == 0)
		return 0;
	if ((r = rd_u8(rd, kind)) < 0 || (r = rd_u16(rd, &len)) < 0 ||
	    (r = rd_bytes(rd, p, len)) < 0)
		return r;
	if (*kind == 0)
		return TL_EINVAL;
	*n = len;
	return 1;
}
