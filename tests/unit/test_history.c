/* engine/history.c: compaction, bounds, queries, the ask codec. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "engine/history.h"
#include "test.h"

static const char report[] =
    "{\"version\":1,\"run_id\":\"r1\",\"noop\":false,\"started\":5,"
    "\"duration_ms\":9,\"summary\":{\"total\":3,\"changed\":1,"
    "\"failed\":1},\"resources\":["
    "{\"ref\":\"file[/etc/motd]\",\"type\":\"file\",\"title\":\"/etc/motd\","
    "\"result\":\"changed\",\"changes\":[\"content a -> b\"],"
    "\"diff\":\"-secret old\\n+secret new\\n\"},"
    "{\"ref\":\"file[/etc/x]\",\"type\":\"file\",\"title\":\"/etc/x\","
    "\"result\":\"unchanged\",\"changes\":[]},"
    "{\"ref\":\"exec[db]\",\"type\":\"exec\",\"title\":\"db\","
    "\"result\":\"failed\",\"changes\":[],\"error\":\"exited 3\"}]}\n";

static void
run_at(struct history_run *r, uint64_t n, uint64_t when)
{
	memset(r, 0, sizeof(*r));
	r->run = n;
	r->when_s = when;
	r->serial = 7;
	r->status = 6;
	r->why = "schedule";
	r->error = "";
}

TEST(history_compact_keeps_no_diff_and_no_unchanged)
{
	struct buf out = BUF_INIT;
	int trunc;

	ASSERT_EQ(history_compact(report, strlen(report), NULL, 0, &out,
	    &trunc), 2);
	ASSERT_EQ(trunc, 0);
	ASSERT(strstr(out.data, "secret") == NULL);
	ASSERT(strstr(out.data, "/etc/x") == NULL);
	/* failures first */
	ASSERT(strstr(out.data, "exec[db]") < strstr(out.data, "/etc/motd"));
	ASSERT(strstr(out.data, "\"summary\":{\"total\":3") != NULL);
	ASSERT(strstr(out.data, "\"version\"") == NULL);
	buf_reset(&out);
	ASSERT_EQ(history_compact(report, strlen(report), "exec[db]", 0,
	    &out, &trunc), 1);
	ASSERT(strstr(out.data, "motd") == NULL);
	buf_reset(&out);
	ASSERT_EQ(history_compact("{\"resources\":[{]}", 17, NULL, 0, &out,
	    &trunc), TL_EINVAL);
	ASSERT_EQ(history_compact("[1]", 3, NULL, 0, &out, &trunc),
	    TL_EINVAL);
	buf_release(&out);
}

TEST(history_bounds_by_count_and_keeps_across_opens)
{
	char *path = test_path("history.jsonl");
	struct history_limits lim = { 3, 0 };
	struct tl_err err = TL_ERR_INIT;
	struct history *h = history_open(path, &lim, &err);
	struct history_run r;
	struct buf out = BUF_INIT;

	ASSERT(h != NULL);
	for (uint64_t i = 1; i <= 5; i++) {
		run_at(&r, i, 1000 + i);
		ASSERT_EQ(history_add(h, &r, report, strlen(report), &err), 0);
	}
	ASSERT_EQ(history_count(h), 3);
	history_free(h);
	h = history_open(path, &lim, &err);
	ASSERT_EQ(history_count(h), 3);
	history_query(h, 1004, NULL, 0, 0, &out);
	/* newest first, since 1004: runs 5 and 4 */
	ASSERT(strncmp(out.data, "[{\"run\":5,", 10) == 0);
	ASSERT(strstr(out.data, "{\"run\":4,") != NULL);
	ASSERT(strstr(out.data, "{\"run\":3,") == NULL);
	buf_reset(&out);
	history_query(h, 0, "/etc/motd", 1, 0, &out);
	ASSERT(strstr(out.data, "exec[db]") == NULL);
	ASSERT(strstr(out.data, "/etc/motd") != NULL);
	buf_reset(&out);
	history_query(h, 0, "nothing[here]", 0, 0, &out);
	ASSERT_STR_EQ(out.data, "[]");
	buf_release(&out);
	history_free(h);
	free(path);
}

TEST(history_bounds_by_size_and_drops_torn_lines)
{
	char *path = test_path("history.jsonl");
	struct history_limits lim = { 100, 1500 };
	struct tl_err err = TL_ERR_INIT;
	struct history *h = history_open(path, &lim, &err);
	struct history_run r;
	struct buf b = BUF_INIT;

	for (uint64_t i = 1; i <= 10; i++) {
		run_at(&r, i, 1000 + i);
		history_add(h, &r, report, strlen(report), &err);
	}
	ASSERT(history_bytes(h) <= 1500);
	ASSERT(history_count(h) >= 1);
	history_free(h);
	/* A torn last line and a line of garbage are dropped on open. */
	ASSERT_EQ(fileio_read(path, 1 << 20, &b, &err), 0);
	buf_addstr(&b, "not json\n{\"run\":99,\"when\":12");
	ASSERT_EQ(fileio_write_quick(path, b.data, b.len, &err), 0);
	h = history_open(path, &lim, &err);
	ASSERT(history_count(h) >= 1);
	buf_reset(&b);
	history_query(h, 0, NULL, 0, 0, &b);
	ASSERT(strstr(b.data, "\"run\":99") == NULL);
	buf_release(&b);
	history_free(h);
	free(path);
}

TEST(history_text_and_a_run_that_could_not_start)
{
	char *path = test_path("h.jsonl");
	struct tl_err err = TL_ERR_INIT;
	struct history *h = history_open(path, NULL, &err);
	struct history_run r;
	struct buf q = BUF_INIT, t = BUF_INIT;

	run_at(&r, 1, 1796315521);
	r.status = 1;
	r.error = "site.lua:3: unknown attribute 'modee'";
	history_add(h, &r, "", 0, &err);
	history_query(h, 0, NULL, 0, 0, &q);
	ASSERT(strstr(q.data, "\"summary\":null") != NULL);
	ASSERT_EQ(history_text(q.data, q.len, &t), 0);
	ASSERT(strstr(t.data, "2026-") != NULL);
	ASSERT(strstr(t.data, "unknown attribute 'modee'") != NULL);
	ASSERT_EQ(history_text("{}", 2, &t), TL_EINVAL);
	buf_release(&q);
	buf_release(&t);
	history_free(h);
	free(path);
}

TEST(history_ask_round_trip_and_refusals)
{
	struct history_ask q, d;
	struct buf b = BUF_INIT;

	memset(&q, 0, sizeof(q));
	memset(q.sender, 0xab, sizeof(q.sender));
	q.what = HISTORY_WHAT_FACTS;
	q.since_s = 12345;
	q.limit = 7;
	snprintf(q.ref, sizeof(q.ref), "file[/etc/motd]");
	history_ask_encode(&q, &b);
	for (int i = 0; i < HISTORY_SIG_LEN; i++)
		buf_addch(&b, i);
	ASSERT_EQ(history_ask_decode((uint8_t *)b.data, b.len, &d), 0);
	ASSERT_EQ(d.what, HISTORY_WHAT_FACTS);
	ASSERT_EQ(d.since_s, 12345);
	ASSERT_EQ(d.limit, 7);
	ASSERT_STR_EQ(d.ref, "file[/etc/motd]");
	ASSERT_EQ(d.signed_len, b.len - HISTORY_SIG_LEN);
	ASSERT_EQ(d.sig[1], 1);
	ASSERT(history_ask_decode((uint8_t *)b.data, b.len - 1, &d) < 0);
	buf_addch(&b, 0);
	ASSERT(history_ask_decode((uint8_t *)b.data, b.len, &d) < 0);
	b.data[0] = 9;
	ASSERT(history_ask_decode((uint8_t *)b.data, b.len - 1, &d) < 0);
	buf_release(&b);
}
