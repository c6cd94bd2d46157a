/*
 * tlaloc packs [--json] [--am-leader]    tlaloc pack step-down
 *
 * Both ask the running agent (docs/pack.md). --am-leader prints nothing
 * and answers with the exit status alone, for scripts:
 *   0  this node holds its pack's leader lease right now
 *   1  it does not
 *   2  cannot tell: no agent, or the agent is in no pack
 */
#include "cli.h"
#include "keys_sign.h"

#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#define AM_LEADER_TIMEOUT_MS	2000

int
cli_pack_am_leader(const char *state_dir)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	char *args[] = { "am-leader" };
	int status, r;

	r = ctl_call(sock, CTL_PACKS, 0, 1, args, AM_LEADER_TIMEOUT_MS,
	    &status, &body, &err);
	free(sock);
	if (r == 0 && status != 0 && strncmp(body.data, "no\n", 3) != 0)
		r = -1;		/* an error sentence: in no pack */
	buf_release(&body);
	if (r < 0)
		return 2;
	return status == 0 ? 0 : 1;
}

void
cli_pack_declare(const char *state_dir, const char *name)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	char *args[] = { (char *)name };
	int status;

	/* No agent listening: nothing to tell; the next apply will. */
	if (ctl_call(sock, CTL_PACK_JOIN, 0, 1, args, AM_LEADER_TIMEOUT_MS,
	    &status, &body, &err) == 0 && status != 0)
		fprintf(stderr, "tlaloc: warning: pack \"%s\": %s", name,
		    body.data);
	free(sock);
	buf_release(&body);
}

static int
usage(FILE *f)
{
	fprintf(f, "usage: tlaloc packs [--json] [--am-leader] "
	    "[--state-dir DIR]\n       tlaloc pack step-down "
	    "[--state-dir DIR]\n       tlaloc pack admit NODE...|--all "
	    "--key OPERATOR.key [--state-dir DIR]\n");
	return f == stdout ? 0 : 1;
}

/* Reads --state-dir DIR / --state-dir=DIR at argv[*i]; 1 if it was one. */
static int
state_flag(int argc, char **argv, int *i, const char **dir)
{
	if (strcmp(argv[*i], "--state-dir") == 0 && *i + 1 < argc) {
		*dir = argv[++*i];
		return 1;
	}
	if (strncmp(argv[*i], "--state-dir=", 12) == 0) {
		*dir = argv[*i] + 12;
		return 1;
	}
	return 0;
}

int
cmd_packs(int argc, char **argv)
{
	const char *dir = NULL;
	int flags = 0, am = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--json") == 0)
			flags |= CTL_F_JSON;
		else if (strcmp(argv[i], "--am-leader") == 0)
			am = 1;
		else if (!state_flag(argc, argv, &i, &dir)) {
			cli_errorf("unknown argument '%s'", argv[i]);
			return usage(stderr);
		}
	}
	if (am)
		return cli_pack_am_leader(dir);
	return cli_ctl(dir, CTL_PACKS, flags, 0, NULL);
}

/* `pack admit NODE...|--all --key FILE`: an operator makes voters. */
static int
pack_admit(int argc, char **argv)
{
	const char *dir = NULL, *key = NULL;
	char *nodes[CTL_ARGS_MAX], *all = "*";
	int n = 0, is_all = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--all") == 0)
			is_all = 1;
		else if (state_flag(argc, argv, &i, &dir))
			continue;
		else if (argv[i][0] != '-' && n < CTL_ARGS_MAX - 1)
			nodes[n++] = argv[i];
		else
			return usage(stderr);
	}
	if (key == NULL || (n == 0) == !is_all)
		return usage(stderr);
	if (is_all)
		nodes[n++] = all;
	return cli_pack_admit(dir, n, nodes, key);
}

int
cmd_pack(int argc, char **argv)
{
	const char *dir = NULL;
	int step_down = 0;

	if (argc > 1 && strcmp(argv[1], "admit") == 0)
		return pack_admit(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "step-down") == 0)
			step_down = 1;
		else if (!state_flag(argc, argv, &i, &dir)) {
			cli_errorf("unknown argument '%s'", argv[i]);
			return usage(stderr);
		}
	}
	if (!step_down)
		return usage(stderr);
	return cli_ctl(dir, CTL_PACK_STEP_DOWN, 0, 0, NULL);
}
