#ifndef TLALOC_ENGINE_REGISTRY_H
#define TLALOC_ENGINE_REGISTRY_H

struct res_type;

/* The resource types this build knows, NULL-terminated. */
extern const struct res_type *const res_types[];

/* Returns the type called name, or NULL. */
const struct res_type *res_type_find(const char *name);

#endif
