#ifndef TLALOC_CLUSTER_CONVREP_H
#define TLALOC_CLUSTER_CONVREP_H

/*
 * Direct converge reports: how a program learns that a node it asked to
 * converge (cluster/convreq.h) has finished, without waiting for the
 * node's `runs` tag to spread by gossip.
 *
 * The asking agent wraps the operator-signed request with the address
 * its TCP replies go to (like a query's envelope: the address is not
 * signed, the cluster key already vouches for whoever sends it):
 *
 *   +---------+------+---------------------------+
 *   | addrlen | addr | request (convreq.h) ...   |
 *   | u8      |      |                           |
 *   +---------+------+---------------------------+
 *
 * When the run that served the request ends, the node sends its summary
 * back in a sealed PKT_CREPORT frame over TCP, signed with its node key:
 *
 *   +-----+-------+---------+---------+------+--------+--------+
 *   | ver | nonce | node id | namelen | name | runs   | serial |
 *   | u8  | 16 B  | 32 B    | u8      |      | u64 BE | u64 BE |
 *   +-----+-------+---------+---------+------+--------+--------+
 *   | status | changed | failed | duration_ms | errlen | error  |
 *   | u16 BE | u32 BE  | u32 BE | u32 BE      | u8     | errlen |
 *   +--------+---------+--------+-------------+--------+--------+
 *   | signature (64): Ed25519 by node id over CONVREP_DOMAIN and |
 *   | every byte before it                                       |
 *   +------------------------------------------------------------+
 *
 * The nonce is the request's: the asker keeps only reports for nonces it
 * sent, from the node it sent them to, signed by that node (the member
 * whose signed statement gives that name and id); anything else is
 * counted and dropped. A member holding the cluster key can no longer
 * report a converge for another node.
 */

#include <stddef.h>
#include <stdint.h>

#include "cluster/convreq.h"

struct buf;

#define CONVREP_VERSION		2	/* 2: signed by the node */
#define CONVREP_ADDR_MAX	64
#define CONVREP_ERR_MAX		200
#define CONVREP_ID_LEN		32
#define CONVREP_SIG_LEN		64
#define CONVREP_DOMAIN		"tlaloc-creport-v2"
#define CONVREP_MAX		(1 + CONVREQ_NONCE_LEN + CONVREP_ID_LEN + \
				 1 + CONVREQ_NAME_MAX + 8 + 8 + 2 + 4 + 4 + \
				 4 + 1 + CONVREP_ERR_MAX + CONVREP_SIG_LEN)

struct convrep {
	uint8_t		 nonce[CONVREQ_NONCE_LEN];
	uint8_t		 node_id[CONVREP_ID_LEN];	/* the author */
	char		 node[CONVREQ_NAME_MAX + 1];
	uint64_t	 runs;		/* the node's finished-run count */
	uint64_t	 serial;	/* policy serial converged */
	uint16_t	 status;	/* exit status of the run */
	uint32_t	 changed, failed, duration_ms;
	char		 error[CONVREP_ERR_MAX + 1];	/* "" when none */
	uint8_t		 sig[CONVREP_SIG_LEN];	/* node_id's, over the rest */
};

/* Appends addr and the request bytes; TL_EINVAL on a bad address. */
int	convrep_env_encode(const char *addr, const uint8_t *req, size_t n,
	    struct buf *out);
/* Points *req into p; TL_ETRUNC, TL_EINVAL on bad bytes. */
int	convrep_env_decode(const uint8_t *p, size_t len,
	    char addr[CONVREP_ADDR_MAX + 1], const uint8_t **req, size_t *n);

/* Appends r, signature last (error and name cut to their maximum). */
void	convrep_encode(const struct convrep *r, struct buf *out);
/* Appends what the node signs: CONVREP_DOMAIN (with its NUL), then r
 * encoded up to its signature. */
void	convrep_signed(const struct convrep *r, struct buf *out);
/* TL_ETRUNC, TL_EINVAL on bad bytes. */
int	convrep_decode(const uint8_t *p, size_t len, struct convrep *r);

#endif
