/*
 * What a compiled recipe declared about the node itself (pack, channels,
 * tags, on() handlers) is the agent's to act on: `tlaloc apply` hands it
 * over after the compile. The agent is the one process that gossips; an
 * apply without an agent (a scratch root, a first run) has no one to tell
 * and says nothing.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "recipe/recipe.h"

#define DECLARE_TIMEOUT_MS	2000

/* 0 when the agent took it, 1 when it refused (warned), -1 no agent. */
static int
tell(const char *sock, int op, size_t nargs, char **args, const char *what)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	int status, r;

	r = ctl_call(sock, op, 0, nargs, args, DECLARE_TIMEOUT_MS, &status,
	    &body, &err);
	if (r == 0 && status != 0)
		fprintf(stderr, "tlaloc: warning: %s: %s", what,
		    body.len ? body.data : "refused by the agent\n");
	buf_release(&body);
	return r < 0 ? -1 : status != 0;
}

/* A bare tag "x" becomes the gossiped tag x= (key only). */
static char **
tag_args(const struct recipe *rec)
{
	char **v = xcalloc(rec->ntags + 1, sizeof(char *));

	for (size_t i = 0; i < rec->ntags; i++)
		v[i] = strchr(rec->tags[i], '=') != NULL ?
		    xstrdup(rec->tags[i]) : xasprintf("%s=", rec->tags[i]);
	return v;
}

void
cli_recipe_declare(const char *state_dir, const struct recipe *rec)
{
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	char *one[1];

	if (rec->pack != NULL)
		cli_pack_declare(state_dir, rec->pack);
	/* Handlers first: with no agent, stop at the first refusal to dial. */
	if (rec->nhandlers / 2 > CTL_ARGS_MAX / 2)
		fprintf(stderr, "tlaloc: warning: only the first %d on() "
		    "handlers are kept by the agent\n", CTL_ARGS_MAX / 2);
	if (tell(sock, CTL_HANDLERS_SET, rec->nhandlers > CTL_ARGS_MAX ?
	    CTL_ARGS_MAX : rec->nhandlers, rec->handlers,
	    "on() handlers") < 0)
		goto out;
	for (size_t i = 0; i < rec->nchannels; i++) {
		one[0] = rec->channels[i];
		tell(sock, CTL_CHAN_JOIN, 1, one, rec->channels[i]);
	}
	if (rec->ntags > 0) {
		char **tags = tag_args(rec);

		tell(sock, CTL_TAGS_SET, rec->ntags > CTL_ARGS_MAX ?
		    CTL_ARGS_MAX : rec->ntags, tags, "recipe tags");
		for (size_t i = 0; i < rec->ntags; i++)
			free(tags[i]);
		free(tags);
	}
out:
	free(sock);
}
