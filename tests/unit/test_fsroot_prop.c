/*
 * A property test of the fsroot walker: random trees of files,
 * directories and links (relative, absolute, climbing out with "..",
 * hard links to files outside), random calls on random paths, with
 * openat2 and with the component walk. Whatever happens:
 *
 *   1. nothing outside the root changes: no name appears or goes, no
 *      content, mode, owner or mtime changes (the root's sibling
 *      "outside" is the host here, and holds hard-link targets);
 *   2. without fsroot_follow, nothing reachable only through an
 *      untrusted link changes ("beyond", inside the root, is pointed at
 *      only by links in directories others may write, or owned by
 *      someone else, and never named directly).
 *
 * A failure prints the seed; TLALOC_FSROOT_SEED=N replays it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/fsroot.h"
#include "core/fsroot_int.h"
#include "core/xalloc.h"
#include "test.h"

#define NAMES	8

static const char *const names[NAMES] = {
	"a", "b", "etc", "home", "lib", ".ssh", "x", "keys"
};

static uint64_t rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng_state >> 33) % n);
}

/* A snapshot line per entry under dir: name, type, mode, owner, size,
 * mtime and content (regular files). */
static void
snap(const char *dir, const char *rel, struct buf *out)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		char *p = xasprintf("%s/%s", dir, nm), *r;
		struct stat st;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 ||
		    lstat(p, &st) < 0) {
			free(p);
			free(ents[i]);
			continue;
		}
		r = xasprintf("%s/%s", rel, nm);
		buf_addf(out, "%s %o %u %u %lld %lld.%09ld\n", r,
		    (unsigned)st.st_mode, (unsigned)st.st_uid,
		    (unsigned)st.st_gid, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		if (S_ISREG(st.st_mode))
			fileio_read(p, 1 << 16, out, NULL);
		else if (S_ISDIR(st.st_mode))
			snap(p, r, out);
		free(r);
		free(p);
		free(ents[i]);
	}
	free(ents);
}

/* A random managed path of 1 to 4 components (never "beyond"). */
static char *
rand_path(void)
{
	struct buf b = BUF_INIT;
	unsigned depth = 1 + rnd(4);

	for (unsigned i = 0; i < depth; i++) {
		buf_addch(&b, '/');
		buf_addstr(&b, names[rnd(NAMES)]);
	}
	return buf_detach(&b, NULL);
}

/* A link target: inside (relative or absolute), climbing out, at the
 * host's real path of outside, or at beyond (then the link is made
 * untrusted by its caller). */
static char *
rand_target(const char *outside, int *to_beyond)
{
	*to_beyond = 0;
	switch (rnd(6)) {
	case 0:
		return xstrdup(names[rnd(NAMES)]);
	case 1:
		return rand_path();
	case 2:
		return xstrdup("../../../../../../../outside");
	case 3:
		return xasprintf("%s/%s", outside, names[rnd(NAMES)]);
	case 4:
		return xstrdup("..");
	default:
		*to_beyond = 1;
		return xstrdup(rnd(2) ? "/beyond" : "../../../beyond");
	}
}

/* Builds a random tree under root (host paths: mkdir, symlink, ...). */
static void
build_tree(const char *root, const char *outside, int as_root)
{
	for (unsigned i = 0; i < 30; i++) {
		char *rel = rand_path(), *p = xasprintf("%s%s", root, rel);
		char *t;
		int beyond, fd;

		switch (rnd(5)) {
		case 0:
		case 1:
			mkdir(p, 0755);
			if (rnd(4) == 0)
				chmod(p, 0777);	/* a user's: untrusted */
			break;
		case 2:
			if ((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0) {
				(void)!write(fd, "data\n", 5);
				close(fd);
			}
			break;
		case 3:
			t = rand_target(outside, &beyond);
			if (symlink(t, p) == 0 && beyond) {
				/* An untrusted link: someone else's, or in
				 * a directory others may write. */
				if (as_root)
					(void)lchown(p, 65534, 65534);
				else {
					char *d = xasprintf("%s", p);
					*strrchr(d, '/') = '\0';
					chmod(d, 0777);
					free(d);
				}
			}
			free(t);
			break;
		default:
			t = xasprintf("%s/%s", outside, names[rnd(NAMES)]);
			(void)link(t, p);	/* a hard link out */
			free(t);
		}
		free(p);
		free(rel);
	}
}

static void
make_side(const char *dir)
{
	ASSERT_EQ(mkdir(dir, 0755), 0);
	for (unsigned i = 0; i < NAMES; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		int fd = open(p, O_WRONLY | O_CREAT, 0600);

		ASSERT(fd >= 0);
		(void)!write(fd, "secret\n", 7);
		close(fd);
		free(p);
	}
}

static void
one_op(struct fsroot *fr, int allow_follow)
{
	struct fileio_meta meta = { 0777, (uid_t)-1, (gid_t)-1 };
	struct buf b = BUF_INIT;
	struct stat st;
	char *p = rand_path(), **v, *f;
	size_t n;

	switch (rnd(allow_follow ? 10 : 9)) {
	case 0:
		fsroot_write(fr, p, "pwned\n", 6, &meta, FSROOT_QUICK, NULL);
		break;
	case 1:
		fsroot_set_attrs(fr, p, NULL, &meta, NULL);
		break;
	case 2:
		fsroot_mkdir(fr, p, &meta, NULL);
		break;
	case 3:
		fsroot_mkdirs(fr, p, 0777, NULL);
		break;
	case 4:
		fsroot_unlink(fr, p, NULL);
		break;
	case 5:
		fsroot_rmdir(fr, p, NULL);
		break;
	case 6:
		fsroot_symlink(fr, p, "/pwned", NULL);
		break;
	case 7:
		if (fsroot_lstat(fr, p, &st, NULL) == 0)
			fsroot_set_attrs(fr, p, &st, &meta, NULL);
		fsroot_read(fr, p, 100, &b, NULL, NULL);
		break;
	case 8:
		if (fsroot_list(fr, p, &v, &n, NULL) == 0)
			fsroot_names_free(v);
		break;
	default:
		if (fsroot_follow(fr, p, &f, NULL) == 0) {
			ASSERT(path_is_clean_abs(f));
			fsroot_write(fr, f, "followed\n", 9, &meta,
			    FSROOT_QUICK, NULL);
			free(f);
		}
	}
	buf_release(&b);
	free(p);
}

static void
run_property(int walk, int allow_follow)
{
	const char *env = getenv("TLALOC_FSROOT_SEED");
	unsigned long long first = env ? strtoull(env, NULL, 10) : 1;
	unsigned rounds = env ? 1 : 40;
	int as_root = geteuid() == 0;

	for (unsigned k = 0; k < rounds; k++) {
		unsigned long long seed = first + k * 7919 + (unsigned)walk;
		char *base = xasprintf("%s/r%u-%d%d", test_dir(), k, walk,
		    allow_follow);
		char *root = xasprintf("%s/root", base);
		char *outside = xasprintf("%s/outside", base);
		char *beyond = xasprintf("%s/beyond", root);
		struct buf before = BUF_INIT, after = BUF_INIT;
		struct buf bb = BUF_INIT, ba = BUF_INIT;
		struct tl_err err = TL_ERR_INIT;
		struct fsroot *fr;

		rng_state = seed;
		ASSERT_EQ(mkdir(base, 0755), 0);
		make_side(outside);
		ASSERT_EQ(mkdir(root, 0755), 0);
		make_side(beyond);
		build_tree(root, outside, as_root);
		snap(outside, "", &before);
		snap(beyond, "", &bb);
		ASSERT_EQ(fsroot_open(root, &fr, &err), 0);
		if (walk)
			fsroot_force_walk(fr);
		for (unsigned i = 0; i < 60; i++)
			one_op(fr, allow_follow);
		fsroot_free(fr);
		snap(outside, "", &after);
		snap(beyond, "", &ba);
		if (strcmp(before.data, after.data) != 0)
			test_fail(__FILE__, __LINE__, "seed %llu changed "
			    "outside the root:\n%s---\n%s", seed, before.data,
			    after.data);
		if (!allow_follow && strcmp(bb.data, ba.data) != 0)
			test_fail(__FILE__, __LINE__, "seed %llu changed what "
			    "only untrusted links reach:\n%s---\n%s", seed,
			    bb.data, ba.data);
		buf_release(&before);
		buf_release(&after);
		buf_release(&bb);
		buf_release(&ba);
		free(beyond);
		free(outside);
		free(root);
		free(base);
	}
}

TEST(fsroot_property_openat2)
{
	run_property(0, 0);
}

TEST(fsroot_property_walk)
{
	run_property(1, 0);
}

TEST(fsroot_property_follow_stays_in_root)
{
	run_property(0, 1);
	run_property(1, 1);
}
