#ifndef TLALOC_AGENT_SVC_INT_H
#define TLALOC_AGENT_SVC_INT_H

/* Shared by svc.c, svc_checks.c, svc_watch.c and svc_dns.c only. */

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "cluster/catalog.h"
#include "cluster/health.h"
#include "cluster/swim.h"
#include "core/buf.h"

struct agent;
struct buf;
struct check_run;
struct udp;

#define SVC_CHECKS_MAX		32	/* checks one node declares */
#define SVC_PARALLEL		4	/* checks running at once */
#define SVC_OUTPUT_MAX		1024	/* bytes of output kept per check */
#define SVC_WATCH_MAX		64	/* catalog reads remembered */
#define SVC_WATCH_QUERY_MAX	200
#define SVC_TAGS_BUDGET		240	/* bytes svc= may take */
#define SVC_TICK_MS		100
#define SVC_DEBOUNCE_MS		100	/* quiet time before re-reading */

enum svc_check_kind { CK_SCRIPT, CK_HTTP, CK_TCP, CK_TTL };

struct svc_check {
	char		 name[CATALOG_NAME_MAX + 1];
	char		 service[CATALOG_NAME_MAX + 1];	/* "" = node */
	enum svc_check_kind kind;
	char		*target;	/* argv joined by \x1f, URL, host:port */
	char		*def;		/* the declaration, to compare */
	uint32_t	 interval_ms, timeout_ms;
	struct health	 h;
	uint64_t	 next_ms;	/* next run (TTL: next expiry look) */
	uint64_t	 ttl_deadline_ms;
	enum health_status last;	/* last result */
	uint64_t	 last_ms;	/* when it came; 0 never */
	char		 output[SVC_OUTPUT_MAX + 1];
	struct check_run *run;		/* in flight, or NULL */
	uint64_t	 runs, timeouts;
	uint64_t	 changed_wall_ms;	/* unix ms of the last change */
};

struct svc_watch {
	char		 query[SVC_WATCH_QUERY_MAX + 1];
	uint64_t	 digest;
};

struct agent_svc {
	struct agent	*a;
	struct catalog_svc services[CATALOG_SVC_MAX];
	size_t		 nservices;
	struct svc_check *checks[SVC_CHECKS_MAX];
	size_t		 nchecks;
	int		 is_maint;
	char		 maint_reason[64];
	struct svc_watch watches[SVC_WATCH_MAX];
	size_t		 nwatches;
	uv_timer_t	 timer;
	int		 is_timer_open;
	int		 is_closing;
	unsigned	 running;	/* checks in flight */
	/* Watches: dirty since dirty_ms; a converge asked at asked_ms. */
	int		 is_dirty;
	uint64_t	 dirty_ms;
	uint64_t	 fire_ms;	/* 0: none pending */
	uint64_t	 asked_ms;
	char		 fire_why[128];
	char		*decl_path, *maint_path, *watch_path;
	struct buf	 said;		/* our svc/health tags last pushed */
	struct udp	*dns;
	/* Health flips (svc_flip.c): the chain of our statement, and the
	 * tags it was made from (without hc=). */
	int		 has_chain;
	uint8_t		 chain_seed[SWIM_HC_LEN];
	uint32_t	 chain_k;
	struct buf	 chain_base;
	/* Counters for `tlaloc info`. */
	uint64_t	 checks_run, check_timeouts, health_changes, health_flips;
	uint64_t	 watch_fires, dns_queries, dns_answers, dns_nx,
			 dns_refused, dns_malformed;
};

struct agent_svc *svc_of(const struct agent *a);
uint64_t svc_now(const struct agent_svc *sv);

/* svc.c: this node's state changed: recompute and gossip the tags. */
void	svc_tags_refresh(struct agent_svc *sv);
/* Every member as swim_member views (valid until swim mutates). */
size_t	svc_members(const struct agent *a, struct swim_member **out);

/* svc_checks.c */
/* Starts checks that are due; TTL expiries. From the timer. */
void	svc_checks_tick(struct agent_svc *sv, uint64_t now);
/* A result for check c (from a run or a check-in). */
void	svc_check_result(struct agent_svc *sv, struct svc_check *c,
	    enum health_status st, const char *out, size_t outlen);
/* Parses one "k:..." declaration into a new check; NULL with err. */
struct svc_check *svc_check_parse(const char *def, uint64_t now,
	    struct tl_err *err);
/* Stops a check's run (if any) and frees it. */
void	svc_check_free(struct agent_svc *sv, struct svc_check *c);

/* svc_watch.c */
/* The answer to query (its text form) encoded into out; < 0 when the
 * query does not parse. */
int	svc_watch_answer(struct agent *a, const char *query, struct buf *out);
void	svc_watch_tick(struct agent_svc *sv, uint64_t now);
int	svc_watch_load(struct agent_svc *sv);
/*
 * One catalog read as a program declares it and STATE_DIR keeps it,
 * "query\tdigest" (digest in hex), into w: 0, or -1 for a malformed one.
 */
int	svc_watch_parse(const char *line, struct svc_watch *w);

/* svc_dns.c */
int	svc_dns_open(struct agent *a, struct tl_err *err);
void	svc_dns_close(struct agent_svc *sv);

/* svc_flip.c: a->tags_publish while services are open: publishes now
 * (composed, without hc=) as a flip when it can, else as a new statement
 * with a fresh chain. Returns swim_set_tags()'s result. */
struct swim_io;
int	svc_flip_publish(struct agent *a, struct swim_io *io,
	    const struct buf *now);

#endif
