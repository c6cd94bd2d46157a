#ifndef TLALOC_AGENT_MEMBERSHIP_H
#define TLALOC_AGENT_MEMBERSHIP_H

/*
 * The core's membership half (membership.c), for agent.c: the state dir
 * and identity, the sockets, the swim machine, its seeds and snapshot.
 * Subsystems use agent_int.h instead.
 */

#include <stddef.h>
#include <stdint.h>

struct agent;
struct stream_conn;
struct tl_err;

/* State dir (0700), keyring, node key, socket and snapshot paths. */
int	agent_members_state(struct agent *a, struct tl_err *err);
/* swim's settings for the profile (before subsystems open: they read
 * its gossip interval). */
void	agent_members_config(struct agent *a);
/* UDP, TCP and the control socket; refuses a second agent. */
int	agent_members_sockets(struct agent *a, struct tl_err *err);
/* The swim machine with the node's composed tags, its snapshot, seeds. */
int	agent_members_open(struct agent *a, struct tl_err *err);
/* Every second: seeds, the bad-packet summary, the snapshot. */
void	agent_members_tick(struct agent *a);
/* Saves the membership snapshot now. */
void	agent_members_save(struct agent *a);
/* Signs and gossips our leave; how long to keep gossiping it, in ms. */
uint64_t agent_members_leave(struct agent *a);
/* A push-pull frame from a peer (wire.c): merged, answered. */
void	agent_pushpull_serve(struct agent *a, struct stream_conn *c,
	    const uint8_t *p, size_t len);
/* After the loop: frees the machine. */
void	agent_members_close(struct agent *a);

#endif
