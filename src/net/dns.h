#ifndef TLALOC_NET_DNS_H
#define TLALOC_NET_DNS_H

/*
 * A small DNS message codec (RFC 1035, SRV from RFC 2782, AAAA from RFC
 * 3596, EDNS0 size from RFC 6891) for the agent's catalog responder:
 * parse one query, build one authoritative answer. Only what a stub or a
 * forwarding resolver (dnsmasq, unbound, systemd-resolved) sends is
 * accepted: one question, no answers or authority, at most one additional
 * record (an OPT). Everything else is refused with FORMERR by the caller.
 * Bounded: names are at most 255 bytes, labels 63, messages 4096 bytes;
 * compression pointers are refused in queries (no loops to follow).
 * Fuzzed by tests/fuzz/fuzz_dns.c.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;

#define DNS_NAME_MAX	255	/* dotted text, without the final dot */
#define DNS_UDP_MIN	512
#define DNS_UDP_MAX	4096

#define DNS_T_A		1
#define DNS_T_SOA	6
#define DNS_T_AAAA	28
#define DNS_T_SRV	33
#define DNS_T_OPT	41
#define DNS_T_ANY	255
#define DNS_C_IN	1

#define DNS_R_OK	0
#define DNS_R_FORMERR	1
#define DNS_R_SERVFAIL	2
#define DNS_R_NXDOMAIN	3
#define DNS_R_NOTIMP	4
#define DNS_R_REFUSED	5

struct dns_query {
	uint16_t	id;
	uint16_t	flags;		/* as received */
	char		name[DNS_NAME_MAX + 1];	/* lowercase, no final dot */
	uint16_t	qtype, qclass;
	int		has_edns;
	uint16_t	udp_size;	/* what the asker accepts */
};

struct dns_rr {
	uint16_t	type;		/* DNS_T_A, _AAAA or _SRV */
	const char	*name;		/* owner; NULL = the question's name */
	uint32_t	ttl;
	uint8_t		addr[16];	/* A: 4 bytes, AAAA: 16 */
	uint16_t	prio, weight, port;	/* SRV */
	const char	*target;	/* SRV */
};

/*
 * Parses a query. Returns 0, or < 0 (TL_ETRUNC, TL_EINVAL) when it is not
 * a query this codec accepts; q->id is set whenever the header was whole,
 * so the caller can still answer FORMERR.
 */
int	dns_parse_query(const uint8_t *p, size_t len, struct dns_query *q);

/*
 * Builds the answer to q: rcode, the answer records an[0..nan) and the
 * additional records ad[0..nad). Records that do not fit in the asker's
 * size (512, or its EDNS size up to DNS_UDP_MAX) are left out and the
 * message is marked truncated (TC), so the asker retries over TCP.
 * Returns 0, or TL_EINVAL for a record whose name cannot be encoded.
 */
int	dns_build_reply(const struct dns_query *q, int rcode,
	    const struct dns_rr *an, size_t nan, const struct dns_rr *ad,
	    size_t nad, struct buf *out);

/*
 * Reads the answer section of a reply we built (tests, the fuzzer's
 * round trip): the count of answers and, if out is not NULL, up to max of
 * their types. Follows compression pointers backwards only.
 */
int	dns_reply_answers(const uint8_t *p, size_t len, uint16_t *types,
	    size_t max, int *rcode, int *is_truncated);

#endif
