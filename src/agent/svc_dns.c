/*
 * The DNS responder: answers from the catalog this node holds, on the
 * `dns` address (UDP), for names under `dns_domain`:
 *
 *   web.service.DOMAIN          A/AAAA of healthy instances, SRV too
 *   _web._tcp.service.DOMAIN    SRV (RFC 2782 form), targets NODE.node.
 *   TAG.web.service.DOMAIN      healthy instances carrying service tag TAG
 *   NAME.node.DOMAIN            A/AAAA of a live member
 *
 * Only healthy instances are ever answered (passing or warning, on a live
 * node, not in maintenance). Names outside the domain are REFUSED: this
 * is not a recursive resolver; forward the domain to it from dnsmasq,
 * unbound or systemd-resolved (docs/services.md). Answers are shuffled so
 * clients that take the first address spread out. Malformed queries are
 * answered FORMERR when their header was whole, and counted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/svc_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/xalloc.h"
#include "net/dns.h"
#include "net/udp.h"

#define DNS_RR_MAX	64	/* answers in one reply, before truncation */

struct answer {
	struct dns_rr	 an[DNS_RR_MAX], ad[DNS_RR_MAX];
	size_t		 nan, nad;
	char		 targets[DNS_RR_MAX][DNS_NAME_MAX + 1];
};

static const char *
domain_of(const struct agent *a)
{
	return a->cfg.svc.dns_domain ? a->cfg.svc.dns_domain : "tlaloc";
}

/* The address records of one host, into rr (owner name). */
static int
addr_rr(const char *host, uint16_t qtype, const char *owner, uint32_t ttl,
    struct dns_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
	rr->name = owner;
	rr->ttl = ttl;
	if (inet_pton(AF_INET, host, rr->addr) == 1)
		rr->type = DNS_T_A;
	else if (inet_pton(AF_INET6, host, rr->addr) == 1)
		rr->type = DNS_T_AAAA;
	else
		return 0;
	return qtype == DNS_T_ANY || qtype == rr->type ||
	    qtype == DNS_T_SRV;
}

/* A node name usable as a DNS label. */
static int
label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return 0;
	return 1;
}

static int
has_tag(const char *tags, const char *tag)
{
	size_t tl = strlen(tag);

	for (const char *p = tags; *p; ) {
		size_t n = strcspn(p, "+");

		if (n == tl && strncmp(p, tag, n) == 0)
			return 1;
		p += n + (p[n] == '+');
	}
	return 0;
}

/* Fills ans for service; DNS_R_NXDOMAIN when nobody registers it. */
static int
service_answer(struct agent *a, const struct dns_query *q,
    const char *service, const char *tag, struct answer *ans)
{
	struct catalog_query cq = { service, 0, NULL, NULL, 0, 0 };
	uint32_t ttl = a->cfg.svc.dns_ttl_s;
	int want_srv = q->qtype == DNS_T_SRV || q->qtype == DNS_T_ANY;
	struct catalog_inst *v;
	struct swim_member *m;
	size_t n = svc_members(a, &m), k, any = 0;

	cq.now_ms = agent_now(a);
	cq.reap_ms = (uint64_t)a->cfg.svc.reap_s * 1000;
	k = catalog_answer(m, n, &cq, &v);
	/* Shuffle (Fisher-Yates) so first-address clients spread out. */
	for (size_t i = k; i > 1; i--) {
		size_t j = tl_rng_below(&a->rng, i);
		struct catalog_inst t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	for (size_t i = 0; i < k; i++) {
		struct dns_rr rr;

		if (tag != NULL && !has_tag(v[i].tags, tag))
			continue;
		any++;
		if (!catalog_inst_healthy(&v[i]) || ans->nan == DNS_RR_MAX)
			continue;
		if (!want_srv) {
			if (addr_rr(v[i].addr, q->qtype, NULL, ttl, &rr))
				ans->an[ans->nan++] = rr;
			continue;
		}
		if (!label_ok(v[i].node))
			continue;
		snprintf(ans->targets[ans->nan], DNS_NAME_MAX + 1,
		    "%s.node.%s", v[i].node, domain_of(a));
		memset(&rr, 0, sizeof(rr));
		rr.type = DNS_T_SRV;
		rr.ttl = ttl;
		rr.prio = 1;
		rr.weight = 1;
		rr.port = v[i].port;
		rr.target = ans->targets[ans->nan];
		if (addr_rr(v[i].addr, DNS_T_SRV, rr.target, ttl,
		    &ans->ad[ans->nad]))
			ans->nad++;
		ans->an[ans->nan++] = rr;
	}
	free(v);
	free(m);
	return any ? DNS_R_OK : DNS_R_NXDOMAIN;
}

static int
node_answer(struct agent *a, const struct dns_query *q, const char *name,
    struct answer *ans)
{
	struct swim_member *m;
	size_t n = svc_members(a, &m);
	int rc = DNS_R_NXDOMAIN;
	char host[SWIM_ADDR_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		const char *colon;
		size_t hl;

		if (strcasecmp(m[i].name, name) != 0)
			continue;
		if (m[i].status != SWIM_ALIVE && m[i].status != SWIM_SUSPECT)
			break;
		rc = DNS_R_OK;
		colon = strrchr(m[i].addr, ':');
		hl = colon ? (size_t)(colon - m[i].addr) : strlen(m[i].addr);
		if (hl >= 2 && m[i].addr[0] == '[')
			snprintf(host, sizeof(host), "%.*s", (int)hl - 2,
			    m[i].addr + 1);
		else
			snprintf(host, sizeof(host), "%.*s", (int)hl,
			    m[i].addr);
		if (q->qtype != DNS_T_SRV && addr_rr(host, q->qtype, NULL,
		    a->cfg.svc.dns_ttl_s, &ans->an[0]))
			ans->nan = 1;
		break;
	}
	free(m);
	return rc;
}

/* Routes a name (without the domain) to its answer. */
static int
answer_name(struct agent *a, const struct dns_query *q, char *rest,
    struct answer *ans)
{
	size_t n = strlen(rest);
	char *dot;

	if (n > 8 && strcmp(rest + n - 8, ".service") == 0) {
		rest[n - 8] = '\0';
		if (strncmp(rest, "_", 1) == 0 &&
		    (dot = strstr(rest, "._tcp")) != NULL &&
		    dot[5] == '\0') {
			*dot = '\0';
			return catalog_name_valid(rest + 1) ?
			    service_answer(a, q, rest + 1, NULL, ans) :
			    DNS_R_NXDOMAIN;
		}
		dot = strrchr(rest, '.');
		if (dot != NULL) {
			*dot = '\0';
			return catalog_name_valid(dot + 1) ?
			    service_answer(a, q, dot + 1, rest, ans) :
			    DNS_R_NXDOMAIN;
		}
		return catalog_name_valid(rest) ?
		    service_answer(a, q, rest, NULL, ans) : DNS_R_NXDOMAIN;
	}
	if (n > 5 && strcmp(rest + n - 5, ".node") == 0) {
		rest[n - 5] = '\0';
		return node_answer(a, q, rest, ans);
	}
	return DNS_R_NXDOMAIN;
}

static void
dns_recv(void *ctx, const char *from, const uint8_t *p, size_t len,
    int is_truncated)
{
	struct agent *a = ctx;
	struct agent_svc *sv = a->svc;
	const char *dom = domain_of(a);
	size_t dl = strlen(dom), nl;
	struct answer *ans;
	struct dns_query q;
	struct buf out = BUF_INIT;
	int rc;

	sv->dns_queries++;
	ans = xcalloc(1, sizeof(*ans));
	if (is_truncated || dns_parse_query(p, len, &q) < 0) {
		sv->dns_malformed++;
		if (len < 12)
			goto out;
		q.flags &= 0x7800;	/* keep the opcode only */
		q.name[0] = '\0';
		/* A FORMERR echoes no question: build it by hand. */
		buf_add(&out, p, 2);
		buf_addch(&out, 0x81);
		buf_addch(&out, DNS_R_FORMERR);
		buf_add(&out, "\0\0\0\0\0\0\0\0", 8);
		udp_send(sv->dns, from, out.data, out.len);
		goto out;
	}
	nl = strlen(q.name);
	if ((q.flags & 0x7800) != 0)
		rc = DNS_R_NOTIMP;
	else if (q.qclass != DNS_C_IN ||
	    !(nl > dl && q.name[nl - dl - 1] == '.' &&
	    strcmp(q.name + nl - dl, dom) == 0)) {
		rc = DNS_R_REFUSED;
		sv->dns_refused++;
	} else {
		char rest[DNS_NAME_MAX + 1];

		snprintf(rest, sizeof(rest), "%.*s", (int)(nl - dl - 1),
		    q.name);
		rc = answer_name(a, &q, rest, ans);
	}
	if (rc == DNS_R_NXDOMAIN)
		sv->dns_nx++;
	else if (rc == DNS_R_OK)
		sv->dns_answers++;
	if (dns_build_reply(&q, rc, ans->an, ans->nan, ans->ad, ans->nad,
	    &out) == 0)
		udp_send(sv->dns, from, out.data, out.len);
out:
	buf_release(&out);
	free(ans);
}

int
svc_dns_open(struct agent *a, struct tl_err *err)
{
	struct agent_svc *sv = a->svc;

	if (a->cfg.svc.dns_bind == NULL)
		return 0;
	sv->dns = udp_open(a->loop, a->cfg.svc.dns_bind, dns_recv, a, err);
	if (sv->dns == NULL)
		return agent_err_wrap(err, TL_EIO, "dns");
	log_info("dns: answering *.%s on %s", domain_of(a),
	    a->cfg.svc.dns_bind);
	return 0;
}

void
svc_dns_close(struct agent_svc *sv)
{
	udp_close(sv->dns);
	sv->dns = NULL;
}
