/*
 * tlaloc program SCRIPT.lua [ARGS...] [--dry-run] [--json] [--key FILE]
 *     [--state-dir DIR]          (also: tlaloc do ...)
 *
 * Runs a program against the cluster through the local agent
 * (docs/programs.md). Flags may come before or after SCRIPT; arguments
 * after SCRIPT that are not ours, and everything after "--", are the
 * script's.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#endif

#include "core/xalloc.h"
#include "program/program.h"

static int
usage(FILE *f)
{
	fprintf(f, "usage: tlaloc program SCRIPT.lua [ARGS...] [--dry-run] "
	    "[--json] [--key OPERATOR.key]\n"
	    "                      [--state-dir DIR] [--poll-ms MS]\n"
	    "  --dry-run   print which nodes and commands it would touch; "
	    "touch nothing\n"
	    "  --json      the final report as JSON on stdout\n"
	    "  --key FILE  operator key, to converge nodes other than this "
	    "one\n"
	    "              (default: $TLALOC_OPERATOR_KEY)\n");
	return f == stdout ? 0 : 1;
}

/*
 * A program the agent started for its schedule must not outlive the
 * agent: a killed leader's program would go on next to the new
 * leader's. (The lease check before each action covers the BSDs.)
 */
static void
die_with_agent(void)
{
#ifdef __linux__
	pid_t parent = getppid();

	if (getenv("TLALOC_PROGRAM_SCHEDULED") == NULL)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
#endif
}

static int
value_flag(int argc, char **argv, int *i, const char *name,
    const char **out)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			cli_errorf("%s needs a value", name);
			return -1;
		}
		*out = argv[++*i];
		return 1;
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

int
cmd_program(int argc, char **argv)
{
	struct program_opts o;
	const char *dir = NULL, *poll = NULL;
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	int rest_only = 0, r;

	memset(&o, 0, sizeof(o));
	o.out = stdout;
	o.progress = stderr;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (rest_only || a[0] != '-' || strcmp(a, "-") == 0) {
			if (o.script == NULL)
				o.script = a;
			else
				args[o.nargs++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0)
			rest_only = 1;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			free(args);
			return usage(stdout);
		} else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0)
			o.is_dry_run = 1;
		else if (strcmp(a, "--json") == 0)
			o.is_json = 1;
		else if ((r = value_flag(argc, argv, &i, "--key",
		    &o.key_path)) != 0 ||
		    (r = value_flag(argc, argv, &i, "--state-dir", &dir)) != 0 ||
		    (r = value_flag(argc, argv, &i, "--poll-ms", &poll)) != 0) {
			if (r < 0) {
				free(args);
				return 1;
			}
		} else if (o.script != NULL)
			args[o.nargs++] = argv[i];	/* the script's */
		else {
			cli_errorf("unknown flag '%s'", a);
			free(args);
			return usage(stderr);
		}
	}
	if (o.script == NULL) {
		free(args);
		return usage(stderr);
	}
	die_with_agent();
	o.args = args;
	o.state_dir = cli_state_dir(dir);
	o.poll_ms = poll != NULL ? (unsigned)strtoul(poll, NULL, 10) : 0;
	r = program_run(&o);
	free(args);
	return r;
}
