#ifndef TLALOC_AGENT_HTTP_INT_H
#define TLALOC_AGENT_HTTP_INT_H

/*
 * Shared by http_glue.c (routes, events), http_v1.c (JSON) and
 * http_metrics.c (Prometheus text) only. docs/http.md is the contract.
 */

struct agent;
struct buf;
struct http_req;
struct httpd_conn;
struct httpd_stats;

/* Answers one route's request (http_glue.c's routes[] table). */
typedef void	http_route_fn(struct agent *a, struct httpd_conn *c,
		    const struct http_req *req);

/* Answers 200 with b as application/json. */
void	http_reply_json(struct httpd_conn *c, const struct buf *b);
/* Answers status with {"error": text}. */
void	http_reply_error(struct httpd_conn *c, int status, const char *text);
/* The endpoint's own counters (zero when it is off). */
void	http_get_stats(const struct agent *a, struct httpd_stats *st);

/* http_metrics.c: every metric of docs/http.md, Prometheus text 0.0.4. */
void	http_metrics_render(struct agent *a, struct buf *out);

/* http_v1.c: the /v1 routes. */
http_route_fn	http_v1_self, http_v1_members, http_v1_status, http_v1_packs;
http_route_fn	http_v1_channels, http_v1_messages, http_v1_history;
http_route_fn	http_v1_facts, http_v1_checks, http_v1_services;

#endif
