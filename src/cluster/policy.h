#ifndef TLALOC_CLUSTER_POLICY_H
#define TLALOC_CLUSTER_POLICY_H

/*
 * Policy transfer as a pure state machine: which serial we hold, which
 * serials peers advertise, and what to fetch from whom. It never touches
 * a socket, the store or a clock; the agent (or the simulator) tells it
 * what peers advertise and how each fetch ended, and asks it for the next
 * fetches to start.
 *
 * A transfer has two steps. First the signed manifest of the highest
 * advertised serial is fetched from one peer advertising exactly that
 * serial (a peer only advertises a serial once it holds all of it); the
 * caller verifies it and hands back the hashes of the chunks it lacks.
 * Then the chunks are fetched, spread over every peer advertising the
 * serial, at most per_peer at a time from each and total in all, so one
 * slow or dead peer only delays its own share. A failed fetch goes back
 * in the queue and prefers another peer; a chunk whose hash did not match
 * is never asked from that peer again for this serial.
 *
 * An advertisement is a claim, not a fact: a serial is believed (the
 * newest serial stats report, which publishing goes above) only once
 * its manifest verified, and a peer whose manifest failed verification,
 * or who claims a serial past POLICY_SERIAL_MAX, is a liar: its claims
 * are ignored until POLICY_PARDON_RETRIES calls of policy_retry() have
 * passed (five minutes at the agent's one a second), even if it leaves
 * and comes back meanwhile. So
 * a member holding the cluster key can cost each node one manifest fetch
 * every five minutes, and can no longer freeze policy by announcing a
 * serial near 2^64.
 *
 * A higher advertisement during a transfer abandons it for the newer
 * serial (chunks already stored are kept by the caller, and most will be
 * shared).
 */

#include <stddef.h>
#include <stdint.h>

#define POLICY_HASH_LEN		32
#define POLICY_ADDR_MAX		64
#define POLICY_PEERS_MAX	4096	/* peers remembered (arbitrary) */
#define POLICY_CHUNKS_MAX	(1u << 20)
/*
 * The largest serial anyone may publish or claim: a publish a millisecond
 * for 146 million years, with room above it so that serial + 1 never
 * wraps anywhere.
 */
#define POLICY_SERIAL_MAX	((uint64_t)1 << 62)
#define POLICY_PARDON_RETRIES	300

enum policy_req_kind {
	POLICY_REQ_BUNDLE = 1,	/* fetch the manifest of serial */
	POLICY_REQ_CHUNK = 2	/* fetch chunk hash (index idx) */
};

struct policy_req {
	enum policy_req_kind	kind;
	char			addr[POLICY_ADDR_MAX + 1];
	uint64_t		serial;
	uint32_t		idx;
	uint8_t			hash[POLICY_HASH_LEN];
};

/* How a fetch ended, from the caller. */
enum policy_result {
	POLICY_OK = 0,
	POLICY_FAILED = 1,	/* transport: refused, reset, timeout */
	POLICY_BAD = 2		/* the peer sent something we refuse */
};

struct policy_config {
	uint32_t	per_peer;	/* fetches in flight per peer */
	uint32_t	total;		/* fetches in flight in all */
};

struct policy;

/* A machine that already holds serial have (0: none). Free with _free. */
struct policy *policy_new(const struct policy_config *c, uint64_t have);
void	policy_free(struct policy *p);

/*
 * Fetch from addr alone while it advertises the target serial and has not
 * failed or lied (up to `total` fetches in flight); the other peers are
 * the fallback. With wait, fetch nothing while addr is unknown or behind
 * (a node that just joined may not know its preferred peer yet: the
 * caller clears wait after a grace period). NULL or "" clears it.
 */
void	policy_prefer(struct policy *p, const char *addr, int wait);

/*
 * A peer advertises serial (0: nothing). Addresses are opaque. Returns 1
 * when this claim made the peer a liar (a serial past POLICY_SERIAL_MAX:
 * the caller counts and logs it), else 0.
 */
int	policy_peer_seen(struct policy *p, const char *addr, uint64_t serial);
/* The peer is gone: its fetches in flight count as failed. */
void	policy_peer_gone(struct policy *p, const char *addr);

/*
 * Appends up to max fetches to start now to out; returns how many. Call
 * after every input.
 */
size_t	policy_next(struct policy *p, struct policy_req *out, size_t max);

/*
 * The manifest fetch for serial from addr ended. With POLICY_OK, hashes
 * holds the n chunks still missing (may be 0).
 */
void	policy_on_bundle(struct policy *p, const char *addr, uint64_t serial,
	    enum policy_result res, const uint8_t *hashes, size_t n);
/* The chunk fetch idx for the current transfer ended. */
void	policy_on_chunk(struct policy *p, const char *addr, uint64_t serial,
	    uint32_t idx, enum policy_result res);

/* Lets peers that failed a few fetches in a row be tried again (the
 * caller's housekeeping, e.g. once a second). */
void	policy_retry(struct policy *p);

/*
 * The serial whose chunks are all here and that the caller should now
 * accept, or 0. Call policy_accepted() once it is accepted.
 */
uint64_t policy_complete(const struct policy *p);
/* We now hold serial (fetched or published here). */
void	policy_accepted(struct policy *p, uint64_t serial);

struct policy_stats {
	uint64_t	have;		/* serial held */
	uint64_t	target;		/* serial being fetched, 0 none */
	uint64_t	newest;		/* highest serial whose manifest
					   verified (or held): believed */
	uint64_t	claimed;	/* highest advertised by a non-liar */
	uint64_t	liars;		/* peers made liars (ever) */
	size_t		chunks_total, chunks_done, inflight;
	uint64_t	fetch_failures;	/* transport failures */
	uint64_t	bad_bundles;	/* manifests refused */
	uint64_t	bad_chunks;	/* chunks that failed their hash */
};

void	policy_get_stats(const struct policy *p, struct policy_stats *st);

/* ---- Serial claims on the wire (cluster/policy_wire.c) ---- */

/*
 * A node that accepts a serial tells a few members at once, in a
 * PKT_PART_POLICY part, besides its signed `policy` tag. The part is its
 * own signed statement, so a receiver knows who claims the serial (and
 * whom to fetch from) from the signature, not from a datagram's source
 * address, which anyone on the network can forge:
 *
 *   +----+------------+----------------+----------------+
 *   | op | serial u64 | node id (32)   | signature (64) |
 *   +----+------------+----------------+----------------+
 *
 * op is POLICY_OP_CLAIM; the signature is the node's, over
 * POLICY_CLAIM_DOMAIN (with its NUL), the serial and the node id.
 */
#define POLICY_OP_CLAIM		4
#define POLICY_ID_LEN		32
#define POLICY_SIG_LEN		64
#define POLICY_CLAIM_LEN	(1 + 8 + POLICY_ID_LEN + POLICY_SIG_LEN)
#define POLICY_CLAIM_DOMAIN	"tlaloc-policy-claim-v1"
#define POLICY_CLAIM_SIGNED_LEN	(sizeof(POLICY_CLAIM_DOMAIN) + 8 + \
				 POLICY_ID_LEN)

/* What the node signs for serial. */
void	policy_claim_signed(uint64_t serial, const uint8_t id[POLICY_ID_LEN],
	    uint8_t out[POLICY_CLAIM_SIGNED_LEN]);
void	policy_claim_encode(uint64_t serial, const uint8_t id[POLICY_ID_LEN],
	    const uint8_t sig[POLICY_SIG_LEN], uint8_t out[POLICY_CLAIM_LEN]);
/* Points id and sig into p; TL_ETRUNC/TL_EINVAL on bad bytes. */
int	policy_claim_decode(const uint8_t *p, size_t len, uint64_t *serial,
	    const uint8_t **id, const uint8_t **sig);

#endif
