/*
 * tlaloc: one binary for every node. Subcommands are looked up in a table;
 * each lives in its own file under src/cli/.
 */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/redact.h"
#include "ctl/ctl.h"

#ifndef TLALOC_VERSION
#define TLALOC_VERSION "0.1.0"
#endif

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);
static int cmd_plain(int argc, char **argv);

static const struct cli_cmd cli_cmds[] = {
	{ "apply", cmd_apply, "converge this node to a recipe (or a recipe dir)" },
	{ "check", cmd_check, "compile and lint a policy as given nodes would" },
	{ "render", cmd_render, "print a template as a node would render it" },
	{ "facts", cmd_facts, "print what this node knows about itself" },
	{ "lookup", cmd_lookup, "what lookup(KEY) gives a node, and from where" },
	{ "secret", cmd_secret, "seal a value to the nodes that may read it" },
	{ "backups", cmd_backups, "list, show and restore backed-up files" },
	{ "adopt", cmd_adopt, "write a hand-made node out as recipes" },
	{ "resources", cmd_resources, "list resource types and attributes" },
	{ "agent", cmd_agent, "run the cluster agent in the foreground" },
	{ "members", cmd_members, "list cluster members" },
	{ "join", cmd_plain, "join the agent to a cluster through ADDR:PORT" },
	{ "leave", cmd_plain, "leave the cluster gracefully and stop" },
	{ "info", cmd_plain, "agent counters and member counts" },
	{ "keys", cmd_keys, "generate and rotate cluster keys" },
	{ "tags", cmd_plain, "set or delete this node's tags" },
	{ "publish", cmd_publish, "sign a recipe dir and spread it to every node" },
	{ "policy", cmd_policy, "policy status, list, show, diff and rollback" },
	{ "status", cmd_status, "every node's last converge, from any node" },
	{ "history", cmd_history, "a node's last converge runs, from any node" },
	{ "converge", cmd_converge, "ask the agent to converge now" },
	{ "packs", cmd_packs, "this node's pack: leader, term, voters" },
	{ "pack", cmd_pack, "pack step-down: hand leadership over" },
	{ "program", cmd_program, "run a Lua program that puts the cluster to work" },
	{ "do", cmd_program, "the same as program" },
	{ "init", cmd_init, "write a fresh node's config and keys" },
	{ "bootstrap", cmd_bootstrap, "print an installer that joins a new machine" },
	{ "channel", cmd_plain, "join or part a channel ('#web')" },
	{ "channels", cmd_plain, "list channels and their member counts" },
	{ "who", cmd_plain, "list the members of a channel" },
	{ "say", cmd_say, "send a message to a channel or to @node" },
	{ "listen", cmd_listen, "print messages as they arrive" },
	{ "run", cmd_run, "run a command on matching nodes (signed)" },
	{ "query", cmd_query, "gather facts or status from matching nodes" },
	{ "services", cmd_plain, "every service in the catalog, with counts" },
	{ "catalog", cmd_catalog, "the instances of a service, healthy or all" },
	{ "checks", cmd_plain, "this node's health checks" },
	{ "check-in", cmd_check_in, "feed a ttl check: passing, warning, critical" },
	{ "maint", cmd_maint, "take this node out of every catalog answer" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "this list" },
	{ NULL, NULL, NULL }
};

const char *
cli_state_dir(const char *flag)
{
	const char *env = getenv("TLALOC_STATE_DIR");

	if (flag != NULL && flag[0] != '\0')
		return flag;
	if (env != NULL && env[0] != '\0')
		return env;
	return "/var/lib/tlaloc";
}

void
cli_error(const struct tl_err *err)
{
	struct buf b = BUF_INIT;

	if (err->where[0] != '\0')
		buf_addf(&b, "tlaloc: %s: %s\n", err->where, err->msg);
	else
		buf_addf(&b, "tlaloc: %s\n", err->msg[0] ? err->msg :
		    tl_strerror(err->code));
	redact_buf(&b);		/* a secret in a recipe's error() */
	fputs(b.data, stderr);
	buf_release(&b);
}

void
cli_errorf(const char *fmt, ...)
{
	va_list ap;

	struct buf b = BUF_INIT;

	buf_addstr(&b, "tlaloc: ");
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addch(&b, '\n');
	redact_buf(&b);
	fputs(b.data, stderr);
	buf_release(&b);
}

int
cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int
cli_help(int argc, char **argv, const char *usage)
{
	if (argc < 2 || !cli_is_help(argv[1]))
		return 0;
	printf("usage: %s\n", usage);
	return 1;
}

void
cli_getopt_reset(void)
{
	/*
	 * 0, not 1: glibc, musl and the BSDs' getopt_long() then reset all
	 * their scanning state (a half-read "-abc", glibc's permutation),
	 * which matters when a caller (or a test) parsed options before.
	 */
	optind = 0;
	opterr = 1;
}

int
cli_color(FILE *f)
{
	const char *term = getenv("TERM");

	if (getenv("NO_COLOR") != NULL || term == NULL ||
	    strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

/* A verb of a plain command: "tlaloc channel join '#web'" is CTL_CHAN_JOIN
 * with "#web". */
struct plain_verb {
	const char	*name;
	int		 op;
};

static const struct plain_verb channel_verbs[] = {
	{ "join", CTL_CHAN_JOIN }, { "part", CTL_CHAN_PART }, { NULL, 0 }
};
static const struct plain_verb tags_verbs[] = {
	{ "set", CTL_TAGS_SET }, { "delete", CTL_TAGS_DELETE }, { NULL, 0 }
};

/* The commands that are one request to the agent, its answer printed
 * (cli_client_cmd); each has a cmd_plain row in cli_cmds. With verbs,
 * argv[1] picks the op and at least one argument must follow it. */
struct plain_cmd {
	const char		*name;
	int			 op;
	int			 min_args;
	const char		*usage;
	const struct plain_verb	*verbs;
};

static const struct plain_cmd plain_cmds[] = {
	{ "join", CTL_JOIN, 1, "tlaloc join ADDR:PORT... [--state-dir DIR]",
	    NULL },
	{ "leave", CTL_LEAVE, 0, "tlaloc leave [--state-dir DIR]", NULL },
	{ "info", CTL_INFO, 0, "tlaloc info [--json] [--state-dir DIR]", NULL },
	{ "tags", 0, 1, "tlaloc tags set|delete K=V... [--state-dir DIR]",
	    tags_verbs },
	{ "channel", 0, 1, "tlaloc channel join|part '#NAME' [--state-dir DIR]",
	    channel_verbs },
	{ "channels", CTL_CHANNELS, 0,
	    "tlaloc channels [--json] [--state-dir DIR]", NULL },
	{ "who", CTL_WHO, 1, "tlaloc who '#NAME' [--json] [--state-dir DIR]",
	    NULL },
	{ "services", CTL_SERVICES, 0,
	    "tlaloc services [--json] [--state-dir DIR]", NULL },
	{ "checks", CTL_CHECKS, 0, "tlaloc checks [--json] [--state-dir DIR]",
	    NULL },
};

static int
plain_run(const struct plain_cmd *p, int argc, char **argv)
{
	const struct plain_verb *v = p->verbs;

	if (v == NULL)
		return cli_client_cmd(argc, argv, p->op, NULL, p->min_args,
		    p->usage);
	if (cli_help(argc, argv, p->usage))
		return 0;
	for (; argc >= 2 && v->name != NULL; v++)
		if (strcmp(argv[1], v->name) == 0)
			return cli_client_cmd(argc - 1, argv + 1, v->op, NULL,
			    p->min_args, p->usage);
	cli_errorf("usage: %s", p->usage);
	return 1;
}

static int
cmd_plain(int argc, char **argv)
{
	size_t i = 0;

	while (strcmp(plain_cmds[i].name, argv[0]) != 0) {
		i++;
		TL_ASSERT(i < sizeof(plain_cmds) / sizeof(plain_cmds[0]));
	}
	return plain_run(&plain_cmds[i], argc, argv);
}

static int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("tlaloc %s\n", TLALOC_VERSION);
	return 0;
}

static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: tlaloc COMMAND [ARGS...]\n\ncommands:\n");
	for (const struct cli_cmd *c = cli_cmds; c->name != NULL; c++)
		printf("  %-12s %s\n", c->name, c->summary);
	printf("\n`tlaloc COMMAND --help` describes each; man tlaloc for "
	    "everything.\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *name;

	/* Writes to closed pipes (a child's stdin, a client gone) must fail
	 * with EPIPE, not kill the node. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		cmd_help(argc, argv);
		return 1;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(name, "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	/* `tlaloc CMD -h` is `tlaloc CMD --help` for every command, so each
	 * one handles only the long form. */
	if (argc > 2 && strcmp(argv[2], "-h") == 0)
		argv[2] = (char *)"--help";
	for (const struct cli_cmd *c = cli_cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c->fn(argc - 1, argv + 1);
	cli_errorf("unknown command '%s' (see 'tlaloc help')", name);
	return 1;
}
