#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "core/be.h"
#include "core/buf.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hex.h"
#include "core/rd.h"
#include "core/spawn.h"
#include "test.h"

TEST(buf_grows_and_stays_terminated)
{
	struct buf b = BUF_INIT;

	ASSERT_STR_EQ(b.data, "");
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	ASSERT_EQ(b.data[b.len], '\0');
	ASSERT(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_truncate(&b, 2);
	ASSERT_STR_EQ(b.data, "0,");
	buf_release(&b);
	ASSERT_EQ(b.len, 0);
	ASSERT_STR_EQ(b.data, "");
}

TEST(buf_json_escapes_control_bytes)
{
	struct buf b = BUF_INIT;

	buf_add_json_str(&b, "a\"b\\\n\x01", 6);
	ASSERT_STR_EQ(b.data, "\"a\\\"b\\\\\\n\\u0001\"");
	buf_release(&b);
}

TEST(buf_formats_in_place_and_grows_when_cut)
{
	struct buf b = BUF_INIT;
	char big[300];

	buf_add_u64(&b, 0);
	buf_addch(&b, ' ');
	buf_add_u64(&b, 18446744073709551615ull);
	ASSERT_STR_EQ(b.data, "0 18446744073709551615");
	/* 64 bytes of room: the first try is cut, the second fits. */
	buf_release(&b);
	buf_addstr(&b, "ab");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_addf(&b, "%s|%d", big, 7);
	ASSERT_EQ(b.len, 2 + 299 + 2);
	ASSERT_EQ(b.data[b.len], '\0');
	ASSERT_STR_EQ(b.data + b.len - 3, "x|7");
	buf_addf(&b, "%s", "");
	ASSERT_EQ(b.len, 303);
	buf_release(&b);
}

TEST(buf_json_escapes_across_chunks)
{
	struct buf b = BUF_INIT;
	size_t n = 10000;
	char *s = malloc(n);

	for (size_t i = 0; i < n; i++)
		s[i] = i % 1000 == 999 ? '\n' : 'a';
	buf_add_json_str(&b, s, n);
	ASSERT_EQ(b.len, n + 10 + 2);	/* 10 newlines as \n, 2 quotes */
	ASSERT_EQ(b.data[0], '"');
	ASSERT_EQ(b.data[b.len - 1], '"');
	ASSERT_EQ(b.data[b.len], '\0');
	ASSERT(memcmp(b.data + 1000, "\\n", 2) == 0);
	free(s);
	buf_release(&b);
}

TEST(be_puts_and_gets_most_significant_first)
{
	uint8_t p[8] = { 0 };

	be_put(p, 0x0102030405060708ULL, 8);
	ASSERT_EQ(p[0], 0x01);
	ASSERT_EQ(p[7], 0x08);
	ASSERT_EQ(be_get(p, 8), 0x0102030405060708ULL);
	be_put(p, 0xabcdef12, 2);		/* the low bytes only */
	ASSERT_EQ(p[0], 0xef);
	ASSERT_EQ(p[1], 0x12);
	ASSERT_EQ(p[2], 0x03);
	ASSERT_EQ(be_get(p, 3), 0xef1203);
}

TEST(rd_refuses_to_read_past_the_end)
{
	const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };
	struct rd rd;
	uint32_t v;
	uint16_t w;

	rd_init(&rd, in, sizeof(in));
	ASSERT_EQ(rd_u32(&rd, &v), 0);
	ASSERT_EQ(v, 0x01020304);
	ASSERT_EQ(rd_u16(&rd, &w), TL_ETRUNC);
	ASSERT_EQ(w, 0);
	ASSERT_EQ(rd_left(&rd), 1);
}

TEST(rd_u64_reads_all_or_nothing)
{
	const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d };
	struct rd rd;
	uint64_t v;

	rd_init(&rd, in, sizeof(in));
	ASSERT_EQ(rd_u64(&rd, &v), 0);
	ASSERT_EQ(v, 0x0102030405060708ULL);
	/* 5 bytes left: a u64 fails without taking the 4 a u32 could. */
	ASSERT_EQ(rd_u64(&rd, &v), TL_ETRUNC);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(rd_left(&rd), 5);
}

TEST(rd_until_splits_lines)
{
	struct rd rd;
	const uint8_t *p;
	size_t n;
	int found;

	rd_init(&rd, "ab\ncd", 5);
	rd_until(&rd, '\n', &p, &n, &found);
	ASSERT_EQ(n, 2);
	ASSERT(found);
	rd_until(&rd, '\n', &p, &n, &found);
	ASSERT_EQ(n, 2);
	ASSERT(!found);
	ASSERT_EQ(rd_left(&rd), 0);
}

TEST(hex_decodes_either_case_and_stops_at_a_bad_digit)
{
	uint8_t b[3] = { 0 };

	ASSERT_EQ(hex_digit('7'), 7);
	ASSERT_EQ(hex_digit('b'), 11);
	ASSERT_EQ(hex_digit('F'), 15);
	ASSERT_EQ(hex_digit('g'), -1);
	ASSERT_EQ(hex_digit('\0'), -1);
	ASSERT_EQ(hex_decode(b, 3, "00aBff"), 0);
	ASSERT_MEM_EQ(b, "\x00\xab\xff", 3);
	ASSERT_EQ(hex_decode(b, 2, "1z34"), TL_EINVAL);
	/* A short string ends at its NUL, never read past. */
	ASSERT_EQ(hex_decode(b, 2, "12"), TL_EINVAL);
	ASSERT_EQ(hex_decode(b, 0, ""), 0);
}

TEST(atomic_write_replaces_content_and_mode)
{
	char *path = test_write("f", "old");
	struct fileio_meta meta = { 0640, (uid_t)-1, (gid_t)-1 };
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;
	struct stat st;

	ASSERT_EQ(fileio_write_atomic(path, "new", 3, &meta, &err), 0);
	ASSERT_EQ(fileio_read(path, 100, &b, &err), 0);
	ASSERT_STR_EQ(b.data, "new");
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0640);
	buf_release(&b);
	ASSERT_EQ(fileio_read(path, 2, &b, &err), TL_ETOOBIG);
	buf_release(&b);
	free(path);
}

TEST(atomic_write_leaves_no_temporary_on_failure)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = test_path("missing/dir/f");

	ASSERT(fileio_write_atomic(path, "x", 1, NULL, &err) < 0);
	ASSERT_CONTAINS(err.msg, "missing/dir");
	free(path);
}

TEST(mkdirs_creates_parents)
{
	struct tl_err err = TL_ERR_INIT;
	char *path = test_path("a/b/c");
	struct stat st;

	ASSERT_EQ(fileio_mkdirs(path, 0755, &err), 0);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT(S_ISDIR(st.st_mode));
	ASSERT_EQ(fileio_mkdirs(path, 0755, &err), 0);
	free(path);
}

TEST(paths_join_roots_and_split_dirs)
{
	char *p = path_in_root("/tmp/r/", "/etc/x");

	ASSERT_STR_EQ(p, "/tmp/r/etc/x");
	free(p);
	p = path_in_root("/", "/etc/x");
	ASSERT_STR_EQ(p, "/etc/x");
	free(p);
	p = path_dirname("/etc/x");
	ASSERT_STR_EQ(p, "/etc");
	free(p);
	p = path_dirname("/x");
	ASSERT_STR_EQ(p, "/");
	free(p);
	ASSERT(path_is_clean_abs("/etc/x"));
	ASSERT(!path_is_clean_abs("/etc/../x"));
	ASSERT(!path_is_clean_abs("etc/x"));
	ASSERT(!path_is_clean_abs("/etc//x"));
	ASSERT(!path_is_clean_abs("/etc/"));
}

TEST(spawn_captures_output_and_status)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3",
	    NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result res;
	struct tl_err err = TL_ERR_INIT;

	spawn_result_init(&res);
	ASSERT_EQ(spawn_run(&o, &res, &err), 0);
	ASSERT_EQ(res.status, 3);
	ASSERT_STR_EQ(res.out.data, "out\n");
	ASSERT_STR_EQ(res.errout.data, "err\n");
	spawn_result_release(&res);
}

TEST(spawn_kills_at_timeout)
{
	const char *argv[] = { "sleep", "10", NULL };
	struct spawn_opts o = { .argv = argv, .timeout_ms = 200 };
	struct spawn_result res;
	struct tl_err err = TL_ERR_INIT;

	spawn_result_init(&res);
	ASSERT_EQ(spawn_run(&o, &res, &err), 0);
	ASSERT(res.timed_out);
	ASSERT(res.duration_ms < 2000);
	ASSERT_EQ(res.status, 128 + 9);
	spawn_result_release(&res);
}

TEST(spawn_reports_a_missing_program)
{
	const char *argv[] = { "/nonexistent/prog", NULL };
	struct spawn_opts o = { .argv = argv };
	struct spawn_result res;
	struct tl_err err = TL_ERR_INIT;

	spawn_result_init(&res);
	ASSERT_EQ(spawn_run(&o, &res, &err), TL_ECHILD);
	ASSERT_CONTAINS(err.msg, "No such file");
	spawn_result_release(&res);
}

TEST(spawn_feeds_stdin_and_env)
{
	const char *argv[] = { "sh", "-c", "cat; echo $FOO", NULL };
	const char *env[] = { "FOO=bar", NULL };
	struct spawn_opts o = { .argv = argv, .env = env, .input = "in\n",
	    .input_len = 3 };
	struct spawn_result res;
	struct tl_err err = TL_ERR_INIT;

	spawn_result_init(&res);
	ASSERT_EQ(spawn_run(&o, &res, &err), 0);
	ASSERT_STR_EQ(res.out.data, "in\nbar\n");
	spawn_result_release(&res);
}

TEST(duration_reads_units_and_refuses_the_rest)
{
	ASSERT_EQ(duration_ms("500ms"), 500);
	ASSERT_EQ(duration_ms("10s"), 10000);
	ASSERT_EQ(duration_ms("1.5"), 1500);
	ASSERT_EQ(duration_ms("2m"), 120000);
	ASSERT_EQ(duration_ms("24h"), 86400000);
	ASSERT_EQ(duration_ms("25h"), -1);
	ASSERT_EQ(duration_ms("-1s"), -1);
	ASSERT_EQ(duration_ms("10x"), -1);
	ASSERT_EQ(duration_ms(""), -1);
	ASSERT_EQ(duration_ms("nan"), -1);
	ASSERT_EQ(duration_ms("inf"), -1);
}
