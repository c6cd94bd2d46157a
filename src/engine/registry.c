#include "registry.h"

#include <string.h>

#include "engine/res.h"

/*
 * One line per resource type. (A constructor-based registry would drop
 * types out of the static library unless something referenced them.)
 */
extern const struct res_type res_type_file;
extern const struct res_type res_type_line;
extern const struct res_type res_type_directory;
extern const struct res_type res_type_link;
extern const struct res_type res_type_exec;
extern const struct res_type res_type_package;
extern const struct res_type res_type_service;
extern const struct res_type res_type_user;
extern const struct res_type res_type_group;
extern const struct res_type res_type_cron;
/* system resources: package, service, user, group, cron */

const struct res_type *const res_types[] = {
	&res_type_file,
	&res_type_line,
	&res_type_directory,
	&res_type_link,
	&res_type_exec,
	&res_type_package,
	&res_type_service,
	&res_type_user,
	&res_type_group,
	&res_type_cron,
	NULL
};

const struct res_type *
res_type_find(const char *name)
{
	for (size_t i = 0; res_types[i] != NULL; i++)
		if (strcmp(res_types[i]->name, name) == 0)
			return res_types[i];
	return NULL;
}
