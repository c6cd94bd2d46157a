/*
 * The log's escaping under libFuzzer: whatever bytes a peer, a recipe or
 * a user puts in a name, log_escape() returns one line of valid UTF-8
 * without control bytes, within LOG_ESCAPE_MAX bytes, and a logged line
 * (text and JSON) is one line: exactly one '\n', at its end, and the JSON
 * one holds no raw control byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/log_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is p[0..n) valid UTF-8 with no byte below 0x20 and no 0x7f? */
static int
clean(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80 ? 1 : p[i] >= 0xf0 ? 4 :
		    p[i] >= 0xe0 ? 3 : 2;

		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] >= 0x80 &&
		    p[i] < 0xc2) || p[i] > 0xf4 || i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

static void
check_file(const char *path)
{
	static unsigned char buf[1 << 16];
	ssize_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		abort();
	n = (ssize_t)fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* One line per call: a newline only at the end of each. */
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] < 0x20 && buf[i] != '\n')
			abort();
	if (n > 0 && buf[n - 1] != '\n')
		abort();
}

static char path[64];

static void
remove_log(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *e;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	e = log_escape(s);
	if (strlen(e) > LOG_ESCAPE_MAX + 3 || !clean((const unsigned char *)e,
	    strlen(e)))
		abort();
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_log.%d", (int)getpid());
		log_set_limits(0, 0);
		atexit(remove_log);
	}
	unlink(path);
	if (log_set_target(path, NULL) < 0)
		abort();
	log_reset_state();
	log_set_format(size % 2 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	log_set_prefix(size % 3 ? s : "n1");
	log_notice("name=%s raw=%s", e, s);
	log_flush();
	check_file(path);
	free(s);
	return 0;
}
