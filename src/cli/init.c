/*
 * tlaloc init: makes a fresh node ready to start: a commented agent.conf,
 * the cluster keyring when there is none (a new cluster), the node key;
 * then says what to run next.
 */
#include "cli.h"

#include <string.h>

#include "bootstrap/bootstrap.h"
#include "cli/node_flags.h"
#include "core/err.h"

static const char init_usage[] =
    "usage: tlaloc init [--config-dir DIR] [--state-dir DIR] [--name NAME]\n"
    "         [--advertise ADDR:PORT] [--port N] [--join ADDR:PORT,...] "
    "[--tag K=V]\n"
    "         [--trust FILE] [--pack NAME] [--policy-from ADDR:PORT] "
    "[--force]\n"
    "Writes DIR/agent.conf (default /etc/tlaloc; --force rewrites it), "
    "DIR/keyring\nwhen absent (0600) and STATE/node.key when absent.\n";

static int
parse(struct bootstrap_node *n, struct node_flags *f, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (strcmp(a, "--force") == 0) {
			n->force = 1;
			continue;
		}
		if ((r = node_flags_take(f, argc, argv, &i)) < 0)
			return -1;
		if (r == NODE_FLAG_HELP)
			return 1;
		if (r == NODE_FLAG_TAKEN)
			continue;
		if (strcmp(a, "--config-dir") == 0)
			n->config_dir = argv[++i];
		else if (strcmp(a, "--state-dir") == 0)
			n->state_dir = argv[++i];
		else if (strcmp(a, "--name") == 0)
			n->name = argv[++i];
		else if (strcmp(a, "--advertise") == 0)
			n->advertise = argv[++i];
		else {
			cli_errorf("unknown flag '%s'", a);
			return -1;
		}
	}
	return 0;
}

int
cmd_init(int argc, char **argv)
{
	struct bootstrap_node n;
	struct bootstrap_node_result res;
	struct node_flags f;
	struct tl_err err = TL_ERR_INIT;
	int r;

	memset(&n, 0, sizeof(n));
	memset(&f, 0, sizeof(f));
	n.config_dir = "/etc/tlaloc";
	if ((r = parse(&n, &f, argc, argv)) != 0) {
		node_flags_release(&f);
		fputs(init_usage, r > 0 ? stdout : stderr);
		return r > 0 ? 0 : 1;
	}
	n.state_dir = cli_state_dir(n.state_dir);
	n.member = f.member;
	r = bootstrap_node_init(&n, &res, &err);
	node_flags_release(&f);
	if (r < 0) {
		cli_errorf("init: %s", err.msg);
		return 1;
	}
	if (res.wrote_config)
		printf("config:  wrote %s/agent.conf (advertise %s)\n",
		    n.config_dir, res.advertise);
	else
		printf("config:  kept %s/agent.conf (--force rewrites it)\n",
		    n.config_dir);
	if (res.made_keyring)
		printf("keyring: made a new cluster key in %s/keyring (0600); "
		    "every other member needs this file\n", n.config_dir);
	else
		printf("keyring: using %s/keyring\n", n.config_dir);
	printf("node:    id %s, key in %s/node.key\n\nnext:    tlaloc agent "
	    "--config %s/agent.conf\n         (as a service: systemctl enable "
	    "--now tlaloc, or /etc/init.d/tlaloc start)\n", res.node_id,
	    n.state_dir, n.config_dir);
	if (res.made_keyring)
		printf("then, for each new node:  tlaloc bootstrap --via shell "
		    "--keyring %s/keyring --join %s > install.sh\n",
		    n.config_dir, res.advertise);
	return 0;
}
