/*
 * tlaloc lookup KEY... [--policy DIR] [--node NAME] [--fact k=v]...
 * [--merge first|unique|hash|deep] [--type T] [--explain] [--json]:
 * what lookup(KEY) gives a recipe on that node, and with --explain where
 * the value came from: every level of the hierarchy, what it held, and
 * the merge. Like `puppet lookup --explain`, without a master: the
 * hierarchy and data are read from the policy directory, the facts are
 * this machine's with the node's name and the overrides.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "facts/facts.h"
#include "recipe/hiera.h"
#include "recipe/tval.h"

static const char lookup_usage[] =
    "usage: tlaloc lookup KEY... [--policy DIR] [--node NAME] "
    "[--fact k=v]...\n"
    "                    [--merge first|unique|hash|deep] [--type T] "
    "[--explain] [--json]\n"
    "\n"
    "Prints what lookup(KEY) gives a recipe on node NAME (default: this\n"
    "machine), from DIR's hiera.yaml and data/ (default: the current\n"
    "directory). --explain shows every level tried and what it held.\n"
    "  --policy DIR  the policy (recipe) directory\n"
    "  --node NAME   compile as this node (its name in name, hostname, "
    "fqdn)\n"
    "  --fact k=v    set or override a fact (repeatable)\n"
    "  --facts-d DIR read user facts from DIR\n"
    "  --merge S     first (default), unique, hash or deep\n"
    "  --type T      check the value's type (String, Array[String], ...)\n"
    "  --explain     say where the value came from\n"
    "  --json        print each value as JSON on its own line\n"
    "exit: 0 every key found, 1 a key missing or an error\n";

struct lookup_cli {
	const char		*policy;
	const char		*node;
	const char		*type;
	enum hiera_merge	 merge;
	int			 explain, json;
	struct cli_node_opts	 nopts;
};

static int
lookup_parse(int argc, char **argv, struct lookup_cli *o)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'n' },
		{ "fact", required_argument, NULL, 'f' },
		{ "facts-d", required_argument, NULL, 'F' },
		{ "merge", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' },
		{ "explain", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, t;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, "p:n:f:F:m:t:ejh", longopts,
	    NULL)) != -1) {
		if ((t = cli_node_getopt(&o->nopts, c, optarg)) != 0) {
			if (t < 0)
				return -1;
			continue;
		}
		switch (c) {
		case 'p': o->policy = optarg; break;
		case 'n': o->node = optarg; break;
		case 't': o->type = optarg; break;
		case 'e': o->explain = 1; break;
		case 'j': o->json = 1; break;
		case 'm':
			if ((o->merge = hiera_merge_parse(optarg)) ==
			    HIERA_MERGE_UNSET) {
				cli_errorf("--merge must be first, unique, "
				    "hash or deep, not '%s'", optarg);
				return -1;
			}
			break;
		case 'h':
			fputs(lookup_usage, stdout);
			return 1;
		default:
			fputs(lookup_usage, stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		fputs(lookup_usage, stderr);
		return -1;
	}
	return 0;
}

/* A value as a person reads it: scalars bare, the rest as JSON. */
static void
lookup_print(const struct tval *v, int json, struct buf *out)
{
	if (json || tval_format(v, out) < 0)
		tval_json(v, out);
	buf_addch(out, '\n');
}

static int
lookup_one(struct hiera *h, const struct lookup_cli *o, const char *key)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf ex = BUF_INIT, out = BUF_INIT;
	struct tval *v = NULL;
	int rc;

	rc = hiera_lookup(h, key, o->merge, &v, o->explain ? &ex : NULL,
	    &err);
	if (rc == 0 && o->type != NULL)
		rc = hiera_check_type(key, o->type, v, &err);
	if (o->explain)
		fputs(ex.data, stdout);
	if (rc == 0 && !o->explain) {
		lookup_print(v, o->json, &out);
		fputs(out.data, stdout);
	}
	if (rc < 0)
		cli_error(&err);
	tval_free(v);
	buf_release(&ex);
	buf_release(&out);
	return rc < 0 ? 1 : 0;
}

int
cmd_lookup(int argc, char **argv)
{
	struct lookup_cli o = { 0 };
	struct tl_err err = TL_ERR_INIT;
	struct facts *f = NULL;
	struct hiera *h = NULL;
	int rc, failed = 0;

	o.policy = ".";
	o.nopts.user = facts_new();
	if ((rc = lookup_parse(argc, argv, &o)) != 0) {
		facts_free(o.nopts.user);
		return rc < 0 ? 1 : 0;
	}
	if (cli_node_facts(&o.nopts, o.node, &f) < 0) {
		facts_free(o.nopts.user);
		return 1;
	}
	if (hiera_open(o.policy, f, &h, &err) < 0) {
		cli_error(&err);
		failed = 1;
	}
	for (int i = optind; h != NULL && i < argc; i++)
		failed |= lookup_one(h, &o, argv[i]);
	hiera_free(h);
	facts_free(f);
	facts_free(o.nopts.user);
	return failed;
}
