/*
 * tlaloc-rogue: craft, seal, send, replay and flood what a member (or a
 * stranger) could put on the wire; see rogue.h and tests/security/.
 *
 *   tlaloc-rogue send   --keyring F --to ADDR [--type T] [--stamp S]
 *                       [--part KIND:HEX]... [--part-file KIND:FILE]...
 *                       [--body HEX] [--key-id HEX8] [--count N]
 *                       [--rate N] [--bind IP] [--save FILE] [--quiet]
 *   tlaloc-rogue seal   (as send, prints the sealed packet in hex)
 *   tlaloc-rogue raw    --to ADDR --file F [--tcp] [--count N] [--rate N]
 *   tlaloc-rogue listen --keyring F --bind ADDR [--count N] [--timeout MS]
 *                       [--save FILE]
 *   tlaloc-rogue idle   --to ADDR --conns N [--hold MS] [--bind IP]
 *                       [--send-hex HEX]
 *   tlaloc-rogue open   --keyring F --type T --hex HEX   (opens a packet)
 *   tlaloc-rogue pub    --node-key F          (prints the node id, hex)
 *   tlaloc-rogue sign   --node-key F --hex HEX   (Ed25519 signature, hex)
 *   tlaloc-rogue opsign --key OPERATOR.key --hex HEX
 *   tlaloc-rogue forge-bcast|forge-qreply|forge-claim|forge-creport|
 *                forge-swim|forge-pack|forge-convreq ...
 *                       (statements in another member's name, printed as
 *                       hex: tests/tools/rogue_forge.c)
 *   tlaloc-rogue keystmt --op install|use|remove|evict [--hex KEY-B64 |
 *                       --key-id HEX8 | --node HEX64] [--key OPKEY]
 *                       [--stamp @MS]   (a key statement, net/keystmt.h,
 *                       signed with OPKEY or not at all; printed in hex)
 *   tlaloc-rogue plant  --bucket DIR [--mode OCTAL] [--hex CONTENT]
 *                       (a keeper's forgery: a backup of its own making
 *                       put into an origin's replicas, STATE_DIR/
 *                       replicas/<origin id>, as the newest of every tag
 *                       kept there)
 *
 * --type is udp (default), tcp, policy, qreply, replica, creport or a
 * number; UDP sends one datagram per --count, TCP one connection each,
 * printing the opened answer ("reply HEX", "reply empty" or "closed").
 * --stamp +MS or -MS shifts the packet's clock from now, @MS sets it.
 * A --part's KIND is a number or swim, keys, bcast, pack, policy; --body
 * gives the whole body (TCP frames have no parts). --node-key F makes F
 * when it does not exist. Exit 0 on success, 1 on failure, 2 on usage.
 */
#include "rogue.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/rd.h"
#include "bucket/bucket.h"
#include "bucket/replica.h"
#include "net/addr.h"
#include "net/ident.h"
#include "net/keyring.h"
#include "net/keystmt.h"
#include "net/opkey.h"
#include "net/packet.h"

static const struct {
	const char	*name;
	int		 v;
} names[] = {
	{ "udp", PKT_UDP }, { "tcp", PKT_TCP }, { "policy", PKT_POLICY },
	{ "qreply", PKT_QREPLY }, { "replica", PKT_REPLICA },
	{ "creport", PKT_CREPORT },
	{ "swim", PKT_PART_SWIM }, { "keys", PKT_PART_KEYS },
	{ "bcast", PKT_PART_BCAST }, { "pack", PKT_PART_PACK },
	{ "policy-part", PKT_PART_POLICY },
};

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: tlaloc-rogue send|seal|raw|listen|idle|open|"
	    "pub|sign|opsign [options] (see tests/tools/rogue.c)\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "tlaloc-rogue: %s\n", what);
	exit(1);
}

static long
number(const char *s)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].v;
	v = strtol(s, &end, 0);
	if (*s == '\0' || *end != '\0')
		usage();
	return v;
}

/* KIND:HEX or KIND:FILE (is_file) appended as one part. */
static void
add_part(struct buf *body, const char *arg, int is_file)
{
	const char *colon = strchr(arg, ':');
	struct tl_err err = TL_ERR_INIT;
	struct buf v = BUF_INIT;
	char kind[32];

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(kind))
		usage();
	snprintf(kind, sizeof(kind), "%.*s", (int)(colon - arg), arg);
	if (is_file ? fileio_read(colon + 1, 65535, &v, &err) < 0 :
	    rogue_hex(colon + 1, &v) < 0)
		die(is_file ? err.msg : "a --part is not KIND:HEX");
	if (v.len > UINT16_MAX)
		die("a part is over 65535 bytes");
	pkt_part_add(body, (uint8_t)number(kind), v.data, v.len);
	buf_release(&v);
}

static struct keyring *
load_ring(const char *path)
{
	struct tl_err err = TL_ERR_INIT;
	struct keyring *kr = keyring_new();

	if (path == NULL)
		die("--keyring FILE is required");
	if (keyring_load(kr, path, &err) < 0)
		die(err.msg);
	return kr;
}

struct args {
	struct rogue_opts o;
	const char	*node_key, *op_key, *hex, *bucket, *op, *node;
	unsigned	 mode;
	int		 is_raw_body;
};

static void
parse(int argc, char **argv, struct args *a)
{
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

#define OPT(name) (strcmp(k, name) == 0 && v != NULL && ++i)
		if (OPT("--keyring"))
			a->o.keyring = v;
		else if (OPT("--key-id"))
			a->o.key_id = v;
		else if (OPT("--to"))
			a->o.to = v;
		else if (OPT("--bind"))
			a->o.bind = v;
		else if (OPT("--save"))
			a->o.save = v;
		else if (OPT("--file"))
			a->o.file = v;
		else if (OPT("--send-hex"))
			a->o.send_hex = v;
		else if (OPT("--type"))
			a->o.type = (int)number(v);
		else if (OPT("--stamp")) {
			if (v[0] == '@')
				a->o.stamp_abs = strtoull(v + 1, NULL, 10);
			else
				a->o.stamp_off = strtoll(v, NULL, 10);
		} else if (OPT("--count"))
			a->o.count = number(v);
		else if (OPT("--rate"))
			a->o.rate = number(v);
		else if (OPT("--conns"))
			a->o.conns = number(v);
		else if (OPT("--hold"))
			a->o.hold_ms = number(v);
		else if (OPT("--timeout"))
			a->o.timeout_ms = number(v);
		else if (OPT("--part"))
			add_part(a->o.body, v, 0);
		else if (OPT("--part-file"))
			add_part(a->o.body, v, 1);
		else if (OPT("--body")) {
			if (rogue_hex(v, a->o.body) < 0)
				die("--body is not hex");
		} else if (OPT("--node-key"))
			a->node_key = v;
		else if (OPT("--key"))
			a->op_key = v;
		else if (OPT("--hex"))
			a->hex = v;
		else if (OPT("--bucket"))
			a->bucket = v;
		else if (OPT("--op"))
			a->op = v;
		else if (OPT("--node"))
			a->node = v;
		else if (OPT("--mode"))
			a->mode = (unsigned)strtoul(v, NULL, 8);
		else if (strcmp(k, "--tcp") == 0)
			a->o.is_tcp = 1;
		else if (strcmp(k, "--quiet") == 0)
			a->o.is_quiet = 1;
		else
			usage();
#undef OPT
	}
}

/* Seals o->body as o->type into out. */
static void
seal(const struct rogue_opts *o, struct keyring *kr, struct buf *out)
{
	uint8_t id[KEYRING_ID_LEN];
	struct buf idb = BUF_INIT;
	uint64_t stamp = o->stamp_abs != 0 ? o->stamp_abs :
	    (uint64_t)((int64_t)rogue_now_ms() + o->stamp_off);

	if (o->key_id != NULL && (rogue_hex(o->key_id, &idb) < 0 ||
	    idb.len != KEYRING_ID_LEN))
		die("--key-id wants 8 hex digits");
	if (o->key_id != NULL)
		memcpy(id, idb.data, KEYRING_ID_LEN);
	if (pkt_seal(kr, o->key_id != NULL ? id : NULL, (uint8_t)o->type,
	    stamp, (uint8_t *)o->body->data, o->body->len, out) < 0)
		die("no such key in the keyring");
	buf_release(&idb);
}

static void
save(const char *path, const struct buf *b)
{
	struct tl_err err = TL_ERR_INIT;

	if (path != NULL && fileio_write_quick(path, b->data, b->len,
	    &err) < 0)
		die(err.msg);
}

/* Opens a TCP answer of type with kr and prints it. */
static void
print_reply(struct keyring *kr, int type, const struct buf *reply)
{
	uint8_t *plain, id[KEYRING_ID_LEN];
	const uint8_t *body;
	size_t blen;
	int r;

	if (reply->len == 0) {
		printf("reply empty\n");
		return;
	}
	plain = malloc(reply->len + 1);
	r = pkt_open(kr, NULL, (uint8_t)type, rogue_now_ms(),
	    (uint8_t *)reply->data, reply->len, reply->len, plain, &body,
	    &blen, id);
	if (r < 0)
		printf("reply unopened %s\n", tl_strerror(r));
	else {
		printf("reply ");
		rogue_print_hex(body, blen);
	}
	free(plain);
}

struct sealer {
	const struct rogue_opts	*o;
	struct keyring		*kr;
	const struct buf	*first;		/* datagram 0, as saved */
};

/* Datagram i: the first as sealed, then each with a nonce of its own. */
static void
next_sealed(void *ctx, long i, struct buf *out)
{
	struct sealer *s = ctx;

	if (i == 0)
		buf_add(out, s->first->data, s->first->len);
	else
		seal(s->o, s->kr, out);
}

/* raw: the same bytes every time (a replay). */
static void
next_same(void *ctx, long i, struct buf *out)
{
	const struct buf *b = ctx;

	(void)i;
	buf_add(out, b->data, b->len);
}

static int
cmd_send(struct args *a, int only_seal)
{
	struct keyring *kr = load_ring(a->o.keyring);
	struct buf pkt = BUF_INIT, reply = BUF_INIT;
	struct sealer s = { &a->o, kr, &pkt };
	int rc = 0;

	seal(&a->o, kr, &pkt);
	save(a->o.save, &pkt);
	if (only_seal)
		rogue_print_hex((uint8_t *)pkt.data, pkt.len);
	else if (a->o.type == PKT_UDP)
		rc = rogue_udp_send(&a->o, next_sealed, &s);
	else {
		for (long i = 0; i < a->o.count; i++) {
			buf_reset(&reply);
			if (i > 0) {
				buf_reset(&pkt);
				seal(&a->o, kr, &pkt);
			}
			if ((rc = rogue_tcp_exchange(&a->o,
			    (uint8_t *)pkt.data, pkt.len, &reply)) < 0)
				printf("closed\n");
			else
				print_reply(kr, a->o.type, &reply);
		}
		rc = 0;
	}
	buf_release(&pkt);
	buf_release(&reply);
	keyring_free(kr);
	return rc;
}

static int
cmd_raw(struct args *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT, reply = BUF_INIT;
	int rc = 0;

	if (a->o.file == NULL || fileio_read(a->o.file, 64u << 20, &b,
	    &err) < 0)
		die(a->o.file == NULL ? "--file FILE is required" : err.msg);
	if (!a->o.is_tcp)
		rc = rogue_udp_send(&a->o, next_same, &b);
	else
		for (long i = 0; i < a->o.count; i++) {
			buf_reset(&reply);
			if (rogue_tcp_exchange(&a->o, (uint8_t *)b.data, b.len,
			    &reply) < 0)
				printf("closed\n");
			else
				printf("reply %zu bytes\n", reply.len);
		}
	buf_release(&b);
	buf_release(&reply);
	return rc;
}

/* Prints each part of an opened datagram: "part KIND LEN HEX". */
static void
print_parts(const uint8_t *body, size_t blen)
{
	const uint8_t *p;
	uint8_t kind;
	struct rd rd;
	size_t n;

	rd_init(&rd, body, blen);
	while (pkt_part_next(&rd, &kind, &p, &n) == 1) {
		printf("part %u %zu ", kind, n);
		rogue_print_hex(p, n);
	}
}

static int
cmd_listen(struct args *a)
{
	struct keyring *kr = load_ring(a->o.keyring);
	struct buf all = BUF_INIT;
	uint8_t pkt[4096], plain[4096], id[KEYRING_ID_LEN];
	struct pollfd pf;
	long got = 0;
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    rogue_bind(fd, a->o.bind) < 0)
		die("cannot listen: --bind IP:PORT");
	pf.fd = fd;
	pf.events = POLLIN;
	while (got < a->o.count && poll(&pf, 1, (int)a->o.timeout_ms) > 0) {
		const uint8_t *body;
		size_t blen;
		ssize_t n = recv(fd, pkt, sizeof(pkt), 0);

		if (n <= 0 || pkt_open(kr, NULL, PKT_UDP, rogue_now_ms(), pkt,
		    (size_t)n, sizeof(pkt), plain, &body, &blen, id) < 0)
			continue;
		printf("packet %zd ", n);
		rogue_print_hex(pkt, (size_t)n);
		print_parts(body, blen);
		fflush(stdout);
		if (got == 0)
			buf_add(&all, pkt, (size_t)n);
		got++;
	}
	save(a->o.save, &all);
	close(fd);
	buf_release(&all);
	keyring_free(kr);
	return got > 0 ? 0 : 1;
}

static int
cmd_open(struct args *a)
{
	struct keyring *kr = load_ring(a->o.keyring);
	struct buf b = BUF_INIT;

	if (a->hex == NULL || rogue_hex(a->hex, &b) < 0)
		die("--hex HEX is required");
	print_reply(kr, a->o.type, &b);
	buf_release(&b);
	keyring_free(kr);
	return 0;
}

static int
cmd_sign(struct args *a, int is_pub, int is_operator)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf msg = BUF_INIT;
	uint8_t sig[IDENT_SIG_LEN];
	struct ident *id = NULL;
	struct opkey *op = NULL;

	if (is_operator ? (op = opkey_load(a->op_key ? a->op_key : "",
	    &err)) == NULL : (id = ident_load_or_create(a->node_key ?
	    a->node_key : "", &err)) == NULL)
		die(err.msg);
	if (is_pub)
		rogue_print_hex(ident_public(id), IDENT_PK_LEN);
	else {
		if (a->hex == NULL || rogue_hex(a->hex, &msg) < 0)
			die("--hex HEX is required");
		if (is_operator)
			opkey_sign(op, (uint8_t *)msg.data, msg.len, sig);
		else
			ident_sign(id, (uint8_t *)msg.data, msg.len, sig);
		rogue_print_hex(sig, sizeof(sig));
	}
	ident_free(id);
	opkey_free(op);
	buf_release(&msg);
	return 0;
}

static int
cmd_keystmt(struct args *a)
{
	static const char *const ops[] = { "", "install", "use", "remove",
	    "evict" };
	struct tl_err err = TL_ERR_INIT;
	uint8_t key[KEYRING_KEY_LEN], raw[KEYSTMT_LEN];
	struct buf b = BUF_INIT;
	struct opkey *k = NULL;
	struct keystmt s;

	memset(&s, 0, sizeof(s));
	for (size_t i = 1; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (a->op != NULL && strcmp(a->op, ops[i]) == 0)
			s.op = (uint8_t)i;
	if (s.op == 0)
		die("--op install|use|remove|evict");
	s.issued_ms = a->o.stamp_abs ? a->o.stamp_abs : rogue_now_ms();
	if (a->hex != NULL) {
		if (keyring_key_parse(a->hex, strlen(a->hex), key, &err) < 0)
			die(err.msg);
		keyring_key_id(key, s.key_id);
		keystmt_key_hash(key, s.key_hash);
	}
	if (a->o.key_id != NULL && (rogue_hex(a->o.key_id, &b) < 0 ||
	    b.len != KEYRING_ID_LEN))
		die("--key-id wants 8 hex digits");
	if (a->o.key_id != NULL)
		memcpy(s.key_id, b.data, KEYRING_ID_LEN);
	buf_reset(&b);
	if (a->node != NULL && (rogue_hex(a->node, &b) < 0 ||
	    b.len != KEYSTMT_NODE_LEN))
		die("--node wants 64 hex digits");
	if (a->node != NULL)
		memcpy(s.node, b.data, KEYSTMT_NODE_LEN);
	if (a->op_key != NULL) {
		if ((k = opkey_load(a->op_key, &err)) == NULL)
			die(err.msg);
		keystmt_sign(&s, k);
	}
	keystmt_encode(&s, raw);
	rogue_print_hex(raw, sizeof(raw));
	opkey_free(k);
	buf_release(&b);
	return 0;
}

static int
forge_sign(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[REPL_SIG_LEN])
{
	return ident_sign(ctx, msg, len, sig);
}

/* Puts forged (sealed into obj) as the newest under e's tag. */
static void
plant_one(struct bucket *b, const struct bucket_entry *at,
    const struct buf *obj)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf tagb = BUF_INIT;
	struct bucket_entry e;
	struct repl_item it;
	char id[16];

	memset(&it, 0, sizeof(it));
	if (rogue_hex(at->path + strlen("/sealed/"), &tagb) < 0 ||
	    tagb.len != REPL_TAG_LEN)
		die("not a sealed entry");
	memcpy(it.tag, tagb.data, REPL_TAG_LEN);
	it.time = at->time;
	it.size = obj->len;
	it.data = (uint8_t *)obj->data;
	repl_item_entry(&it, &e);
	if (bucket_put(b, &e, obj->data, obj->len, id, &err) < 0)
		die(err.msg);
	printf("planted %s as the newest of %s\n", id, at->path);
	free(e.path);
	free(e.run_id);
	buf_release(&tagb);
}

/* A forged backup of content: our own secret and key, the owner's id. */
static void
plant_forge(const uint8_t *owner, unsigned mode, const struct buf *content,
    long long time, struct buf *obj)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	uint8_t secret[REPL_SECRET_LEN], tag[REPL_TAG_LEN];
	struct ident *me = ident_new_random();
	struct bucket_entry forged;

	randombytes_buf(secret, sizeof(secret));
	memset(&forged, 0, sizeof(forged));
	forged.path = "/usr/local/bin/x";
	forged.run_id = "-";
	forged.time = time;
	forged.mode = mode;
	forged.size = content->len;
	crypto_hash_sha256(h, (uint8_t *)content->data, content->len);
	sodium_bin2hex(forged.hash, sizeof(forged.hash), h, sizeof(h));
	buf_reset(obj);
	repl_seal(secret, owner, forge_sign, me, &forged, content->data, tag,
	    obj);
	ident_free(me);
}

static int
cmd_plant(struct args *a)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf content = BUF_INIT, obj = BUF_INIT, owner = BUF_INIT;
	const char *base = a->bucket ? strrchr(a->bucket, '/') : NULL;
	struct bucket_entry *v = NULL;
	struct bucket *b;
	size_t n = 0;

	if (base == NULL || rogue_hex(base + 1, &owner) < 0 ||
	    owner.len != REPL_ID_LEN)
		die("--bucket STATE_DIR/replicas/<origin id> is required");
	if (rogue_hex(a->hex ? a->hex : "23212f62696e2f73680a", &content) < 0)
		die("--hex is not hex");
	if (bucket_open(a->bucket, &b, &err) < 0 ||
	    bucket_list(b, NULL, &v, &n, &err) < 0 || n == 0)
		die(n == 0 ? "nothing kept there" : err.msg);
	/* Every tag it keeps: it cannot tell which path is which. */
	for (size_t i = 0; i < n; i++) {
		int newest = 1;

		for (size_t j = i + 1; j < n; j++)
			newest &= strcmp(v[i].path, v[j].path) != 0;
		if (!newest)
			continue;
		plant_forge((uint8_t *)owner.data, a->mode ? a->mode : 04755,
		    &content, v[i].time, &obj);
		plant_one(b, &v[i], &obj);
	}
	bucket_entries_free(v, n);
	bucket_close(b);
	buf_release(&content);
	buf_release(&obj);
	buf_release(&owner);
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf body = BUF_INIT;
	struct args a;
	const char *cmd;
	int rc;

	if (argc < 2 || sodium_init() < 0)
		usage();
	if (strncmp(argv[1], "forge-", 6) == 0)
		return rogue_forge(argc, argv);
	memset(&a, 0, sizeof(a));
	a.o.type = PKT_UDP;
	a.o.count = 1;
	a.o.hold_ms = 3000;
	a.o.timeout_ms = 5000;
	a.o.body = &body;
	cmd = argv[1];
	parse(argc, argv, &a);
	if (strcmp(cmd, "send") == 0 || strcmp(cmd, "seal") == 0)
		rc = cmd_send(&a, strcmp(cmd, "seal") == 0);
	else if (strcmp(cmd, "raw") == 0)
		rc = cmd_raw(&a);
	else if (strcmp(cmd, "listen") == 0)
		rc = cmd_listen(&a);
	else if (strcmp(cmd, "idle") == 0)
		rc = rogue_idle(&a.o);
	else if (strcmp(cmd, "open") == 0)
		rc = cmd_open(&a);
	else if (strcmp(cmd, "pub") == 0)
		rc = cmd_sign(&a, 1, 0);
	else if (strcmp(cmd, "sign") == 0)
		rc = cmd_sign(&a, 0, 0);
	else if (strcmp(cmd, "opsign") == 0)
		rc = cmd_sign(&a, 0, 1);
	else if (strcmp(cmd, "plant") == 0)
		rc = cmd_plant(&a);
	else if (strcmp(cmd, "keystmt") == 0)
		rc = cmd_keystmt(&a);
	else
		usage();
	buf_release(&body);
	return rc;
}
