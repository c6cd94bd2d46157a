/*
 * Services and health: the check verdict machine (thresholds, grace, flap
 * damping), the catalog built from members' tags, and the DNS codec.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/catalog.h"
#include "cluster/health.h"
#include "core/buf.h"
#include "core/err.h"
#include "net/dns.h"
#include "test.h"

static struct health_config hc = { 2, 3, 0, 0, 0 };

TEST(health_starts_critical_and_rises)
{
	struct health h;

	health_init(&h, &hc, 0);
	ASSERT_EQ(h.status, HEALTH_CRITICAL);
	ASSERT_EQ(health_result(&h, HEALTH_PASSING, 1000), 0);
	ASSERT_EQ(health_result(&h, HEALTH_PASSING, 2000), 1);
	ASSERT_EQ(h.status, HEALTH_PASSING);
}

TEST(health_falls_only_after_fall_failures_in_a_row)
{
	struct health h;
	uint64_t t = 0;

	health_init(&h, &hc, 0);
	health_result(&h, HEALTH_PASSING, t += 1000);
	health_result(&h, HEALTH_PASSING, t += 1000);
	/* One failure, then a pass: the run restarts. */
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, t += 1000), 0);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, t += 1000), 0);
	ASSERT_EQ(health_result(&h, HEALTH_PASSING, t += 1000), 0);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, t += 1000), 0);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, t += 1000), 0);
	ASSERT_EQ(h.status, HEALTH_PASSING);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, t += 1000), 1);
	ASSERT_EQ(h.status, HEALTH_CRITICAL);
}

TEST(health_alternating_results_never_change_the_verdict)
{
	struct health h;
	uint64_t t = 0;

	health_init(&h, &hc, 0);
	health_result(&h, HEALTH_PASSING, t += 1000);
	health_result(&h, HEALTH_PASSING, t += 1000);
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(health_result(&h, i % 2 ? HEALTH_PASSING :
		    HEALTH_CRITICAL, t += 1000), 0);
	ASSERT_EQ(h.changes, 1);
}

TEST(health_grace_ignores_failures_while_starting)
{
	struct health_config g = { 1, 1, 10000, 0, 0 };
	struct health h;

	health_init(&h, &g, 0);
	ASSERT_EQ(health_result(&h, HEALTH_PASSING, 1000), 1);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, 5000), 0);
	ASSERT_EQ(h.status, HEALTH_PASSING);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, 11000), 1);
}

TEST(health_recovery_is_held_failure_is_not)
{
	struct health_config r = { 2, 3, 0, 1, 30000 };
	struct health h;
	uint64_t t = 0;

	health_init(&h, &r, 0);
	/* A first pass is not held: a new instance joins at `rise`. */
	health_result(&h, HEALTH_PASSING, t += 1000);
	ASSERT_EQ(health_result(&h, HEALTH_PASSING, t += 1000), 1);
	/* A failure is told at `fall`. */
	health_result(&h, HEALTH_CRITICAL, t += 1000);
	health_result(&h, HEALTH_CRITICAL, t += 1000);
	ASSERT_EQ(health_result(&h, HEALTH_CRITICAL, t += 1000), 1);
	/* Up 20 s, down 20 s: never told back. */
	for (int cycle = 0; cycle < 5; cycle++) {
		for (int i = 0; i < 20; i++)
			ASSERT_EQ(health_result(&h, HEALTH_PASSING,
			    t += 1000), 0);
		for (int i = 0; i < 20; i++)
			ASSERT_EQ(health_result(&h, HEALTH_CRITICAL,
			    t += 1000), 0);
	}
	ASSERT_EQ(h.status, HEALTH_CRITICAL);
	/* Passing 30 s after the rise: back. */
	for (int i = 0; i < 40; i++)
		if (health_result(&h, HEALTH_PASSING, t += 1000))
			break;
	ASSERT_EQ(h.status, HEALTH_PASSING);
	ASSERT(t - h.raw_ms >= 30000);
	ASSERT_EQ(h.changes, 3);
}

TEST(health_damping_holds_a_flapping_check_critical)
{
	struct health_config f = { 1, 1, 0, 0, 0 };
	struct health h;
	uint64_t t = 0;
	unsigned changes = 0;

	health_init(&h, &f, 0);
	/* Up and down every 5 s for ten minutes. */
	for (int i = 0; i < 120; i++)
		changes += (unsigned)health_result(&h, i % 2 ? HEALTH_CRITICAL :
		    HEALTH_PASSING, t += 5000);
	ASSERT(changes <= 4);
	ASSERT_EQ(h.status, HEALTH_CRITICAL);
	ASSERT(h.is_suppressed);
	/* Stable and passing: released once the penalty decayed. */
	for (int i = 0; i < 60; i++)
		health_result(&h, HEALTH_PASSING, t += 5000);
	ASSERT_EQ(h.status, HEALTH_PASSING);
	ASSERT(!h.is_suppressed);
}

static void
member(struct swim_member *m, const char *name, const char *addr,
    enum swim_status st, const char *tags, size_t tags_len)
{
	static const uint8_t id[SWIM_ID_LEN];

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->name = name;
	m->addr = addr;
	m->status = st;
	m->tags = tags;
	m->tags_len = tags_len;
}

#define TAGS(s) s, sizeof(s)

TEST(catalog_svc_tag_round_trip)
{
	struct catalog_svc v[4];
	struct buf b = BUF_INIT;
	size_t n;

	n = catalog_svc_parse("web:80:p,bad,api:8080:c:v2+canary,x:0:p", v, 4);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(v[1].name, "api");
	ASSERT_EQ(v[1].port, 8080);
	ASSERT_EQ(v[1].state, 'c');
	ASSERT_STR_EQ(v[1].tags, "v2+canary");
	catalog_svc_format(v, n, &b);
	buf_addch(&b, 0);
	ASSERT_STR_EQ(b.data, "web:80:p,api:8080:c:v2+canary");
	buf_release(&b);
	ASSERT(!catalog_name_valid("Web"));
	ASSERT(!catalog_name_valid("-web"));
	ASSERT(!catalog_stags_valid("a++b"));
}

TEST(catalog_answers_healthy_instances_only)
{
	struct swim_member m[5];
	struct catalog_query q = { "web", 1, NULL, NULL, 100000, 60000 };
	struct catalog_inst *v;
	struct catalog_count *c;
	size_t n;

	member(&m[0], "w3", "10.0.0.3:7946", SWIM_ALIVE,
	    TAGS("svc=web:80:p\0health=passing"));
	member(&m[1], "w1", "10.0.0.1:7946", SWIM_ALIVE,
	    TAGS("svc=web:80:c\0health=critical:web-http"));
	member(&m[2], "w2", "[fd00::2]:7946", SWIM_ALIVE,
	    TAGS("svc=web:8080:p:v2\0health=passing"));
	member(&m[3], "w4", "10.0.0.4:7946", SWIM_DEAD,
	    TAGS("svc=web:80:p"));
	m[3].status_since_ms = 90000;
	member(&m[4], "w5", "10.0.0.5:7946", SWIM_LEFT, TAGS("svc=web:80:p"));
	n = catalog_answer(m, 5, &q, &v);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(v[0].node, "w2");
	ASSERT_STR_EQ(v[0].addr, "fd00::2");
	ASSERT_EQ(v[0].port, 8080);
	ASSERT_STR_EQ(v[1].node, "w3");
	free(v);
	q.healthy = 0;
	n = catalog_answer(m, 5, &q, &v);
	ASSERT_EQ(n, 4);	/* left is gone, failed still shown */
	ASSERT_EQ(v[0].state, 'c');
	ASSERT_STR_EQ(v[0].check, "web-http");
	ASSERT_EQ(v[3].state, 'f');
	free(v);
	/* The dead node ages out. */
	q.now_ms = 200000;
	n = catalog_answer(m, 5, &q, &v);
	ASSERT_EQ(n, 3);
	free(v);
	n = catalog_services(m, 5, 100000, 60000, &c);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(c[0].total, 4);
	ASSERT_EQ(c[0].healthy, 2);
	free(c);
}

TEST(catalog_maintenance_leaves_the_healthy_answer)
{
	struct swim_member m[1];
	struct catalog_query q = { NULL, 1, NULL, NULL, 0, 0 };
	struct catalog_inst *v;

	member(&m[0], "w1", "10.0.0.1:7946", SWIM_ALIVE,
	    TAGS("svc=web:80:m\0health=maint:kernel\0pack=web"));
	ASSERT_EQ(catalog_answer(m, 1, &q, &v), 0);
	free(v);
	q.healthy = 0;
	q.pack = "web";
	ASSERT_EQ(catalog_answer(m, 1, &q, &v), 1);
	ASSERT_EQ(v[0].state, 'm');
	ASSERT_STR_EQ(v[0].tags, "web");
	free(v);
	q.pack = "db";
	ASSERT_EQ(catalog_answer(m, 1, &q, &v), 0);
	free(v);
}

TEST(catalog_odd_health_flips_make_a_passing_node_critical)
{
	struct swim_member m[2];
	struct catalog_query q = { "web", 1, NULL, NULL, 0, 0 };
	struct catalog_inst *v;
	struct catalog_count *c;

	member(&m[0], "w1", "10.0.0.1:7946", SWIM_ALIVE,
	    TAGS("svc=web:80:p\0health=passing"));
	member(&m[1], "w2", "10.0.0.2:7946", SWIM_ALIVE,
	    TAGS("svc=web:80:m\0health=maint:kernel"));
	m[0].health_flips = 1;
	m[1].health_flips = 1;
	ASSERT_EQ(catalog_answer(m, 2, &q, &v), 0);
	free(v);
	ASSERT_EQ(catalog_services(m, 2, 0, 0, &c), 1);
	ASSERT_EQ(c[0].healthy, 0);
	free(c);
	q.healthy = 0;
	ASSERT_EQ(catalog_answer(m, 2, &q, &v), 2);
	ASSERT_EQ(v[0].state, 'c');
	ASSERT_EQ(v[1].state, 'm');	/* maintenance stays maintenance */
	free(v);
	/* Flipped back: the statement's own health again. */
	m[0].health_flips = 2;
	q.healthy = 1;
	ASSERT_EQ(catalog_answer(m, 2, &q, &v), 1);
	ASSERT_STR_EQ(v[0].node, "w1");
	free(v);
}

TEST(catalog_encoding_round_trip_and_bounds)
{
	struct catalog_inst in[2] = { { "n1", "10.0.0.1", 80, 'p', "a+b", "" },
	    { "n2", "fd00::1", 443, 'c', "", "http" } }, *out;
	struct buf b = BUF_INIT;

	catalog_encode(in, 2, &b);
	ASSERT_EQ(catalog_decode((const uint8_t *)b.data, b.len, &out), 2);
	ASSERT_MEM_EQ(&in[0], &out[0], sizeof(in[0]));
	ASSERT_MEM_EQ(&in[1], &out[1], sizeof(in[1]));
	free(out);
	for (size_t cut = 0; cut < b.len; cut++)
		ASSERT(catalog_decode((const uint8_t *)b.data, cut, &out) < 0);
	ASSERT_NE(catalog_digest((const uint8_t *)b.data, b.len),
	    catalog_digest((const uint8_t *)b.data, b.len - 1));
	buf_release(&b);
}

static size_t
query(uint8_t *p, const char *name, uint16_t type, int edns)
{
	static const uint8_t hdr[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0,
	    0, 0, 0 };
	size_t n = sizeof(hdr);

	memcpy(p, hdr, n);
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot != NULL);
	}
	p[n++] = 0;
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	p[n++] = 0;
	p[n++] = 1;
	if (edns) {
		static const uint8_t opt[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0,
		    0, 0 };
		p[11] = 1;
		memcpy(p + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

TEST(dns_query_parse_and_reply)
{
	uint8_t p[512];
	struct dns_query q;
	struct dns_rr rr[2] = { { DNS_T_SRV, NULL, 0, { 0 }, 1, 1, 80,
	    "w1.node.tlaloc" }, { DNS_T_A, "w1.node.tlaloc", 0,
	    { 10, 0, 0, 1 }, 0, 0, 0, NULL } };
	struct buf b = BUF_INIT;
	uint16_t types[4];
	int rcode, tc;
	size_t n = query(p, "Web.Service.TLALOC", DNS_T_SRV, 1);

	ASSERT_EQ(dns_parse_query(p, n, &q), 0);
	ASSERT_STR_EQ(q.name, "web.service.tlaloc");
	ASSERT_EQ(q.qtype, DNS_T_SRV);
	ASSERT(q.has_edns);
	ASSERT_EQ(q.udp_size, 4096);
	ASSERT_EQ(dns_build_reply(&q, DNS_R_OK, rr, 1, rr + 1, 1, &b), 0);
	ASSERT_EQ(dns_reply_answers((uint8_t *)b.data, b.len, types, 4,
	    &rcode, &tc), 1);
	ASSERT_EQ(types[0], DNS_T_SRV);
	ASSERT_EQ(rcode, 0);
	ASSERT(!tc);
	buf_release(&b);
	/* Every truncation of the query is refused. */
	for (size_t cut = 0; cut < n; cut++)
		ASSERT(dns_parse_query(p, cut, &q) < 0);
	/* A compression pointer in a query is refused. */
	n = query(p, "a", DNS_T_A, 0);
	p[12] = 0xc0;
	ASSERT(dns_parse_query(p, n, &q) < 0);
}

TEST(dns_reply_truncates_to_512_without_edns)
{
	uint8_t p[512];
	struct dns_query q;
	struct dns_rr rr[100];
	struct buf b = BUF_INIT;
	int rcode, tc, n;

	ASSERT_EQ(dns_parse_query(p, query(p, "web.service.tlaloc", DNS_T_A,
	    0), &q), 0);
	for (int i = 0; i < 100; i++)
		rr[i] = (struct dns_rr){ DNS_T_A, NULL, 0,
		    { 10, 0, 0, (uint8_t)i }, 0, 0, 0, NULL };
	ASSERT_EQ(dns_build_reply(&q, DNS_R_OK, rr, 100, NULL, 0, &b), 0);
	ASSERT(b.len <= 512);
	n = dns_reply_answers((uint8_t *)b.data, b.len, NULL, 0, &rcode, &tc);
	ASSERT(n > 20 && n < 100);
	ASSERT(tc);
	buf_release(&b);
}

TEST(health_a_restart_is_reported_not_held)
{
	struct health h;
	uint64_t t = 0;

	health_init(&h, &hc, 0);
	health_result(&h, HEALTH_PASSING, t += 1000);
	health_result(&h, HEALTH_PASSING, t += 1000);
	for (int i = 0; i < 3; i++)
		health_result(&h, HEALTH_CRITICAL, t += 1000);
	ASSERT_EQ(h.status, HEALTH_CRITICAL);
	health_result(&h, HEALTH_PASSING, t += 1000);
	ASSERT_EQ(health_result(&h, HEALTH_PASSING, t += 1000), 1);
	ASSERT_EQ(h.status, HEALTH_PASSING);
	ASSERT(!h.is_suppressed);
}
