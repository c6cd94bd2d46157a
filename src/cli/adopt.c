/*
 * tlaloc adopt: write a hand-made node out as a recipe directory, or with
 * --diff list what changed outside an existing recipe (src/adopt/).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt.h"
#include "cli.h"
#include "core/err.h"
#include "core/xalloc.h"

#define MAX_EXCLUDE	256

static const char adopt_usage[] =
    "usage: tlaloc adopt [--root DIR] [--out DIR] [--only LIST]\n"
    "                    [--exclude GLOB]... [--include-secrets]\n"
    "       tlaloc adopt --diff --recipes DIR [--root DIR] [--only LIST]\n"
    "\n"
    "Reads what was configured by hand on this node (or the tree at --root)\n"
    "and writes a recipe directory that reproduces it (default ./adopted):\n"
    "packages installed on request, conffiles changed from their package's\n"
    "default and files under /etc no package owns, services enabled at\n"
    "boot, non-system users and groups, crontabs. Secrets (private keys,\n"
    "password hashes, unreadable files) are listed with a placeholder, and\n"
    "copied only with --include-secrets.\n"
    "\n"
    "  --only LIST      packages,files,services,users,cron (default: all)\n"
    "  --exclude GLOB   leave out paths or names matching GLOB (repeatable)\n"
    "  --diff           list what the recipe at --recipes does not declare;\n"
    "                   exit 0 when nothing drifted, 2 when something did\n"
    "                   (secrets only with --include-secrets)\n";

struct adopt_cli {
	struct adopt_opts	 o;
	const char		*out;
	const char		*recipes;
	int			 diff;
	const char		*exclude[MAX_EXCLUDE];
};

static int
adopt_parse(int argc, char **argv, struct adopt_cli *c)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "include-secrets", no_argument, NULL, 'S' },
		{ "diff", no_argument, NULL, 'd' },
		{ "recipes", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct tl_err err = TL_ERR_INIT;
	int ch;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "r:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': c->o.root = optarg; break;
		case 'o': c->out = optarg; break;
		case 'S': c->o.include_secrets = 1; break;
		case 'd': c->diff = 1; break;
		case 'R': c->recipes = optarg; break;
		case 'O':
			if ((c->o.only = adopt_parse_only(optarg, &err)) == 0) {
				cli_error(&err);
				return -1;
			}
			break;
		case 'x':
			if (c->o.nexclude == MAX_EXCLUDE) {
				cli_errorf("at most %d --exclude", MAX_EXCLUDE);
				return -1;
			}
			c->exclude[c->o.nexclude++] = optarg;
			break;
		case 'h':
			fputs(adopt_usage, stdout);
			exit(0);
		default:
			fputs(adopt_usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fputs(adopt_usage, stderr);
		return -1;
	}
	if (c->diff != (c->recipes != NULL)) {
		cli_errorf("--diff and --recipes DIR go together");
		return -1;
	}
	c->o.exclude = c->exclude;
	return 0;
}

static void
adopt_summary(const struct adopt *a, const char *out)
{
	struct strmap concerns = STRMAP_INIT;
	size_t assets = 0;

	for (size_t i = 0; i < a->n; i++) {
		strmap_put(&concerns, a->v[i].concern, i);
		assets += a->v[i].asset_from != NULL;
	}
	printf("adopted %zu resources into %zu recipe files and %zu file "
	    "contents under %s\n", a->n, concerns.n, assets, out);
	if (a->nsecrets > 0)
		printf("%zu secrets left as placeholders: see %s/README.md\n",
		    a->nsecrets, out);
	strmap_release(&concerns);
}

int
cmd_adopt(int argc, char **argv)
{
	struct adopt_cli c;
	struct tl_err err = TL_ERR_INIT;
	struct adopt a;
	int rc;

	memset(&c, 0, sizeof(c));
	c.out = "adopted";
	if (adopt_parse(argc, argv, &c) < 0)
		return 1;
	if (adopt_scan(&c.o, &a, &err) < 0) {
		cli_error(&err);
		return 1;
	}
	if (c.diff) {
		rc = adopt_diff(&a, c.recipes, stdout, &err);
		if (rc < 0)
			cli_error(&err);
		adopt_release(&a);
		return rc < 0 ? 1 : rc > 0 ? 2 : 0;
	}
	rc = adopt_write(&a, c.out, &err);
	if (rc < 0)
		cli_error(&err);
	else
		adopt_summary(&a, c.out);
	adopt_release(&a);
	return rc < 0 ? 1 : 0;
}
