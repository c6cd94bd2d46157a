/*
 * Network facts: hostname, name, fqdn; interfaces.NAME.ipv4/.ipv6/.mac
 * from getifaddrs(3); ipaddress and ipaddress6, the first address of an
 * interface that is up and not loopback.
 *
 * fqdn never asks DNS: a resolver that does not answer stalls
 * getaddrinfo(3) for seconds, and facts are gathered on every run. A
 * hostname with a dot is taken as the fqdn; otherwise /etc/hosts is read
 * the way the "files" resolver would ("127.0.1.1 web1.example.org web1",
 * Debian's default), and without an entry the fqdn is the hostname.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/platform.h"
#include "facts/facts.h"
#include "facts/facts_int.h"

#define HOSTS_MAX	(1024 * 1024)	/* arbitrary; big ad-block lists fit */

/* Is the name at p (n bytes) "shortname.something"? */
static int
hosts_name_matches(const char *p, size_t n, const char *shortname)
{
	size_t sl = strlen(shortname);

	return n > sl + 1 && memcmp(p, shortname, sl) == 0 && p[sl] == '.';
}

/* Looks through one line's names (after the address) for the fqdn. */
static int
hosts_line(const char *p, const char *eol, const char *shortname,
    struct buf *out)
{
	const char *hash = memchr(p, '#', (size_t)(eol - p));
	int field = 0;

	if (hash != NULL)
		eol = hash;
	while (p < eol) {
		size_t n;

		while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		for (n = 0; p + n < eol && p[n] != ' ' && p[n] != '\t' &&
		    p[n] != '\r'; n++)
			;
		if (n > 0 && field++ > 0 && hosts_name_matches(p, n,
		    shortname)) {
			buf_add(out, p, n);
			return 1;
		}
		p += n;
	}
	return 0;
}

int
facts_fqdn_from_hosts(const char *text, size_t len, const char *shortname,
    struct buf *out)
{
	const char *p = text, *end = text + len, *eol;

	if (shortname[0] == '\0')
		return 0;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (hosts_line(p, eol, shortname, out))
			return 1;
	}
	return 0;
}

void
facts_ifname_key(const char *name, struct buf *out)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';

		buf_addch(out, ok ? *p : '_');
	}
}

static void
set_host_str(struct facts *f, const char *key, const char *value)
{
	if (value[0] != '\0' && facts_value_check(key, value, NULL) == 0)
		facts_set(f, key, FACT_STR, value);
}

void
facts_gather_names(struct facts *f)
{
	char host[256];
	struct buf hosts = BUF_INIT, fqdn = BUF_INIT, shortname = BUF_INIT;

	if (gethostname(host, sizeof(host)) < 0) {
		log_debug("gethostname failed");
		return;
	}
	host[sizeof(host) - 1] = '\0';
	buf_add(&shortname, host, strcspn(host, "."));
	set_host_str(f, "hostname", shortname.data);
	set_host_str(f, "name", shortname.data);
	if (strchr(host, '.') != NULL)
		buf_addstr(&fqdn, host);
	else if (fileio_read("/etc/hosts", HOSTS_MAX, &hosts, NULL) < 0 ||
	    !facts_fqdn_from_hosts(hosts.data, hosts.len, host, &fqdn))
		buf_addstr(&fqdn, host);
	set_host_str(f, "fqdn", fqdn.data);
	buf_release(&hosts);
	buf_release(&fqdn);
	buf_release(&shortname);
}

/* Sets interfaces.NAME.field = value, unless replace is 0 and it is set. */
static void
set_if(struct facts *f, const char *ifname, const char *field,
    const char *value, int replace)
{
	struct buf key = BUF_INIT;

	buf_addstr(&key, "interfaces.");
	facts_ifname_key(ifname, &key);
	buf_addf(&key, ".%s", field);
	if (replace || facts_get(f, key.data) == NULL)
		facts_set(f, key.data, FACT_STR, value);
	buf_release(&key);
}

static int
is_public_if(const struct ifaddrs *ifa)
{
	return (ifa->ifa_flags & IFF_UP) && !(ifa->ifa_flags & IFF_LOOPBACK);
}

static void
gather_ipv4(struct facts *f, const struct ifaddrs *ifa)
{
	const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;
	char a[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
		return;
	set_if(f, ifa->ifa_name, "ipv4", a, 0);
	if (is_public_if(ifa) && facts_get(f, "ipaddress") == NULL)
		facts_set(f, "ipaddress", FACT_STR, a);
}

/* Is the stored text a link-local IPv6 address? */
static int
is_link_local6(const char *text)
{
	struct in6_addr a;

	return text != NULL && inet_pton(AF_INET6, text, &a) == 1 &&
	    IN6_IS_ADDR_LINKLOCAL(&a);
}

/* A global address wins over a link-local one, whatever the order. */
static void
gather_ipv6(struct facts *f, const struct ifaddrs *ifa)
{
	const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;
	int is_ll = IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr);
	struct buf key = BUF_INIT;
	char a[INET6_ADDRSTRLEN];
	const char *old;

	if (inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) == NULL)
		return;
	buf_addstr(&key, "interfaces.");
	facts_ifname_key(ifa->ifa_name, &key);
	buf_addstr(&key, ".ipv6");
	old = facts_get(f, key.data);
	if (old == NULL || (!is_ll && is_link_local6(old)))
		facts_set(f, key.data, FACT_STR, a);
	buf_release(&key);
	if (!is_ll && is_public_if(ifa) && facts_get(f, "ipaddress6") == NULL)
		facts_set(f, "ipaddress6", FACT_STR, a);
}

static void
gather_mac(struct facts *f, const struct ifaddrs *ifa)
{
	static const uint8_t zero[6];
	uint8_t m[6];
	char s[18];

	if (!platform_link_mac(ifa->ifa_addr, m) || memcmp(m, zero, 6) == 0)
		return;
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
	    m[2], m[3], m[4], m[5]);
	set_if(f, ifa->ifa_name, "mac", s, 1);
}

void
facts_gather_interfaces(struct facts *f)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list) < 0) {
		log_debug("getifaddrs failed");
		return;
	}
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || ifa->ifa_name == NULL ||
		    ifa->ifa_name[0] == '\0')
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET)
			gather_ipv4(f, ifa);
		else if (ifa->ifa_addr->sa_family == AF_INET6)
			gather_ipv6(f, ifa);
		else
			gather_mac(f, ifa);
	}
	freeifaddrs(list);
}
