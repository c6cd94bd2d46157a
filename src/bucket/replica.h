#ifndef TLALOC_BUCKET_REPLICA_H
#define TLALOC_BUCKET_REPLICA_H

/*
 * Bucket replication (docs/backups.md): each node copies its backups to
 * k peers, which keep them under STATE_DIR/replicas/<origin>/ as a bucket
 * of their own, so a node that lost its disk can fetch them back.
 *
 * This file holds the pure parts: the message codec (carried inside a
 * sealed PKT_REPLICA frame, net/packet.h), the choice of peers, and the
 * store of one origin's replicas with its retention and cap.
 *
 * A message, all integers big-endian:
 *
 *   +-----+----+------------------+--------------------------------+
 *   | ver | op | sender id (32)   | op's fields                    |
 *   +-----+----+------------------+--------------------------------+
 *
 *   PUSH   u16 n, n x entry with content   (the sender's own backups)
 *   LIST   path                            (what do you hold of mine?)
 *   GET    path, u64 time (0: the newest)
 *   reply  op | REPL_REPLY, u8 status, then
 *            PUSH: u16 stored; LIST: u16 n, n x entry without content;
 *            GET: one entry with content
 *
 *   entry: path (u16 len), run (u8 len), u64 time, u16 mode, u32 uid,
 *          u32 gid, 32-byte SHA-256, u32 size, [size bytes of content]
 *
 * Requests (PUSH, LIST, GET) are followed by the sender's Ed25519
 * signature (64 bytes) over everything before it, checked by the agent
 * against the sender id; the receiver takes the origin's name from its
 * membership for that id, never from the message. Replies travel back
 * on the connection the request opened and are not signed.
 */

#include <stddef.h>
#include <stdint.h>

#include "bucket/bucket.h"

struct buf;
struct tl_err;

#define REPL_VERSION	1
#define REPL_ID_LEN	32		/* node id: Ed25519 public key */
#define REPL_SIG_LEN	64
#define REPL_REPLY	0x80
/*
 * Largest entry replicated: a frame must fit the agent's TCP frame
 * bound (16 MiB), so bigger backups stay local (logged, counted).
 */
#define REPL_ENTRY_MAX	(((size_t)16 << 20) - ((size_t)64 << 10))
/* Content bytes gathered into one PUSH frame before it is sent. */
#define REPL_BATCH_BYTES ((size_t)1 << 20)
#define REPL_ITEMS_MAX	4096		/* entries in one message */

enum repl_op {
	REPL_PUSH = 1,
	REPL_LIST = 2,
	REPL_GET = 3
};

enum repl_status {
	REPL_OK = 0,
	REPL_NOT_MEMBER = 1,	/* the sender id is not a live member */
	REPL_NOTHING = 2,	/* we hold nothing for that path or time */
	REPL_REFUSED = 3,	/* bad signature or entries, or over the cap */
	REPL_FAILED = 4		/* our own disk failed */
};

struct repl_item {
	struct bucket_entry	 e;		/* id unused ("") */
	const uint8_t		*data;		/* into the message; NULL in
						   a LIST reply */
};

struct repl_msg {
	uint8_t			 op;		/* with REPL_REPLY for replies */
	uint8_t			 status;	/* replies */
	uint8_t			 sender[REPL_ID_LEN];
	char			*path;		/* LIST, GET */
	long long		 time;		/* GET */
	unsigned		 stored;	/* PUSH reply */
	struct repl_item	*v;		/* PUSH, LIST/GET replies */
	size_t			 n;
	size_t			 signed_len;	/* requests: bytes under sig */
	const uint8_t		*sig;		/* requests: REPL_SIG_LEN */
};

/* --- codec (replica_msg.c) --------------------------------------------- */

/* Starts a message: version, op, sender id. */
void	repl_begin(struct buf *out, uint8_t op,
	    const uint8_t sender[REPL_ID_LEN]);
void	repl_add_u16(struct buf *out, unsigned v);
void	repl_add_u64(struct buf *out, uint64_t v);
void	repl_add_path(struct buf *out, const char *path);
/* One entry; data NULL writes it without content (a LIST reply). */
void	repl_add_entry(struct buf *out, const struct bucket_entry *e,
	    const void *data);

/*
 * Decodes a whole message. Requests must end with a signature (its place
 * is returned, not checked). Every entry is checked: clean absolute path,
 * valid run id, mode, size at most REPL_ENTRY_MAX, and content that
 * matches its hash. TL_ETRUNC / TL_EINVAL with a reason in err. Release
 * m with repl_msg_release() in every case.
 */
int	repl_msg_decode(const uint8_t *p, size_t n, struct repl_msg *m,
	    struct tl_err *err);
void	repl_msg_release(struct repl_msg *m);

/* --- choice of peers (replica_pick.c) ---------------------------------- */

/*
 * Rendezvous hashing: the k candidates with the highest SHA-256(self,
 * candidate) score, best first, as indexes into names (out holds k).
 * Returns how many were picked (min(k, n)). The same names give the same
 * choice in any order, and a candidate's death moves only its share.
 */
size_t	repl_pick(const char *self, const char *const *names, size_t n,
	    size_t k, size_t *out);

/* --- one origin's replicas (replica_store.c) --------------------------- */

struct repl_limits {
	struct bucket_retention	retention;	/* as for our own bucket */
	unsigned long long	cap;		/* bytes per origin; 0: none */
};

/* STATE_DIR-relative directory name for an origin: name with bytes
 * outside [A-Za-z0-9._-] (and a leading '.') written %XX. */
char	*repl_origin_dir(const char *state_dir, const char *origin);

/* Distinct content bytes the bucket in dir names (missing: 0). */
int	repl_dir_bytes(const char *dir, unsigned long long *bytes,
	    struct tl_err *err);

/*
 * Stores item in the origin bucket at dir, at time now, within lim: the
 * retention is applied, and when the new content would not fit in the
 * cap, older entries are pruned to make room; an entry that still does
 * not fit is refused (TL_ETOOBIG). Returns 1 when stored, 0 when the
 * bucket already had it as the newest of its path.
 */
int	repl_store(const char *dir, const struct repl_item *item,
	    const struct repl_limits *lim, long long now, struct tl_err *err);

#endif
