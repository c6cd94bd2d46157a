#include "srcaddr.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"

int
srcaddr_for(const char *dest, char out[ADDR_STR_MAX], struct tl_err *err)
{
	struct sockaddr_storage sa, local;
	socklen_t len = sizeof(local);
	char num[ADDR_STR_MAX], *colon;
	int fd, r;

	if ((r = addr_resolve(dest, num, err)) < 0 ||
	    (r = addr_parse(num, &sa, err)) < 0)
		return r;
	if ((fd = socket(sa.ss_family, SOCK_DGRAM, 0)) < 0)
		return tl_err_set(err, TL_EIO, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sa.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &len) < 0) {
		r = tl_err_set(err, TL_ENOENT, "no route to %s: %s", dest,
		    strerror(errno));
		close(fd);
		return r;
	}
	close(fd);
	addr_format((struct sockaddr *)&local, out);
	/* Drop the ephemeral port (and the brackets of an IPv6 address). */
	if ((colon = strrchr(out, ':')) != NULL)
		*colon = '\0';
	if (out[0] == '[') {
		size_t n = strlen(out);

		memmove(out, out + 1, n);
		if (n >= 2 && out[n - 2] == ']')
			out[n - 2] = '\0';
	}
	return 0;
}
