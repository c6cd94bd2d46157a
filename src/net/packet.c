#include "packet.h"

#include <string.h>

#include <sodium.h>

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
	default:	   st->malformed++; break;
	}
}

uint64_t
pkt_stats_dropped(const struct pkt_stats *st)
{
	return st->truncated + st->oversized + st->bad_header +
	    st->unknown_key + st->decrypt_failures + st->replays + st->stale +
	    st->malformed;
}

/* ---- Replay cache ---------------------------------------------------- */

struct replay_ent {
	uint64_t	nonce;		/* first 8 nonce bytes; 0 = empty */
	uint64_t	sent_ms;
};

struct replay {
	struct replay_ent *fifo;	/* cap entries, in arrival order */
	size_t		 cap, head, n;	/* head: oldest */
	size_t		 min, max;	/* cap moves between these */
	uint32_t	*tab;		/* open addressing: fifo index + 1 */
	size_t		 tabcap;	/* power of two, >= 2 * cap */
	uint32_t	 window_ms;
	uint64_t	 horizon_ms;	/* refuse sent_ms <= this */
};

static size_t replay_slot(const struct replay *rp, uint64_t nonce,
    int *found);

static void
replay_alloc(struct replay *rp, size_t cap)
{
	rp->cap = cap;
	rp->fifo = xcalloc(cap, sizeof(*rp->fifo));
	for (rp->tabcap = 16; rp->tabcap < 2 * cap; rp->tabcap *= 2)
		;
	rp->tab = xcalloc(rp->tabcap, sizeof(*rp->tab));
}

struct replay *
replay_new(size_t cap, size_t max, uint32_t window_ms)
{
	struct replay *rp = xcalloc(1, sizeof(*rp));

	TL_ASSERT(cap > 0 && cap <= max && max < UINT32_MAX / 4);
	replay_alloc(rp, cap);
	rp->min = cap;
	rp->max = max;
	rp->window_ms = window_ms;
	return rp;
}

/*
 * Moves the cache to cap entries (>= n), keeping arrival order. It
 * doubles when full and halves when under a quarter full, so a burst
 * (a join storm) does not pin its memory for good.
 */
static void
replay_resize(struct replay *rp, size_t cap)
{
	struct replay old = *rp;
	int found;

	TL_ASSERT(cap >= old.n);
	replay_alloc(rp, cap);
	rp->head = 0;
	for (size_t i = 0; i < old.n; i++) {
		rp->fifo[i] = old.fifo[(old.head + i) % old.cap];
		rp->tab[replay_slot(rp, rp->fifo[i].nonce, &found)] =
		    (uint32_t)i + 1;
	}
	free(old.fifo);
	free(old.tab);
}

void
replay_free(struct replay *rp)
{
	if (rp == NULL)
		return;
	free(rp->fifo);
	free(rp->tab);
	free(rp);
}

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
		if (rp->fifo[v - 1].nonce == nonce) {
			*found = 1;
			return i;
		}
	}
}

/* Deletes table slot i, re-homing the run after it (linear probing). */
static void
replay_tab_delete(struct replay *rp, size_t i)
{
	size_t mask = rp->tabcap - 1, j = i;
	int found;

	rp->tab[i] = 0;
	for (j = (i + 1) & mask; rp->tab[j] != 0; j = (j + 1) & mask) {
		uint32_t v = rp->tab[j];
		size_t k;

		rp->tab[j] = 0;
		k = replay_slot(rp, rp->fifo[v - 1].nonce, &found);
		rp->tab[k] = v;
	}
}

static void
replay_evict_oldest(struct replay *rp)
{
	struct replay_ent *e = &rp->fifo[rp->head];
	size_t i;
	int found;

	i = replay_slot(rp, e->nonce, &found);
	TL_ASSERT(found);
	replay_tab_delete(rp, i);
	if (e->sent_ms > rp->horizon_ms)
		rp->horizon_ms = e->sent_ms;
	e->nonce = 0;
	rp->head = (rp->head + 1) % rp->cap;
	rp->n--;
}

int
replay_check(struct replay *rp, const uint8_t nonce[PKT_NONCE_LEN],
    uint64_t sent_ms, uint64_t now_ms)
{
	uint64_t key, lo = now_ms > rp->window_ms ? now_ms - rp->window_ms : 0;
	size_t slot, tail;
	int found;

	/* Entries that left the window cannot match a fresh packet. */
	while (rp->n > 0 && rp->fifo[rp->head].sent_ms < lo)
		replay_evict_oldest(rp);
	if (sent_ms < lo || sent_ms > now_ms + rp->window_ms ||
	    sent_ms <= rp->horizon_ms)
		return TL_ETIMEOUT;
	memcpy(&key, nonce, sizeof(key));
	key |= 1;	/* never 0, which marks an empty entry; 63 bits left */
	slot = replay_slot(rp, key, &found);
	if (found)
		return TL_EEXIST;
	if (rp->n == rp->cap && rp->cap < rp->max) {
		replay_resize(rp, rp->cap * 2 > rp->max ? rp->max :
		    rp->cap * 2);
		slot = replay_slot(rp, key, &found);
	} else if (rp->n < rp->cap / 4 && rp->cap / 2 >= rp->min) {
		replay_resize(rp, rp->cap / 2);
		slot = replay_slot(rp, key, &found);
	}
	if (rp->n == rp->cap) {
		replay_evict_oldest(rp);
		slot = replay_slot(rp, key, &found);
		if (sent_ms <= rp->horizon_ms)
			return TL_ETIMEOUT;
	}
	tail = (rp->head + rp->n) % rp->cap;
	rp->fifo[tail].nonce = key;
	rp->fifo[tail].sent_ms = sent_ms;
	rp->tab[slot] = (uint32_t)tail + 1;
	rp->n++;
	return 0;
}

/* ---- Seal and open --------------------------------------------------- */

static void
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

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
	put_u64(stamp, now_ms);
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
	for (int i = 0; i < 8; i++)
		sent = sent << 8 | plain[i];
	if (rp != NULL &&
	    (r = replay_check(rp, p + 2 + KEYRING_ID_LEN, sent, now_ms)) < 0)
		return r;
	memcpy(key_id, p + 2, KEYRING_ID_LEN);
	*body = plain + 8;
	*blen = (size_t)plen - 8;
	return 0;
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
