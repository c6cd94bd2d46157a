#ifndef TLALOC_NET_SRCADDR_H
#define TLALOC_NET_SRCADDR_H

/*
 * The local address this host would use to reach a destination: what a new
 * node advertises to the cluster when it binds the wildcard address. Asks
 * the kernel's routing table by connecting a UDP socket; no packet is sent.
 */

#include "net/addr.h"

struct tl_err;

/*
 * Writes the numeric source address (no port) for reaching dest (an
 * "ip:port" or "host:port", looked up) into out. TL_ENOENT with a sentence
 * when there is no route.
 */
int	srcaddr_for(const char *dest, char out[ADDR_STR_MAX],
	    struct tl_err *err);

#endif
