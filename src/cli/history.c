/*
 * `tlaloc history [NODE] [--since WHEN] [--resource REF] [--limit N]`:
 * a node's last converge runs, asked of the local agent, which answers
 * for itself or asks NODE over the cluster (docs/http.md).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "core/xalloc.h"

static const char history_usage[] =
    "tlaloc history [NODE] [--since UNIX_SECONDS|30m|6h|2d] "
    "[--resource REF] [--limit N] [--json] [--state-dir DIR]";

/* "1796315521" or an age ("90s", "30m", "6h", "2d"): unix seconds. */
static int
since_parse(const char *s, char *out, size_t size)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long long mult = 0;

	if (end == s)
		return -1;
	if (*end == '\0') {
		snprintf(out, size, "%llu", v);
		return 0;
	}
	if (end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return -1;
	}
	v = v * mult > (unsigned long long)time(NULL) ? 0 :
	    (unsigned long long)time(NULL) - v * mult;
	snprintf(out, size, "%llu", v == 0 ? 1 : v);
	return 0;
}

int
cmd_history(int argc, char **argv)
{
	const char *state_dir = NULL, *node = "", *ref = "", *limit = "";
	char since[32] = "", *args[4];
	int flags = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_val = i + 1 < argc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("usage: %s\n", history_usage);
			return 0;
		} else if (strcmp(a, "--json") == 0)
			flags |= CTL_F_JSON;
		else if (strcmp(a, "--state-dir") == 0 && has_val)
			state_dir = argv[++i];
		else if (strcmp(a, "--resource") == 0 && has_val)
			ref = argv[++i];
		else if (strcmp(a, "--limit") == 0 && has_val)
			limit = argv[++i];
		else if (strcmp(a, "--since") == 0 && has_val) {
			if (since_parse(argv[++i], since, sizeof(since)) < 0) {
				cli_errorf("--since wants unix seconds or an "
				    "age like 30m, 6h, 2d, not '%s'", argv[i]);
				return 1;
			}
		} else if (a[0] != '-' && node[0] == '\0')
			node = a;
		else {
			cli_errorf("usage: %s", history_usage);
			return 1;
		}
	}
	args[0] = (char *)node;
	args[1] = since;
	args[2] = (char *)ref;
	args[3] = (char *)limit;
	return cli_ctl(state_dir, CTL_HISTORY, flags, 4, args);
}
