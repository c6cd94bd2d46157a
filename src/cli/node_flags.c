#include "node_flags.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/xalloc.h"

static int
list_add(const char **list, size_t *n, const char *v, const char *flag)
{
	if (*n == BOOTSTRAP_LIST_MAX) {
		cli_errorf("more than %d %s values", BOOTSTRAP_LIST_MAX, flag);
		return -1;
	}
	list[(*n)++] = v;
	return 1;
}

static int
joins_add(struct node_flags *f, const char *v)
{
	char *copy, *p, *comma;

	if (f->nowned == BOOTSTRAP_LIST_MAX) {
		cli_errorf("too many --join flags");
		return -1;
	}
	copy = f->owned[f->nowned++] = xstrdup(v);
	for (p = copy; p != NULL; p = comma) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma++ = '\0';
		if (*p != '\0' && list_add(f->member.joins, &f->member.njoins, p,
		    "--join") < 0)
			return -1;
	}
	return 1;
}

/* Takes v as the value of the shared flag: < 0 after printing an error. */
static int
member_set(struct node_flags *f, const char *flag, const char *v)
{
	char *end;

	if (strcmp(flag, "--join") == 0)
		return joins_add(f, v);
	if (strcmp(flag, "--tag") == 0)
		return list_add(f->member.tags, &f->member.ntags, v, flag);
	if (strcmp(flag, "--trust") == 0)
		return list_add(f->member.trust_paths, &f->member.ntrust, v, flag);
	if (strcmp(flag, "--pack") == 0)
		f->member.pack = v;
	else if (strcmp(flag, "--policy-from") == 0)
		f->member.policy_from = v;
	else {
		long p = strtol(v, &end, 10);

		if (*end != '\0' || p < 1 || p > 65535) {
			cli_errorf("--port must be 1 to 65535, not '%s'", v);
			return -1;
		}
		f->member.port = (int)p;
	}
	return 0;
}

int
node_flags_take(struct node_flags *f, int argc, char **argv, int *i)
{
	const char *flag = argv[*i];

	if (cli_is_help(flag))
		return NODE_FLAG_HELP;
	if (strcmp(flag, "--join") != 0 && strcmp(flag, "--tag") != 0 &&
	    strcmp(flag, "--trust") != 0 && strcmp(flag, "--pack") != 0 &&
	    strcmp(flag, "--policy-from") != 0 && strcmp(flag, "--port") != 0) {
		if (*i + 1 < argc)
			return NODE_FLAG_OWN;
		cli_errorf("unknown flag or missing value: '%s'", flag);
		return -1;
	}
	if (*i + 1 >= argc) {
		cli_errorf("%s needs a value", flag);
		return -1;
	}
	(*i)++;
	return member_set(f, flag, argv[*i]) < 0 ? -1 : NODE_FLAG_TAKEN;
}

void
node_flags_release(struct node_flags *f)
{
	for (size_t i = 0; i < f->nowned; i++)
		free(f->owned[i]);
	f->nowned = 0;
}
