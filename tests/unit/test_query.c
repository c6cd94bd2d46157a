/*
 * Channel names and lists, query filters, and the query wire format.
 */
#include "cluster/chan.h"
#include "cluster/qfilter.h"
#include "cluster/query.h"

#include "core/buf.h"
#include "core/err.h"
#include "test.h"

TEST(chan_names_and_lists)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	ASSERT_EQ(chan_name_check("#web", NULL), 0);
	ASSERT_EQ(chan_name_check("web", &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "bad channel name 'web'");
	ASSERT_EQ(chan_name_check("#", NULL), TL_EINVAL);
	ASSERT_EQ(chan_name_check("#a b", NULL), TL_EINVAL);
	ASSERT_EQ(chan_name_check("#a,b", NULL), TL_EINVAL);
	ASSERT_EQ(chan_list_edit("", "#web", 1, &b, NULL), 0);
	ASSERT_STR_EQ(b.data, "#web");
	ASSERT_EQ(chan_list_edit("#db,#web", "#web", 0, &b, NULL), 0);
	ASSERT_STR_EQ(b.data, "#db");
	ASSERT_EQ(chan_list_edit("#db", "#web", 1, &b, NULL), 0);
	ASSERT_STR_EQ(b.data, "#db,#web");
	ASSERT(chan_list_has("#db,#web", "#web"));
	ASSERT(!chan_list_has("#db,#webx", "#web"));
	ASSERT(!chan_list_has(NULL, "#web"));
	buf_release(&b);
}

TEST(qfilter_parses_matches_and_names_the_rule)
{
	static const char tags[] = "pack=db\0channels=#web,#ops\0role=edge";
	struct tl_err err = TL_ERR_INIT;
	struct qfilter f;

	ASSERT_EQ(qfilter_parse("#web pack=db", &f, NULL), 0);
	ASSERT(qfilter_match(&f, "db1", tags, sizeof(tags)));
	ASSERT_EQ(qfilter_parse("#web pack=web", &f, NULL), 0);
	ASSERT(!qfilter_match(&f, "db1", tags, sizeof(tags)));
	ASSERT_EQ(qfilter_parse("name=^db[0-9]+$ tag:role=edge", &f, NULL),
	    0);
	ASSERT(qfilter_match(&f, "db12", tags, sizeof(tags)));
	ASSERT(!qfilter_match(&f, "xdb12", tags, sizeof(tags)));
	ASSERT_EQ(qfilter_parse("#all", &f, NULL), 0);
	ASSERT(qfilter_match(&f, "n", "", 0));
	ASSERT_EQ(qfilter_parse("#nope", &f, NULL), 0);
	ASSERT(!qfilter_match(&f, "db1", tags, sizeof(tags)));
	ASSERT_EQ(qfilter_parse("web", &f, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "bad filter term 'web'");
	ASSERT_EQ(qfilter_parse("name=([", &f, &err), TL_EINVAL);
	ASSERT_EQ(qfilter_parse("  ", &f, &err), TL_EINVAL);
	ASSERT_CONTAINS(err.msg, "empty filter");
}

TEST(query_wire_round_trips_and_refuses_junk)
{
	struct query q, back;
	struct query_reply r, rb;
	struct buf body = BUF_INIT, env = BUF_INIT, rep = BUF_INIT;
	const uint8_t *bp, *kid, *sig;
	uint8_t k[QUERY_KEYID_LEN] = { 1 }, s[QUERY_SIG_LEN] = { 2 };
	size_t blen;

	memset(&q, 0, sizeof(q));
	q.type = QUERY_EXEC;
	q.id[0] = 7;
	q.time_ms = 1700000000000ULL;
	q.nonce[3] = 9;
	snprintf(q.filter, sizeof(q.filter), "#web");
	q.timeout_ms = 5000;
	q.argv[0] = "uname";
	q.argv[1] = "-a";
	q.argc = 2;
	q.asker[31] = 4;
	query_body_encode(&q, &body);
	ASSERT_EQ(query_body_decode((uint8_t *)body.data, body.len, &back),
	    0);
	ASSERT_STR_EQ(back.argv[1], "-a");
	ASSERT_EQ(back.argv[2] == NULL, 1);
	ASSERT_EQ(back.timeout_ms, 5000);
	ASSERT_MEM_EQ(back.nonce, q.nonce, QUERY_NONCE_LEN);
	/* The asker is inside what the operator signs. */
	ASSERT_MEM_EQ(back.asker, q.asker, QUERY_NODE_ID_LEN);

	query_env_encode((uint8_t *)body.data, body.len, k, s, &env);
	ASSERT_EQ(query_env_decode((uint8_t *)env.data, env.len, &bp, &blen,
	    &kid, &sig), 0);
	ASSERT_EQ(blen, body.len);
	ASSERT(kid != NULL && sig != NULL && kid[0] == 1 && sig[0] == 2);
	buf_reset(&env);
	query_env_encode((uint8_t *)body.data, body.len, NULL, NULL, &env);
	ASSERT_EQ(query_env_decode((uint8_t *)env.data, env.len, &bp, &blen,
	    &kid, &sig), 0);
	ASSERT(kid == NULL && sig == NULL);
	/* Cut anywhere: refused, never read past the end. */
	for (size_t n = 0; n < env.len; n++)
		ASSERT(query_env_decode((uint8_t *)env.data, n, &bp, &blen,
		    &kid, &sig) < 0);
	/* An exec query without a command is no query. */
	q.argc = 0;
	buf_reset(&body);
	query_body_encode(&q, &body);
	ASSERT_EQ(query_body_decode((uint8_t *)body.data, body.len, &back),
	    TL_EINVAL);

	memset(&r, 0, sizeof(r));
	r.nonce[0] = 6;
	r.node_id[0] = 5;
	r.sig[63] = 8;
	snprintf(r.node, sizeof(r.node), "n3");
	r.outcome = QUERY_RAN;
	r.status = 137;
	r.timed_out = 1;
	r.duration_ms = 1000;
	r.out = (const uint8_t *)"hi\n";
	r.outlen = 3;
	r.dropped = 5;
	snprintf(r.msg, sizeof(r.msg), "killed");
	query_reply_encode(&r, &rep);
	ASSERT_EQ(query_reply_decode((uint8_t *)rep.data, rep.len, &rb), 0);
	ASSERT_STR_EQ(rb.node, "n3");
	ASSERT_EQ(rb.status, 137);
	ASSERT_EQ(rb.timed_out, 1);
	ASSERT_EQ(rb.outlen, 3);
	ASSERT_EQ(rb.dropped, 5);
	ASSERT_STR_EQ(rb.msg, "killed");
	ASSERT_EQ(rb.nonce[0], 6);
	ASSERT_EQ(rb.node_id[0], 5);
	ASSERT_EQ(rb.sig[63], 8);
	/* What the node signs: everything but the signature, so a reply
	 * for another query (nonce) or from another node (id) differs. */
	buf_reset(&body);
	query_reply_signed(&r, &body);
	buf_reset(&env);
	r.nonce[0] = 7;
	query_reply_signed(&r, &env);
	ASSERT(body.len == env.len && memcmp(body.data, env.data,
	    body.len) != 0);
	buf_release(&body);
	buf_release(&env);
	buf_release(&rep);
}
