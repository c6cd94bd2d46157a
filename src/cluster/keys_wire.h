#ifndef TLALOC_CLUSTER_KEYS_WIRE_H
#define TLALOC_CLUSTER_KEYS_WIRE_H

/*
 * The keyring rotation's parts (PKT_PART_KEYS, agent/keys.c): an op, a
 * request id (0: no answer wanted) and the op's bytes.
 *
 *   +--------+-----------------+-------------------------------------+
 *   | op u8  | request id u32  | OFFER: statement (149), the key     |
 *   |        |                 |   sealed to this member's node key  |
 *   |        |                 |   (80)           QUERY: -           |
 *   |        |                 | USE, REMOVE: statement (149)        |
 *   |        |                 | STMT: statement (149): an eviction  |
 *   |        |                 |   or an admission                   |
 *   |        |                 | HAVE: n u8, n x key id (primary 1st)|
 *   +--------+-----------------+-------------------------------------+
 *
 * Pure: the statements (net/keystmt.h) and what they allow are the
 * agent's to check.
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rd;

enum keys_wire_op {
	KW_OFFER = 1, KW_QUERY, KW_HAVE, KW_USE, KW_REMOVE, KW_STMT,
	KW_LAST = KW_STMT
};

/* Appends a part's body (op, reqid, then extra) to out. */
void	keys_wire_encode(uint8_t op, uint32_t reqid, const void *extra,
	    size_t n, struct buf *out);
/*
 * Reads a part's op and request id from rd, which is left at the op's
 * bytes. TL_ETRUNC when cut short, TL_EINVAL for an unknown op.
 */
int	keys_wire_decode(struct rd *rd, uint8_t *op, uint32_t *reqid);

#endif
