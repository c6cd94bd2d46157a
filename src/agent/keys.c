/*
 * Keyring rotation across a live cluster, driven from one agent's control
 * socket and carried over the (encrypted) gossip transport as PKT_PART_KEYS
 * parts, sent straight to every alive member and resent once a second
 * until each answers or KEYOP_TIMEOUT_MS passes:
 *
 * (the part's form: cluster/keys_wire.h).
 *
 * Every change is an operator's signed statement (net/keystmt.h), made
 * by `tlaloc keys install|use|remove|evict --key OPERATOR.key` and
 * checked by every member against its own trust list (keyauth.c): a
 * member holding only the cluster key can no longer rewrite another's
 * keyring. A new key never travels in the clear of the cluster key: it
 * is sealed to each member's node key, so neither an evicted member nor
 * anyone who reads the gossip learns it.
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
#include "agent/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/agent_int.h"
#include "cluster/keys_wire.h"
#include "ctl/ctl.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rd.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/keystmt.h"

#define KEYOP_TIMEOUT_MS	5000
#define KEY_OFFER_EVERY_MS	10000


struct keyop_target {
	char		addr[ADDR_STR_MAX];
	uint8_t		node[IDENT_PK_LEN];
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
	struct keystmt		 stmt;		/* the operator's */
	char			 name[SWIM_NAME_MAX + 1];	/* EVICT */
	uint64_t		 deadline;
	size_t			 n;
	struct keyop_target	*t;
};

struct agent_keys {
	struct keyop		*op;		/* at most one at a time */
};

static void
keys_send(struct agent *a, const char *addr, uint8_t op, uint32_t reqid,
    const void *extra, size_t n)
{
	struct buf part = BUF_INIT;

	keys_wire_encode(op, reqid, extra, n, &part);
	agent_send_part(a, addr, PKT_PART_KEYS, part.data, part.len);
	sodium_memzero(part.data, part.len);
	buf_release(&part);
}

static void
keys_save(struct agent *a)
{
	struct tl_err err = TL_ERR_INIT;

	if (keyring_save(a->kr, a->cfg.keyring_path, &err) < 0)
		log_err("cannot save keyring: %s", err.msg);
}

/* Sends an OFFER of key under its statement, sealed to node. */
static int
keys_offer_to(struct agent *a, const char *addr, uint32_t reqid,
    const struct keystmt *s, const uint8_t node[IDENT_PK_LEN],
    const uint8_t key[KEYRING_KEY_LEN])
{
	uint8_t extra[KEYSTMT_LEN + KEYRING_KEY_LEN + IDENT_BOX_OVERHEAD];

	keystmt_encode(s, extra);
	if (ident_box_seal(node, key, KEYRING_KEY_LEN, extra + KEYSTMT_LEN) <
	    0)
		return TL_ECRYPTO;
	keys_send(a, addr, KW_OFFER, reqid, extra, sizeof(extra));
	return 0;
}

static void
keys_offer(struct agent *a, struct peer_key *pk)
{
	uint8_t id[KEYRING_ID_LEN], node[IDENT_PK_LEN];
	const uint8_t *key = keyring_at(a->kr, 0, id);
	const struct keystmt *s = agent_keyauth_installed_by(a, id);
	uint64_t now = agent_now(a);

	if (pk->offered_ms != 0 && now - pk->offered_ms < KEY_OFFER_EVERY_MS)
		return;
	pk->offered_ms = now;
	/* Only a key an operator installed, only to a member we know by
	 * its node key, and never to an evicted one. */
	if (s == NULL || agent_keyauth_member(a, pk->addr, node) < 0)
		return;
	log_info("peer %s uses an older key; offering our primary", pk->addr);
	keys_offer_to(a, pk->addr, 0, s, node, key);
}

/* ---- Member side ---------------------------------------------------- */

/* OFFER: the statement, then the key sealed to us. */
static void
keys_apply_offer(struct agent *a, const char *from, const struct keystmt *st,
    struct rd *rd)
{
	uint8_t key[KEYRING_KEY_LEN];
	const uint8_t *box;
	char hex[9];
	int r;

	keyring_id_hex(st->key_id, hex);
	if (rd_bytes(rd, &box, KEYRING_KEY_LEN + IDENT_BOX_OVERHEAD) < 0 ||
	    agent_keyauth_open_key(a, st, box, KEYRING_KEY_LEN +
	    IDENT_BOX_OVERHEAD, key) < 0) {
		log_warn("refused key %s offered by %s: not sealed to this "
		    "node, or not the key the operator signed", hex, from);
		return;
	}
	if ((r = keyring_add(a->kr, key)) == 0) {
		log_notice("installed key %s offered by %s", hex, from);
		keys_save(a);
	} else if (r != TL_EEXIST)
		log_warn("cannot install key from %s: %s", from,
		    tl_strerror(r));
	sodium_memzero(key, sizeof(key));
	if (r == 0 || r == TL_EEXIST)
		agent_keyauth_done(a, st);
}

static void
keys_apply_change(struct agent *a, const char *from, uint8_t op,
    const struct keystmt *st)
{
	char hex[9];
	int r;

	keyring_id_hex(st->key_id, hex);
	r = op == KW_USE ? keyring_use(a->kr, st->key_id) :
	    keyring_remove(a->kr, st->key_id);
	if (r == 0) {
		log_notice("key %s %s at the request of %s", hex,
		    op == KW_USE ? "is now primary" : "removed", from);
		keys_save(a);
		agent_peer_keys_prune(a);
		agent_keyauth_done(a, st);
	} else
		log_warn("cannot %s key %s for %s: %s", op == KW_USE ?
		    "use" : "remove", hex, from, tl_strerror(r));
}

static void
keys_apply(struct agent *a, const char *from, uint8_t op, struct rd *rd)
{
	static const uint8_t want[] = {
		[KW_OFFER] = KEYSTMT_INSTALL, [KW_USE] = KEYSTMT_USE,
		[KW_REMOVE] = KEYSTMT_REMOVE, [KW_STMT] = KEYSTMT_EVICT,
	};
	struct tl_err err = TL_ERR_INIT;
	struct keystmt st;
	const uint8_t *p;

	if (op == KW_QUERY)
		return;
	if (rd_bytes(rd, &p, KEYSTMT_LEN) < 0 ||
	    keystmt_decode(p, KEYSTMT_LEN, &st) < 0) {
		a->st.pkt.malformed++;
		return;
	}
	if (agent_keyauth_check(a, &st, op == KW_STMT && st.op ==
	    KEYSTMT_ADMIT ? KEYSTMT_ADMIT : want[op], from, &err) < 0)
		return;
	if (op == KW_OFFER)
		keys_apply_offer(a, from, &st, rd);
	else if (op == KW_STMT && st.op == KEYSTMT_ADMIT)
		agent_keyauth_admit(a, &st);
	else if (op == KW_STMT)
		agent_keyauth_evict(a, &st);
	else
		keys_apply_change(a, from, op, &st);
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
	struct keyop *op = a->keys->op;
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

static int
keys_on_part(struct agent *a, uint8_t kind, const char *from,
    const uint8_t *p, size_t len)
{
	uint32_t reqid;
	uint8_t op;
	struct rd rd;
	int r;

	if (kind != PKT_PART_KEYS)
		return 0;
	rd_init(&rd, p, len);
	if ((r = keys_wire_decode(&rd, &op, &reqid)) == TL_EINVAL)
		return 1;
	if (r < 0) {
		a->st.pkt.malformed++;
		return 1;
	}
	if (op == KW_HAVE) {
		keys_on_have(a, from, reqid, &rd);
		return 1;
	}
	keys_apply(a, from, op, &rd);
	if (reqid != 0)
		keys_answer(a, from, reqid);
	return 1;
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
	struct keyop *op = a->keys->op;
	uint8_t raw[KEYSTMT_LEN];

	keystmt_encode(&op->stmt, raw);
	for (size_t i = 0; i < op->n; i++) {
		const struct keyop_target *t = &op->t[i];

		if (t->has_reply)
			continue;
		if (op->wire_op == KW_OFFER)
			keys_offer_to(a, t->addr, op->reqid, &op->stmt, t->node,
			    op->key);
		else
			keys_send(a, t->addr, op->wire_op, op->reqid, raw,
			    op->wire_op == KW_QUERY ? 0 : sizeof(raw));
	}
}

static void
keyop_start_wire(struct agent *a, uint8_t wire_op)
{
	struct keyop *op = a->keys->op;

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
		    m.status != SWIM_ALIVE || agent_keyauth_revoked(a, m.id))
			continue;
		snprintf(op->t[op->n].addr, ADDR_STR_MAX, "%s", m.addr);
		memcpy(op->t[op->n].node, m.id, IDENT_PK_LEN);
		snprintf(op->t[op->n].name, SWIM_NAME_MAX + 1, "%s", m.name);
		op->n++;
	}
}

static void
keyop_end(struct agent *a, int status, struct buf *text)
{
	struct keyop *op = a->keys->op;

	agent_ctl_reply(op->conn, status, text->data, text->len);
	sodium_memzero(op->key, sizeof(op->key));
	free(op->t);
	free(op);
	a->keys->op = NULL;
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
	struct keyop *op = a->keys->op;
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
	struct keyop *op = a->keys->op;
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
			keys_save(a);
			agent_peer_keys_prune(a);
			agent_keyauth_done(a, &op->stmt);
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
		keys_save(a);
		agent_peer_keys_prune(a);
		agent_keyauth_done(a, &op->stmt);
		log_notice("key %s removed", hex);
		buf_addf(&text, "key %s removed here and on %zu of %zu "
		    "members%s%s\n", hex, op->n - nbad, op->n,
		    nbad ? "; not removed on: " : "", bad.data);
		status = nbad > 0;
		break;
	case CTL_KEYS_EVICT:
		nbad = 0;
		for (size_t i = 0; i < op->n; i++)
			if (!op->t[i].has_reply)
				buf_addf(&bad, "%s%s (no answer)", nbad++ ? ", " :
				    "", op->t[i].name);
		buf_addf(&text, "node %s evicted here and on %zu of %zu members"
		    "%s%s; rotate the cluster key now (keys install, use, "
		    "remove): the evicted node is not offered the new one\n",
		    op->name, op->n - nbad, op->n, nbad ? "; not told: " : "",
		    bad.data);
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
	struct keyop *op = a->keys->op;

	for (size_t i = 0; i < op->n; i++)
		if (!op->t[i].has_reply)
			return;
	keyop_finish(a);
}

static void
keys_tick(struct agent *a)
{
	if (a->keys->op == NULL)
		return;
	if (agent_now(a) >= a->keys->op->deadline)
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

/*
 * The operator's statement for this change, as the CLI signed it: it must
 * be one this node believes, for this key (or node) and this operation.
 */
static int
keys_take_stmt(struct agent *a, struct keyop *op, const char *b64,
    uint8_t want, struct tl_err *err)
{
	uint8_t hash[KEYSTMT_HASH_LEN];
	int r;

	if (b64 == NULL || keystmt_from_b64(b64, &op->stmt) < 0)
		return tl_err_set(err, TL_EPERM, "key changes need an operator's "
		    "signature: give --key OPERATOR.key");
	if ((r = agent_keyauth_check(a, &op->stmt, want, NULL, err)) < 0)
		return r;
	keystmt_key_hash(op->key, hash);
	if (want != KEYSTMT_EVICT && memcmp(op->stmt.key_id, op->id,
	    KEYRING_ID_LEN) != 0)
		return tl_err_set(err, TL_EINVAL, "the statement names another "
		    "key");
	if (want == KEYSTMT_INSTALL && sodium_memcmp(hash, op->stmt.key_hash,
	    sizeof(hash)) != 0)
		return tl_err_set(err, TL_EINVAL, "the statement names another "
		    "key");
	return 0;
}

static int
keys_start(struct agent *a, struct keyop *op, const char *arg,
    const char *stmt, struct tl_err *err)
{
	static const uint8_t want[] = {
		[CTL_KEYS_INSTALL] = KEYSTMT_INSTALL,
		[CTL_KEYS_USE] = KEYSTMT_USE, [CTL_KEYS_REMOVE] = KEYSTMT_REMOVE,
	};
	uint8_t primary[KEYRING_ID_LEN];
	int r;

	if (op->ctl_op == CTL_KEYS_LIST) {
		keyop_start_wire(a, KW_QUERY);
		return 0;
	}
	if ((r = keys_parse_arg(a, arg, op->key, op->id,
	    op->ctl_op == CTL_KEYS_INSTALL, err)) < 0 ||
	    (r = keys_take_stmt(a, op, stmt, want[op->ctl_op], err)) < 0)
		return r;
	keyring_at(a->kr, 0, primary);
	if (op->ctl_op == CTL_KEYS_INSTALL) {
		r = keyring_add(a->kr, op->key);
		if (r < 0 && r != TL_EEXIST)
			return tl_err_set(err, r, "cannot add the key: %s",
			    r == TL_ETOOBIG ? "the keyring is full" :
			    "its id collides with another key");
		keys_save(a);
		agent_keyauth_done(a, &op->stmt);
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

/* The member called name, or whose id starts with name (>= 16 hex). */
static int
keys_find_node(struct agent *a, const char *name, struct swim_member *out)
{
	size_t n = swim_member_count(a->swim), len = strlen(name), found = 0;
	uint8_t pre[IDENT_PK_LEN];
	size_t plen = 0;

	if (len >= 16 && len <= 64 && len % 2 == 0 && sodium_hex2bin(pre,
	    sizeof(pre), name, len, NULL, &plen, NULL) != 0)
		plen = 0;
	for (size_t i = 0; i < n; i++) {
		struct swim_member m;

		if (swim_member_at(a->swim, i, &m) < 0 || m.is_self)
			continue;
		if (strcmp(m.name, name) == 0 || (plen >= 8 &&
		    memcmp(m.id, pre, plen) == 0)) {
			*out = m;
			found++;
		}
	}
	return found == 1 ? 0 : found == 0 ? TL_ENOENT : TL_EDUP;
}

/*
 * `keys evict NODE`: without a statement, says the node's full id for
 * the CLI to sign; with one, evicts here and tells every other member.
 */
static int
keys_evict_start(struct agent *a, struct keyop *op, const char *node,
    const char *stmt, struct buf *say, struct tl_err *err)
{
	struct swim_member m;
	char hex[2 * IDENT_PK_LEN + 1];
	int r;

	if (node == NULL || (r = keys_find_node(a, node, &m)) == TL_ENOENT)
		return tl_err_set(err, TL_ENOENT, "no member is called '%s' "
		    "(a name, or 16 or more hex digits of its id)", node ?
		    node : "");
	if (r < 0)
		return tl_err_set(err, r, "'%s' names several members", node);
	if (stmt == NULL) {
		sodium_bin2hex(hex, sizeof(hex), m.id, IDENT_PK_LEN);
		buf_addf(say, "%s %s\n", hex, m.name);
		return 1;
	}
	if ((r = keys_take_stmt(a, op, stmt, KEYSTMT_EVICT, err)) < 0)
		return r;
	if (memcmp(op->stmt.node, m.id, IDENT_PK_LEN) != 0)
		return tl_err_set(err, TL_EINVAL, "the statement evicts another "
		    "node");
	snprintf(op->name, sizeof(op->name), "%s", m.name);
	agent_keyauth_evict(a, &op->stmt);
	/* The evicted node is no target any more: ask the others. */
	free(op->t);
	op->n = 0;
	keyop_targets(a, op);
	keyop_start_wire(a, KW_STMT);
	return 0;
}

static void
keys_ctl(struct agent *a, struct stream_conn *c, const struct ctl_req *req)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf text = BUF_INIT;
	const char *arg = req->nargs > 0 ? req->args[0] : NULL;
	const char *stmt = req->nargs > 1 ? req->args[1] : NULL;
	uint8_t ctl_op = req->op, flags = req->flags;
	struct keyop *op;
	int r;

	if (a->keys->op != NULL) {
		agent_ctl_reply_str(c, 1,
		    "another key operation is running\n");
		return;
	}
	op = xcalloc(1, sizeof(*op));
	op->conn = c;
	op->ctl_op = ctl_op;
	op->flags = flags;
	keyop_targets(a, op);
	a->keys->op = op;
	r = ctl_op == CTL_KEYS_EVICT ? keys_evict_start(a, op, arg, stmt, &text,
	    &err) : keys_start(a, op, arg, stmt, &err);
	if (r != 0) {
		if (r < 0)
			buf_addf(&text, "%s\n", err.msg);
		keyop_end(a, r < 0, &text);
		buf_release(&text);
		return;
	}
	keyop_try_finish(a);	/* a cluster of one has nobody to ask */
}

static void
keys_on_event(struct agent *a, const struct agent_event *ev)
{
	if (ev->kind == AGENT_EV_OLD_KEY)
		keys_offer(a, ev->peer);
}

static int
keys_open(struct agent *a, struct tl_err *err)
{
	(void)err;
	a->keys = xcalloc(1, sizeof(*a->keys));
	return 0;
}

static void
keys_close(struct agent *a)
{
	if (a->keys == NULL)
		return;
	if (a->keys->op != NULL) {
		struct buf text = BUF_INIT;

		buf_addstr(&text, "agent stopping\n");
		keyop_end(a, 1, &text);
		buf_release(&text);
	}
	free(a->keys);
	a->keys = NULL;
}

static const struct agent_ctl_op keys_ops[] = {
	{ CTL_KEYS_INSTALL, keys_ctl }, { CTL_KEYS_USE, keys_ctl },
	{ CTL_KEYS_REMOVE, keys_ctl }, { CTL_KEYS_LIST, keys_ctl },
	{ CTL_KEYS_EVICT, keys_ctl }, { 0, NULL }
};

const struct agent_sub agent_keys_sub = { .name = "keys",
	.open = keys_open, .tick = keys_tick, .close = keys_close,
	.ctl = keys_ops, .on_event = keys_on_event, .on_part = keys_on_part };
