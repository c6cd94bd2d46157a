#include "cli.h"

#include <stdio.h>

/* Placeholder until facts and the bucket land. */
int
cmd_apply(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("tlaloc: not built yet\n", stderr);
	return 1;
}
