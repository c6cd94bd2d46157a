/*
 * Policy transfer state machine (contract and protocol in policy.h).
 *
 * Choices worth knowing:
 * - Peers are candidates only while they advertise exactly the target
 *   serial: a peer that skipped a serial may lack its chunks, and a peer
 *   ahead of us makes the target move up anyway.
 * - Chunks are spread by least-loaded peer, starting the scan at a place
 *   that depends on the chunk index, so N fetchers of one serial do not
 *   all start with the same peer (the publisher would serve everyone).
 * - A peer that failed POLICY_FAIL_LIMIT fetches in a row is left alone
 *   until policy_retry(); a peer that sent a bad chunk is left alone for
 *   that serial for good; a peer that sent a bad manifest, or claimed an
 *   impossible serial, is a liar (policy.h) and left alone altogether for
 *   POLICY_PARDON_RETRIES retries.
 */
#include "cluster/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"

#define POLICY_FAIL_LIMIT	3

enum chunk_state { CHUNK_MISSING, CHUNK_INFLIGHT, CHUNK_DONE };

struct pol_peer {
	char		addr[POLICY_ADDR_MAX + 1];
	uint64_t	serial;		/* advertised */
	uint64_t	bad_serial;	/* refused from this peer */
	uint32_t	pardon;		/* > 0: a liar, for that many retries */
	uint32_t	inflight;
	uint32_t	fails;		/* in a row; reset by success/retry */
};

struct pol_chunk {
	uint8_t		hash[POLICY_HASH_LEN];
	enum chunk_state state;
	size_t		peer;		/* index of the peer asked */
};

struct policy {
	struct policy_config	 cfg;
	uint64_t		 have;
	uint64_t		 target;	/* 0: idle */
	int			 has_manifest;	/* chunk list known */
	int			 is_bundle_inflight;
	size_t			 bundle_peer;	/* index of the peer asked */
	char			 prefer[POLICY_ADDR_MAX + 1]; /* "" none */
	int			 prefer_wait;
	struct pol_peer		*peers;
	size_t			 npeers, cap_peers;
	struct pol_chunk	*chunks;
	size_t			 nchunks, ndone;
	size_t			 inflight;
	struct policy_stats	 st;
};

struct policy *
policy_new(const struct policy_config *c, uint64_t have)
{
	struct policy *p = xcalloc(1, sizeof(*p));

	p->cfg = *c;
	if (p->cfg.per_peer == 0)
		p->cfg.per_peer = 1;
	if (p->cfg.total == 0)
		p->cfg.total = 1;
	p->have = have;
	p->st.newest = have;
	return p;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->peers);
	free(p->chunks);
	free(p);
}

static struct pol_peer *
peer_find(struct policy *p, const char *addr)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (strcmp(p->peers[i].addr, addr) == 0)
			return &p->peers[i];
	return NULL;
}

static void
transfer_reset(struct policy *p, uint64_t target)
{
	free(p->chunks);
	p->chunks = NULL;
	p->nchunks = p->ndone = 0;
	p->has_manifest = 0;
	p->is_bundle_inflight = 0;
	p->target = target;
	/* Fetches still in flight for the old target are ignored when
	 * they end; their peers' counters are released here. */
	for (size_t i = 0; i < p->npeers; i++) {
		p->peers[i].inflight = 0;
		p->peers[i].fails = 0;
	}
	p->inflight = 0;
}

/* Moves the target to the best advertised serial above what we have. */
static void
retarget(struct policy *p)
{
	uint64_t best = 0;

	for (size_t i = 0; i < p->npeers; i++) {
		const struct pol_peer *q = &p->peers[i];

		if (q->serial > best && q->serial != q->bad_serial &&
		    q->pardon == 0)
			best = q->serial;
	}
	p->st.claimed = best;
	if (best > p->have && best != p->target)
		transfer_reset(p, best);
	else if (best <= p->have && p->target != 0)
		transfer_reset(p, 0);
}

/* A peer lied: what it is fetching is given up, its claims ignored. */
static void
peer_liar(struct policy *p, struct pol_peer *q)
{
	q->pardon = POLICY_PARDON_RETRIES;
	q->serial = 0;
	p->st.liars++;
	retarget(p);
}

int
policy_peer_seen(struct policy *p, const char *addr, uint64_t serial)
{
	struct pol_peer *q = peer_find(p, addr);

	if (q == NULL) {
		if (p->npeers == POLICY_PEERS_MAX || strlen(addr) >
		    POLICY_ADDR_MAX)
			return 0;
		p->peers = xgrow(p->peers, &p->cap_peers, p->npeers + 1,
		    sizeof(*p->peers));
		q = &p->peers[p->npeers++];
		memset(q, 0, sizeof(*q));
		memcpy(q->addr, addr, strlen(addr) + 1);
	}
	if (q->pardon > 0)
		return 0;
	if (serial > POLICY_SERIAL_MAX) {
		peer_liar(p, q);
		return 1;
	}
	/* Tags and pushes race: a peer's serial only goes up until it is
	 * gone (a stale tag must not abort a transfer a push started). */
	if (serial <= q->serial)
		return 0;
	q->fails = 0;
	q->serial = serial;
	retarget(p);
	return 0;
}

static void
peer_release(struct policy *p, struct pol_peer *q)
{
	if (q != NULL && q->inflight > 0) {
		q->inflight--;
		p->inflight--;
	}
}

void
policy_peer_gone(struct policy *p, const char *addr)
{
	struct pol_peer *q = peer_find(p, addr);
	size_t qi;

	if (q == NULL)
		return;
	qi = (size_t)(q - p->peers);
	/* Its fetches go back in the queue now, not at their timeout. */
	for (size_t i = 0; i < p->nchunks; i++)
		if (p->chunks[i].state == CHUNK_INFLIGHT &&
		    p->chunks[i].peer == qi) {
			p->chunks[i].state = CHUNK_MISSING;
			peer_release(p, q);
			p->st.fetch_failures++;
		}
	if (p->is_bundle_inflight && p->bundle_peer == qi) {
		p->is_bundle_inflight = 0;
		peer_release(p, q);
		p->st.fetch_failures++;
	}
	q->serial = 0;
	q->fails = POLICY_FAIL_LIMIT;
	/* A liar stays one when it leaves and comes back: its pardon is
	 * counted in retries, not in visits. */
	retarget(p);
}

static int
is_candidate(const struct policy *p, const struct pol_peer *q)
{
	return q->serial == p->target && q->bad_serial != p->target &&
	    q->pardon == 0 &&
	    q->fails < POLICY_FAIL_LIMIT && q->inflight < p->cfg.per_peer;
}

void
policy_prefer(struct policy *p, const char *addr, int wait)
{
	snprintf(p->prefer, sizeof(p->prefer), "%s", addr ? addr : "");
	p->prefer_wait = wait;
}

/* The preferred peer when it can serve the target, else NULL. */
static struct pol_peer *
preferred(struct policy *p)
{
	struct pol_peer *q;

	if (p->prefer[0] == '\0' || (q = peer_find(p, p->prefer)) == NULL)
		return NULL;
	if (q->serial != p->target || q->bad_serial == p->target ||
	    q->fails >= POLICY_FAIL_LIMIT || q->pardon > 0)
		return NULL;
	return q;
}

/*
 * The preferred peer while it can serve (NULL when it is busy: wait for
 * it), else the least-loaded candidate, scanning from start; NULL when
 * none.
 */
static struct pol_peer *
pick_peer(struct policy *p, size_t start)
{
	struct pol_peer *best = preferred(p);

	if (best != NULL)
		return best->inflight < p->cfg.total ? best : NULL;
	if (p->prefer[0] != '\0' && p->prefer_wait)
		return NULL;

	for (size_t k = 0; k < p->npeers; k++) {
		struct pol_peer *q = &p->peers[(start + k) % p->npeers];

		if (is_candidate(p, q) && (best == NULL ||
		    q->inflight < best->inflight))
			best = q;
	}
	return best;
}

static void
req_fill(struct policy_req *r, enum policy_req_kind kind,
    const struct pol_peer *q, uint64_t serial)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	memcpy(r->addr, q->addr, sizeof(r->addr));
	r->serial = serial;
}

size_t
policy_next(struct policy *p, struct policy_req *out, size_t max)
{
	struct pol_peer *q;
	size_t n = 0;

	if (p->target == 0 || max == 0 || p->npeers == 0)
		return 0;
	if (!p->has_manifest) {
		if (p->is_bundle_inflight || (q = pick_peer(p, 0)) == NULL)
			return 0;
		req_fill(&out[n++], POLICY_REQ_BUNDLE, q, p->target);
		q->inflight++;
		p->inflight++;
		p->is_bundle_inflight = 1;
		p->bundle_peer = (size_t)(q - p->peers);
		return n;
	}
	for (size_t i = 0; i < p->nchunks && n < max &&
	    p->inflight < p->cfg.total; i++) {
		struct pol_chunk *c = &p->chunks[i];

		if (c->state != CHUNK_MISSING ||
		    (q = pick_peer(p, i % p->npeers)) == NULL)
			continue;
		req_fill(&out[n], POLICY_REQ_CHUNK, q, p->target);
		out[n].idx = i;
		memcpy(out[n].hash, c->hash, POLICY_HASH_LEN);
		n++;
		c->state = CHUNK_INFLIGHT;
		c->peer = (size_t)(q - p->peers);
		q->inflight++;
		p->inflight++;
	}
	return n;
}

/* Books the end of a fetch against its peer. */
static void
peer_result(struct policy *p, struct pol_peer *q, enum policy_result res)
{
	if (q == NULL)
		return;
	peer_release(p, q);
	if (res == POLICY_OK)
		q->fails = 0;
	else if (res == POLICY_FAILED) {
		q->fails++;
		p->st.fetch_failures++;
	} else
		q->bad_serial = p->target;
}

void
policy_on_bundle(struct policy *p, const char *addr, uint64_t serial,
    enum policy_result res, const uint8_t *hashes, size_t n)
{
	struct pol_peer *q = peer_find(p, addr);

	if (serial != p->target || p->has_manifest ||
	    !p->is_bundle_inflight || q == NULL ||
	    p->bundle_peer != (size_t)(q - p->peers))
		return;
	p->is_bundle_inflight = 0;
	peer_result(p, q, res);
	if (res == POLICY_BAD) {
		p->st.bad_bundles++;
		peer_liar(p, q);
		return;
	}
	if (res != POLICY_OK)
		return;
	if (serial > p->st.newest)
		p->st.newest = serial;
	if (n > POLICY_CHUNKS_MAX)
		n = POLICY_CHUNKS_MAX;
	p->chunks = xcalloc(n + 1, sizeof(*p->chunks));
	for (size_t i = 0; i < n; i++)
		memcpy(p->chunks[i].hash, hashes + i * POLICY_HASH_LEN,
		    POLICY_HASH_LEN);
	p->nchunks = n;
	p->has_manifest = 1;
}

void
policy_on_chunk(struct policy *p, const char *addr, uint64_t serial,
    uint32_t idx, enum policy_result res)
{
	struct pol_peer *q = peer_find(p, addr);
	struct pol_chunk *c;

	if (serial != p->target || !p->has_manifest || idx >= p->nchunks ||
	    p->chunks[idx].state != CHUNK_INFLIGHT || q == NULL ||
	    p->chunks[idx].peer != (size_t)(q - p->peers))
		return;		/* late answer to a fetch given up on */
	c = &p->chunks[idx];
	peer_result(p, q, res);
	if (res == POLICY_OK) {
		c->state = CHUNK_DONE;
		p->ndone++;
		return;
	}
	if (res == POLICY_BAD)
		p->st.bad_chunks++;
	c->state = CHUNK_MISSING;
}

/* Lets peers that failed a few times in a row be tried again. */
void
policy_retry(struct policy *p)
{
	for (size_t i = 0; i < p->npeers; i++) {
		struct pol_peer *q = &p->peers[i];

		if (q->serial != 0)
			q->fails = 0;
		if (q->pardon > 0)
			q->pardon--;
	}
}

uint64_t
policy_complete(const struct policy *p)
{
	if (p->target != 0 && p->has_manifest && p->ndone == p->nchunks)
		return p->target;
	return 0;
}

void
policy_accepted(struct policy *p, uint64_t serial)
{
	if (serial > p->have)
		p->have = serial;
	if (p->have > p->st.newest)
		p->st.newest = p->have;
	if (p->target != 0 && p->target <= p->have)
		transfer_reset(p, 0);
	retarget(p);
}

void
policy_get_stats(const struct policy *p, struct policy_stats *st)
{
	*st = p->st;
	st->have = p->have;
	st->target = p->target;
	st->chunks_total = p->nchunks;
	st->chunks_done = p->ndone;
	st->inflight = p->inflight;
}
