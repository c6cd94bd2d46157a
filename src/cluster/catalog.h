#ifndef TLALOC_CLUSTER_CATALOG_H
#define TLALOC_CLUSTER_CATALOG_H

/*
 * The service catalog every node holds, computed from the membership it
 * already has: no master, no separate replication. A node says which
 * services it offers and how healthy they are in two tags of its signed
 * alive statement (docs/services.md), so nobody but the node can register,
 * deregister or mark its services healthy, and the gossip spreads a change
 * in a few rounds:
 *
 *   svc=web:80:p,api:8080:c:v2+canary    name:port:state[:tag+tag...]
 *   health=passing | warning:CHECK | critical:CHECK | maint[:REASON]
 *
 * state: p passing, w warning, c critical, m maintenance. A catalog
 * answer is a pure function of the members (swim's view), the time and
 * the query: failed members show as failed until `reap_ms` after they
 * died and then age out; members that left are gone at once. Answers are
 * sorted by node name and encoded canonically, so their digest changes
 * exactly when the answer does (what the agent's recipe watches compare).
 *
 * Pure: no clock, sockets or logs; the simulator uses it as the agent does.
 */

#include <stddef.h>
#include <stdint.h>

#include "cluster/swim.h"

struct buf;

#define CATALOG_TAG_SVC		"svc"
#define CATALOG_TAG_HEALTH	"health"
#define CATALOG_NAME_MAX	32	/* service and check names */
#define CATALOG_STAGS_MAX	64	/* a service's tags, "a+b" bytes */
#define CATALOG_SVC_MAX		8	/* services one node registers */
#define CATALOG_ANSWER_MAX	4096	/* instances in one answer */

struct catalog_svc {
	char		name[CATALOG_NAME_MAX + 1];
	uint16_t	port;
	char		state;		/* 'p', 'w', 'c', 'm' */
	char		tags[CATALOG_STAGS_MAX + 1];	/* "a+b" */
};

/* Names: 1..32 of [a-z0-9-], not starting with '-' (a DNS label). */
int	catalog_name_valid(const char *s);
/* Service tags: [A-Za-z0-9._-], '+' between them, 64 bytes at most. */
int	catalog_stags_valid(const char *s);

/*
 * Parses a svc tag value into at most max entries. Entries that do not
 * parse are skipped (a member may run a newer version); returns the count.
 */
size_t	catalog_svc_parse(const char *val, struct catalog_svc *out,
	    size_t max);
/* Appends the svc tag value for v[0..n) to out (no NUL). */
void	catalog_svc_format(const struct catalog_svc *v, size_t n,
	    struct buf *out);

/* One service instance (or one member, for member answers). */
struct catalog_inst {
	char		node[SWIM_NAME_MAX + 1];
	char		addr[SWIM_ADDR_MAX + 1];	/* host only */
	uint16_t	port;
	char		state;		/* p w c m, or 'f' node failed,
					   's' node suspect */
	char		tags[CATALOG_STAGS_MAX + 1];
	char		check[CATALOG_NAME_MAX + 1];	/* failing check */
};

struct catalog_query {
	const char	*service;	/* NULL: members instead */
	int		 healthy;	/* only passing/warning on alive nodes */
	const char	*pack;		/* members: tag pack=, or NULL */
	const char	*tag;		/* members: "k" or "k=v", or NULL */
	uint64_t	 now_ms;	/* the clock swim's status_since uses */
	uint64_t	 reap_ms;	/* failed members age out after this */
};

/*
 * The answer to q over members m[0..n): appended to *out (which grows; the
 * caller frees it), sorted by node name. Returns the count, at most
 * CATALOG_ANSWER_MAX.
 */
size_t	catalog_answer(const struct swim_member *m, size_t n,
	    const struct catalog_query *q, struct catalog_inst **out);
/* Is this instance in a healthy answer? */
int	catalog_inst_healthy(const struct catalog_inst *i);

/*
 * Every service name with its instance counts (all, healthy), sorted:
 * fills names (an array of CATALOG_NAME_MAX + 1 strings, grown, caller
 * frees) and counts (2 per name). Returns how many.
 */
struct catalog_count {
	char		name[CATALOG_NAME_MAX + 1];
	uint32_t	total, healthy;
};
size_t	catalog_services(const struct swim_member *m, size_t n,
	    uint64_t now_ms, uint64_t reap_ms, struct catalog_count **out);

/*
 * The canonical encoding of an answer (CBOR: [1, [[node, addr, port,
 * state, tags, check]...]]) and its decoder, bounded and fuzzed
 * (tests/fuzz/fuzz_catalog.c). decode allocates *out; returns the count
 * or < 0 (TL_EINVAL, TL_ETRUNC, TL_ETOOBIG).
 */
void	catalog_encode(const struct catalog_inst *v, size_t n,
	    struct buf *out);
int	catalog_decode(const uint8_t *p, size_t len,
	    struct catalog_inst **out);
/* FNV-1a 64 of bytes: a change detector, not a security measure. */
uint64_t catalog_digest(const uint8_t *p, size_t len);

/* "passing", "warning", "critical", "maintenance", "failed", "suspect". */
const char *catalog_state_name(char state);

#endif
