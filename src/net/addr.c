#include "addr.h"

#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static int
addr_split(const char *s, char *host, size_t hostsz, unsigned *port)
{
	const char *colon, *h = s, *hend;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		h = s + 1;
		if ((hend = strchr(h, ']')) == NULL || hend[1] != ':')
			return -1;
		colon = hend + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hend = colon;
	}
	if ((size_t)(hend - h) >= hostsz || hend == h)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

int
addr_parse(const char *s, struct sockaddr_storage *sa, struct tl_err *err)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	char host[ADDR_STR_MAX];
	unsigned port;

	memset(sa, 0, sizeof(*sa));
	if (addr_split(s, host, sizeof(host), &port) < 0)
		return tl_err_set(err, TL_EINVAL,
		    "'%s' is not an ADDR:PORT address", s);
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return tl_err_set(err, TL_EINVAL, "'%s' is not a numeric address", s);
}

int
addr_resolve(const char *s, char out[ADDR_STR_MAX], struct tl_err *err)
{
	struct sockaddr_storage sa;
	struct addrinfo hints, *res = NULL;
	char host[ADDR_STR_MAX], port[8];
	unsigned p;
	int r;

	out[0] = '\0';
	if (addr_parse(s, &sa, NULL) == 0) {
		addr_format((struct sockaddr *)&sa, out);
		return 0;
	}
	if (addr_split(s, host, sizeof(host), &p) < 0)
		return tl_err_set(err, TL_EINVAL,
		    "'%s' is not an ADDR:PORT address", s);
	snprintf(port, sizeof(port), "%u", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0)
		return tl_err_set(err, TL_ENOENT, "cannot resolve '%s': %s",
		    host, gai_strerror(r));
	addr_format(res->ai_addr, out);
	freeaddrinfo(res);
	return 0;
}

char *
addr_format(const struct sockaddr *sa, char out[ADDR_STR_MAX])
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in4 = (const void *)sa;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(out, ADDR_STR_MAX, "%s:%u", host,
		    ntohs(in4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, ADDR_STR_MAX, "[%s]:%u", host,
		    ntohs(in6->sin6_port));
	} else
		snprintf(out, ADDR_STR_MAX, "?");
	return out;
}

char *
addr_host(const struct sockaddr *sa, char out[ADDR_STR_MAX])
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, out, ADDR_STR_MAX) ==
	    NULL)
		snprintf(out, ADDR_STR_MAX, "?");
	return out;
}
