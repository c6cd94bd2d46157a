/*
 * Key changes and evictions need the operator (net/keystmt.h,
 * docs/security.md). This file holds what keys.c needs to believe a key
 * statement: the trust check, the order of statements (the issue time of
 * the newest acted on, kept in STATE_DIR/keys.signed with the statement
 * each held key was installed by, so this node can offer it to a peer
 * that slept through a rotation), new keys sealed to each member's node
 * key, and the evicted node keys (STATE_DIR/revoked): refused by every
 * signature check of this node (ident_verify), their addresses dropped
 * at the door, never offered a key, and told to every member that joins
 * and to one random member every GOSSIP_EVERY_MS, so the list reaches
 * nodes that were away.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cluster/keys_wire.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/ident.h"
#include "net/keystmt.h"
#include "ctl/ctl.h"

#define GOSSIP_EVERY_MS	30000	/* the eviction list to one member */
#define BLOCKED_MAX	64	/* addresses of evicted members */

struct agent_keyauth {
	struct keylist	*revoked;
	struct keylist	*admitted;	/* pack voters (tlaloc pack admit) */
	char		*admitted_path;
	uint64_t	 seq;		/* issued_ms of the newest acted on */
	struct keystmt	 installs[KEYRING_MAX];	/* by key id */
	size_t		 ninstalls;
	char		*state_path, *revoked_path;
	char		 blocked[BLOCKED_MAX][ADDR_STR_MAX];
	size_t		 nblocked;
	uint64_t	 next_gossip_ms;
	uint64_t	 n_refused;	/* statements refused */
	uint64_t	 n_blocked;	/* datagrams from evicted members */
};

/* ---- state files ------------------------------------------------------- */

static void
state_save(struct agent *a)
{
	struct agent_keyauth *k = a->keyauth;
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	buf_addf(&b, "seq %llu\n", (unsigned long long)k->seq);
	for (size_t i = 0; i < k->ninstalls; i++) {
		keystmt_b64(&k->installs[i], &b);
		buf_addch(&b, '\n');
	}
	if (fileio_write_private(k->state_path, b.data, b.len, &err) < 0)
		log_err("cannot save the key statements: %s", err.msg);
	buf_release(&b);
}

static void
state_load(struct agent *a)
{
	struct agent_keyauth *k = a->keyauth;
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	char *line, *next;
	struct keystmt s;

	if (fileio_read(k->state_path, 64u << 10, &b, &err) < 0)
		goto out;
	buf_addch(&b, '\0');
	for (line = b.data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "seq ", 4) == 0)
			k->seq = strtoull(line + 4, NULL, 10);
		else if (keystmt_from_b64(line, &s) == 0 &&
		    s.op == KEYSTMT_INSTALL && keystmt_verify(&a->cfg.trust,
		    &s) == 0 && k->ninstalls < KEYRING_MAX)
			k->installs[k->ninstalls++] = s;
	}
out:
	buf_release(&b);
}

int
agent_keyauth_open(struct agent *a, struct tl_err *err)
{
	struct agent_keyauth *k = xcalloc(1, sizeof(*k));
	size_t skipped = 0;

	a->keyauth = k;
	k->revoked = keylist_new(KEYSTMT_EVICT);
	k->admitted = keylist_new(KEYSTMT_ADMIT);
	k->state_path = xasprintf("%s/keys.signed", a->cfg.state_dir);
	k->revoked_path = xasprintf("%s/revoked", a->cfg.state_dir);
	k->admitted_path = xasprintf("%s/admitted", a->cfg.state_dir);
	state_load(a);
	if (keylist_load(k->revoked, k->revoked_path, &a->cfg.trust, &skipped,
	    err) < 0)
		return err->code;
	if (skipped > 0)
		log_warn("%zu evictions in '%s' are not signed by an operator "
		    "key this node trusts: ignored", skipped, k->revoked_path);
	if (keylist_load(k->admitted, k->admitted_path, &a->cfg.trust,
	    &skipped, err) < 0)
		return err->code;
	if (keylist_count(k->revoked) > 0)
		log_notice("%zu node keys evicted (%s)",
		    keylist_count(k->revoked), k->revoked_path);
	ident_set_revoked(a->ident, k->revoked);
	return 0;
}

void
agent_keyauth_free(struct agent *a)
{
	struct agent_keyauth *k = a->keyauth;

	if (k == NULL)
		return;
	if (a->ident != NULL)
		ident_set_revoked(a->ident, NULL);
	keylist_free(k->revoked);
	keylist_free(k->admitted);
	free(k->state_path);
	free(k->revoked_path);
	free(k->admitted_path);
	free(k);
	a->keyauth = NULL;
}

/* ---- believing a statement ----------------------------------------------- */

int
agent_keyauth_check(struct agent *a, const struct keystmt *s, uint8_t op,
    const char *from, struct tl_err *err)
{
	struct agent_keyauth *k = a->keyauth;
	char id[OPKEY_ID_HEX];
	int r;

	opkey_id_hex(s->signer, id);
	if (s->op != op)
		r = tl_err_set(err, TL_EINVAL, "a key statement for another "
		    "operation");
	else if ((r = keystmt_verify(&a->cfg.trust, s)) == TL_EPERM)
		r = tl_err_set(err, r, "signed by operator key %s, which this "
		    "node does not trust", id);
	else if (r < 0)
		r = tl_err_set(err, r, "a forged signature of operator key %s",
		    id);
	else if (op != KEYSTMT_EVICT && s->issued_ms < k->seq)
		r = tl_err_set(err, TL_ETIMEOUT, "older than the last key "
		    "change this node made (a replay?)");
	if (r < 0 && from != NULL) {
		k->n_refused++;
		agent_guard_note(a, op == KEYSTMT_EVICT ? GUARD_WHY_EVICT :
		    GUARD_WHY_KEYS, from, op == KEYSTMT_EVICT ?
		    "an eviction refused" : "a keyring change refused",
		    err->msg);
	}
	return r;
}

void
agent_keyauth_done(struct agent *a, const struct keystmt *s)
{
	struct agent_keyauth *k = a->keyauth;

	if (s->issued_ms > k->seq)
		k->seq = s->issued_ms;
	if (s->op == KEYSTMT_INSTALL) {
		size_t i;

		for (i = 0; i < k->ninstalls; i++)
			if (memcmp(k->installs[i].key_id, s->key_id,
			    KEYRING_ID_LEN) == 0)
				break;
		if (i == k->ninstalls && k->ninstalls < KEYRING_MAX)
			k->ninstalls++;
		if (i < KEYRING_MAX)
			k->installs[i] = *s;
	}
	state_save(a);
}

const struct keystmt *
agent_keyauth_installed_by(struct agent *a, const uint8_t id[KEYRING_ID_LEN])
{
	struct agent_keyauth *k = a->keyauth;

	for (size_t i = 0; i < k->ninstalls; i++)
		if (memcmp(k->installs[i].key_id, id, KEYRING_ID_LEN) == 0)
			return &k->installs[i];
	return NULL;
}

/* ---- keys sealed to a member -------------------------------------------- */

int
agent_keyauth_member(struct agent *a, const char *addr,
    uint8_t id[IDENT_PK_LEN])
{
	size_t n = swim_member_count(a->swim);

	for (size_t i = 0; i < n; i++) {
		struct swim_member m;

		if (swim_member_at(a->swim, i, &m) == 0 && !m.is_self &&
		    strcmp(m.addr, addr) == 0) {
			if (keylist_has(a->keyauth->revoked, m.id))
				return TL_EPERM;
			memcpy(id, m.id, IDENT_PK_LEN);
			return 0;
		}
	}
	return TL_ENOENT;
}

int
agent_keyauth_open_key(struct agent *a, const struct keystmt *s,
    const uint8_t *box, size_t n, uint8_t key[KEYRING_KEY_LEN])
{
	uint8_t hash[KEYSTMT_HASH_LEN], kid[KEYRING_ID_LEN];

	if (n != KEYRING_KEY_LEN + IDENT_BOX_OVERHEAD ||
	    ident_box_open(a->ident, box, n, key) < 0)
		return TL_ECRYPTO;
	keystmt_key_hash(key, hash);
	keyring_key_id(key, kid);
	if (sodium_memcmp(hash, s->key_hash, sizeof(hash)) != 0 ||
	    memcmp(kid, s->key_id, KEYRING_ID_LEN) != 0) {
		sodium_memzero(key, KEYRING_KEY_LEN);
		return TL_EINVAL;
	}
	return 0;
}

/* ---- evictions ---------------------------------------------------------- */

int
agent_keyauth_revoked(const struct agent *a, const uint8_t id[IDENT_PK_LEN])
{
	return a->keyauth != NULL && keylist_has(a->keyauth->revoked, id);
}

/* Drops what the evicted members' addresses send from now on. */
static void
block_refresh(struct agent *a)
{
	struct agent_keyauth *k = a->keyauth;
	size_t n = swim_member_count(a->swim);

	k->nblocked = 0;
	for (size_t i = 0; i < n && k->nblocked < BLOCKED_MAX; i++) {
		struct swim_member m;

		if (swim_member_at(a->swim, i, &m) == 0 && !m.is_self &&
		    keylist_has(k->revoked, m.id))
			snprintf(k->blocked[k->nblocked++], ADDR_STR_MAX, "%s",
			    m.addr);
	}
}

int
agent_keyauth_blocked(struct agent *a, const char *from)
{
	struct agent_keyauth *k = a->keyauth;

	if (k == NULL)
		return 0;
	for (size_t i = 0; i < k->nblocked; i++)
		if (strcmp(k->blocked[i], from) == 0) {
			k->n_blocked++;
			return 1;
		}
	return 0;
}

int
agent_keyauth_evict(struct agent *a, const struct keystmt *s)
{
	struct agent_keyauth *k = a->keyauth;
	struct tl_err err = TL_ERR_INIT;
	char id[17], op[OPKEY_ID_HEX];

	if (keylist_add(k->revoked, s) == 0)
		return 0;
	if (keylist_save(k->revoked, k->revoked_path, &err) < 0)
		log_err("cannot save the evictions: %s", err.msg);
	block_refresh(a);
	agent_id_hex(s->node, id);
	opkey_id_hex(s->signer, op);
	log_notice("node key %s evicted by operator key %s: refused from now "
	    "on", id, op);
	return 1;
}

/* ---- pack admissions ------------------------------------------------ */

int
agent_keyauth_admitted(const struct agent *a, const uint8_t id[IDENT_PK_LEN],
    const char *pack)
{
	uint8_t hash[KEYSTMT_HASH_LEN];

	/* Without an operator there is nobody to admit: the tag decides. */
	if (a->cfg.trust.n == 0 || a->keyauth == NULL)
		return 1;
	keystmt_pack_hash(pack, hash);
	return keylist_find(a->keyauth->admitted, id, hash) != NULL;
}

int
agent_keyauth_admit(struct agent *a, const struct keystmt *s)
{
	struct agent_keyauth *k = a->keyauth;
	struct tl_err err = TL_ERR_INIT;
	char id[17];

	if (keylist_add(k->admitted, s) == 0)
		return 0;
	if (keylist_save(k->admitted, k->admitted_path, &err) < 0)
		log_err("cannot save the pack admissions: %s", err.msg);
	agent_id_hex(s->node, id);
	log_notice("node %s admitted as a pack voter by an operator", id);
	return 1;
}

/* Sends statement s (an eviction, an admission) to addr as a KEYS part. */
static void
keyauth_send_stmt(struct agent *a, const char *addr, const struct keystmt *s)
{
	uint8_t raw[KEYSTMT_LEN];
	struct buf part = BUF_INIT;

	keystmt_encode(s, raw);
	keys_wire_encode(KW_STMT, 0, raw, sizeof(raw), &part);
	agent_send_part(a, addr, PKT_PART_KEYS, part.data, part.len);
	buf_release(&part);
}

/* Sends every eviction and admission we hold to addr, as KEYS parts. */
static void
gossip_to(struct agent *a, const char *addr)
{
	const struct keylist *lists[] = { a->keyauth->revoked,
	    a->keyauth->admitted };

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < keylist_count(lists[l]); i++)
			keyauth_send_stmt(a, addr, keylist_at(lists[l], i));
}

void
agent_keyauth_on_event(struct agent *a, const struct swim_event *ev)
{
	if (a->keyauth == NULL)
		return;
	if (ev->kind == SWIM_EV_JOINED || ev->kind == SWIM_EV_ALIVE ||
	    ev->kind == SWIM_EV_UPDATED)
		block_refresh(a);
	if (ev->kind == SWIM_EV_JOINED && !agent_keyauth_revoked(a, ev->id))
		gossip_to(a, ev->addr);
}

void
agent_keyauth_house(struct agent *a)
{
	struct agent_keyauth *k = a->keyauth;
	size_t n = swim_member_count(a->swim), pick;
	struct swim_member m;

	if (k == NULL || keylist_count(k->revoked) +
	    keylist_count(k->admitted) == 0 || agent_now(a) < k->next_gossip_ms ||
	    n < 2)
		return;
	k->next_gossip_ms = agent_now(a) + GOSSIP_EVERY_MS;
	block_refresh(a);
	pick = 1 + tl_rng_below(&a->rng, (uint32_t)(n - 1));
	if (swim_member_at(a->swim, pick, &m) == 0 && !m.is_self &&
	    m.status == SWIM_ALIVE && !keylist_has(k->revoked, m.id))
		gossip_to(a, m.addr);
}

void
agent_keyauth_info(const struct agent *a, struct buf *out, int json)
{
	const struct agent_keyauth *k = a->keyauth;
	unsigned long long ev = k ? keylist_count(k->revoked) : 0,
	    rf = k ? k->n_refused : 0, bl = k ? k->n_blocked : 0,
	    ad = k ? keylist_count(k->admitted) : 0;

	buf_addf(out, json ? "\"evicted\":%llu,\"key_statements_refused\":"
	    "%llu,\"evicted_dropped\":%llu,\"pack_admissions\":%llu," :
	    "evicted node keys: %llu; key statements refused: %llu; "
	    "datagrams from evicted members dropped: %llu\n"
	    "pack voters admitted: %llu\n", ev, rf, bl, ad);
}

/* ---- `tlaloc pack admit` (CTL_PACK_ADMIT) ------------------------------- */

/* A pack name that is one word of printable bytes (else not listed). */
static int
word_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* Lists "id pack name" of the members args name ("*": every live member
 * tagged with a pack and not admitted to it yet). */
static void
admit_list(struct agent *a, const struct ctl_req *req, struct buf *out)
{
	size_t n = swim_member_count(a->swim);
	char hex[2 * IDENT_PK_LEN + 1];

	for (size_t i = 0; i < n; i++) {
		struct swim_member m;
		const char *pack;
		int want = 0;

		if (swim_member_at(a->swim, i, &m) < 0 ||
		    (pack = swim_tag_get(&m, "pack")) == NULL ||
		    agent_keyauth_revoked(a, m.id))
			continue;
		sodium_bin2hex(hex, sizeof(hex), m.id, IDENT_PK_LEN);
		for (size_t j = 0; j < req->nargs; j++)
			want |= strcmp(req->args[j], m.name) == 0 ||
			    (strlen(req->args[j]) >= 16 && strncmp(hex,
			    req->args[j], strlen(req->args[j])) == 0) ||
			    (strcmp(req->args[j], "*") == 0 &&
			    m.status == SWIM_ALIVE &&
			    !agent_keyauth_admitted(a, m.id, pack));
		/* One line per member, as the CLI splits them: a name or
		 * pack of the member's making must not add a line (an
		 * admission the operator signs) or a field. */
		if (want && word_plain(pack)) {
			buf_addf(out, "%s %s ", hex, pack);
			agent_text_safe(out, m.name, strlen(m.name), 0);
			buf_addch(out, '\n');
		}
	}
}

/* args "=", then base64 ADMIT statements: keeps and tells each. */
static int
admit_take(struct agent *a, const struct ctl_req *req, struct buf *out)
{
	struct tl_err err = TL_ERR_INIT;
	size_t n = swim_member_count(a->swim);
	struct keystmt s;
	char id[17];

	for (size_t j = 1; j < req->nargs; j++) {
		if (keystmt_from_b64(req->args[j], &s) < 0 ||
		    agent_keyauth_check(a, &s, KEYSTMT_ADMIT, NULL, &err) < 0) {
			buf_addf(out, "%s\n", err.msg[0] ? err.msg :
			    "not an admission");
			return 1;
		}
		agent_keyauth_admit(a, &s);
		for (size_t i = 0; i < n; i++) {
			struct swim_member m;

			if (swim_member_at(a->swim, i, &m) == 0 && !m.is_self &&
			    m.status == SWIM_ALIVE &&
			    !agent_keyauth_revoked(a, m.id))
				keyauth_send_stmt(a, m.addr, &s);
		}
		agent_id_hex(s.node, id);
		buf_addf(out, "admitted %s as a pack voter\n", id);
	}
	return 0;
}

void
agent_keyauth_admit_ctl(struct agent *a, struct stream_conn *c,
    const struct ctl_req *req)
{
	struct buf out = BUF_INIT;
	int status = 0;

	if (req->nargs == 0)
		buf_addstr(&out, "admit whom?\n"), status = 1;
	else if (strcmp(req->args[0], "=") == 0)
		status = admit_take(a, req, &out);
	else
		admit_list(a, req, &out);
	agent_ctl_reply(c, status, out.data, out.len);
	buf_release(&out);
}
