/*
 * Pack wire format, saved state and voter-set helpers.
 *
 * Every message is one CBOR array of eleven items; a newer peer may append
 * more, which we skip. A message with another version is dropped.
 *
 *   +---+------+------+------+------+--------+-----+-----+-----+------+--------+
 *   | 1 | type | pack | from | term | ballot | cfg | cfg | seq | flag | voters |
 *   |   |      | text | id32 |      |        |term | ver |     | bool |        |
 *   +---+------+------+------+------+--------+-----+-----+-----+------+--------+
 *
 *   voters = []                                     (not carried)
 *          | [bool committed, [bstr(32) ...], []]   (no pending change)
 *          | [bool committed, [bstr(32) ...], [bool added, bstr(32) id]]
 *
 *   type            term            ballot         seq      flag
 *   1 PREVOTE       proposed term   ballot         -        -
 *   2 PREVOTE_RESP  proposed term   sender's term  -        granted
 *   3 VOTE          candidate term  ballot         -        -
 *   4 VOTE_RESP     sender's term   -              -        granted
 *   5 HEARTBEAT     leader's term   -              round    cfg committed
 *   6 ACK           sender's term   -              round    ok
 *   7 TIMEOUT_NOW   leader's term   -              -        -
 *   8 RELEASE       leader's term   -              -        -
 *
 * cfg term/version: the sender's voter set (PREVOTE, VOTE: the candidate's,
 * for the up-to-date check; HEARTBEAT: the leader's; ACK: the follower's).
 * Voters go in a HEARTBEAT only to a peer whose last ACK showed another
 * set, so steady-state heartbeats stay near 60 bytes.
 *
 * Saved state (pack_persist_encode):
 *   [1, uint term, bstr voted_for (0 or 32 bytes), uint cfg term,
 *    uint cfg version, voters]
 */
#include "cluster/pack_int.h"

#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/rd.h"

#define MSG_ITEMS	11
#define MSG_ITEMS_MAX	32	/* tolerate newer peers, within reason */

/* ---- Voter sets --------------------------------------------------------- */

int
pack_ids_find(const uint8_t (*ids)[PACK_ID_LEN], size_t n, const uint8_t *id,
    size_t *pos)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(ids[mid], id, PACK_ID_LEN);

		if (c == 0) {
			*pos = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return 0;
}

int
pack_voters_has(const struct pack_voters *v, const uint8_t *id)
{
	size_t pos;

	return pack_ids_find((const uint8_t (*)[PACK_ID_LEN])v->ids, v->n,
	    id, &pos);
}

int
pack_voters_prev_has(const struct pack_voters *v, const uint8_t *id)
{
	if (v->has_delta && memcmp(v->delta_id, id, PACK_ID_LEN) == 0)
		return !v->delta_added;
	return pack_voters_has(v, id);
}

int
pack_voters_edit(struct pack_voters *v, const uint8_t *id, int add)
{
	size_t pos;
	int has = pack_ids_find((const uint8_t (*)[PACK_ID_LEN])v->ids,
	    v->n, id, &pos);

	if (add) {
		if (has)
			return TL_EEXIST;
		if (v->n >= PACK_VOTERS_MAX)
			return TL_ETOOBIG;
		memmove(v->ids[pos + 1], v->ids[pos],
		    (v->n - pos) * PACK_ID_LEN);
		memcpy(v->ids[pos], id, PACK_ID_LEN);
		v->n++;
		return 0;
	}
	if (!has)
		return TL_ENOENT;
	memmove(v->ids[pos], v->ids[pos + 1], (v->n - pos - 1) * PACK_ID_LEN);
	v->n--;
	return 0;
}

/* Sorted, no duplicates, the delta consistent with the set. */
int
pack_voters_check(const struct pack_voters *v)
{
	for (size_t i = 1; i < v->n; i++)
		if (memcmp(v->ids[i - 1], v->ids[i], PACK_ID_LEN) >= 0)
			return TL_EINVAL;
	if (v->has_delta &&
	    pack_voters_has(v, v->delta_id) != (v->delta_added != 0))
		return TL_EINVAL;
	if (v->n == 0 && v->version != 0)
		return TL_EINVAL;
	return 0;
}

static void
voters_encode(const struct pack_voters *v, struct buf *out)
{
	codec_put_array(out, 3);
	codec_put_bool(out, v->committed);
	codec_put_array(out, v->n);
	for (size_t i = 0; i < v->n; i++)
		codec_put_bytes(out, v->ids[i], PACK_ID_LEN);
	if (!v->has_delta) {
		codec_put_array(out, 0);
		return;
	}
	codec_put_array(out, 2);
	codec_put_bool(out, v->delta_added);
	codec_put_bytes(out, v->delta_id, PACK_ID_LEN);
}

/* Reads "voters"; *present is 0 for the empty array. */
static int
voters_decode(struct rd *rd, struct pack_voters *v, int *present)
{
	const uint8_t *id;
	size_t n, k;
	int r;

	*present = 0;
	if ((r = codec_get_array(rd, 3, &n)) < 0)
		return r;
	if (n == 0)
		return 0;
	if (n != 3)
		return TL_EINVAL;
	if ((r = codec_get_bool(rd, &v->committed)) < 0 ||
	    (r = codec_get_array(rd, PACK_VOTERS_MAX, &k)) < 0)
		return r;
	for (size_t i = 0; i < k; i++) {
		if ((r = codec_get_bytes_exact(rd, PACK_ID_LEN, &id)) < 0)
			return r;
		memcpy(v->ids[i], id, PACK_ID_LEN);
	}
	v->n = k;
	if ((r = codec_get_array(rd, 2, &n)) < 0)
		return r;
	if (n == 2) {
		v->has_delta = 1;
		if ((r = codec_get_bool(rd, &v->delta_added)) < 0 ||
		    (r = codec_get_bytes_exact(rd, PACK_ID_LEN, &id)) < 0)
			return r;
		memcpy(v->delta_id, id, PACK_ID_LEN);
	} else if (n != 0)
		return TL_EINVAL;
	if ((r = pack_voters_check(v)) < 0)
		return r;
	*present = 1;
	return 0;
}

/* ---- Messages ----------------------------------------------------------- */

void
pack_msg_encode(const struct pack_msg *m, struct buf *out)
{
	codec_put_array(out, MSG_ITEMS);
	codec_put_uint(out, PACK_WIRE_VERSION);
	codec_put_uint(out, (uint64_t)m->type);
	codec_put_text(out, m->name, m->name_len);
	codec_put_bytes(out, m->from, PACK_ID_LEN);
	codec_put_uint(out, m->term);
	codec_put_uint(out, m->ballot);
	codec_put_uint(out, m->cfg_term);
	codec_put_uint(out, m->cfg_version);
	codec_put_uint(out, m->seq);
	codec_put_bool(out, m->flag);
	if (m->has_voters)
		voters_encode(&m->voters, out);
	else
		codec_put_array(out, 0);
}

static int
msg_head(struct rd *rd, struct pack_msg *m, size_t *items)
{
	uint64_t ver, type;
	const uint8_t *id;
	int r;

	if ((r = codec_get_array(rd, MSG_ITEMS_MAX, items)) < 0)
		return r;
	if (*items < MSG_ITEMS)
		return TL_EINVAL;
	if ((r = codec_get_uint(rd, &ver)) < 0)
		return r;
	if (ver != PACK_WIRE_VERSION)
		return TL_EINVAL;
	if ((r = codec_get_uint_max(rd, PACK_MSG_LAST, &type)) < 0)
		return r;
	if (type == 0)
		return TL_EINVAL;
	m->type = (int)type;
	if ((r = codec_get_text(rd, PACK_NAME_MAX, &m->name,
	    &m->name_len)) < 0)
		return r;
	if ((r = codec_get_bytes_exact(rd, PACK_ID_LEN, &id)) < 0)
		return r;
	memcpy(m->from, id, PACK_ID_LEN);
	return 0;
}

int
pack_msg_decode(struct pack_msg *m, const uint8_t *p, size_t len)
{
	struct rd rd;
	size_t items;
	int r;

	memset(m, 0, sizeof(*m));
	if (len > PACK_MSG_MAX)
		return TL_ETOOBIG;
	rd_init(&rd, p, len);
	if ((r = msg_head(&rd, m, &items)) < 0 ||
	    (r = codec_get_uint(&rd, &m->term)) < 0 ||
	    (r = codec_get_uint(&rd, &m->ballot)) < 0 ||
	    (r = codec_get_uint(&rd, &m->cfg_term)) < 0 ||
	    (r = codec_get_uint(&rd, &m->cfg_version)) < 0 ||
	    (r = codec_get_uint(&rd, &m->seq)) < 0 ||
	    (r = codec_get_bool(&rd, &m->flag)) < 0 ||
	    (r = voters_decode(&rd, &m->voters, &m->has_voters)) < 0)
		goto fail;
	for (size_t i = MSG_ITEMS; i < items; i++)
		if ((r = codec_skip(&rd, 4)) < 0)
			goto fail;
	/* A voter set is never newer than its holder's term. */
	if (rd_left(&rd) != 0 || (m->type != PACK_MSG_PREVOTE_RESP &&
	    m->cfg_term > m->term)) {
		r = TL_EINVAL;
		goto fail;
	}
	if (m->has_voters) {
		m->voters.term = m->cfg_term;
		m->voters.version = m->cfg_version;
	}
	return 0;
fail:
	memset(m, 0, sizeof(*m));
	return r;
}

int
pack_msg_peek(const uint8_t *msg, size_t len, const char **name,
    size_t *n, uint8_t from[PACK_ID_LEN])
{
	struct pack_msg m;
	struct rd rd;
	size_t items;
	int r;

	*name = NULL;
	*n = 0;
	memset(from, 0, PACK_ID_LEN);
	rd_init(&rd, msg, len);
	if ((r = msg_head(&rd, &m, &items)) < 0)
		return r;
	*name = m.name;
	*n = m.name_len;
	memcpy(from, m.from, PACK_ID_LEN);
	return 0;
}

/* ---- Saved state -------------------------------------------------------- */

void
pack_persist_encode(const struct pack *p, struct buf *out)
{
	codec_put_array(out, 6);
	codec_put_uint(out, PACK_PERSIST_VERSION);
	codec_put_uint(out, p->term);
	codec_put_bytes(out, p->voted_for, p->has_vote ? PACK_ID_LEN : 0);
	codec_put_uint(out, p->v.term);
	codec_put_uint(out, p->v.version);
	voters_encode(&p->v, out);
}

int
pack_persist_decode(struct pack_persist *ps, const uint8_t *b, size_t len)
{
	const uint8_t *vote;
	uint64_t ver;
	size_t vlen;
	struct rd rd;
	int r, present;

	memset(ps, 0, sizeof(*ps));
	rd_init(&rd, b, len);
	if ((r = codec_get_array_exact(&rd, 6)) < 0)
		return r;
	if ((r = codec_get_uint(&rd, &ver)) < 0 ||
	    (r = codec_get_uint(&rd, &ps->term)) < 0 ||
	    (r = codec_get_bytes(&rd, PACK_ID_LEN, &vote, &vlen)) < 0 ||
	    (r = codec_get_uint(&rd, &ps->voters.term)) < 0 ||
	    (r = codec_get_uint(&rd, &ps->voters.version)) < 0 ||
	    (r = voters_decode(&rd, &ps->voters, &present)) < 0)
		goto fail;
	r = TL_EINVAL;
	if (ver != PACK_PERSIST_VERSION || rd_left(&rd) != 0 || !present ||
	    (vlen != 0 && vlen != PACK_ID_LEN) ||
	    ps->voters.term > ps->term)
		goto fail;
	if (vlen == PACK_ID_LEN) {
		ps->has_vote = 1;
		memcpy(ps->voted_for, vote, PACK_ID_LEN);
	}
	return 0;
fail:
	memset(ps, 0, sizeof(*ps));
	return r;
}
