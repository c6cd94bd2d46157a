#ifndef TLALOC_AGENT_RECIPE_DECL_H
#define TLALOC_AGENT_RECIPE_DECL_H

/*
 * The channels and tags a converged recipe declared about its node
 * (recipe_decl.c, CTL_RECIPE_DECL); what a later recipe drops is parted
 * or deleted. Only its table entry.
 */

struct agent_sub;

extern const struct agent_sub agent_recipe_decl_sub;

#endif
