/*
 * tlaloc resources [TYPE]: the resource types, their attributes, defaults,
 * shorthands and providers, from the same specs the recipe compiler checks
 * against (docs/resources.md is generated from this output).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "engine/registry.h"
#include "engine/res.h"

static const char *const kind_names[] = {
	"string", "integer", "boolean", "list", "map", "mode", "one of",
	"user/group name or number", "port (1-65535)"
};

static void
print_choices(const struct attr_spec *a)
{
	for (size_t i = 0; a->choices[i] != NULL; i++)
		printf("%s%s", i ? "|" : " ", a->choices[i]);
}

/* "name: how it is tested\n" lines, indented under the providers. */
static void
print_proof(const char *lines)
{
	const char *p = lines, *nl;

	printf("  tested:\n");
	while ((nl = strchr(p, '\n')) != NULL) {
		printf("    %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

static void
print_type(const struct res_type *t)
{
	printf("%s: %s\n", t->name, t->doc);
	if (t->providers != NULL)
		printf("  providers: %s\n", t->providers);
	if (t->provider_proof != NULL)
		print_proof(t->provider_proof);
	for (size_t i = 0; t->attrs[i].name != NULL; i++) {
		const struct attr_spec *a = &t->attrs[i];

		printf("  %-12s %s", a->name, kind_names[a->kind]);
		if (a->kind == ATTR_ENUM)
			print_choices(a);
		if (a->flags & ATTR_NAMEVAR)
			printf(", the title");
		if (a->flags & ATTR_REQUIRED)
			printf(", required");
		if (a->flags & ATTR_SECRET)
			printf(", secret (never shown)");
		if (a->def != NULL)
			printf(", default %s", a->def);
		printf("\n               %s\n", a->doc);
	}
	for (size_t i = 0; t->shorts && t->shorts[i].ns; i++)
		printf("  shorthand: %s\n", t->shorts[i].doc);
	printf("  common: require, before, notify, subscribe, tags\n\n");
}

int
cmd_resources(int argc, char **argv)
{
	const struct res_type *t;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: tlaloc resources [TYPE]\n");
		return 0;
	}
	if (argc > 1) {
		if ((t = res_type_find(argv[1])) == NULL) {
			cli_errorf("unknown resource type '%s'", argv[1]);
			return 1;
		}
		print_type(t);
		return 0;
	}
	for (size_t i = 0; res_types[i] != NULL; i++)
		print_type(res_types[i]);
	return 0;
}
