#ifndef TLALOC_RECIPE_CHUNK_CACHE_H
#define TLALOC_RECIPE_CHUNK_CACHE_H

/*
 * A cache of compiled recipe files (Lua bytecode) in a directory of the
 * state dir, so a run whose recipe did not change skips the Lua parser: a
 * fifth of a no-op `tlaloc apply` of 241 resources went to parsing them.
 *
 * Lua's binary chunk loader trusts its input: crafted bytecode can take
 * over the process. So a cached chunk is loaded only when all of this
 * holds, and otherwise the file is compiled from source as before:
 *
 *   - the cache directory and the file are opened with O_NOFOLLOW, are
 *     owned by this process's user and no one else may read or write
 *     them (0700, 0600); the file has one link;
 *   - its header holds the BLAKE2b key of what it was compiled from: the
 *     source text itself, the chunk name, the Lua release and the build
 *     ids of tlaloc and of the object holding the Lua compiler (tlaloc
 *     itself, or a shared liblua): a new build or another source is a
 *     miss;
 *   - a BLAKE2b of the bytecode in the header matches, so a file torn by
 *     a power cut (written without fsync) is a miss, not a crash.
 *
 * Only this process's user can put a file there, and what it puts is
 * what this same code compiled from the very source it is asked for.
 * Files are written as O_TMPFILE and linked into place (Linux; elsewhere
 * nothing is written), so a killed run leaves no temporary file. Each
 * name a recipe dir holds (site.lua, lib/web.lua) has one entry, replaced
 * when its source changes, so the cache stays as large as one policy. Bytecode keeps its debug information: errors still say
 * file:line.
 */

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNK_KEY_LEN	32

struct chunk_key {
	uint8_t	 key[CHUNK_KEY_LEN];	/* what the chunk was compiled from */
	char	 name[40];		/* file name in the cache dir */
	int	 usable;		/* 0: no build ids, no cache */
};

/* Fills k for the source src[0..len) of the recipe file rel (relative to
 * its recipe dir), loaded as chunk name chunk. */
void	chunk_key_make(struct chunk_key *k, const char *rel, const char *chunk,
	    const char *src, size_t len);

/* Pushes the function cached in dir for k (loaded as chunk): 0. When
 * there is none to trust (see above): -1, and nothing is pushed. */
int	chunk_cache_load(lua_State *L, const char *dir,
	    const struct chunk_key *k, const char *chunk);

/* Writes the function on top of the stack (compiled from k's source) to
 * dir, creating dir (0700) if its parent exists. Best effort: a cache
 * that cannot be written is no cache, and says nothing. */
void	chunk_cache_save(lua_State *L, const char *dir,
	    const struct chunk_key *k);

#endif
