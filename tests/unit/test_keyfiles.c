/* Key files: readable by others is tightened (ours) or refused. */
#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "net/ident.h"
#include "net/keyring.h"
#include "test.h"

static mode_t
mode_of(const char *path)
{
	struct stat st;

	ASSERT_EQ(stat(path, &st), 0);
	return st.st_mode & 07777;
}

TEST(keyring_readable_by_others_is_made_private)
{
	char *p = test_write("keyring",
	    "kUcGoWzp4sKOz4lBjmTQ9LUJcAHMbkNoTdjmJpmf9wM=\n");
	struct tl_err err = TL_ERR_INIT;
	struct keyring *kr = keyring_new();

	ASSERT_EQ(chmod(p, 0644), 0);
	ASSERT_EQ(keyring_load(kr, p, &err), 0);
	ASSERT_EQ(mode_of(p), 0600);
	keyring_free(kr);
	free(p);
}

TEST(node_key_readable_by_others_is_made_private)
{
	char *p = test_path("node.key");
	struct tl_err err = TL_ERR_INIT;
	struct ident *id = ident_load_or_create(p, &err);

	ASSERT(id != NULL);
	ASSERT_EQ(mode_of(p), 0600);
	ident_free(id);
	ASSERT_EQ(chmod(p, 0640), 0);
	id = ident_load_or_create(p, &err);
	ASSERT(id != NULL);
	ASSERT_EQ(mode_of(p), 0600);
	ident_free(id);
	free(p);
}

TEST(key_file_of_someone_else_readable_by_others_is_refused)
{
	char *p = test_write("key", "secret\n");
	struct tl_err err = TL_ERR_INIT;
	struct buf b = BUF_INIT;

	if (geteuid() != 0)
		return;		/* cannot give the file away */
	ASSERT_EQ(chown(p, 65534, 65534), 0);
	ASSERT_EQ(chmod(p, 0644), 0);
	ASSERT_EQ(fileio_read_secret(p, 100, &b, &err), TL_EPERM);
	ASSERT_CONTAINS(err.msg, "holds a key and others may read it");
	ASSERT_CONTAINS(err.msg, "chmod 600 it");
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(mode_of(p), 0644);
	ASSERT_EQ(chmod(p, 0600), 0);
	ASSERT_EQ(fileio_read_secret(p, 100, &b, &err), 0);
	ASSERT_STR_EQ(b.data, "secret\n");
	buf_release(&b);
	free(p);
}
