#ifndef TLALOC_AGENT_KEYS_H
#define TLALOC_AGENT_KEYS_H

/*
 * Keyring rotation across a live cluster (keys.c): `tlaloc keys install|
 * use|remove|list` on one agent, carried to every member in
 * PKT_PART_KEYS parts; a peer that speaks an old key is offered our
 * primary. No calls for other subsystems: only its table entry.
 */

struct agent_sub;

extern const struct agent_sub agent_keys_sub;

#endif
