#ifndef TLALOC_AGENT_PROGRAM_SCHED_H
#define TLALOC_AGENT_PROGRAM_SCHED_H

/*
 * The pack leader's scheduled program (program_sched.c, agent setting
 * `program`, docs/programs.md): run while this node holds its pack's
 * lease, stopped when it loses it. Only its table entry.
 */

struct agent_sub;

extern const struct agent_sub agent_prog_sub;

#endif
