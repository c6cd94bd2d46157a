/*
 * Push-pull (full-state anti-entropy over TCP) and snapshots.
 *
 * Push-pull wire image (CBOR), one per direction:
 *
 *   +--------+-----------+--------------------------------------------+
 *   | uint 1 | bool join | array(n) of [bstr body, bstr(64) sig,       |
 *   |        |           |              uint status, uint incarnation] |
 *   +--------+-----------+--------------------------------------------+
 *
 * Each entry is a member's own signed statement plus what the sender
 * believes about it (suspect or dead at some incarnation). The receiver
 * checks signatures only for statements it will adopt. A member that has
 * flipped its health since that statement (swim_health.c) has two more
 * items, [..., uint k, bstr(16) e_k]: its latest flip, so anti-entropy
 * repairs flips that gossip never delivered (a partition, a late join).
 * A flip that does not verify is counted and skipped, as in gossip.
 *
 * Snapshot image (CBOR), written by the agent with fileio_write_atomic():
 *
 *   +--------+------------------+------------------------------------+
 *   | uint 1 | uint incarnation | array(n) of [text addr, bstr(32) id] |
 *   +--------+------------------+------------------------------------+
 */
#include "cluster/swim_int.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"

#define SYNC_VERSION		1
#define SNAPSHOT_VERSION	1
#define SNAPSHOT_MAX		(8u << 20)

void
swim_pushpull_encode(struct swim *s, int is_join, struct buf *out)
{
	size_t start = out->len;

	codec_put_uint(out, SYNC_VERSION);
	codec_put_bool(out, is_join);
	codec_put_array(out, s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct swim_mbr *mb = &s->m[i];
		const uint8_t *elem = NULL;
		uint32_t k = swim_hc_latest(s, (uint32_t)i, &elem);

		codec_put_array(out, k != 0 ? 6 : 4);
		buf_add(out, mb->st->raw, mb->st->raw_len);
		codec_put_uint(out, mb->status);
		codec_put_uint(out, mb->inc);
		if (k != 0) {
			codec_put_uint(out, k);
			codec_put_bytes(out, elem, SWIM_HC_LEN);
		}
	}
	/* Flips included: pushpull_period() budgets with what was sent. */
	s->pp_entry_bytes = (uint32_t)((out->len - start) / s->n);
}

static int
merge_entry(struct swim *s, struct swim_io *io, struct rd *rd, int is_join)
{
	const uint8_t *body, *sig, *elem = NULL;
	uint64_t status, inc, step = 0;
	size_t n, blen, known, elen = 0;
	uint32_t idx;
	int r;

	if ((r = codec_get_array(rd, 6, &n)) < 0)
		return r;
	if (n != 4 && n != 6)
		return TL_EINVAL;
	if ((r = codec_get_bytes(rd, SWIM_BODY_MAX, &body, &blen)) < 0 ||
	    (r = codec_get_bytes_exact(rd, SWIM_SIG_LEN, &sig)) < 0 ||
	    (r = codec_get_uint_max(rd, SWIM_LEFT, &status)) < 0 ||
	    (r = codec_get_uint_max(rd, UINT32_MAX, &inc)) < 0)
		return r;
	/* The flip's values are judged later, one flip at a time; only a
	 * broken encoding spoils the exchange. */
	if (n == 6 &&
	    ((r = codec_get_uint(rd, &step)) < 0 ||
	    (r = codec_get_bytes(rd, 4 * SWIM_HC_LEN, &elem, &elen)) < 0))
		return r;
	/* A bad signature spoils one entry, not the exchange. */
	known = s->n;
	r = swim_apply_stmt(s, io, body, blen, sig, NULL, !is_join, &idx);
	if (r == TL_ECRYPTO) {
		s->st.bad_packets++;
		return 0;
	}
	if (r < 0 || idx == SWIM_NONE)
		return r;
	if (n == 6)
		swim_hc_on_pushpull(s, io, idx, body, blen, step, elem, elen);
	if (status == SWIM_SUSPECT || status == SWIM_DEAD)
		swim_apply_merged_claim(s, io, idx, (uint8_t)status,
		    (uint32_t)inc, idx >= known);
	return 0;
}

int
swim_pushpull_merge(struct swim *s, struct swim_io *io, const uint8_t *p,
    size_t len, int *is_join)
{
	struct rd rd;
	uint64_t version;
	size_t n;
	int join, r;

	if (is_join != NULL)
		*is_join = 0;
	if (len > SWIM_PUSHPULL_MAX)
		return TL_ETOOBIG;
	rd_init(&rd, p, len);
	if ((r = codec_get_uint(&rd, &version)) < 0 ||
	    (r = codec_get_bool(&rd, &join)) < 0)
		return r;
	if (version != SYNC_VERSION)
		return TL_EINVAL;
	/* An entry takes well over 64 bytes: bounds n by the input. */
	if ((r = codec_get_array(&rd, rd_left(&rd) / 64, &n)) < 0)
		return r;
	if (is_join != NULL)
		*is_join = join;
	for (size_t i = 0; i < n; i++)
		if ((r = merge_entry(s, io, &rd, join)) < 0)
			return r;
	return rd_left(&rd) == 0 ? 0 : TL_EINVAL;
}

static size_t
snapshot_count(const struct swim *s)
{
	size_t n = 0;

	for (size_t i = 1; i < s->n; i++)
		n += s->m[i].status != SWIM_LEFT;
	return n;
}

void
swim_snapshot_encode(const struct swim *s, struct buf *out)
{
	static const uint8_t order[] = { SWIM_ALIVE, SWIM_SUSPECT, SWIM_DEAD };

	codec_put_uint(out, SNAPSHOT_VERSION);
	codec_put_uint(out, s->m[0].inc);
	codec_put_array(out, snapshot_count(s));
	for (size_t k = 0; k < sizeof(order); k++) {
		for (size_t i = 1; i < s->n; i++) {
			const struct swim_stmt *st = s->m[i].st;

			if (s->m[i].status != order[k])
				continue;
			codec_put_array(out, 2);
			codec_put_text(out, st->addr, strlen(st->addr));
			codec_put_bytes(out, st->id, SWIM_ID_LEN);
		}
	}
}

int
swim_snapshot_restore(struct swim *s, const uint8_t *p, size_t len)
{
	struct rd rd;
	uint64_t version, inc;
	const uint8_t *id;
	const char *addr;
	size_t n, k, alen;
	int r;

	if (len > SNAPSHOT_MAX)
		return TL_ETOOBIG;
	rd_init(&rd, p, len);
	if ((r = codec_get_uint(&rd, &version)) < 0 ||
	    (r = codec_get_uint_max(&rd, UINT32_MAX - 1, &inc)) < 0)
		return r;
	if (version != SNAPSHOT_VERSION)
		return TL_EINVAL;
	if ((r = codec_get_array(&rd, rd_left(&rd) / 4, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = codec_get_array(&rd, 2, &k)) < 0)
			return r;
		if (k != 2)
			return TL_EINVAL;
		if ((r = codec_get_text(&rd, SWIM_ADDR_MAX, &addr, &alen)) < 0 ||
		    (r = codec_get_bytes_exact(&rd, SWIM_ID_LEN, &id)) < 0)
			return r;
		if (s->nseeds < SWIM_SEEDS_MAX && alen > 0) {
			snprintf(s->seeds[s->nseeds], sizeof(s->seeds[0]),
			    "%.*s", (int)alen, addr);
			s->nseeds++;
		}
	}
	if (rd_left(&rd) != 0)
		return TL_EINVAL;
	if (inc >= s->m[0].inc)
		return swim_self_resign(s, (uint32_t)inc + 1, SWIM_ALIVE);
	return 0;
}
