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

#include "ctl/ctl.h"
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

/* "c:#web" per channel, "t:k=v" per tag (a bare tag "x" is x=). */
static size_t
decl_args(const struct recipe *rec, char **v, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rec->nchannels && n < max; i++)
		v[n++] = xasprintf("c:%s", rec->channels[i]);
	for (size_t i = 0; i < rec->ntags && n < max; i++)
		v[n++] = strchr(rec->tags[i], '=') != NULL ?
		    xasprintf("t:%s", rec->tags[i]) :
		    xasprintf("t:%s=", rec->tags[i]);
	if (rec->nchannels + rec->ntags > max)
		fprintf(stderr, "tlaloc: warning: the agent keeps only the "
		    "first %zu channels and tags a recipe declares\n", max);
	return n;
}

void
cli_recipe_declare(const char *state_dir, const struct recipe *rec)
{
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	char *decl[CTL_ARGS_MAX];
	size_t n;

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
	n = decl_args(rec, decl, CTL_ARGS_MAX);
	tell(sock, CTL_RECIPE_DECL, n, decl, "channels and tags");
	/* Services and checks (an empty set deregisters), then what the
	 * compile read from the catalog (recipe/services.c). */
	tell(sock, CTL_SVC_DECL, rec->nsvc_decl > CTL_ARGS_MAX ? CTL_ARGS_MAX :
	    rec->nsvc_decl, rec->svc_decl, "services and checks");
	tell(sock, CTL_SVC_WATCH, rec->nreads > CTL_ARGS_MAX ? CTL_ARGS_MAX :
	    rec->nreads, rec->reads, "catalog reads");
	for (size_t i = 0; i < n; i++)
		free(decl[i]);
out:
	free(sock);
}
