#ifndef TLALOC_BUCKET_REPLICA_H
#define TLALOC_BUCKET_REPLICA_H

/*
 * Bucket replication (docs/backups.md): each node copies its backups to
 * k peers, which keep them under STATE_DIR/replicas/<origin id>/ as a
 * bucket of their own, so a node that lost its disk can fetch them back.
 * What a peer keeps is sealed for the backup's owner: it can neither
 * read it nor change it unnoticed.
 *
 * This file holds the pure parts: the message codec (carried inside a
 * sealed PKT_REPLICA frame, net/packet.h), the sealing of backups, the
 * choice of peers, and the store of one origin's replicas with its
 * retention and cap.
 *
 * Keys. Each node has a backup secret (32 bytes, derived from its node
 * key: net/ident.h). From it come a sealing key (XChaCha20-Poly1305), a
 * tag key (a path's tag is BLAKE2b keyed with it, so peers index backups
 * by something they cannot read) and a placement key (which peers keep
 * our copies, so nobody can pick a name or a key that wins them). The
 * secret is also sealed to each trusted operator key (the escrow), which
 * is how a node rebuilt with a new node key gets its old backups back.
 *
 * A sealed object, what a peer stores (its SHA-256 names it there):
 *
 *   +-----+--------------+-----------------+----------------------------+
 *   | ver | meta len u16 | meta box        | content box (the rest)     |
 *   +-----+--------------+-----------------+----------------------------+
 *   box: nonce (24) | XChaCha20-Poly1305(seal key, plaintext) + tag (16)
 *        additional data: owner id (32), path tag (32), kind (1: meta,
 *        2: content), time (u64)
 *   meta: path (u16 len), run (u8 len), u64 time, u16 mode, u32 uid,
 *         u32 gid, SHA-256 of the content (32), u32 size, then the
 *         owner's Ed25519 signature (64) over "tlaloc backup v1", the
 *         owner id and every field before it
 *
 * A message, all integers big-endian:
 *
 *   +-----+----+------------------+--------------------------------+
 *   | ver | op | sender id (32)   | op's fields                    |
 *   +-----+----+------------------+--------------------------------+
 *
 *   PUSH    u16 n, n x item            (the sender's own backups)
 *   LIST    origin id (32), path tag (32)
 *   GET     origin id (32), path tag (32), u64 time (0: the newest)
 *   ESCROW  u8 n, n x (operator key id 8, box 80)   (the sender's
 *           backup secret sealed to each operator key it trusts)
 *   KEYS    u8 len, origin id prefix (len <= 32)    (whose escrow?)
 *   reply   op | REPL_REPLY, u8 status, then
 *             PUSH: u16 stored; LIST: u16 n, n x head;
 *             GET: one item; KEYS: the origin's ESCROW request, whole
 *             (u32 len, bytes: its signature included)
 *
 *   item: path tag (32), u64 time, u32 size, sealed object (size bytes)
 *   head: u64 time, u32 size, u16 len, meta box (len bytes)
 *
 * Requests are followed by the sender's Ed25519 signature (64 bytes)
 * over everything before it, checked by the agent against the sender id;
 * a PUSH or ESCROW is kept under the sender id, never a name. Replies
 * travel back on the connection the request opened and are not signed:
 * what matters in them is sealed and signed by the owner.
 */

#include <stddef.h>
#include <stdint.h>

#include "bucket/bucket.h"

struct buf;
struct tl_err;

#define REPL_VERSION	2
#define REPL_ID_LEN	32		/* node id: Ed25519 public key */
#define REPL_SIG_LEN	64
#define REPL_SECRET_LEN	32		/* a node's backup secret */
#define REPL_TAG_LEN	32		/* a path's tag */
#define REPL_BOX_LEN	(32 + 48)	/* the secret sealed to an operator */
#define REPL_OPKEY_ID	8		/* operator key id (net/opkey.h) */
#define REPL_ESCROW_MAX	64		/* boxes in one ESCROW */
#define REPL_REPLY	0x80
/* A sealed object's size over its content's: header, two boxes, meta. */
#define REPL_SEAL_OVERHEAD(pathlen) \
	(3 + 2 * (24 + 16) + 2 + 1 + 64 + 8 + 2 + 4 + 4 + 32 + 4 + 64 + \
	(pathlen))
/*
 * Largest entry replicated: a frame must fit the agent's TCP frame
 * bound (16 MiB), so bigger backups stay local (logged, counted).
 */
#define REPL_ENTRY_MAX	(((size_t)16 << 20) - ((size_t)64 << 10))
/* Content bytes gathered into one PUSH frame before it is sent. */
#define REPL_BATCH_BYTES ((size_t)1 << 20)
#define REPL_ITEMS_MAX	4096		/* entries in one message */
/* How a peer names what it keeps in an origin's bucket. */
#define REPL_SEALED_RUN	"sealed"

enum repl_op {
	REPL_PUSH = 1,
	REPL_LIST = 2,
	REPL_GET = 3,
	REPL_ESCROW = 4,
	REPL_KEYS = 5
};

enum repl_status {
	REPL_OK = 0,
	REPL_NOT_MEMBER = 1,	/* the sender id is not a live member */
	REPL_NOTHING = 2,	/* we hold nothing for that path or time */
	REPL_REFUSED = 3,	/* bad signature or entries, or over the cap */
	REPL_FAILED = 4,	/* our own disk failed */
	REPL_AMBIGUOUS = 5	/* KEYS: the prefix names several origins */
};

/* One sealed backup as sent and stored: what a peer can see of it. */
struct repl_item {
	uint8_t			 tag[REPL_TAG_LEN];
	long long		 time;		/* unix seconds */
	size_t			 size;		/* of data */
	const uint8_t		*data;		/* the object, into the message;
						   in a LIST reply the meta
						   box only */
};

struct repl_msg {
	uint8_t			 op;		/* with REPL_REPLY for replies */
	uint8_t			 status;	/* replies */
	uint8_t			 sender[REPL_ID_LEN];
	uint8_t			 origin[REPL_ID_LEN];	/* LIST, GET */
	uint8_t			 tag[REPL_TAG_LEN];	/* LIST, GET */
	long long		 time;		/* GET */
	unsigned		 stored;	/* PUSH reply */
	struct repl_item	*v;		/* PUSH, LIST/GET replies */
	size_t			 n;
	/* ESCROW: boxes; KEYS: the prefix; KEYS reply: the ESCROW. */
	const uint8_t		*blob;
	size_t			 blob_len;
	size_t			 signed_len;	/* requests: bytes under sig */
	const uint8_t		*sig;		/* requests: REPL_SIG_LEN */
};

/* --- codec (replica_msg.c) --------------------------------------------- */

/* Starts a message: version, op, sender id; numbers follow by buf_add_be. */
void	repl_begin(struct buf *out, uint8_t op,
	    const uint8_t sender[REPL_ID_LEN]);
/* One item with its object (PUSH, GET reply). */
void	repl_add_item(struct buf *out, const uint8_t tag[REPL_TAG_LEN],
	    long long time, const void *obj, size_t n);
/* One LIST reply head: the object's time and size, and its meta box. */
void	repl_add_head(struct buf *out, long long time, size_t size,
	    const uint8_t *meta, size_t n);

/*
 * Decodes a whole message. Requests must end with a signature (its place
 * is returned, not checked). Items are bounded (size, count) but their
 * objects are not opened: only their owner can. TL_ETRUNC / TL_EINVAL
 * with a reason in err. m points into p. Release m with
 * repl_msg_release() in every case.
 */
int	repl_msg_decode(const uint8_t *p, size_t n, struct repl_msg *m,
	    struct tl_err *err);
void	repl_msg_release(struct repl_msg *m);

/* --- sealing (replica_seal.c) ------------------------------------------ */

typedef int (*repl_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[REPL_SIG_LEN]);

/* A subkey of the backup secret for one purpose (label). */
void	repl_subkey(const uint8_t secret[REPL_SECRET_LEN], const char *label,
	    uint8_t out[32]);
/* Frees what an entry from repl_unseal() holds. */
void	repl_entry_release(struct bucket_entry *e);
/* The tag a path's backups go by at peers. */
void	repl_path_tag(const uint8_t secret[REPL_SECRET_LEN], const char *path,
	    uint8_t tag[REPL_TAG_LEN]);
/*
 * Appends backup e with its content (e->size bytes) to obj as a sealed
 * object of owner, signed with sign(ctx); tag gets its path tag.
 */
void	repl_seal(const uint8_t secret[REPL_SECRET_LEN],
	    const uint8_t owner[REPL_ID_LEN], repl_sign_fn sign, void *ctx,
	    const struct bucket_entry *e, const void *content,
	    uint8_t tag[REPL_TAG_LEN], struct buf *obj);
/*
 * Opens a sealed object of owner held under tag and time: the meta box
 * and the owner's signature over it, then (content not NULL) the content
 * box and its hash. Fills e (release with bucket_entry_release(); id is
 * "") and appends the content to content. TL_ECRYPTO when a box does not
 * open with secret or the signature is not the owner's (a peer's
 * forgery or damage), TL_EINVAL when the fields are bad.
 */
int	repl_unseal(const uint8_t secret[REPL_SECRET_LEN],
	    const uint8_t owner[REPL_ID_LEN], const uint8_t tag[REPL_TAG_LEN],
	    long long time, const uint8_t *obj, size_t n,
	    struct bucket_entry *e, struct buf *content, struct tl_err *err);
/* The meta box of a sealed object (borrowed, into obj); < 0 if bad. */
int	repl_object_meta(const uint8_t *obj, size_t n, const uint8_t **meta,
	    size_t *len);
/* repl_unseal() of a meta box alone (a LIST reply's head). */
int	repl_unseal_meta(const uint8_t secret[REPL_SECRET_LEN],
	    const uint8_t owner[REPL_ID_LEN], const uint8_t tag[REPL_TAG_LEN],
	    long long time, const uint8_t *meta, size_t n,
	    struct bucket_entry *e, struct tl_err *err);

/*
 * What the agent opened, handed to the CLI over the control socket:
 *   u16 n, n x (path, run, u64 time, u16 mode, u32 uid, u32 gid,
 *   SHA-256 (32), u32 size, u8 has_content, [size bytes])
 * (the meta fields above, checked the same way when decoded).
 */
struct repl_plain_item {
	struct bucket_entry	 e;		/* id "" */
	const uint8_t		*data;		/* into the message, or NULL */
};

struct repl_plain {
	struct repl_plain_item	*v;
	size_t			 n;
};

/* Appends one entry; content NULL for a listing. Starts with u16 n,
 * which repl_plain_end() fills in. */
void	repl_plain_begin(struct buf *out);
void	repl_plain_add(struct buf *out, const struct bucket_entry *e,
	    const void *content);
void	repl_plain_end(struct buf *out, size_t n);
int	repl_plain_decode(const uint8_t *p, size_t n, struct repl_plain *pl,
	    struct tl_err *err);
void	repl_plain_release(struct repl_plain *pl);

/* --- choice of peers (replica_pick.c) ---------------------------------- */

/*
 * Rendezvous hashing keyed with the owner's secret: the k candidates
 * (node ids) with the highest BLAKE2b(placement key, id) score, best
 * first, as indexes into ids (out holds k). Returns how many were picked
 * (min(k, n)). The same ids give the same choice in any order, and a
 * candidate's death moves only its share. Nobody without the secret can
 * tell which ids would win, so no name or key can be chosen to.
 */
size_t	repl_pick(const uint8_t secret[REPL_SECRET_LEN],
	    const uint8_t (*ids)[REPL_ID_LEN], size_t n, size_t k,
	    size_t *out);

/* --- one origin's replicas (replica_store.c) --------------------------- */

struct repl_limits {
	struct bucket_retention	retention;	/* as for our own bucket */
	unsigned long long	cap;		/* bytes per origin; 0: none */
};

/* STATE_DIR/replicas/<64 hex digits of the origin id>; a new string. */
char	*repl_origin_dir(const char *state_dir,
	    const uint8_t origin[REPL_ID_LEN]);

/* Distinct content bytes the bucket in dir names (missing: 0). */
int	repl_dir_bytes(const char *dir, unsigned long long *bytes,
	    struct tl_err *err);

/*
 * Stores item in the origin bucket at dir, at time now, within lim: the
 * retention is applied, and when the new object would not fit in the
 * cap, older entries are pruned to make room; an item that still does
 * not fit is refused (TL_ETOOBIG). Returns 1 when stored, 0 when the
 * bucket already had it as the newest of its tag.
 */
int	repl_store(const char *dir, const struct repl_item *item,
	    const struct repl_limits *lim, long long now, struct tl_err *err);
/* The bucket entry a peer keeps an item as ("/sealed/<tag hex>"). */
void	repl_item_entry(const struct repl_item *item,
	    struct bucket_entry *e);

#endif
