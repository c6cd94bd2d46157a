#include "cli.h"

#include <stdio.h>

/* Placeholder until the real command lands. */
int
cmd_backups(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("tlaloc: not built yet\n", stderr);
	return 1;
}
