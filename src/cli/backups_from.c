/*
 * tlaloc backups restore PATH --from PEER [--time T | --list]: getting
 * this node's backups back from the copies a peer keeps of them
 * (docs/backups.md). The local agent does the asking, signed with this
 * node's key; the fetched backup is first saved into our own bucket
 * (its original time and run kept), then restored like any other, so
 * the restore path and its safety (the current file saved first, an
 * atomic write) are the same.
 */
#include "cli.h"
#include "backups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl.h"
#include "bucket/bucket.h"
#include "bucket/replica.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

/* Above the agent's 10 s wait for the peer. */
#define FROM_TIMEOUT_MS	15000

static void
from_list(const char *peer, const struct repl_msg *m)
{
	char when[32];

	printf("%-20s  %10s  %10s  %-64s  %s\n", "TIME (UTC)", "UNIX", "SIZE",
	    "SHA256", "PATH");
	for (size_t i = 0; i < m->n; i++) {
		const struct bucket_entry *e = &m->v[i].e;

		cli_iso_time(e->time, when, sizeof(when));
		printf("%-20s  %10lld  %10llu  %-64s  %s\n", when, e->time,
		    e->size, e->hash, e->path);
	}
	printf("(%zu backups held by %s)\n", m->n, peer);
}

/* Saves the fetched backup into our bucket and restores it. */
static int
from_restore(const char *state_flag, const struct repl_item *it,
    const char *root)
{
	struct tl_err err = TL_ERR_INIT;
	struct bucket_entry e = it->e, *found = NULL;
	char *dir = xasprintf("%s/bucket", cli_state_dir(state_flag));
	char saved[16] = "";
	struct bucket *b = NULL;
	int r;

	if ((r = bucket_open(dir, &b, &err)) < 0 ||
	    (r = bucket_put(b, &e, it->data, (size_t)e.size, e.id, &err)) < 0)
		goto out;
	/* "" when our bucket already had it as the newest of its path. */
	if (e.id[0] == '\0' && (r = bucket_find(b, e.path, BUCKET_SEL_ID,
	    NULL, &found, &err)) == 0)
		memcpy(e.id, found->id, sizeof(e.id));
	if (r < 0)
		goto out;
	r = cli_restore_entry(b, &e, root, state_flag, saved, &err);
out:
	if (r < 0)
		cli_error(&err);
	else
		cli_restore_say(&e, root, r, saved);
	bucket_entries_free(found, 1);
	bucket_close(b);
	free(dir);
	return r < 0 ? 1 : 0;
}

int
cli_backups_from(const char *state_flag, const char *peer, const char *path,
    const char *time, int is_list, const char *root)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_flag));
	char *args[4];
	struct repl_msg m;
	int status, rc = 1;

	memset(&m, 0, sizeof(m));
	args[0] = (char *)peer;
	args[1] = (char *)path;
	args[2] = (char *)(time != NULL ? time : "");
	args[3] = is_list ? "list" : "get";
	if (ctl_call(sock, CTL_BACKUPS_FROM, 0, 4, args, FROM_TIMEOUT_MS,
	    &status, &body, &err) < 0) {
		cli_errorf("restoring from a peer needs the local agent "
		    "running: %s", err.msg);
		goto out;
	}
	if (status != 0) {
		/* The agent's sentence ends with a newline already. */
		fprintf(stderr, "tlaloc: %.*s", (int)body.len, body.data);
		goto out;
	}
	if (repl_msg_decode((uint8_t *)body.data, body.len, &m, &err) < 0 ||
	    m.n == 0) {
		cli_errorf("bad answer from the agent: %s", err.msg);
		goto out;
	}
	if (is_list) {
		from_list(peer, &m);
		rc = 0;
	} else
		rc = from_restore(state_flag, &m.v[0], root);
out:
	repl_msg_release(&m);
	buf_release(&body);
	free(sock);
	return rc;
}
