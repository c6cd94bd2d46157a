/*
 * Client commands that talk to a running agent over its control socket:
 * members, join, leave, info, tags. The agent formats the answer (text or
 * JSON); we print it and turn its status into the exit code.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#define CTL_TIMEOUT_MS	15000

/*
 * Asks the agent; prints its answer. Status 1 is an error sentence (on
 * stderr, exit 1); with is_verdict, any other status is the exit code
 * and the body goes to stdout (`tlaloc status`).
 */
static int
ctl_ask(const char *state_dir, int op, int flags, int argc, char **argv,
    int is_verdict)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	int status, r;

	r = ctl_call(sock, (uint8_t)op, (uint8_t)flags, argc, argv,
	    CTL_TIMEOUT_MS, &status, &body, &err);
	free(sock);
	if (r < 0) {
		cli_error(&err);
		buf_release(&body);
		return 1;
	}
	if (is_verdict && status != 1) {
		fputs(body.data, stdout);
		buf_release(&body);
		return status;
	}
	if (status != 0)
		fputs("tlaloc: ", stderr);
	fputs(body.data, status == 0 ? stdout : stderr);
	buf_release(&body);
	return status == 0 ? 0 : 1;
}

int
cli_ctl(const char *state_dir, int op, int flags, int argc, char **argv)
{
	return ctl_ask(state_dir, op, flags, argc, argv, 0);
}

int
cli_ctl_verdict(const char *state_dir, int op, int flags, int argc,
    char **argv)
{
	return ctl_ask(state_dir, op, flags, argc, argv, 1);
}

/*
 * Splits argv into common flags (--state-dir, --json) and the rest, which
 * is returned in rest (argv[1..]); value flags listed in keep are turned
 * into "name=value" args (e.g. --status alive -> status=alive).
 */
int
cli_client_args(int argc, char **argv, const char *const *keep,
    const char **state_dir, int *flags, char ***rest, int *nrest)
{
	*state_dir = NULL;
	*flags = 0;
	*nrest = 0;
	*rest = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int matched = 0;

		if (strcmp(a, "--json") == 0) {
			*flags |= CTL_F_JSON;
			continue;
		}
		if (strcmp(a, "--state-dir") == 0 && i + 1 < argc) {
			*state_dir = argv[++i];
			continue;
		}
		if (strncmp(a, "--state-dir=", 12) == 0) {
			*state_dir = a + 12;
			continue;
		}
		for (size_t k = 0; keep != NULL && keep[k] != NULL; k++) {
			if (strncmp(a, "--", 2) || strcmp(a + 2, keep[k]))
				continue;
			if (i + 1 == argc) {
				cli_errorf("%s needs a value", a);
				return -1;
			}
			(*rest)[(*nrest)++] = xasprintf("%s=%s", keep[k],
			    argv[++i]);
			matched = 1;
		}
		if (matched)
			continue;
		if (strncmp(a, "--", 2) == 0) {
			cli_errorf("unknown flag '%s'", a);
			return -1;
		}
		(*rest)[(*nrest)++] = xstrdup(a);
	}
	return 0;
}

void
cli_rest_free(char **rest, int n)
{
	for (int i = 0; i < n; i++)
		free(rest[i]);
	free(rest);
}

/* cli_client_cmd with extra CTL_F_* flags for the request. */
static int
client_cmd_flags(int argc, char **argv, int op, const char *const *keep,
    int min_args, const char *usage, int extra)
{
	const char *state_dir;
	char **rest;
	int flags, n, r = 1;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: %s\n", usage);
		return 0;
	}
	if (cli_client_args(argc, argv, keep, &state_dir, &flags, &rest,
	    &n) == 0) {
		if (n < min_args)
			cli_errorf("usage: %s", usage);
		else
			r = cli_ctl(state_dir, op, flags | extra, n, rest);
	}
	cli_rest_free(rest, n);
	return r;
}

int
cli_client_cmd(int argc, char **argv, int op, const char *const *keep,
    int min_args, const char *usage)
{
	return client_cmd_flags(argc, argv, op, keep, min_args, usage, 0);
}

int
cmd_members(int argc, char **argv)
{
	static const char *const keep[] = { "status", "tag", NULL };

	/* A header for people; piped, one line per member, as scripts
	 * that count them expect. */
	return client_cmd_flags(argc, argv, CTL_MEMBERS, keep, 0,
	    "tlaloc members [--json] [--status alive|suspect|failed|left] "
	    "[--tag K=V]... [--state-dir DIR]",
	    isatty(STDOUT_FILENO) ? CTL_F_HEADER : 0);
}


