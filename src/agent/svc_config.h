#ifndef TLALOC_AGENT_SVC_CONFIG_H
#define TLALOC_AGENT_SVC_CONFIG_H

/*
 * Settings of the services subsystem (docs/services.md): dns (ADDR:PORT
 * the DNS responder listens on; unset: no responder), dns_domain
 * (default "tlaloc"), dns_ttl (seconds, default 0), catalog_reap (seconds
 * a failed member stays in catalog answers, default 600), watch_splay
 * (ms: the largest random delay before a converge caused by a catalog
 * change, default 500).
 */

struct tl_err;

struct svc_config {
	char		*dns_bind;
	char		*dns_domain;
	unsigned	 dns_ttl_s;
	unsigned	 reap_s;
	unsigned	 splay_ms;
};

void	svc_config_init(struct svc_config *c);
void	svc_config_release(struct svc_config *c);
/* 1 when key is not one of ours; else 0 or < 0 with err. */
int	svc_config_set(struct svc_config *c, const char *key, const char *val,
	    struct tl_err *err);

#endif
