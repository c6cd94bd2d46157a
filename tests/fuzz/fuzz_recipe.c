/*
 * The recipe loader under libFuzzer: any bytes as site.lua must compile or
 * fail with an error, within the memory and instruction bounds, never
 * crash, leak or hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recipe_opts opts = { 0 };
	struct tl_err err = TL_ERR_INIT;
	struct recipe *rec = NULL;
	char path[96];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-recipe-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/site.lua", dir);
	if (fileio_write_atomic(path, data, size, NULL, &err) < 0)
		abort();
	opts.path = dir;
	opts.max_memory = 64u << 20;
	opts.max_instructions = 2000000;
	if (recipe_compile(&opts, &rec, &err) == 0)
		recipe_free(rec);
	else if (err.msg[0] == '\0')
		abort();	/* every failure must say why */
	return 0;
}
