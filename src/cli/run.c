#include "cli.h"
int cmd_run(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int cmd_query(int argc, char **argv) { (void)argc; (void)argv; return 1; }
