#ifndef TLALOC_CLUSTER_QUERY_H
#define TLALOC_CLUSTER_QUERY_H

/*
 * Cluster-wide queries on the wire (docs/channels.md). A query travels as
 * the payload of a BCAST_QUERY broadcast, which its asker signs with its
 * node key like every broadcast (bcast.h):
 *   envelope = [body (bytes), operator key id (0 or 8 bytes),
 *               signature (0 or 64 bytes)]
 *   body     = [type, query id (16), time ms, nonce (16), filter,
 *               timeout ms, [argv...], asker (32)]
 * The operator's signature is over the body bytes exactly as sent, so what
 * a node verifies is what it runs, and it covers the asker: the node id
 * of the member whose agent broadcasts the query and takes the replies.
 * A node answers only a query broadcast by its asker, at the address the
 * asker's signed statement gives, so nobody who sees a signed command can
 * send it again as its own to collect what it prints.
 *
 * A reply goes over TCP, one sealed frame (PKT_QREPLY) to the asker:
 *   [query id, nonce (16), node id (32), node name, outcome, exit status,
 *    timed out, duration ms, stdout, stderr, bytes dropped, message,
 *    signature (64)]
 * signed by the replying node's key over QUERY_REPLY_DOMAIN and the first
 * twelve items (query_reply_signed()): the nonce binds it to one query,
 * the node id to its author, so no member can answer for another.
 * Decoders are bounded and fuzzed (tests/fuzz/fuzz_query.c).
 */

#include <stddef.h>
#include <stdint.h>

#include "cluster/qfilter.h"

struct buf;

#define QUERY_ID_LEN		16
#define QUERY_NONCE_LEN		16
#define QUERY_KEYID_LEN		8
#define QUERY_SIG_LEN		64
#define QUERY_ARGV_MAX		32
#define QUERY_ARGS_BYTES	512	/* all argv strings together */
#define QUERY_OUTPUT_MAX	8192	/* per stream in a reply */
#define QUERY_MSG_MAX		200
#define QUERY_NODE_MAX		64
#define QUERY_ADDR_MAX		64
#define QUERY_NODE_ID_LEN	32	/* a node key (Ed25519 public) */
#define QUERY_TIMEOUT_MAX_MS	3600000u

enum query_type { QUERY_EXEC = 1, QUERY_FACTS = 2, QUERY_STATUS = 3 };

struct query {
	uint8_t		 type;
	uint8_t		 id[QUERY_ID_LEN];
	uint64_t	 time_ms;		/* asker's wall clock */
	uint8_t		 nonce[QUERY_NONCE_LEN];
	char		 filter[QFILTER_MAX + 1];
	uint32_t	 timeout_ms;
	size_t		 argc;
	char		*argv[QUERY_ARGV_MAX + 1];	/* into store */
	char		 store[QUERY_ARGS_BYTES + QUERY_ARGV_MAX];
	uint8_t		 asker[QUERY_NODE_ID_LEN];	/* takes replies */
};

/* Appends the body of q (type..argv) to out. */
void	query_body_encode(const struct query *q, struct buf *out);
/* Decodes a body into q; TL_EINVAL/TL_ETRUNC/TL_ETOOBIG when bad. */
int	query_body_decode(const uint8_t *p, size_t len, struct query *q);

/* key_id and sig are both NULL for an unsigned query. */
void	query_env_encode(const uint8_t *body, size_t blen,
	    const uint8_t *key_id, const uint8_t *sig, struct buf *out);
/* Borrows into p; *key_id and *sig are NULL when unsigned. */
int	query_env_decode(const uint8_t *p, size_t len, const uint8_t **body,
	    size_t *blen, const uint8_t **key_id, const uint8_t **sig);

enum query_outcome {
	QUERY_RAN = 0,		/* status/timed_out/output are valid */
	QUERY_REFUSED = 1,	/* msg says why (unsigned, untrusted...) */
	QUERY_FAILED = 2	/* could not run: msg says why */
};

struct query_reply {
	uint8_t		 id[QUERY_ID_LEN];
	uint8_t		 nonce[QUERY_NONCE_LEN];	/* the query's */
	uint8_t		 node_id[QUERY_NODE_ID_LEN];	/* the author */
	char		 node[QUERY_NODE_MAX + 1];
	uint8_t		 outcome;
	uint32_t	 status;	/* exit code, or 128 + signal */
	int		 timed_out;
	uint32_t	 duration_ms;
	const uint8_t	*out, *errout;	/* borrowed */
	size_t		 outlen, errlen;
	uint64_t	 dropped;	/* output bytes past the limits */
	char		 msg[QUERY_MSG_MAX + 1];
	uint8_t		 sig[QUERY_SIG_LEN];	/* node_id's, over the rest */
};

/* Appends the whole reply, signature last. */
void	query_reply_encode(const struct query_reply *r, struct buf *out);
/*
 * Appends what the author signs: the domain string, then every item but
 * the signature as an array of its own, canonically encoded.
 */
void	query_reply_signed(const struct query_reply *r, struct buf *out);
int	query_reply_decode(const uint8_t *p, size_t len,
	    struct query_reply *r);

#endif
