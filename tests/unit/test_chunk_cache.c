#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "engine/graph.h"
#include "engine/res.h"
#include "recipe/recipe.h"
#include "test.h"

/* Compiles the recipe dir "r" with the chunk cache "cache". */
static int
cc_compile(const char *cache, int ro, struct tl_err *err)
{
	struct recipe_opts o = { 0 };
	struct recipe *rec = NULL;
	char *dir = test_path("r"), *cdir = test_path(cache);
	int rc;

	o.path = dir;
	o.chunk_cache = cdir;
	o.chunk_cache_ro = ro;
	*err = (struct tl_err)TL_ERR_INIT;
	rc = recipe_compile(&o, &rec, err);
	if (rc == 0 && (rec->graph.n != 1 || strcmp(rec->graph.res[0]->ref,
	    "file[/a]") != 0))
		rc = -99;
	recipe_free(rec);
	free(dir);
	free(cdir);
	return rc;
}

/* The stat of the one *.luac file in the cache dir; 0 when there is none
 * (or more than one). */
static int
cc_entry(const char *cache, struct stat *st, char **path)
{
	char *dir = test_path(cache);
	struct dirent *de;
	int n = 0;
	DIR *d;

	*path = NULL;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".luac") == NULL)
				continue;
			n++;
			free(*path);
			*path = xasprintf("%s/%s", dir, de->d_name);
		}
		closedir(d);
	}
	free(dir);
	if (n != 1 || lstat(*path, st) < 0)
		return 0;
	return 1;
}

TEST(chunk_cache_hits_and_errors_keep_file_and_line)
{
	struct tl_err err;
	struct stat a, b;
	ino_t before;
	char *p;

	free(test_write("st/keep", ""));	/* the state dir */
	free(test_write("r/site.lua", "file{path='/a', content='x'}\n"));
	ASSERT_EQ(cc_compile("st/luac", 0, &err), 0);
	ASSERT(cc_entry("st/luac", &a, &p));
	ASSERT_EQ(a.st_mode & 07777, 0600);
	free(p);
	ASSERT_EQ(cc_compile("st/luac", 0, &err), 0);
	ASSERT(cc_entry("st/luac", &b, &p));
	ASSERT_EQ(a.st_ino, b.st_ino);		/* loaded, not written again */
	free(p);

	/* Another source replaces the entry; a runtime error from the
	 * cached chunk names the same place as from the source. */
	free(test_write("r/site.lua", "file{path='/a', content='x'}\n\n"
	    "local t = nil\nlocal x = t.y\n"));
	before = b.st_ino;
	for (int round = 0; round < 2; round++) {	/* parsed, then loaded */
		ASSERT(cc_compile("st/luac", 0, &err) < 0);
		ASSERT_STR_EQ(err.where, "site.lua:4");
		ASSERT_CONTAINS(err.msg, "local 't'");
		ASSERT(cc_entry("st/luac", round ? &b : &a, &p));
		free(p);
	}
	ASSERT_NE(a.st_ino, before);
	ASSERT_EQ(a.st_ino, b.st_ino);
}

/* Compiles "r" with the cache "st/luac" (it must work); the entry's stat
 * into st. */
static void
cc_again(struct stat *st)
{
	struct tl_err err;
	char *p;

	ASSERT_EQ(cc_compile("st/luac", 0, &err), 0);
	ASSERT(cc_entry("st/luac", st, &p));
	free(p);
}

TEST(chunk_cache_refuses_what_it_cannot_trust)
{
	struct tl_err err;
	struct stat a, b;
	char *p, *dir;
	int fd;

	free(test_write("st/keep", ""));	/* the state dir */
	free(test_write("r/site.lua", "file{path='/a', content='x'}\n"));
	ASSERT_EQ(cc_compile("st/luac", 0, &err), 0);
	ASSERT(cc_entry("st/luac", &a, &p));	/* p: its one name */

	/* A flipped byte in the bytecode: compiled from source, replaced. */
	ASSERT((fd = open(p, O_RDWR)) >= 0);
	ASSERT_EQ(pwrite(fd, "\xff", 1, a.st_size - 3), 1);
	close(fd);
	cc_again(&b);
	ASSERT_NE(a.st_ino, b.st_ino);

	/* Readable by others: not loaded, replaced by a 0600 one. */
	ASSERT_EQ(chmod(p, 0644), 0);
	cc_again(&a);
	ASSERT_NE(a.st_ino, b.st_ino);
	ASSERT_EQ(a.st_mode & 07777, 0600);

	/* A directory others may enter: neither read nor written. */
	dir = test_path("st/luac");
	ASSERT_EQ(chmod(dir, 0755), 0);
	ASSERT_EQ(chmod(p, 0644), 0);
	cc_again(&b);
	ASSERT_EQ(a.st_ino, b.st_ino);
	ASSERT_EQ(b.st_mode & 07777, 0644);
	free(p);
	free(dir);

	/* A link in place of the directory is not followed. */
	ASSERT_EQ(mkdir(dir = test_path("elsewhere"), 0700), 0);
	free(dir);
	dir = test_path("st/link");
	ASSERT_EQ(symlink("../elsewhere", dir), 0);
	ASSERT_EQ(cc_compile("st/link", 0, &err), 0);
	ASSERT(!cc_entry("elsewhere", &a, &p));
	free(p);
	free(dir);

	/* Read-only (--noop) writes nothing. */
	ASSERT_EQ(cc_compile("st/ro", 1, &err), 0);
	ASSERT(!cc_entry("st/ro", &a, &p));
	free(p);
}
