/*
 * dpkg's status file, apt's extended_states and a .list file under
 * libFuzzer: any bytes parse (bad stanzas are skipped), without crashing,
 * leaking or reading past the input; what comes out is well formed (names
 * non-empty, conffile paths absolute, checksums 32 hex digits or empty).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/dpkg_db.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct strmap owner = STRMAP_INIT;
	struct dpkg_db db;

	dpkg_db_init(&db);
	dpkg_status_parse(&db, text, size);
	dpkg_auto_parse(&db, text, size);
	for (size_t i = 0; i < db.n; i++) {
		const struct dpkg_pkg *p = &db.v[i];

		TL_ASSERT(p->name != NULL && strchr(p->name, ':') == NULL);
		for (size_t k = 0; k < p->nconf; k++) {
			size_t n = strlen(p->conf[k].md5);
			TL_ASSERT(p->conf[k].path[0] == '/');
			TL_ASSERT(n == 0 || n == 32);
		}
		(void)dpkg_is_manual(p);
	}
	dpkg_list_parse(&owner, 0, text, size);
	dpkg_list_parse(&owner, 1, text, size / 2);
	strmap_release(&owner);
	dpkg_db_release(&db);
	return 0;
}
