/*
 * The run report the converge child hands its agent (engine/runrep.h):
 * titles with quotes, backslashes and non-ASCII bytes come back as they
 * went, every cut or bent byte is refused or read within bounds, and
 * what cannot be read back is never written.
 */
#include "test.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "engine/res.h"
#include "engine/runrep.h"

static const char odd_path[] = "/etc/a \"quoted\" \\back\\ caf\xc3\xa9 \xff";

static void
report_fill(struct runrep *rep)
{
	runrep_init(rep);
	rep->exit_code = 6;
	rep->duration_ms = 912;
	rep->total = 3;
	rep->changed = 1;
	rep->unchanged = 1;
	rep->failed = 1;
	runrep_add(rep, "file", odd_path, RES_CHANGED, NULL);
	runrep_add(rep, "package", "nginx", RES_FAILED,
	    "apt-get: \"Unable to locate package\"\n");
	runrep_add(rep, "service", "nginx", RES_UNCHANGED, "");
}

TEST(runrep_roundtrip_keeps_every_byte)
{
	struct runrep rep, back;
	struct buf b = BUF_INIT, again = BUF_INIT;

	report_fill(&rep);
	runrep_encode(&rep, &b);
	ASSERT_EQ(runrep_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_EQ(back.exit_code, 6);
	ASSERT_EQ(back.duration_ms, 912);
	ASSERT_EQ(back.total, 3);
	ASSERT_EQ(back.changed, 1);
	ASSERT_EQ(back.failed, 1);
	ASSERT_EQ(back.nres, 3);
	ASSERT_STR_EQ(back.res[0].type, "file");
	ASSERT_STR_EQ(back.res[0].title, odd_path);
	ASSERT_EQ(back.res[0].result, RES_CHANGED);
	ASSERT_STR_EQ(back.res[1].message,
	    "apt-get: \"Unable to locate package\"\n");
	ASSERT_EQ(back.res[1].result, RES_FAILED);
	ASSERT_STR_EQ(back.error, "");
	runrep_encode(&back, &again);
	ASSERT_EQ(again.len, b.len);
	ASSERT_EQ(memcmp(again.data, b.data, b.len), 0);
	runrep_release(&rep);
	runrep_release(&back);
	buf_release(&b);
	buf_release(&again);
}

TEST(runrep_cut_or_bent_is_refused_cleanly)
{
	struct runrep rep, back;
	struct buf b = BUF_INIT;

	report_fill(&rep);
	runrep_encode(&rep, &b);
	for (size_t n = 0; n < b.len; n++) {
		ASSERT(runrep_decode((uint8_t *)b.data, n, &back) < 0);
		ASSERT_EQ(back.nres, 0);
		ASSERT_STR_EQ(back.error, "");
		runrep_release(&back);
	}
	for (size_t i = 0; i < b.len; i++) {
		uint8_t *p = (uint8_t *)b.data + i, was = *p;

		*p ^= 0x5a;
		if (runrep_decode((uint8_t *)b.data, b.len, &back) == 0)
			ASSERT(back.nres <= 3);
		runrep_release(&back);
		*p = was;
	}
	/* Trailing bytes are not a report. */
	buf_addch(&b, 0);
	ASSERT_EQ(runrep_decode((uint8_t *)b.data, b.len, &back), TL_EINVAL);
	runrep_release(&back);
	runrep_release(&rep);
	buf_release(&b);
}

TEST(runrep_long_text_is_cut_to_what_reads_back)
{
	struct runrep rep, back;
	struct buf b = BUF_INIT, big = BUF_INIT;

	for (size_t i = 0; i < RUNREP_MSG_MAX + 100; i++)
		buf_addch(&big, 'x');
	runrep_init(&rep);
	rep.exit_code = 4;
	rep.failed = 1;
	runrep_add(&rep, "exec", "make", RES_FAILED, big.data);
	runrep_encode(&rep, &b);
	ASSERT_EQ(runrep_decode((uint8_t *)b.data, b.len, &back), 0);
	ASSERT_EQ(strlen(back.res[0].message), RUNREP_MSG_MAX);
	runrep_release(&rep);
	runrep_release(&back);
	buf_release(&b);
	buf_release(&big);
}
