#include "run.h"

#include <stdlib.h>

#include "core/err.h"
#include "core/fileio.h"

struct bucket;
int	bucket_store(struct bucket *, const char *path, const char *real_path,
	    const char *run_id, struct tl_err *err);

/* XXX(lead): stand-in until src/bucket lands; removed then. */
__attribute__((weak)) int
bucket_store(struct bucket *b, const char *path, const char *real_path,
    const char *run_id, struct tl_err *err)
{
	(void)b;
	(void)real_path;
	(void)run_id;
	return tl_err_set(err, TL_EIO, "cannot back up '%s': no bucket", path);
}

char *
run_path(const struct run_ctx *ctx, const char *path)
{
	return path_in_root(ctx->root, path);
}

int
run_backup(struct run_ctx *ctx, const char *path, struct tl_err *err)
{
	char *real;
	int rc;

	if (ctx->bucket == NULL)
		return 0;
	real = run_path(ctx, path);
	rc = bucket_store(ctx->bucket, path, real, ctx->run_id, err);
	free(real);
	return rc;
}
