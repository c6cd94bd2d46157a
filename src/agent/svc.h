#ifndef TLALOC_AGENT_SVC_H
#define TLALOC_AGENT_SVC_H

/*
 * The services subsystem (docs/services.md): the checks a converged recipe
 * declared, run here with bounded concurrency; this node's health and
 * services as two tags of its signed statement (svc=, health=); the
 * catalog every node computes from the membership (cluster/catalog.h);
 * maintenance mode; the catalog reads of the last converge, re-converging
 * when their answer changes; and the DNS responder.
 *
 * One subsystem of the agent (docs/hacking.md).
 */

struct agent;
struct agent_sub;
struct buf;

extern const struct agent_sub agent_svc_sub;

/* This node's health: the worst of its checks (enum health_status);
 * passing with none, and in maintenance. */
int	agent_svc_health(const struct agent *a);
/* What `tlaloc checks --json` and `tlaloc services --json` print, for
 * the HTTP endpoint's /v1/checks and /v1/services. */
void	agent_svc_checks_json(struct agent *a, struct buf *out);
void	agent_svc_services_json(struct agent *a, struct buf *out);

#endif
