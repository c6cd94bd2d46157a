/*
 * Direct converge reports (cluster/convrep.h): the request envelope with
 * the reply address, and the report a node sends back, both ways and cut
 * or bent at every byte.
 */
#include "test.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "cluster/convrep.h"

static void
report_fill(struct convrep *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < CONVREQ_NONCE_LEN; i++)
		r->nonce[i] = (uint8_t)(i * 7 + 1);
	r->node_id[0] = 0xaa;
	r->sig[63] = 0x55;
	strcpy(r->node, "web3");
	r->runs = 42;
	r->serial = 7ull << 40;
	r->status = 2;
	r->changed = 3;
	r->failed = 1;
	r->duration_ms = 912;
	strcpy(r->error, "site.lua:4: no such user");
}

TEST(convrep_report_roundtrip)
{
	struct convrep r, back;
	struct buf b = BUF_INIT;

	report_fill(&r);
	convrep_encode(&r, &b);
	ASSERT(b.len <= CONVREP_MAX);
	ASSERT_EQ(convrep_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_EQ(memcmp(back.nonce, r.nonce, CONVREQ_NONCE_LEN), 0);
	ASSERT_STR_EQ(back.node, "web3");
	ASSERT_EQ(back.runs, 42);
	ASSERT_EQ(back.serial, 7ull << 40);
	ASSERT_EQ(back.status, 2);
	ASSERT_EQ(back.changed, 3);
	ASSERT_EQ(back.failed, 1);
	ASSERT_EQ(back.duration_ms, 912);
	ASSERT_STR_EQ(back.error, "site.lua:4: no such user");
	ASSERT_EQ(back.node_id[0], 0xaa);
	ASSERT_EQ(back.sig[63], 0x55);
	/* The node signs every field before its signature. */
	{
		struct buf s1 = BUF_INIT, s2 = BUF_INIT;

		convrep_signed(&r, &s1);
		ASSERT_EQ(s1.len, sizeof(CONVREP_DOMAIN) + b.len -
		    CONVREP_SIG_LEN);
		ASSERT_MEM_EQ(s1.data + sizeof(CONVREP_DOMAIN), b.data,
		    b.len - CONVREP_SIG_LEN);
		r.runs++;
		convrep_signed(&r, &s2);
		ASSERT(memcmp(s1.data, s2.data, s1.len) != 0);
		r.runs--;
		buf_release(&s1);
		buf_release(&s2);
	}
	/* Every shorter prefix is refused, and so is a byte more. */
	for (size_t n = 0; n < b.len; n++)
		ASSERT(convrep_decode((uint8_t *)b.data, n, &back) < 0);
	buf_addch(&b, 0);
	ASSERT_EQ(convrep_decode((uint8_t *)b.data, b.len, &back), TL_EINVAL);
	buf_release(&b);
}

TEST(convrep_report_refuses_bad_fields)
{
	struct convrep r, back;
	struct buf b = BUF_INIT;

	report_fill(&r);
	r.error[0] = '\0';
	convrep_encode(&r, &b);
	ASSERT_EQ(convrep_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_STR_EQ(back.error, "");
	b.data[0] = CONVREP_VERSION + 1;	/* unknown version */
	ASSERT_EQ(convrep_decode((uint8_t *)b.data, b.len, &back), TL_EINVAL);
	b.data[0] = CONVREP_VERSION;
	b.data[1 + CONVREQ_NONCE_LEN + CONVREP_ID_LEN + 1] = '\0'; /* NUL in
							   the name */
	ASSERT_EQ(convrep_decode((uint8_t *)b.data, b.len, &back), TL_EINVAL);
	buf_reset(&b);
	/* An over-long error is cut, not sent whole. */
	report_fill(&r);
	memset(r.error, 'x', CONVREP_ERR_MAX);
	r.error[CONVREP_ERR_MAX] = '\0';
	convrep_encode(&r, &b);
	ASSERT_EQ(convrep_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_EQ(strlen(back.error), CONVREP_ERR_MAX);
	b.data[b.len - CONVREP_SIG_LEN - CONVREP_ERR_MAX - 1] =
	    (char)(CONVREP_ERR_MAX + 1);
	ASSERT(convrep_decode((uint8_t *)b.data, b.len, &back) < 0);
	buf_release(&b);
}

TEST(convrep_envelope_roundtrip)
{
	static const uint8_t req[] = { 1, 4, 'w', 'e', 'b', '3', 9, 9 };
	char addr[CONVREP_ADDR_MAX + 1], longaddr[CONVREP_ADDR_MAX + 2];
	struct buf b = BUF_INIT;
	const uint8_t *p;
	size_t n;

	ASSERT_EQ(convrep_env_encode("10.0.0.1:7946", req, sizeof(req), &b),
	    0);
	ASSERT_EQ(convrep_env_decode((uint8_t *)b.data, b.len, addr, &p, &n),
	    0);
	ASSERT_STR_EQ(addr, "10.0.0.1:7946");
	ASSERT_EQ(n, sizeof(req));
	ASSERT_EQ(memcmp(p, req, n), 0);
	/* No request after the address, a cut address, a NUL in it. */
	ASSERT_EQ(convrep_env_decode((uint8_t *)b.data, 14, addr, &p, &n),
	    TL_ETRUNC);
	ASSERT(convrep_env_decode((uint8_t *)b.data, 5, addr, &p, &n) < 0);
	b.data[3] = '\0';
	ASSERT_EQ(convrep_env_decode((uint8_t *)b.data, b.len, addr, &p, &n),
	    TL_EINVAL);
	b.data[0] = 0;
	ASSERT_EQ(convrep_env_decode((uint8_t *)b.data, b.len, addr, &p, &n),
	    TL_EINVAL);
	buf_reset(&b);
	memset(longaddr, '1', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	ASSERT_EQ(convrep_env_encode(longaddr, req, sizeof(req), &b),
	    TL_EINVAL);
	ASSERT_EQ(convrep_env_encode("", req, sizeof(req), &b), TL_EINVAL);
	buf_release(&b);
}

/* The pure half (cluster/convreq.h): a body built without a key decodes
 * to what went in, and only its name and clock decide freshness. */
TEST(convreq_body_and_fresh_without_keys)
{
	uint8_t nonce[CONVREQ_NONCE_LEN], kid[CONVREQ_KEY_ID_LEN];
	uint8_t sig[CONVREQ_SIG_LEN];
	struct buf b = BUF_INIT, msg = BUF_INIT;
	struct convreq req;
	uint64_t now = 1700000000000ull;

	memset(nonce, 0xab, sizeof(nonce));
	memset(kid, 0x11, sizeof(kid));
	memset(sig, 0x22, sizeof(sig));
	ASSERT_EQ(convreq_encode_body("", now, nonce, kid, &b), TL_EINVAL);
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(convreq_encode_body("web \"3\" caf\xc3\xa9", now, nonce, kid,
	    &b), 0);
	buf_add(&b, sig, sizeof(sig));
	ASSERT_EQ(convreq_decode((uint8_t *)b.data, b.len, &req), 0);
	ASSERT_STR_EQ(req.name, "web \"3\" caf\xc3\xa9");
	ASSERT_EQ(req.issued_ms, now);
	ASSERT_MEM_EQ(req.nonce, nonce, sizeof(nonce));
	ASSERT_MEM_EQ(req.key_id, kid, sizeof(kid));
	ASSERT_EQ(req.signed_len, b.len - CONVREQ_SIG_LEN);
	ASSERT_MEM_EQ(req.sig, sig, sizeof(sig));
	convreq_to_sign(req.signed_part, req.signed_len, &msg);
	ASSERT_EQ(msg.len, sizeof("tlaloc-converge-v1") + req.signed_len);
	ASSERT_EQ(convreq_fresh(&req, req.name, now + CONVREQ_SKEW_MS), 0);
	ASSERT_EQ(convreq_fresh(&req, req.name, now - CONVREQ_SKEW_MS), 0);
	ASSERT_EQ(convreq_fresh(&req, req.name, now + CONVREQ_SKEW_MS + 1),
	    TL_ETIMEOUT);
	ASSERT_EQ(convreq_fresh(&req, "web", now), TL_EINVAL);
	buf_add(&b, "", 1);
	ASSERT_EQ(convreq_decode((uint8_t *)b.data, b.len, &req), TL_EINVAL);
	buf_release(&b);
	buf_release(&msg);
}
