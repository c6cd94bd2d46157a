#include "cli.h"

#include <stdio.h>

int
cmd_apply(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}

int
cmd_resources(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}
