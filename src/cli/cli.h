#ifndef TLALOC_CLI_CLI_H
#define TLALOC_CLI_CLI_H

/*
 * Subcommands: one file each, `int cmd_NAME(int argc, char **argv)` where
 * argv[0] is the subcommand's name; the return value is the exit status.
 * main.c dispatches through a table. Only cli/ writes to stdout, and only
 * cli/ decides exit codes.
 */

#include <stddef.h>
#include <stdio.h>

struct tl_err;

struct cli_cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*summary;	/* one line for `tlaloc help` */
};

/* The state directory: --state-dir, else $TLALOC_STATE_DIR, else
 * /var/lib/tlaloc. Borrowed string. */
const char *cli_state_dir(const char *flag);

/* Prints "tlaloc: [where: ]msg" to stderr. */
void	cli_error(const struct tl_err *err);
void	cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Is arg "--help" or "-h"? */
int	cli_is_help(const char *arg);
/* When argv[1] asks for help, prints "usage: " and usage to stdout and
 * returns 1 (the caller exits 0); else 0. */
int	cli_help(int argc, char **argv, const char *usage);
/* Readies getopt_long() to scan a subcommand's argv from argv[1], with its
 * own messages for bad flags on (opterr = 1). */
void	cli_getopt_reset(void);

/* Is stdout a terminal that wants colour (and NO_COLOR unset)? */
int	cli_color(FILE *f);

/* Whose facts a command gathers or compiles with (cli/check.c). */
struct facts;
struct cli_node_opts {
	struct facts	*user;		/* --fact overrides; may be NULL */
	const char	*facts_d;	/* --facts-d, or NULL */
	const char	*root;		/* --root, or NULL */
	const char	*state_flag;	/* --state-dir, or NULL; a check
					   asks cluster.* only of an agent
					   named so */
	int		 notes;		/* print notes, not just count them */
	int		 only_failures;	/* print only nodes that fail */
};

/* Adds one --fact k=v override to f; -1 after printing why it is bad. */
int	cli_fact_arg(struct facts *f, const char *k_eq_v);
/*
 * Takes c, as getopt_long() returned it with arg, when it is a flag that
 * fills o; every table gives these flags the same vals: --fact 'f' (o->user
 * must be set), --facts-d 'F', --root 'r', --state-dir 's'. Returns 1 when
 * taken, 0 for any other c, -1 after printing why a --fact is bad.
 */
int	cli_node_getopt(struct cli_node_opts *o, int c, const char *arg);
/* Gathers this machine's facts into f as o says (--facts-d, --root), then
 * sets the --fact overrides over them; -1 after printing why not. */
int	cli_node_gather(const struct cli_node_opts *o, struct facts *f);
/* This machine's facts as node would have them (NULL: as they are), with
 * the overrides; *out to free with facts_free(). Prints errors. */
int	cli_node_facts(const struct cli_node_opts *o, const char *node,
	    struct facts **out);
/*
 * Compiles and lints the policy at path for each of nodes[0..n) (n == 0:
 * this machine as it is), printing what it finds (JSON with json); sets
 * *failed to how many did not compile or had errors. Returns -1 when it
 * could not run at all.
 */
int	cli_check_nodes(const char *path, const struct cli_node_opts *o,
	    const char *const *nodes, size_t n, int json, size_t *failed);

int	cmd_apply(int argc, char **argv);
int	cmd_check(int argc, char **argv);
int	cmd_render(int argc, char **argv);
int	cmd_facts(int argc, char **argv);
int	cmd_lookup(int argc, char **argv);
int	cmd_secret(int argc, char **argv);
int	cmd_backups(int argc, char **argv);
int	cmd_resources(int argc, char **argv);
int	cmd_agent(int argc, char **argv);
int	cmd_members(int argc, char **argv);
int	cmd_history(int argc, char **argv);
int	cmd_keys(int argc, char **argv);
int	cmd_packs(int argc, char **argv);
int	cmd_pack(int argc, char **argv);
int	cmd_adopt(int argc, char **argv);
int	cmd_publish(int argc, char **argv);
int	cmd_policy(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_converge(int argc, char **argv);
int	cmd_init(int argc, char **argv);
int	cmd_bootstrap(int argc, char **argv);
int	cmd_say(int argc, char **argv);
int	cmd_listen(int argc, char **argv);
int	cmd_run(int argc, char **argv);
int	cmd_query(int argc, char **argv);
int	cmd_program(int argc, char **argv);
/* tlaloc publish's rollout flags, as given (NULL: not given). */
struct cli_rollout {
	const char	*canary, *wave, *wait_healthy, *max_unhealthy;
};
struct bundle;
struct pstore;
/* Adds the rollout plan file to b when any flag was given; < 0 with err
 * for a bad value. */
int	cli_rollout_add(const struct cli_rollout *ro, struct pstore *ps,
	    struct bundle *b, struct tl_err *err);
struct buf;
/* recipe_opts.cluster_ask over the agent at ctx (a --state-dir flag). */
int	cli_cluster_ask(void *ctx, const char *query, struct buf *out,
	    struct tl_err *err);
int	cmd_catalog(int argc, char **argv);
int	cmd_check_in(int argc, char **argv);
int	cmd_maint(int argc, char **argv);

/*
 * Sends one control request (agent/ctl.h op and flags) to the agent of
 * state_dir (NULL: cli_state_dir() default), prints its answer and returns
 * the exit status: 0 on success, 1 on any failure.
 */
int	cli_ctl(const char *state_dir, int op, int flags, int argc,
	    char **argv);
/* Like cli_ctl for an op whose reply status is a verdict (CTL_STATUS):
 * returns it as the exit status, the body on stdout; 1 on failure. */
int	cli_ctl_verdict(const char *state_dir, int op, int flags, int argc,
	    char **argv);

/*
 * Asks the agent of state_dir whether this node holds its pack's leader
 * lease: 0 yes, 1 no, 2 cannot tell (no agent, or in no pack). Quiet.
 */
int	cli_pack_am_leader(const char *state_dir);
/*
 * Tells the agent of state_dir that a recipe declared pack name; warns on
 * stderr when the agent refuses (it is in another pack). Quiet without an
 * agent.
 */
void	cli_pack_declare(const char *state_dir, const char *name);
struct recipe;
/* Tells the local agent, if one runs, what the recipe declared for the
 * node (pack, channels, tags, on() handlers); warns, never fails. */
void	cli_recipe_declare(const char *state_dir, const struct recipe *rec);
/*
 * Splits argv (argv[0] is the command) into --state-dir, --json (flags
 * gets CTL_F_JSON) and the rest (*rest, *nrest, free with
 * cli_rest_free()); value flags named in keep become "name=value" args.
 * -1 after printing an error for an unknown flag.
 */
int	cli_client_args(int argc, char **argv, const char *const *keep,
	    const char **state_dir, int *flags, char ***rest, int *nrest);
void	cli_rest_free(char **rest, int n);
/* --help, then cli_client_args(), then cli_ctl() with op. */
int	cli_client_cmd(int argc, char **argv, int op,
	    const char *const *keep, int min_args, const char *usage);

#endif
