#ifndef TLALOC_POLICY_BUNDLE_H
#define TLALOC_POLICY_BUNDLE_H

/*
 * A policy bundle: the signed manifest of a recipe directory. The content
 * itself travels separately, as chunks named by their BLAKE2b-256 hash, so
 * a node fetches only what it lacks and checks every chunk on arrival.
 *
 *   +------+-----+------------+--------------+-------------+
 *   |"TLPB"| ver | serial u64 | created u64  | key id (8)  |  created: unix ms
 *   +------+-----+------------+--------------+-------------+
 *   | msg len u16 | message (UTF-8, <= 256)  | nfiles u32  |
 *   +-------------+--------------------------+-------------+
 *   | per file: path len u16, path, mode u16, size u64,    |
 *   |           nchunks u32, nchunks x chunk hash (32)     |
 *   +------------------------------------------------------+
 *   | Ed25519 signature (64) over every byte above         |
 *   +------------------------------------------------------+
 *
 * Chunks are BUNDLE_CHUNK bytes except each file's last; nchunks must be
 * ceil(size / BUNDLE_CHUNK). Paths are relative, '/'-separated, with no
 * empty, "." or ".." component. Every count and size is bounded before
 * anything is allocated, so a hostile bundle cannot exhaust memory.
 */

#include <stddef.h>
#include <stdint.h>

#include "net/opkey.h"

struct buf;
struct opkey;
struct tl_err;

#define BUNDLE_VERSION		1
#define BUNDLE_CHUNK		(64u * 1024)
#define BUNDLE_HASH_LEN		32
#define BUNDLE_MSG_MAX		256
#define BUNDLE_PATH_MAX		255
#define BUNDLE_FILES_MAX	4096
#define BUNDLE_FILE_MAX		(64ull << 20)	/* bytes per file */
#define BUNDLE_TOTAL_MAX	(256ull << 20)	/* bytes per bundle */
#define BUNDLE_WIRE_MAX		(8u << 20)	/* manifest bytes */

struct bundle_file {
	char		*path;
	uint16_t	 mode;		/* permission bits only */
	uint64_t	 size;
	uint32_t	 nchunks;
	uint8_t		*hashes;	/* nchunks x BUNDLE_HASH_LEN */
};

struct bundle {
	uint64_t		 serial;
	uint64_t		 created_ms;
	uint8_t			 key_id[OPKEY_ID_LEN];
	char			 message[BUNDLE_MSG_MAX + 1];
	struct bundle_file	*files;
	size_t			 nfiles;
	uint64_t		 total;	/* sum of file sizes */
};

void	bundle_init(struct bundle *b);
void	bundle_release(struct bundle *b);

/* Adds a file entry (path copied, hashes copied: nchunks x 32 bytes). */
void	bundle_add_file(struct bundle *b, const char *path, uint16_t mode,
	    uint64_t size, const uint8_t *hashes, uint32_t nchunks);

/* Appends b, signed with k (whose id it takes), to out. */
void	bundle_encode_signed(struct bundle *b, const struct opkey *k,
	    struct buf *out);

/*
 * Parses a bundle into b (fresh from bundle_init()) without checking the
 * signature. TL_ETRUNC, TL_ETOOBIG or TL_EINVAL with a sentence in err.
 */
int	bundle_decode(const uint8_t *p, size_t len, struct bundle *b,
	    struct tl_err *err);

/*
 * bundle_decode() and then the signature against trust: TL_EPERM when the
 * key is not trusted, TL_ECRYPTO when the signature is forged or damaged.
 * On failure b is released.
 */
int	bundle_verify(const struct opkey_trust *trust, const uint8_t *p,
	    size_t len, struct bundle *b, struct tl_err *err);

/* BLAKE2b-256 of a chunk. */
void	bundle_hash(const uint8_t *p, size_t n, uint8_t out[BUNDLE_HASH_LEN]);
/* Lowercase hex of a hash (out: 65 bytes). */
void	bundle_hash_hex(const uint8_t h[BUNDLE_HASH_LEN], char out[65]);
/* Is path a clean relative bundle path? */
int	bundle_path_ok(const char *path, size_t len);

#endif
