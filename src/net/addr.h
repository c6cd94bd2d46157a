#ifndef TLALOC_NET_ADDR_H
#define TLALOC_NET_ADDR_H

/*
 * Socket addresses as text: "1.2.3.4:7946" or "[::1]:7946". Only numeric
 * addresses: name lookups would block the event loop, so flags that take
 * host names resolve them once, before the loop starts (addr_resolve()).
 */

#include <sys/socket.h>

#include <stddef.h>

struct tl_err;

#define ADDR_STR_MAX	64	/* with the NUL */

/* Parses numeric text into sa (zeroed first); TL_EINVAL when bad. */
int	addr_parse(const char *s, struct sockaddr_storage *sa,
	    struct tl_err *err);
/*
 * Like addr_parse(), but a host name is looked up (blocking, first
 * result). Writes the numeric form to out (ADDR_STR_MAX bytes).
 */
int	addr_resolve(const char *s, char out[ADDR_STR_MAX], struct tl_err *err);
/* Formats sa as text into out; returns out ("?" if unknown family). */
char	*addr_format(const struct sockaddr *sa, char out[ADDR_STR_MAX]);
/* The address alone, without the port ("1.2.3.4", "::1"); returns out. */
char	*addr_host(const struct sockaddr *sa, char out[ADDR_STR_MAX]);

#endif
