/* adopt reads the tree through fsroot: a user's link under /etc is not
 * read through, a link is adopted as a link, and the output is written
 * without following links either. */
#include "test.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "adopt/adopt.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

static void
grep_tree(const char *dir, const char *needle, int *hits)
{
	char *cmd = xasprintf("grep -rqF '%s' '%s'", needle, dir);

	*hits = system(cmd) == 0;
	free(cmd);
}

TEST(adopt_reads_no_link_a_user_planted)
{
	char *root = test_path("root"), *out = test_path("out"), *p;
	char *outside = test_write("outside/id_ed25519",
	    "the outside secret\n");
	struct adopt_opts o = { NULL, ADOPT_FILES, NULL, 0, 1 };
	struct tl_err err = TL_ERR_INIT;
	struct adopt a;
	int hits;

	/* A conffile whose directory a user replaced with a link. */
	free(test_write("root/var/lib/dpkg/status",
	    "Package: base-files\nStatus: install ok installed\n"
	    "Priority: required\n\n"
	    "Package: sshkeys\nStatus: install ok installed\n"
	    "Priority: optional\nConffiles:\n"
	    " /etc/users/keys/id_ed25519 0123456789abcdef0123456789abcdef\n"));
	free(test_write("root/var/lib/dpkg/info/base-files.list", "/etc\n"));
	free(test_write("root/etc/app.conf", "mine = 1\n"));
	p = xasprintf("%s/etc/users", root);
	ASSERT_EQ(mkdir(p, 0777), 0);
	chmod(p, 0777);			/* a user's directory */
	free(p);
	p = xasprintf("%s/etc/users/keys", root);
	{
		char *d = path_dirname(outside);

		ASSERT_EQ(symlink(d, p), 0);
		free(d);
	}
	free(p);
	p = xasprintf("%s/etc/link-out", root);
	ASSERT_EQ(symlink(outside, p), 0);
	free(p);
	o.root = root;
	ASSERT_EQ(adopt_scan(&o, &a, &err), 0);
	ASSERT_EQ(adopt_write(&a, out, &err), 0);
	p = xasprintf("%s/files/etc/app.conf", out);
	ASSERT(access(p, F_OK) == 0);
	free(p);
	grep_tree(out, "the outside secret", &hits);
	ASSERT_EQ(hits, 0);
	grep_tree(out, "link{path = \"/etc/link-out\"", &hits);
	ASSERT_EQ(hits, 1);
	adopt_release(&a);
	free(outside);
	free(out);
	free(root);
}
