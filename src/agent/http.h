#ifndef TLALOC_AGENT_HTTP_H
#define TLALOC_AGENT_HTTP_H

/*
 * The read-only HTTP endpoint (http_glue.c routes, http_v1.c, and
 * http_metrics.c; --http, docs/http.md). Only its table entry: it reads
 * the others through their headers and hears members, runs and messages
 * as events.
 */

struct agent_sub;

extern const struct agent_sub agent_http_sub;

#endif
