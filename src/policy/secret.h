#ifndef TLALOC_POLICY_SECRET_H
#define TLALOC_POLICY_SECRET_H

/*
 * Secrets sealed to the nodes that may read them (docs/secrets.md). A
 * secret lives in the policy as POLICY/secrets/NAME.sealed, so it travels
 * in the signed bundle like any other file; only its recipients can open
 * it, so a node that is not granted, a peer that only relays the bundle
 * and a member holding only the cluster key all see ciphertext.
 *
 * Envelope: the value is encrypted once with a fresh 32-byte data key
 * (XChaCha20-Poly1305, the name and serial as associated data); the data
 * key is sealed (crypto_box_seal to the Curve25519 form of the Ed25519
 * key) to each granted node key and to the operator who sealed it, so
 * `secret grant|revoke|rotate` can reopen it with the operator key. Each
 * change draws a new data key; the operator signs the whole file.
 *
 *   +--------+-----+----------+-----------+--------------------+
 *   | "TLSC" | ver | name len | name      | serial u64         |
 *   +--------+-----+----------+-----------+--------------------+
 *   | operator pk (32) | nfor u8 | per filter: len u16, text    |
 *   +------------------+-----------------------------------------+
 *   | nrecipients u32 | per recipient: kind u8 (1 node,        |
 *   |  2 operator), pk (32), name len u8, name, sealed key (80) |
 *   +------------------------------------------------------------+
 *   | nonce (24) | ciphertext len u32 | ciphertext (+16 tag)     |
 *   +------------------------------------------------------------+
 *   | Ed25519 signature (64) by the operator over every byte above|
 *   +------------------------------------------------------------+
 *
 * Every count and length is bounded before it is used
 * (tests/fuzz/fuzz_secret.c).
 */

#include <stddef.h>
#include <stdint.h>

struct buf;
struct ident;
struct opkey;
struct swim_member;
struct tl_err;

#define SECRET_VERSION		1
#define SECRET_NAME_MAX		64	/* [A-Za-z0-9_.-], not leading '.' */
#define SECRET_VALUE_MAX	(64u << 10)
#define SECRET_VALUE_MIN	4	/* shorter cannot be masked in reports */
#define SECRET_FOR_MAX		16	/* --for filters */
#define SECRET_FILTER_MAX	256
#define SECRET_RECIP_MAX	4096
#define SECRET_NODE_NAME_MAX	64
#define SECRET_BOX_LEN		(32 + 48)
#define SECRET_FILE_MAX		(SECRET_VALUE_MAX + 2048 + \
	    SECRET_RECIP_MAX * (2 + 32 + SECRET_NODE_NAME_MAX + SECRET_BOX_LEN) + \
	    SECRET_FOR_MAX * (2 + SECRET_FILTER_MAX))

enum { SECRET_NODE = 1, SECRET_OPERATOR = 2 };

struct secret_recip {
	uint8_t	 kind;			/* SECRET_NODE, SECRET_OPERATOR */
	uint8_t	 pk[32];		/* Ed25519 node or operator key */
	char	 name[SECRET_NODE_NAME_MAX + 1];
	uint8_t	 box[SECRET_BOX_LEN];	/* the data key, sealed to pk */
};

struct secret {
	char			 name[SECRET_NAME_MAX + 1];
	uint64_t		 serial;	/* +1 on each seal */
	uint8_t			 op_pk[32];	/* who sealed it */
	char			*filters[SECRET_FOR_MAX]; /* --for, as given */
	size_t			 nfilters;
	struct secret_recip	*r;
	size_t			 n;
	uint8_t			 nonce[24];
	uint8_t			*ct;		/* ciphertext and tag */
	size_t			 ctlen;
	uint8_t			 sig[64];
};

/* A node a secret may be sealed to: from the agent or a --node-key file. */
struct secret_node {
	char	 name[SECRET_NODE_NAME_MAX + 1];
	uint8_t	 pk[32];
	char	*tags;			/* "k=v\0k=v\0", owned */
	size_t	 tags_len;
	int	 is_gone;		/* failed or left: never sealed to */
};

/* Is s a valid secret name (see SECRET_NAME_MAX)? */
int	secret_name_valid(const char *s);

/* A new, empty secret named name (valid). Free with secret_free(). */
struct secret *secret_new(const char *name);
void	secret_free(struct secret *s);
/* Adds a --for filter (copied); TL_ETOOBIG past SECRET_FOR_MAX. */
int	secret_add_filter(struct secret *s, const char *filter,
	    struct tl_err *err);
/* Removes the filter equal to f; 1 if there was one. */
int	secret_remove_filter(struct secret *s, const char *f);

/*
 * Does node match filter? (s's filters that start with '!' exclude the
 * nodes they match: what `secret revoke` adds for a node still in a
 * granted group.) A filter is either `tlaloc run`'s (pack=NAME,
 * name=REGEX, tag:K=V, #channel, terms separated by spaces), or a
 * comma-separated list of node names. < 0 with err for a bad filter.
 */
int	secret_filter_match(const char *filter, const struct secret_node *node,
	    struct tl_err *err);

/*
 * Seals value (vlen bytes, SECRET_VALUE_MIN..SECRET_VALUE_MAX) to every
 * node of nodes[0..n) that matches one of s's filters and is not gone,
 * and to op; bumps the serial, draws a new data key and signs. Replaces
 * what s held. Returns the number of nodes sealed to, or < 0 with err.
 */
int	secret_seal(struct secret *s, const struct opkey *op,
	    const uint8_t *value, size_t vlen, const struct secret_node *nodes,
	    size_t n, struct tl_err *err);

/*
 * Opens s as the node id: appends the value to out (the caller wipes it
 * with sodium_memzero before releasing). TL_EPERM with a sentence naming
 * the secret, this node and the grants when id is not a recipient;
 * TL_ECRYPTO when the file was changed.
 */
int	secret_open_node(const struct secret *s, const struct ident *id,
	    const char *self_name, struct buf *out, struct tl_err *err);
/* The same as the operator op (grant, revoke, rotate). */
int	secret_open_operator(const struct secret *s, const struct opkey *op,
	    struct buf *out, struct tl_err *err);

/* Checks the operator's signature over the file (self-consistency: the
 * bundle's signature is what makes it trusted). TL_ECRYPTO if it fails. */
int	secret_verify(const struct secret *s, struct tl_err *err);

/* The file image of s. */
void	secret_encode(const struct secret *s, struct buf *out);
/* Parses a file image; *out to free with secret_free(). TL_ETRUNC,
 * TL_EINVAL or TL_ETOOBIG with err for anything malformed. */
int	secret_decode(const uint8_t *p, size_t len, struct secret **out,
	    struct tl_err *err);

/* POLICY/secrets/NAME.sealed: read (TL_ENOENT when absent) and write
 * (atomically, 0644: it is ciphertext). */
int	secret_read(const char *policy, const char *name, struct secret **out,
	    struct tl_err *err);
int	secret_write(const char *policy, const struct secret *s,
	    struct tl_err *err);

/*
 * The member list an agent hands `tlaloc secret` (CTL_MEMBER_KEYS):
 *   ver u8 (1) | per member, to the end: pk (32), gone u8, name len u8,
 *   name, tags len u32, tags ("k=v\0...")
 * The agent starts out with secret_members_begin and adds each member;
 * decode fills *out (free with secret_nodes_free) and returns the count.
 */
void	secret_members_begin(struct buf *out);
void	secret_members_add(struct buf *out, const struct swim_member *m);
int	secret_members_decode(const uint8_t *p, size_t len,
	    struct secret_node **out, struct tl_err *err);
void	secret_nodes_free(struct secret_node *v, size_t n);

#endif
