#include "run.h"

#include <stdlib.h>

#include "bucket/bucket.h"
#include "core/err.h"
#include "core/fileio.h"

char *
run_path(const struct run_ctx *ctx, const char *path)
{
	return path_in_root(ctx->root, path);
}

int
run_backup(struct run_ctx *ctx, const char *path, struct tl_err *err)
{
	int rc;

	if (ctx->bucket == NULL || strmap_get(&ctx->backed_up, path, NULL))
		return 0;
	rc = bucket_store(ctx->bucket, ctx->fs, path, ctx->run_id, err);
	if (rc == 0)
		strmap_put(&ctx->backed_up, path, 1);
	return rc;
}

void
run_ctx_release(struct run_ctx *ctx)
{
	strmap_release(&ctx->backed_up);
}
