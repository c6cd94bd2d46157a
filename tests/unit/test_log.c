#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "agent/config.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/log_int.h"
#include "core/xalloc.h"
#include "test.h"

static unsigned long long fake_now;

static unsigned long long
fake_clock(void)
{
	return fake_now;
}

/* Sends the log to a fresh file under the case's directory. */
static char *
log_to_file(const char *name)
{
	char *path = test_path(name);
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(log_set_target(path, &err), 0);
	log_set_clock(fake_clock);
	fake_now = 1000;
	return path;
}

static char *
slurp(const char *path)
{
	struct buf b = BUF_INIT;

	fileio_read(path, 1 << 24, &b, NULL);
	return buf_detach(&b, NULL);
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static size_t
count_of(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

TEST(log_escape_keeps_text_and_escapes_control_bytes)
{
	ASSERT_STR_EQ(log_escape("web-01"), "web-01");
	ASSERT_STR_EQ(log_escape("a\nb\r\tc"), "a\\nb\\r\\tc");
	ASSERT_STR_EQ(log_escape("x\033[31my\x7f"), "x\\x1b[31my\\x7f");
	ASSERT_STR_EQ(log_escape("back\\slash"), "back\\\\slash");
	ASSERT_STR_EQ(log_escape("caf\xc3\xa9 \xe2\x82\xac"),
	    "caf\xc3\xa9 \xe2\x82\xac");
	/* Not UTF-8: a lone continuation byte, an overlong '/', a cut
	 * sequence at the end. */
	ASSERT_STR_EQ(log_escape("a\x80z\xc0\xaf\xe2\x82"),
	    "a\\x80z\\xc0\\xaf\\xe2\\x82");
	ASSERT_STR_EQ(log_escape(NULL), "(null)");
}

TEST(log_escape_cuts_long_input_and_rings)
{
	char big[1000];
	const char *a, *b;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = log_escape(big);
	ASSERT(strlen(a) <= LOG_ESCAPE_MAX);
	ASSERT(strcmp(a + strlen(a) - 3, "...") == 0);
	/* Eight escapes in one call stay distinct. */
	a = log_escape("one");
	b = log_escape("two");
	for (int i = 0; i < LOG_ESCAPE_RING - 2; i++)
		(void)log_escape("filler");
	ASSERT_STR_EQ(a, "one");
	ASSERT_STR_EQ(b, "two");
}

TEST(log_line_with_a_newline_stays_one_line)
{
	char *path = log_to_file("log"), *text;

	log_notice("member '%s' joined", "evil\n2026-01-01T00:00:00Z n1 err "
	    "forged: root shell");
	log_flush();
	text = slurp(path);
	ASSERT_EQ(count_lines(text), 1);
	ASSERT_CONTAINS(text, "evil\\n2026-01-01T00:00:00Z n1 err forged");
	free(text);
	free(path);
}

TEST(log_identical_lines_are_collapsed)
{
	char *path = log_to_file("log"), *text;

	for (int i = 0; i < 1234; i++)
		log_warn("bad packet from 10.0.0.9");
	log_warn("something else");
	text = slurp(path);
	ASSERT_EQ(count_lines(text), 3);
	ASSERT_EQ(count_of(text, "bad packet from 10.0.0.9"), 1);
	ASSERT_CONTAINS(text, "warn test_log_identical_lines_are_collapsed: "
	    "previous message repeated 1,233 times\n");
	ASSERT_CONTAINS(text, "something else\n");
	free(text);
	free(path);
}

TEST(log_long_repeats_are_summed_up_every_interval)
{
	char *path = log_to_file("log"), *text;

	log_set_limits(0, 0);
	/* Ten identical lines a second for two minutes. */
	for (int i = 0; i < 1200; i++) {
		log_err("flood");
		fake_now += 100;
	}
	text = slurp(path);
	/* The line, then a summary about every 30 s: 4 of them. */
	ASSERT_EQ(count_of(text, "err test_log_long_repeats_are_summed_up_"
	    "every_interval: flood\n"), 1);
	ASSERT_EQ(count_of(text, "previous message repeated"), 3);
	ASSERT_CONTAINS(text, "repeated 300 times");
	free(text);
	log_flush();
	text = slurp(path);
	ASSERT_EQ(count_of(text, "previous message repeated"), 4);
	free(text);
	free(path);
}

static void
flooder(int i)
{
	log_err("bad packet #%d", i);
}

TEST(log_rate_limit_caps_each_source)
{
	char *path = log_to_file("log"), *text;

	log_set_limits(10, 2);
	for (int i = 0; i < 100; i++)
		flooder(i);
	log_notice("another source still speaks");
	text = slurp(path);
	ASSERT_EQ(count_of(text, "bad packet #"), 10);
	ASSERT_CONTAINS(text, "another source still speaks");
	free(text);
	/* 1.5 s later: 3 tokens; the first line says what was lost. */
	fake_now += 1500;
	for (int i = 100; i < 110; i++)
		flooder(i);
	text = slurp(path);
	ASSERT_EQ(count_of(text, "bad packet #"), 13);
	ASSERT_CONTAINS(text, "warn flooder: 90 messages from flooder "
	    "suppressed by the rate limit\n");
	ASSERT_CONTAINS(text, "bad packet #100\n");
	free(text);
	log_flush();
	text = slurp(path);
	ASSERT_CONTAINS(text, "7 messages from flooder suppressed");
	free(text);
	free(path);
}

TEST(log_json_lines_have_stable_keys)
{
	char *path = log_to_file("log"), *text;

	log_set_format(LOG_FORMAT_JSON);
	log_set_prefix("n1");
	log_notice("converged \"web\" in %d ms\x01", 12);
	log_notice("converged \"web\" in %d ms\x01", 12);
	log_flush();
	text = slurp(path);
	ASSERT_EQ(count_lines(text), 2);
	ASSERT(strncmp(text, "{\"time\":\"", 9) == 0);
	ASSERT_CONTAINS(text, "Z\",\"level\":\"notice\",\"node\":\"n1\","
	    "\"source\":\"test_log_json_lines_have_stable_keys\","
	    "\"msg\":\"converged \\\"web\\\" in 12 ms\\\\x01\"}\n");
	ASSERT_CONTAINS(text, "\"msg\":\"previous message repeated 1 time\","
	    "\"repeated\":1}\n");
	free(text);
	free(path);
}

TEST(log_file_rotates_by_size)
{
	char *path = log_to_file("agent.log"), *p3;
	struct stat st;

	log_set_limits(0, 0);
	log_set_rotation(1000, 2);
	for (int i = 0; i < 200; i++)
		log_notice("line %d with some padding to fill the file", i);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT(st.st_size <= 1000);
	p3 = xasprintf("%s.1", path);
	ASSERT_EQ(stat(p3, &st), 0);
	ASSERT(st.st_size <= 1000 && st.st_size > 500);
	free(p3);
	p3 = xasprintf("%s.2", path);
	ASSERT_EQ(stat(p3, &st), 0);
	free(p3);
	p3 = xasprintf("%s.3", path);
	ASSERT(stat(p3, &st) < 0);
	free(p3);
	free(path);
}

TEST(log_file_target_refuses_a_link)
{
	char *target = test_write("elsewhere", "keep\n");
	char *link = test_path("log");
	struct tl_err err = TL_ERR_INIT;

	ASSERT_EQ(symlink(target, link), 0);
	ASSERT(log_set_target(link, &err) < 0);
	ASSERT_CONTAINS(err.msg, "cannot open log file");
	free(target);
	free(link);
}

TEST(log_level_and_format_names_parse)
{
	ASSERT_EQ(log_format_parse("json"), LOG_FORMAT_JSON);
	ASSERT_EQ(log_format_parse("text"), LOG_FORMAT_TEXT);
	ASSERT_EQ(log_format_parse("xml"), -1);
	ASSERT_EQ(log_level_parse("warning"), LOG_WARN);
	ASSERT_EQ(log_level_parse("loud"), -1);
}

TEST(log_tick_tells_a_flood_that_stopped)
{
	char *path = log_to_file("log"), *text;

	log_set_limits(3, 1);
	for (int i = 0; i < 10; i++)
		flooder(i);
	for (int i = 0; i < 5; i++)
		log_warn("same");
	log_tick();
	text = slurp(path);
	ASSERT_EQ(count_of(text, "suppressed"), 0);
	ASSERT_EQ(count_of(text, "repeated"), 0);
	free(text);
	fake_now += LOG_REPEAT_SUMMARY_S * 1000;
	log_tick();
	text = slurp(path);
	ASSERT_CONTAINS(text, "7 messages from flooder suppressed");
	ASSERT_CONTAINS(text, "previous message repeated 4 times");
	free(text);
	free(path);
}

TEST(log_agent_settings_parse_and_apply)
{
	char *file = test_path("agent.log"), *text;
	char *argv[] = { "agent", "--bind", "127.0.0.1:1", "--log-format",
	    "json", "--log-target", file, "--log-max-size", "1M",
	    "--log-keep", "3" };
	char *bad[] = { "agent", "--log-format", "xml" };
	char *conf = test_write("a.conf", "log_keep = many\n");
	char *bad2[] = { "agent", "--config", conf };
	struct tl_err err = TL_ERR_INIT;
	struct agent_config c;

	agent_config_init(&c);
	ASSERT_EQ(agent_config_load(&c, 11, argv, &err), 0);
	ASSERT_EQ(c.log_format, LOG_FORMAT_JSON);
	ASSERT_STR_EQ(c.log_target, file);
	ASSERT_EQ(c.log_max_size, 1 << 20);
	ASSERT_EQ(c.log_keep, 3);
	ASSERT_EQ(agent_config_log(&c, &err), 0);
	log_notice("hello");
	text = slurp(file);
	ASSERT_CONTAINS(text, "\"source\":\"test_log_agent_settings_parse_"
	    "and_apply\",\"msg\":\"hello\"}");
	free(text);
	agent_config_release(&c);
	ASSERT(agent_config_load(&c, 3, bad, &err) < 0);
	ASSERT_CONTAINS(err.msg, "log format must be text or json");
	agent_config_release(&c);
	ASSERT(agent_config_load(&c, 3, bad2, &err) < 0);
	ASSERT_CONTAINS(err.msg, "line 1: log_keep must be");
	agent_config_release(&c);
	free(conf);
	free(file);
}

TEST(log_prefix_is_made_safe)
{
	char *path = log_to_file("log"), *text;

	log_set_prefix("n1\n2026-01-01T00:00:00Z n9 err forged:");
	log_notice("x");
	text = slurp(path);
	ASSERT_EQ(count_lines(text), 1);
	ASSERT_CONTAINS(text, "Z n1\\n2026-01-01T00:00:00Z n9 err forged: "
	    "notice test_log_prefix_is_made_safe: x\n");
	free(text);
	free(path);
}
