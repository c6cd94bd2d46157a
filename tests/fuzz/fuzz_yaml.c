/*
 * Data files under libFuzzer: any bytes must parse into a value tree or
 * fail with an error naming file:line:column, within the size, depth and
 * alias-expansion bounds; never crash, leak, hang or read past the input.
 * A parsed tree is also checked against a nested type and printed as
 * JSON, the two things a lookup does with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "recipe/hiera.h"
#include "recipe/tval.h"
#include "recipe/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_err err = TL_ERR_INIT;
	struct tval *v = NULL;
	struct buf b = BUF_INIT;

	if (yaml_parse("f.yaml", (const char *)data, size, &v, &err) < 0) {
		if (v != NULL || err.where[0] == '\0')
			abort();
		return 0;
	}
	hiera_check_type("k", "Hash[String, Array[Optional[Integer]]]", v,
	    NULL);
	tval_json(v, &b);
	buf_release(&b);
	tval_free(v);
	return 0;
}
