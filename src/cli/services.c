/*
 * Services and health from the command line (docs/services.md):
 * services, catalog, checks, check-in and maint talk to the local agent.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "cluster/catalog.h"
#include "core/buf.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "policy/store.h"

int
cmd_catalog(int argc, char **argv)
{
	static const char usage[] = "tlaloc catalog SERVICE [--healthy] "
	    "[--json] [--state-dir DIR]";
	const char *state_dir = NULL, *svc = NULL;
	int flags = 0, healthy = 0, r;
	char *arg;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--healthy") == 0)
			healthy = 1;
		else if (strcmp(argv[i], "--json") == 0)
			flags |= CTL_F_JSON;
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			state_dir = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s\n", usage);
			return 0;
		} else if (argv[i][0] != '-' && svc == NULL)
			svc = argv[i];
		else {
			cli_errorf("usage: %s", usage);
			return 1;
		}
	}
	if (svc == NULL || !catalog_name_valid(svc)) {
		cli_errorf(svc ? "bad service name '%s': 1 to 32 of a-z, 0-9 "
		    "and '-'" : "usage: %s", svc ? svc : usage);
		return 1;
	}
	arg = xasprintf("s:%s:%s", svc, healthy ? "h" : "a");
	r = cli_ctl(state_dir, CTL_CATALOG, flags, 1, &arg);
	free(arg);
	return r;
}

/* --help (0), bad flags (-1), or the args (1); rest is always freeable. */
static int
client_args(int argc, char **argv, const char *const *keep,
    const char *usage, const char **state_dir, int *flags, char ***rest,
    int *n)
{
	*rest = NULL;
	*n = 0;
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: %s\n", usage);
		return 0;
	}
	return cli_client_args(argc, argv, keep, state_dir, flags, rest,
	    n) < 0 ? -1 : 1;
}

int
cmd_check_in(int argc, char **argv)
{
	static const char *const keep[] = { "status", "note", NULL };
	static const char usage[] = "tlaloc check-in CHECK [--status "
	    "passing|warning|critical] [--note TEXT] [--state-dir DIR]";
	const char *state_dir, *v[3] = { NULL, "passing", "" };
	char **rest;
	int flags, n, r = 1;

	if ((r = client_args(argc, argv, keep, usage, &state_dir, &flags,
	    &rest, &n)) <= 0)
		goto out;
	r = 1;
	for (int i = 0; i < n; i++)
		if (strncmp(rest[i], "status=", 7) == 0)
			v[1] = rest[i] + 7;
		else if (strncmp(rest[i], "note=", 5) == 0)
			v[2] = rest[i] + 5;
		else if (v[0] == NULL)
			v[0] = rest[i];
		else {
			v[0] = NULL;
			break;
		}
	if (v[0] == NULL)
		cli_errorf("usage: %s", usage);
	else
		r = cli_ctl(state_dir, CTL_CHECK_IN, flags, 3, (char **)v);
out:
	cli_rest_free(rest, n);
	return r < 0 ? 1 : r;
}

int
cmd_maint(int argc, char **argv)
{
	static const char *const keep[] = { "reason", "drain", NULL };
	static const char usage[] = "tlaloc maint [on [--reason TEXT] "
	    "[--drain SECONDS] | off] [--state-dir DIR]";
	const char *state_dir, *v[2] = { NULL, "" };
	char **rest;
	unsigned long drain = 5;
	int flags, n, r = 1;

	if ((r = client_args(argc, argv, keep, usage, &state_dir, &flags,
	    &rest, &n)) <= 0)
		goto out;
	r = 1;
	for (int i = 0; i < n; i++) {
		char *end;

		if (strncmp(rest[i], "reason=", 7) == 0)
			v[1] = rest[i] + 7;
		else if (strncmp(rest[i], "drain=", 6) == 0) {
			drain = strtoul(rest[i] + 6, &end, 10);
			if (rest[i][6] == '\0' || *end != '\0' ||
			    drain > 3600) {
				cli_errorf("--drain takes 0 to 3600 seconds");
				goto out;
			}
		} else if (v[0] == NULL && (strcmp(rest[i], "on") == 0 ||
		    strcmp(rest[i], "off") == 0))
			v[0] = rest[i];
		else {
			cli_errorf("usage: %s", usage);
			goto out;
		}
	}
	r = cli_ctl(state_dir, CTL_MAINT, flags, v[0] ? 2 : 0, (char **)v);
	/* Give the cluster time to take the node out of every answer and
	 * config before the caller's next step stops the service. */
	if (r == 0 && v[0] != NULL && strcmp(v[0], "on") == 0 && drain > 0) {
		struct timespec ts = { (time_t)drain, 0 };

		fprintf(stderr, "tlaloc: draining for %lu s\n", drain);
		while (nanosleep(&ts, &ts) < 0)
			;
	}
out:
	cli_rest_free(rest, n);
	return r < 0 ? 1 : r;
}

/* recipe_opts.cluster_ask: the local agent's encoded answer. */
int
cli_cluster_ask(void *ctx, const char *query, struct buf *out,
    struct tl_err *err)
{
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(ctx));
	char *args[2] = { (char *)query, "cbor" };
	int status, r;

	r = ctl_call(sock, CTL_CATALOG, 0, 2, args, 5000, &status, out, err);
	free(sock);
	if (r == 0 && status != 0)
		r = tl_err_set(err, TL_EINVAL, "the agent refused the query "
		    "'%s'", query);
	return r;
}

/* "N" or "P%"; pct is set for the second. */
static int
count_or_pct(const char *s, unsigned long *v, int *pct)
{
	char *end;

	*v = strtoul(s, &end, 10);
	*pct = *end == '%';
	if (s[0] < '0' || s[0] > '9' || end[*pct] != '\0' ||
	    (*pct && (*v == 0 || *v > 100)) || *v > 100000)
		return -1;
	return 0;
}

int
cli_rollout_add(const struct cli_rollout *ro, struct pstore *ps,
    struct bundle *b, struct tl_err *err)
{
	struct buf spec = BUF_INIT;
	unsigned long canary = 0, wave = 100, maxbad = 0;
	long long wait = 30000;
	int pct = 0, wpct = 1, r;

	if (ro->canary == NULL && ro->wave == NULL &&
	    ro->wait_healthy == NULL && ro->max_unhealthy == NULL)
		return 0;
	if (ro->canary && count_or_pct(ro->canary, &canary, &pct) < 0)
		return tl_err_set(err, TL_EINVAL, "--canary takes N or P%%, "
		    "not '%s'", ro->canary);
	if (ro->wave && (count_or_pct(ro->wave, &wave, &wpct) < 0 || !wpct))
		return tl_err_set(err, TL_EINVAL, "--wave takes P%% (1 to "
		    "100), not '%s'", ro->wave);
	if (ro->wait_healthy && (wait = duration_ms(ro->wait_healthy)) < 0)
		return tl_err_set(err, TL_EINVAL, "--wait-healthy takes a "
		    "duration like 30s, not '%s'", ro->wait_healthy);
	if (ro->max_unhealthy && count_or_pct(ro->max_unhealthy, &maxbad,
	    &pct) < 0)
		return tl_err_set(err, TL_EINVAL, "--max-unhealthy takes a "
		    "count, not '%s'", ro->max_unhealthy);
	if (ro->canary && count_or_pct(ro->canary, &canary, &pct) == 0)
		buf_addf(&spec, "%s=%lu\n", pct ? "canary_pct" : "canary",
		    canary);
	buf_addf(&spec, "wave_pct=%lu\nwait_healthy_ms=%lld\n"
	    "max_unhealthy=%lu\n", wave, wait, maxbad);
	r = pstore_add_bytes(ps, ".tlaloc-rollout", spec.data, spec.len, 0644,
	    b, err);
	buf_release(&spec);
	return r;
}
