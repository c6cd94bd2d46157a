/* tlaloc agent: run the cluster agent in the foreground. */
#include "cli.h"

#include <string.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "core/err.h"

static const char agent_usage[] =
    "usage: tlaloc agent [--config FILE] [--name NAME] [--bind ADDR:PORT]\n"
    "           [--advertise ADDR:PORT] [--join ADDR:PORT]... "
    "[--keyring FILE]\n"
    "           [--tag K=V]... [--trust OPERATOR.pub]... [--state-dir DIR] "
    "[--profile lan|wan|local]\n"
    "           [--log-level err|warn|notice|info|debug] "
    "[--pack NAME [--pack-expect N]]\n"
    "           [--log-format text|json] [--log-target stderr|syslog|FILE]\n"
    "           [--log-max-size SIZE] [--log-keep N]\n"
    "           [--root DIR] [--interval SECONDS] [--splay SECONDS] "
    "[--no-enforce]\n"
    "           [--backup-max-age AGE] [--backup-max-size SIZE]\n"
    "           [--bucket-replicas K] [--replica-max-bytes SIZE]\n"
    "           [--policy-from ADDR:PORT]\n"
    "           [--http ADDR:PORT [--http-token FILE]]\n"
    "           [--program FILE.lua [--program-interval SECONDS] "
    "[--program-key OPERATOR.key]]\n"
    "           [--dns ADDR:PORT [--dns-domain D] [--dns-ttl S]] "
    "[--catalog-reap S] [--watch-splay MS]\n";

int
cmd_agent(int argc, char **argv)
{
	struct tl_err err = TL_ERR_INIT;
	struct agent_config cfg;
	int r;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(agent_usage, stdout);
		return 0;
	}
	agent_config_init(&cfg);
	if ((r = agent_config_load(&cfg, argc, argv, &err)) == 0)
		r = agent_run(&cfg, argc, argv, &err);
	agent_config_release(&cfg);
	if (r < 0) {
		cli_error(&err);
		return 1;
	}
	return 0;
}
