/*
 * tlaloc-rogue forge-*: statements a member holding the cluster key might
 * try to make in another member's name, built with the project's own
 * encoders and signed with whatever key the rogue has. Each prints hex
 * for `tlaloc-rogue send --part KIND:HEX` or `--body HEX`:
 *
 *   forge-bcast  --node-key F [--as-id HEX] --name N [--epoch E] [--seq S]
 *                [--kind channel|direct|query] [--target T] [--text TEXT]
 *                [--request FILE] [--fresh COUNT]
 *       a BCAST part of one message signed with F's key, claiming sender
 *       id HEX (default: F's own) and name N. --request FILE (what
 *       `tlaloc run --save` wrote) makes it a query carrying that signed
 *       request. --fresh COUNT prints COUNT lines instead, each a message
 *       from a new key of its own (made-up members).
 *   forge-qreply --node-key F [--as-id HEX] --name N --request FILE
 *                [--status S] [--text STDOUT]
 *       a query reply (PKT_QREPLY body) to the saved request.
 *   forge-claim  --node-key F [--as-id HEX] --serial S
 *       a policy part claiming serial S.
 *   forge-creport --node-key F [--as-id HEX] --name N
 *       a converge report (PKT_CREPORT body) for a made-up request.
 *   forge-swim   --node-key F --as-id HEX --kind dead|suspect --inc I
 *                [--count C]
 *       a swim datagram (for --part swim:HEX) of C claims that member
 *       HEX is dead (suspect) at incarnations I, I+1, ..., accused by F.
 *   forge-swim   --node-key F --kind ack --seq S [--count C]
 *       a swim datagram of C acks for probe numbers S, S+1, ...
 *   forge-pack   --node-key F --name PACK
 *       a PACK part: the first election message (a pre-vote) a pack
 *       machine of F's id makes for pack PACK, signed with F's key.
 *   forge-convreq --key OPERATOR.key --name N
 *       a converge request for node N signed with the operator key, as a
 *       program makes it (what a member that saw one on the wire holds),
 *       as a policy part: op 2 then the request.
 */
#include "rogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cluster/bcast.h"
#include "cluster/pack.h"
#include "cluster/policy.h"
#include "cluster/query.h"
#include "cluster/swim_int.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rng.h"
#include "net/ident.h"
#include "net/opkey.h"
#include "cluster/convrep.h"
#include "cluster/convreq.h"
#include "program/convreq_sign.h"

struct forge {
	struct ident	*key;		/* signs */
	uint8_t		 id[IDENT_PK_LEN];	/* claimed author */
	const char	*name, *target, *text, *request;
	const char	*kind, *op_key;
	uint64_t	 epoch, seq, serial, inc;
	long		 fresh, status, count;
};

static void
fail(const char *what)
{
	fprintf(stderr, "tlaloc-rogue: %s\n", what);
	exit(1);
}

static void
forge_parse(int argc, char **argv, struct forge *f)
{
	struct tl_err err = TL_ERR_INIT;
	const char *key = NULL, *as = NULL;
	struct buf idb = BUF_INIT;

	f->epoch = rogue_now_ms();
	f->seq = 1;
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--node-key") == 0)
			key = v;
		else if (strcmp(k, "--as-id") == 0)
			as = v;
		else if (strcmp(k, "--name") == 0)
			f->name = v;
		else if (strcmp(k, "--target") == 0)
			f->target = v;
		else if (strcmp(k, "--text") == 0)
			f->text = v;
		else if (strcmp(k, "--request") == 0)
			f->request = v;
		else if (strcmp(k, "--kind") == 0)
			f->kind = v;
		else if (strcmp(k, "--epoch") == 0)
			f->epoch = strtoull(v, NULL, 0);
		else if (strcmp(k, "--seq") == 0)
			f->seq = strtoull(v, NULL, 0);
		else if (strcmp(k, "--serial") == 0)
			f->serial = strtoull(v, NULL, 0);
		else if (strcmp(k, "--fresh") == 0)
			f->fresh = atol(v);
		else if (strcmp(k, "--inc") == 0)
			f->inc = strtoull(v, NULL, 0);
		else if (strcmp(k, "--count") == 0)
			f->count = atol(v);
		else if (strcmp(k, "--status") == 0)
			f->status = atol(v);
		else if (strcmp(k, "--key") == 0)
			f->op_key = v;
		else
			fail("unknown forge option (see tests/tools/rogue_forge.c)");
	}
	if (key == NULL && f->op_key != NULL)
		return;		/* signs with the operator key alone */
	if (key == NULL || (f->key = ident_load_or_create(key, &err)) == NULL)
		fail(key == NULL ? "--node-key FILE is required" : err.msg);
	memcpy(f->id, ident_public(f->key), IDENT_PK_LEN);
	if (as != NULL) {
		if (rogue_hex(as, &idb) < 0 || idb.len != IDENT_PK_LEN)
			fail("--as-id wants 64 hex digits");
		memcpy(f->id, idb.data, IDENT_PK_LEN);
	}
	buf_release(&idb);
}

/* The three base64 lines of a saved request: body, key id, signature. */
static void
request_load(const char *path, struct buf *body, struct buf *kid,
    struct buf *sig)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf text = BUF_INIT, *out[3] = { body, kid, sig };
	char *save = NULL, *line = NULL;

	if (fileio_read(path, 16384, &text, &err) < 0)
		fail(err.msg);
	for (int i = 0; i < 3; i++) {
		size_t len = 0;

		line = strtok_r(i == 0 ? text.data : NULL, "\n", &save);
		if (line == NULL)
			break;
		buf_grow(out[i], strlen(line));
		if (sodium_base642bin((uint8_t *)out[i]->data, strlen(line),
		    line, strlen(line), NULL, &len, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0)
			fail("the request file is not base64 lines");
		out[i]->len = len;
	}
	buf_release(&text);
}

static void
bcast_one(struct forge *f, struct ident *key, const uint8_t *id)
{
	struct buf b = BUF_INIT, tbs = BUF_INIT;
	struct bcast_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = f->kind == NULL || strcmp(f->kind, "channel") == 0 ?
	    BCAST_CHANNEL : strcmp(f->kind, "direct") == 0 ? BCAST_DIRECT :
	    BCAST_QUERY;
	memcpy(m.sender, id, BCAST_ID_LEN);
	snprintf(m.sender_name, sizeof(m.sender_name), "%s", f->name ?
	    f->name : "rogue");
	m.epoch = f->epoch;
	m.seq = m.base = f->seq;
	m.ltime = f->seq;
	m.wall_ms = rogue_now_ms();
	snprintf(m.target, sizeof(m.target), "%s", f->target ? f->target :
	    m.kind == BCAST_QUERY ? "" : "#all");
	if (f->request != NULL) {
		struct buf body = BUF_INIT, kid = BUF_INIT, sig = BUF_INIT;

		request_load(f->request, &body, &kid, &sig);
		query_env_encode((uint8_t *)body.data, body.len,
		    kid.len ? (uint8_t *)kid.data : NULL,
		    sig.len ? (uint8_t *)sig.data : NULL, &b);
		m.kind = BCAST_QUERY;
		m.target[0] = '\0';
		buf_release(&body);
		buf_release(&kid);
		buf_release(&sig);
	} else
		buf_addstr(&b, f->text ? f->text : "hello");
	if (b.len > BCAST_PAYLOAD_MAX)
		fail("payload too long");
	memcpy(m.payload, b.data, b.len);
	m.len = b.len;
	bcast_msg_signed(&m, &tbs);
	ident_sign(key, (uint8_t *)tbs.data, tbs.len, m.sig);
	buf_reset(&b);
	codec_put_uint(&b, BCAST_WIRE_VERSION);
	bcast_msg_encode(&m, &b);
	rogue_print_hex((uint8_t *)b.data, b.len);
	buf_release(&b);
	buf_release(&tbs);
}

static int
forge_bcast(struct forge *f)
{
	if (f->fresh <= 0) {
		bcast_one(f, f->key, f->id);
		return 0;
	}
	for (long i = 0; i < f->fresh; i++) {
		struct ident *k = ident_new_random();

		bcast_one(f, k, ident_public(k));
		ident_free(k);
	}
	return 0;
}

static int
forge_qreply(struct forge *f)
{
	struct buf body = BUF_INIT, kid = BUF_INIT, sig = BUF_INIT;
	struct buf out = BUF_INIT;
	struct query_reply r;
	struct query q;

	if (f->request == NULL || f->name == NULL)
		fail("forge-qreply needs --request FILE and --name N");
	request_load(f->request, &body, &kid, &sig);
	if (query_body_decode((uint8_t *)body.data, body.len, &q) < 0)
		fail("the saved request does not decode");
	memset(&r, 0, sizeof(r));
	memcpy(r.id, q.id, QUERY_ID_LEN);
	memcpy(r.nonce, q.nonce, QUERY_NONCE_LEN);
	memcpy(r.node_id, f->id, QUERY_NODE_ID_LEN);
	snprintf(r.node, sizeof(r.node), "%s", f->name);
	r.outcome = QUERY_RAN;
	r.status = (uint32_t)f->status;
	r.out = (const uint8_t *)(f->text ? f->text : "forged\n");
	r.outlen = strlen((const char *)r.out);
	query_reply_signed(&r, &out);
	ident_sign(f->key, (uint8_t *)out.data, out.len, r.sig);
	buf_reset(&out);
	query_reply_encode(&r, &out);
	rogue_print_hex((uint8_t *)out.data, out.len);
	buf_release(&out);
	buf_release(&body);
	buf_release(&kid);
	buf_release(&sig);
	return 0;
}

static int
forge_claim(struct forge *f)
{
	uint8_t tbs[POLICY_CLAIM_SIGNED_LEN], sig[POLICY_SIG_LEN];
	uint8_t part[POLICY_CLAIM_LEN];

	policy_claim_signed(f->serial, f->id, tbs);
	ident_sign(f->key, tbs, sizeof(tbs), sig);
	policy_claim_encode(f->serial, f->id, sig, part);
	rogue_print_hex(part, sizeof(part));
	return 0;
}

static int
forge_creport(struct forge *f)
{
	struct buf out = BUF_INIT;
	struct convrep r;

	if (f->name == NULL)
		fail("forge-creport needs --name N");
	memset(&r, 0, sizeof(r));
	randombytes_buf(r.nonce, sizeof(r.nonce));
	memcpy(r.node_id, f->id, CONVREP_ID_LEN);
	snprintf(r.node, sizeof(r.node), "%s", f->name);
	r.runs = 99;
	convrep_signed(&r, &out);
	ident_sign(f->key, (uint8_t *)out.data, out.len, r.sig);
	buf_reset(&out);
	convrep_encode(&r, &out);
	rogue_print_hex((uint8_t *)out.data, out.len);
	buf_release(&out);
	return 0;
}

/* Claims or acks, as one swim datagram of the project's own encoding. */
static int
forge_swim(struct forge *f)
{
	struct buf out = BUF_INIT;
	int ack = f->kind != NULL && strcmp(f->kind, "ack") == 0;
	int dead = f->kind != NULL && strcmp(f->kind, "dead") == 0;

	if (!ack && !dead && (f->kind == NULL ||
	    strcmp(f->kind, "suspect") != 0))
		fail("forge-swim needs --kind dead|suspect|ack");
	codec_put_uint(&out, SWIM_WIRE_VERSION);
	for (long i = 0; i < (f->count > 0 ? f->count : 1); i++) {
		if (ack) {
			codec_put_array(&out, 2);
			codec_put_uint(&out, SWIM_MSG_ACK);
			codec_put_uint(&out, (uint32_t)(f->seq + (uint64_t)i));
			continue;
		}
		codec_put_array(&out, 4);
		codec_put_uint(&out, dead ? SWIM_MSG_DEAD : SWIM_MSG_SUSPECT);
		codec_put_bytes(&out, f->id, SWIM_ID_LEN);
		codec_put_uint(&out, (uint32_t)(f->inc + (uint64_t)i));
		codec_put_bytes(&out, ident_public(f->key), SWIM_ID_LEN);
	}
	if (out.len > SWIM_DATAGRAM_MAX)
		fail("forge-swim: more than a datagram (lower --count)");
	rogue_print_hex((uint8_t *)out.data, out.len);
	buf_release(&out);
	return 0;
}

/* Runs a machine of our own with one made-up peer until it asks for a
 * vote, and signs what it sends. */
static int
forge_pack(struct forge *f)
{
	uint8_t ids[2][PACK_ID_LEN];
	struct pack_config c;
	struct pack_outbox ob;
	struct tl_rng rng;
	struct pack_io io = { 1000, &rng, &ob };
	struct buf out = BUF_INIT;
	uint8_t sig[IDENT_SIG_LEN];
	struct pack *p;

	if (f->name == NULL)
		fail("forge-pack needs --name PACK");
	pack_config_lan(&c);
	memcpy(ids[0], f->id, PACK_ID_LEN);
	randombytes_buf(ids[1], PACK_ID_LEN);
	tl_rng_seed(&rng, 1);
	pack_outbox_init(&ob);
	if ((p = pack_new(&c, f->name, ids[0], NULL, 0, NULL)) == NULL)
		fail("pack_new");
	pack_bootstrap(p, &io, (const uint8_t (*)[PACK_ID_LEN])ids, 2);
	for (int i = 0; i < 100 && ob.nmsgs == 0; i++) {
		io.now_ms += c.election_ms;
		pack_on_tick(p, &io);
	}
	if (ob.nmsgs == 0)
		fail("forge-pack: the machine sent nothing");
	buf_add(&out, ob.bytes + ob.msgs[0].off, ob.msgs[0].len);
	ident_sign(f->key, (uint8_t *)out.data, out.len, sig);
	buf_add(&out, sig, sizeof(sig));
	rogue_print_hex((uint8_t *)out.data, out.len);
	pack_free(p);
	pack_outbox_release(&ob);
	buf_release(&out);
	return 0;
}

static int
forge_convreq(struct forge *f)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	struct opkey *k;

	if (f->op_key == NULL || f->name == NULL)
		fail("forge-convreq needs --key OPERATOR.key and --name N");
	if ((k = opkey_load(f->op_key, &err)) == NULL)
		fail(err.msg);
	buf_addch(&out, 2);		/* POL_PART_CONVERGE */
	if (convreq_sign_encode(k, f->name, rogue_now_ms(), &out) < 0)
		fail("cannot encode the request");
	rogue_print_hex((uint8_t *)out.data, out.len);
	opkey_free(k);
	buf_release(&out);
	return 0;
}

int
rogue_forge(int argc, char **argv)
{
	struct forge f;
	int rc = 2;

	memset(&f, 0, sizeof(f));
	forge_parse(argc, argv, &f);
	if (strcmp(argv[1], "forge-bcast") == 0)
		rc = forge_bcast(&f);
	else if (strcmp(argv[1], "forge-qreply") == 0)
		rc = forge_qreply(&f);
	else if (strcmp(argv[1], "forge-claim") == 0)
		rc = forge_claim(&f);
	else if (strcmp(argv[1], "forge-creport") == 0)
		rc = forge_creport(&f);
	else if (strcmp(argv[1], "forge-swim") == 0)
		rc = forge_swim(&f);
	else if (strcmp(argv[1], "forge-pack") == 0)
		rc = forge_pack(&f);
	else if (strcmp(argv[1], "forge-convreq") == 0)
		rc = forge_convreq(&f);
	else
		fail("unknown forge command");
	ident_free(f.key);
	return rc;
}
