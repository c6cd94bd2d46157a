#ifndef TLALOC_NET_KEYRING_H
#define TLALOC_NET_KEYRING_H

/*
 * The cluster keyring: up to KEYRING_MAX symmetric keys for the packet
 * AEAD (XChaCha20-Poly1305-IETF). The first key is the primary: every packet
 * we send is sealed with it. Every key in the ring is accepted on receive,
 * so a rotation is install (everywhere) -> use (switch primary) -> remove
 * (the old key), and a node that slept through it still talks to the rest
 * until the old key is removed.
 *
 * A key is named by its id: the first KEYRING_ID_LEN bytes of
 * BLAKE2b-256(key). Packets carry the id, so the receiver picks the key
 * directly and never tries keys one by one. Four bytes is enough to tell
 * a handful of keys apart; a collision inside one ring is refused on add.
 *
 * File format: one base64 key (standard alphabet, padded) per line, the
 * primary first. Blank lines and lines starting with '#' are ignored.
 * Keys live in sodium_malloc() memory and are wiped when freed.
 */

#include <stddef.h>
#include <stdint.h>

struct tl_err;

#define KEYRING_KEY_LEN	32
#define KEYRING_ID_LEN	4
#define KEYRING_MAX	16
#define KEYRING_B64_LEN	45	/* base64 of a key, with the NUL */
#define KEYRING_FILE_MAX (64u * 1024)

struct keyring;			/* opaque */

/* Returns a new, empty keyring; free with keyring_free() (accepts NULL). */
struct keyring *keyring_new(void);
void	keyring_free(struct keyring *kr);

/*
 * Replaces the content of kr with the keys in text (the file format
 * above). On error kr is left unchanged and err names the line.
 * An empty text is TL_EINVAL: a keyring needs a primary key.
 */
int	keyring_parse(struct keyring *kr, const char *text, size_t len,
	    struct tl_err *err);
/* keyring_parse() on the content of path (at most KEYRING_FILE_MAX). A
 * file others may read is made 0600 with a warning when it is ours, and
 * refused when it is not (fileio_read_secret). */
int	keyring_load(struct keyring *kr, const char *path, struct tl_err *err);
/* Writes kr to path atomically, mode 0600. */
int	keyring_save(const struct keyring *kr, const char *path,
	    struct tl_err *err);

/*
 * Appends key (not primary). Returns 0, TL_EEXIST when the key is already
 * there, TL_EDUP when another key has the same id, TL_ETOOBIG when full.
 */
int	keyring_add(struct keyring *kr, const uint8_t key[KEYRING_KEY_LEN]);
/* Makes the key with id the primary; TL_ENOENT when absent. */
int	keyring_use(struct keyring *kr, const uint8_t id[KEYRING_ID_LEN]);
/* Removes the key with id; TL_EPERM for the primary, TL_ENOENT absent. */
int	keyring_remove(struct keyring *kr, const uint8_t id[KEYRING_ID_LEN]);

size_t	keyring_count(const struct keyring *kr);
/* Borrowed key i (0 is primary) or NULL past the end; id may be NULL. */
const uint8_t *keyring_at(const struct keyring *kr, size_t i,
	    uint8_t id[KEYRING_ID_LEN]);
/* Borrowed key with this id, or NULL. */
const uint8_t *keyring_find(const struct keyring *kr,
	    const uint8_t id[KEYRING_ID_LEN]);

/* Computes the id of key. */
void	keyring_key_id(const uint8_t key[KEYRING_KEY_LEN],
	    uint8_t id[KEYRING_ID_LEN]);
/* Formats an id as 8 lowercase hex digits (out holds 9 bytes). */
void	keyring_id_hex(const uint8_t id[KEYRING_ID_LEN], char out[9]);
/* Fills key with a new random key. */
void	keyring_generate(uint8_t key[KEYRING_KEY_LEN]);
/* Base64 of key into out (KEYRING_B64_LEN bytes). */
void	keyring_key_b64(const uint8_t key[KEYRING_KEY_LEN],
	    char out[KEYRING_B64_LEN]);
/* Decodes a base64 key (surrounding blanks allowed); TL_EINVAL if bad. */
int	keyring_key_parse(const char *s, size_t n, uint8_t key[KEYRING_KEY_LEN],
	    struct tl_err *err);

#endif
