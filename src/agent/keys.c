/*
 * Keyring rotation across a live cluster, driven from one agent's control
 * socket and carried over the (encrypted) gossip transport as PKT_PART_KEYS
 * parts, sent straight to every alive member and resent once a second
 * until each answers or KEYOP_TIMEOUT_MS passes:
 *
 *   +--------+-----------------+-------------------------------------+
 *   | op u8  | request id u32  | OFFER: key (32)  QUERY: -           |
 *   |        |                 | USE, REMOVE: key id (4)             |
 *   |        |                 | HAVE: n u8, n x key id (primary 1st)|
 *   +--------+-----------------+-------------------------------------+
 *
 * Every OFFER/QUERY/USE/REMOVE is answered by HAVE: the keys the member
 * holds after applying it. So:
 *   install  adds locally, OFFERs to all, reports who holds it;
 *   use      QUERYs all and is refused unless every alive member answers
 *            holding the key; then switches locally and sends USE;
 *   remove   refuses our primary; sends REMOVE (a member refuses to drop
 *            its own primary, and says so in its HAVE), then drops it;
 *   list     QUERYs all and counts holders per key.
 * Each change is saved to the keyring file at once. A member that missed
 * the rotation still talks with the old key while it is in the ring; it
 * is then offered the new primary (install only, see wire.c), so the next
 * `keys use` finds it holding the key.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/ctl.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rd.h"
#include "core/xalloc.h"

#define KEYOP_TIMEOUT_MS	5000
#define KEY_OFFER_EVERY_MS	10000

enum { KW_OFFER = 1, KW_QUERY, KW_HAVE, KW_USE, KW_REMOVE };

struct keyop_target {
	char		addr[ADDR_STR_MAX];
	char		name[SWIM_NAME_MAX + 1];
	int		has_reply;
	size_t		nids;
	uint8_t		ids[KEYRING_MAX][KEYRING_ID_LEN];
};

struct keyop {
	struct stream_conn	*conn;
	uint8_t			 ctl_op;
	uint8_t			 flags;
	uint8_t			 wire_op;
	uint32_t		 reqid;
	uint8_t			 key[KEYRING_KEY_LEN];
	uint8_t			 id[KEYRING_ID_LEN];
	uint64_t		 deadline;
	size_t			 n;
	struct keyop_target	*t;
};

static void
keys_send(struct agent *a, const char *addr, uint8_t op, uint32_t reqid,
    const void *extra, size_t n)
{
	struct buf part = BUF_INIT, body = BUF_INIT;
	uint8_t h[5] = { op, (uint8_t)(reqid >> 24), (uint8_t)(reqid >> 16),
	    (uint8_t)(reqid >> 8), (uint8_t)reqid };

	buf_add(&part, h, sizeof(h));
	buf_add(&part, extra, n);
	pkt_part_add(&body, PKT_PART_KEYS, part.data, part.len);
	agent_send_body(a, addr, (uint8_t *)body.data, body.len);
	sodium_memzero(part.data, part.len);
	sodium_memzero(body.data, body.len);
	buf_release(&part);
	buf_release(&body);
}

void
agent_keys_save(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;

	if (keyring_save(a->kr, a->cfg.keyring_path, &err) < 0)
		log_err("cannot save keyring: %s", err.msg);
}

void
agent_keys_offer(struct agent *a, struct peer_key *pk)
{
	uint64_t now = agent_now(a);

	if (pk->offered_ms != 0 && now - pk->offered_ms < KEY_OFFER_EVERY_MS)
		return;
	pk->offered_ms = now;
	log_info("peer %s uses an older key; offering our primary", pk->addr);
	keys_send(a, pk->addr, KW_OFFER, 0, keyring_at(a->kr, 0, NULL),
	    KEYRING_KEY_LEN);
}

/* ---- Member side ---------------------------------------------------- */

static void
keys_apply(struct agent *a, const char *from, uint8_t op, struct rd *rd)
{
	const uint8_t *p;
	char hex[9];
	int r;

	if (op == KW_OFFER && rd_bytes(rd, &p, KEYRING_KEY_LEN) == 0) {
		uint8_t id[KEYRING_ID_LEN];

		if ((r = keyring_add(a->kr, p)) == 0) {
			keyring_key_id(p, id);
			keyring_id_hex(id, hex);
			log_notice("installed key %s offered by %s", hex, from);
			agent_keys_save(a);
		} else if (r != TL_EEXIST)
			log_warn("cannot install key from %s: %s", from,
			    tl_strerror(r));
	} else if ((op == KW_USE || op == KW_REMOVE) &&
	    rd_bytes(rd, &p, KEYRING_ID_LEN) == 0) {
		keyring_id_hex(p, hex);
		r = op == KW_USE ? keyring_use(a->kr, p) :
		    keyring_remove(a->kr, p);
		if (r == 0) {
			log_notice("key %s %s at the request of %s", hex,
			    op == KW_USE ? "is now primary" : "removed", from);
			agent_keys_save(a);
			agent_peer_keys_prune(a);
		} else
			log_warn("cannot %s key %s for %s: %s", op == KW_USE ?
			    "use" : "remove", hex, from, tl_strerror(r));
	}
}

static void
keys_answer(struct agent *a, const char *from, uint32_t reqid)
{
	uint8_t ids[1 + KEYRING_MAX * KEYRING_ID_LEN];
	size_t n = keyring_count(a->kr);

	ids[0] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		keyring_at(a->kr, i, ids + 1 + i * KEYRING_ID_LEN);
	keys_send(a, from, KW_HAVE, reqid, ids, 1 + n * KEYRING_ID_LEN);
}

static void keyop_try_finish(struct agent *a);

static void
keys_on_have(struct agent *a, const char *from, uint32_t reqid,
    struct rd *rd)
{
	struct keyop *op = a->keyop;
	uint8_t n;

	if (op == NULL || reqid != op->reqid || rd_u8(rd, &n) < 0 ||
	    n > KEYRING_MAX || rd_left(rd) != (size_t)n * KEYRING_ID_LEN)
		return;
	for (size_t i = 0; i < op->n; i++) {
		struct keyop_target *t = &op->t[i];

		if (strcmp(t->addr, from) != 0)
			continue;
		t->has_reply = 1;
		t->nids = n;
		rd_copy(rd, t->ids, (size_t)n * KEYRING_ID_LEN);
		break;
	}
	keyop_try_finish(a);
}

void
agent_keys_on_part(struct agent *a, const char *from, const uint8_t *p,
    size_t len)
{
	uint32_t reqid;
	uint8_t op;
	struct rd rd;

	rd_init(&rd, p, len);
	if (rd_u8(&rd, &op) < 0 || rd_u32(&rd, &reqid) < 0) {
		a->st.pkt.malformed++;
		return;
	}
	if (op == KW_HAVE) {
		keys_on_have(a, from, reqid, &rd);
		return;
	}
	if (op < KW_OFFER || op > KW_REMOVE)
		return;
	keys_apply(a, from, op, &rd);
	if (reqid != 0)
		keys_answer(a, from, reqid);
}

/* ---- Operator side -------------------------------------------------- */

static int
target_holds(const struct keyop_target *t, const uint8_t id[KEYRING_ID_LEN],
    int *is_primary)
{
	*is_primary = 0;
	for (size_t i = 0; i < t->nids; i++)
		if (memcmp(t->ids[i], id, KEYRING_ID_LEN) == 0) {
			*is_primary = i == 0;
			return 1;
		}
	return 0;
}

static void
keyop_send_all(struct agent *a)
{
	struct keyop *op = a->keyop;
	const void *extra = NULL;
	size_t n = 0;

	if (op->wire_op == KW_OFFER) {
		extra = op->key;
		n = KEYRING_KEY_LEN;
	} else if (op->wire_op == KW_USE || op->wire_op == KW_REMOVE) {
		extra = op->id;
		n = KEYRING_ID_LEN;
	}
	for (size_t i = 0; i < op->n; i++)
		if (!op->t[i].has_reply)
			keys_send(a, op->t[i].addr, op->wire_op, op->reqid,
			    extra, n);
}

static void
keyop_start_wire(struct agent *a, uint8_t wire_op)
{
	struct keyop *op = a->keyop;

	op->wire_op = wire_op;
	randombytes_buf(&op->reqid, sizeof(op->reqid));
	op->reqid |= 1;		/* 0 means "no answer wanted" */
	op->deadline = agent_now(a) + KEYOP_TIMEOUT_MS;
	for (size_t i = 0; i < op->n; i++) {
		op->t[i].has_reply = 0;
		op->t[i].nids = 0;
	}
	keyop_send_all(a);
}

static void
keyop_targets(struct agent *a, struct keyop *op)
{
	struct swim_member m;
	size_t n = swim_member_count(a->swim);

	op->t = xcalloc(n, sizeof(*op->t));
	for (size_t i = 0; i < n; i++) {
		if (swim_member_at(a->swim, i, &m) < 0 || m.is_self ||
		    m.status != SWIM_ALIVE)
			continue;
		snprintf(op->t[op->n].addr, ADDR_STR_MAX, "%s", m.addr);
		snprintf(op->t[op->n].name, SWIM_NAME_MAX + 1, "%s", m.name);
		op->n++;
	}
}

static void
keyop_end(struct agent *a, int status, struct buf *text)
{
	struct keyop *op = a->keyop;

	agent_ctl_reply(op->conn, status, text->data, text->len);
	sodium_memzero(op->key, sizeof(op->key));
	free(op->t);
	free(op);
	a->keyop = NULL;
}

/* Lists the members that failed a check into text, "a (why), b (why)". */
static size_t
keyop_missing(const struct keyop *op, int need_primary_not, struct buf *text)
{
	size_t bad = 0;
	int is_primary;

	for (size_t i = 0; i < op->n; i++) {
		const struct keyop_target *t = &op->t[i];
		int holds = target_holds(t, op->id, &is_primary);
		const char *why = !t->has_reply ? "no answer" :
		    need_primary_not ? (holds ? "still holds it" : NULL) :
		    (!holds ? "does not hold it" : NULL);

		if (why == NULL)
			continue;
		buf_addf(text, "%s%s (%s)", bad ? ", " : "", t->name, why);
		bad++;
	}
	return bad;
}

static void
keyop_finish_list(struct agent *a)
{
	struct keyop *op = a->keyop;
	int json = op->flags & CTL_F_JSON, is_primary;
	struct buf text = BUF_INIT;
	size_t answered = 0;
	uint8_t id[KEYRING_ID_LEN];
	char hex[9];

	for (size_t i = 0; i < op->n; i++)
		answered += op->t[i].has_reply;
	buf_addstr(&text, json ? "{\"keys\":[" :
	    "KEY       PRIMARY  HELD BY  PRIMARY ON\n");
	for (size_t k = 0; keyring_at(a->kr, k, id) != NULL; k++) {
		size_t held = 1, prim = k == 0;

		for (size_t i = 0; i < op->n; i++)
			if (target_holds(&op->t[i], id, &is_primary)) {
				held++;
				prim += (size_t)is_primary;
			}
		keyring_id_hex(id, hex);
		if (json)
			buf_addf(&text, "%s{\"id\":\"%s\",\"primary\":%s,"
			    "\"held_by\":%zu,\"primary_on\":%zu}", k ? "," :
			    "", hex, k == 0 ? "true" : "false", held, prim);
		else
			buf_addf(&text, "%-9s %-8s %-8zu %zu\n", hex,
			    k == 0 ? "yes" : "no", held, prim);
	}
	if (json)
		buf_addf(&text, "],\"members\":%zu,\"answered\":%zu}\n",
		    op->n + 1, answered + 1);
	else
		buf_addf(&text, "%zu of %zu members answered\n", answered + 1,
		    op->n + 1);
	keyop_end(a, 0, &text);
	buf_release(&text);
}

static void
keyop_finish(struct agent *a)
{
	struct keyop *op = a->keyop;
	struct buf text = BUF_INIT, bad = BUF_INIT;
	char hex[9];
	size_t nbad;
	int status = 0;

	keyring_id_hex(op->id, hex);
	switch (op->ctl_op) {
	case CTL_KEYS_LIST:
		buf_release(&text);
		keyop_finish_list(a);
		return;
	case CTL_KEYS_INSTALL:
		nbad = keyop_missing(op, 0, &bad);
		buf_addf(&text, "key %s installed on %zu of %zu members%s%s\n",
		    hex, op->n + 1 - nbad, op->n + 1, nbad ? "; missing: " :
		    "", bad.data);
		status = nbad > 0;
		break;
	case CTL_KEYS_USE:
		if (op->wire_op == KW_QUERY) {
			if ((nbad = keyop_missing(op, 0, &bad)) > 0) {
				buf_addf(&text, "refusing to use key %s: not "
				    "every live member holds it: %s\n", hex,
				    bad.data);
				status = 1;
				break;
			}
			keyring_use(a->kr, op->id);
			agent_keys_save(a);
			agent_peer_keys_prune(a);
			log_notice("key %s is now primary", hex);
			keyop_start_wire(a, KW_USE);
			buf_release(&bad);
			keyop_try_finish(a);
			return;
		}
		buf_addf(&text, "key %s is now primary here and was switched "
		    "on %zu members\n", hex, op->n);
		break;
	case CTL_KEYS_REMOVE:
		nbad = keyop_missing(op, 1, &bad);
		keyring_remove(a->kr, op->id);
		agent_keys_save(a);
		agent_peer_keys_prune(a);
		log_notice("key %s removed", hex);
		buf_addf(&text, "key %s removed here and on %zu of %zu "
		    "members%s%s\n", hex, op->n - nbad, op->n,
		    nbad ? "; not removed on: " : "", bad.data);
		status = nbad > 0;
		break;
	}
	keyop_end(a, status, &text);
	buf_release(&text);
	buf_release(&bad);
}

static void
keyop_try_finish(struct agent *a)
{
	struct keyop *op = a->keyop;

	for (size_t i = 0; i < op->n; i++)
		if (!op->t[i].has_reply)
			return;
	keyop_finish(a);
}

void
agent_keys_house(struct agent *a)
{
	if (a->keyop == NULL)
		return;
	if (agent_now(a) >= a->keyop->deadline)
		keyop_finish(a);
	else
		keyop_send_all(a);
}

/* A base64 key, or 8 hex digits naming a key in our ring. */
static int
keys_parse_arg(struct agent *a, const char *arg, uint8_t key[KEYRING_KEY_LEN],
    uint8_t id[KEYRING_ID_LEN], int need_key, struct tl_err *err)
{
	const uint8_t *k;
	size_t n = 0;

	if (arg == NULL)
		return tl_err_set(err, TL_EINVAL, "a key is required");
	if (!need_key && strlen(arg) == 8 && sodium_hex2bin(id,
	    KEYRING_ID_LEN, arg, 8, NULL, &n, NULL) == 0 && n == 4) {
		if ((k = keyring_find(a->kr, id)) == NULL)
			return tl_err_set(err, TL_ENOENT, "key %s is not in "
			    "the keyring", arg);
		memcpy(key, k, KEYRING_KEY_LEN);
		return 0;
	}
	if (keyring_key_parse(arg, strlen(arg), key, err) < 0)
		return tl_err_set(err, TL_EINVAL, "'%s' is not a base64 key "
		    "or a key id", arg);
	keyring_key_id(key, id);
	if (!need_key && keyring_find(a->kr, id) == NULL)
		return tl_err_set(err, TL_ENOENT, "that key is not in the "
		    "keyring; install it first");
	return 0;
}

static int
keys_start(struct agent *a, struct keyop *op, const char *arg,
    struct tl_err *err)
{
	uint8_t primary[KEYRING_ID_LEN];
	int r;

	if (op->ctl_op == CTL_KEYS_LIST) {
		keyop_start_wire(a, KW_QUERY);
		return 0;
	}
	if ((r = keys_parse_arg(a, arg, op->key, op->id,
	    op->ctl_op == CTL_KEYS_INSTALL, err)) < 0)
		return r;
	keyring_at(a->kr, 0, primary);
	if (op->ctl_op == CTL_KEYS_INSTALL) {
		r = keyring_add(a->kr, op->key);
		if (r < 0 && r != TL_EEXIST)
			return tl_err_set(err, r, "cannot add the key: %s",
			    r == TL_ETOOBIG ? "the keyring is full" :
			    "its id collides with another key");
		agent_keys_save(a);
		keyop_start_wire(a, KW_OFFER);
	} else if (op->ctl_op == CTL_KEYS_USE)
		keyop_start_wire(a, KW_QUERY);
	else {
		if (memcmp(primary, op->id, KEYRING_ID_LEN) == 0)
			return tl_err_set(err, TL_EPERM, "refusing to remove "
			    "the primary key; use another key first");
		keyop_start_wire(a, KW_REMOVE);
	}
	return 0;
}

void
agent_keys_ctl(struct agent *a, struct stream_conn *c, uint8_t ctl_op,
    uint8_t flags, const char *arg)
{
	struct tl_err err = TL_ERR_INIT;
	struct keyop *op;

	if (a->keyop != NULL) {
		agent_ctl_reply(c, 1, "another key operation is running\n",
		    33);
		return;
	}
	op = xcalloc(1, sizeof(*op));
	op->conn = c;
	op->ctl_op = ctl_op;
	op->flags = flags;
	keyop_targets(a, op);
	a->keyop = op;
	if (keys_start(a, op, arg, &err) < 0) {
		struct buf text = BUF_INIT;

		buf_addf(&text, "%s\n", err.msg);
		keyop_end(a, 1, &text);
		buf_release(&text);
		return;
	}
	keyop_try_finish(a);	/* a cluster of one has nobody to ask */
}
