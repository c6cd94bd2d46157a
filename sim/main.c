/*
 * tlaloc-sim [SCENARIO_FILE] [--key=value ...]
 *
 * Scenario files hold "key = value" lines; flags override them. Keys are
 * listed in docs/simulator.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack_sim.h"
#include "sim.h"

static int
usage(void)
{
	fprintf(stderr, "usage: tlaloc-sim [SCENARIO] [--key=value ...]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct sim_params p;

	sim_params_default(&p);
	for (int i = 1; i < argc; i++) {
		char key[64], *eq;

		if (strncmp(argv[i], "--", 2) != 0) {
			if (sim_params_load(&p, argv[i]) < 0)
				return 2;
			continue;
		}
		if ((eq = strchr(argv[i], '=')) == NULL ||
		    (size_t)(eq - argv[i] - 2) >= sizeof(key))
			return usage();
		memcpy(key, argv[i] + 2, (size_t)(eq - argv[i] - 2));
		key[eq - argv[i] - 2] = '\0';
		for (char *c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		if (sim_params_set(&p, key, eq + 1) < 0) {
			fprintf(stderr, "tlaloc-sim: unknown key '%s'\n", key);
			return 2;
		}
	}
	if (strncmp(p.mode, "pack", 4) == 0)
		return pack_sim_run(&p);
	if (p.bcast)
		return bsim_run(&p);
	return p.policy ? sim_policy_run(&p) : sim_run(&p);
}
