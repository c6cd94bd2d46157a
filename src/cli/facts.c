/*
 * tlaloc facts [--json] [--fact k=v]... [--facts-d DIR] [--root DIR] [KEY]:
 * prints what this node knows about itself, as `tlaloc apply` sees it.
 * With KEY, prints one fact's value, or every fact under KEY when it names
 * a group ("interfaces.eth0").
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "facts/facts.h"

struct facts_cli {
	int		 json;
	const char	*key;
	struct cli_node_opts node;
};

static const char facts_usage[] =
    "usage: tlaloc facts [--json] [--fact k=v]... [--facts-d DIR] "
    "[--root DIR] [KEY]\n"
    "\n"
    "Prints the facts a recipe sees as `node`, or the value of KEY.\n"
    "  --json        print JSON, nested by the dotted keys\n"
    "  --fact k=v    set or override a fact\n"
    "  --facts-d DIR read user facts from DIR "
    "(default /etc/tlaloc/facts.d)\n"
    "  --root DIR    read os-release and the like from DIR instead of /\n"
    "exit: 0 ok, 1 error or no such fact\n";

static int
facts_parse(int argc, char **argv, struct facts_cli *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fact", required_argument, NULL, 'f' },
		{ "facts-d", required_argument, NULL, 'F' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, t;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, "jf:F:r:h", longopts, NULL)) !=
	    -1) {
		if ((t = cli_node_getopt(&o->node, c, optarg)) != 0) {
			if (t < 0)
				return -1;
			continue;
		}
		switch (c) {
		case 'j': o->json = 1; break;
		case 'h':
			fputs(facts_usage, stdout);
			return 1;
		default:
			fputs(facts_usage, stderr);
			return -1;
		}
	}
	if (argc - optind > 1) {
		fputs(facts_usage, stderr);
		return -1;
	}
	o->key = optind < argc ? argv[optind] : NULL;
	return 0;
}

/* Copies the facts under "key." into sub; JSON cuts that prefix off, as
 * the nesting says it already. */
static void
facts_subtree(const struct facts *f, const char *key, int strip,
    struct facts *sub)
{
	size_t n = strlen(key), k, i = facts_range(f, key, n, &k);

	for (k += i; i < k; i++) {
		const char *name = facts_key(f, i);

		if (name[n] == '.')
			facts_set(sub, strip ? name + n + 1 : name,
			    facts_kind(f, i), facts_value(f, i));
	}
}

/* Appends fact i's value: JSON (strings quoted) or plain text. */
static void
facts_print_value(const struct facts *f, size_t i, int json,
    struct buf *out)
{
	const char *v = facts_value(f, i);

	if (json && facts_kind(f, i) == FACT_STR)
		buf_add_json_str(out, v, strlen(v));
	else
		buf_addstr(out, v);
	buf_addch(out, '\n');
}

/* KEY given: its value, or its group. Returns 0, or -1 if no such fact. */
static int
facts_print_key(const struct facts *f, const struct facts_cli *o,
    struct buf *out)
{
	struct facts *sub;
	size_t n, i = facts_range(f, o->key, strlen(o->key), &n);

	/* Only KEY's source is gathered (facts_range), not every one. */
	if (n > 0 && strcmp(facts_key(f, i), o->key) == 0) {
		facts_print_value(f, i, o->json, out);
		return 0;
	}
	sub = facts_new();
	facts_subtree(f, o->key, o->json, sub);
	if (facts_count(sub) == 0) {
		facts_free(sub);
		return -1;
	}
	if (o->json) {
		facts_to_json(sub, out);
		buf_addch(out, '\n');
	} else
		facts_to_text(sub, out);
	facts_free(sub);
	return 0;
}

int
cmd_facts(int argc, char **argv)
{
	struct facts_cli o = { 0 };
	struct facts *f = facts_new();
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	int rc = 1, r;

	o.node.user = facts_new();
	if ((r = facts_parse(argc, argv, &o)) != 0) {
		rc = r > 0 ? 0 : 1;
		goto out;
	}
	if (cli_node_gather(&o.node, f) < 0)
		goto out;
	if (o.key != NULL && facts_key_check(o.key, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	if (o.key != NULL && facts_print_key(f, &o, &out) < 0) {
		cli_errorf("no fact '%s'", o.key);
		goto out;
	}
	if (o.key == NULL && o.json) {
		facts_to_json(f, &out);
		buf_addch(&out, '\n');
	} else if (o.key == NULL)
		facts_to_text(f, &out);
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0)
		cli_errorf("cannot write the facts");
	else
		rc = 0;
out:
	buf_release(&out);
	facts_free(f);
	facts_free(o.node.user);
	return rc;
}
