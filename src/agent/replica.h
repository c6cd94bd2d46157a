#ifndef TLALOC_AGENT_REPLICA_H
#define TLALOC_AGENT_REPLICA_H

/*
 * Bucket replicas (replica_push.c sends ours, replica_serve.c keeps
 * peers' and answers `tlaloc backups restore --from PEER`;
 * docs/backups.md). Only its table entry.
 */

struct agent_sub;

extern const struct agent_sub agent_repl_sub;

#endif
