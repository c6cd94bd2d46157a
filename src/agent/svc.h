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
 * Shaped as one subsystem of the agent: open, tags, info, close, its own
 * control-socket ops, and a member-event hook.
 */

#include <stddef.h>
#include <stdint.h>

struct agent;
struct buf;
struct ctl_req;
struct stream_conn;
struct swim_event;
struct tl_err;

/* Loads the saved declarations, maintenance and reads; opens the DNS
 * socket and the check timer. Before swim starts, so the first statement
 * carries svc= and health=. */
int	agent_svc_open(struct agent *a, struct tl_err *err);
/* Appends svc= and health= (when there is anything to say). */
void	agent_svc_tags(const struct agent *a, struct buf *tags);
/* Membership changed: answers may have (debounced re-check). */
void	agent_svc_on_event(struct agent *a, const struct swim_event *ev);
/* CTL_SVC_* ops. */
void	agent_svc_ctl(struct agent *a, struct stream_conn *c,
	    const struct ctl_req *req);
/* This node's health: the worst of its checks (enum health_status);
 * passing with none, and in maintenance. */
int	agent_svc_health(const struct agent *a);
/* What `tlaloc checks --json` and `tlaloc services --json` print, for
 * the HTTP endpoint's /v1/checks and /v1/services. */
void	agent_svc_checks_json(struct agent *a, struct buf *out);
void	agent_svc_services_json(struct agent *a, struct buf *out);
/* `tlaloc info` fields (JSON: each ends with a comma). */
void	agent_svc_info(const struct agent *a, struct buf *out, int json);
/* Stops checks, timers and the DNS socket (loop still running). */
void	agent_svc_close(struct agent *a);
/* After the loop ended. Accepts an agent whose svc never opened. */
void	agent_svc_free(struct agent *a);

#endif
