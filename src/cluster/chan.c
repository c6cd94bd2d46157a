/* Channel names and channel lists (chan.h). */
#include "cluster/chan.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"

int
chan_name_check(const char *name, struct tl_err *err)
{
	size_t n = strlen(name);

	if (name[0] != '#' || n < 2 || n > CHAN_NAME_MAX)
		return tl_err_set(err, TL_EINVAL, "bad channel name '%s': a "
		    "channel is '#' and 1 to %d more bytes", name,
		    CHAN_NAME_MAX - 1);
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f || c == ',' || c == '@' ||
		    c == '#')
			return tl_err_set(err, TL_EINVAL, "bad channel name "
			    "'%s': no spaces, commas, control characters, "
			    "'@' or further '#' after the first", name);
	}
	return 0;
}

int
chan_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

int
chan_list_edit(const char *list, const char *name, int is_add,
    struct buf *out, struct tl_err *err)
{
	size_t n = strlen(name);
	const char *p = list;

	buf_reset(out);
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 0 && !(len == n && memcmp(p, name, n) == 0)) {
			if (out->len > 0)
				buf_addch(out, ',');
			buf_add(out, p, len);
		}
		p = end != NULL ? end + 1 : NULL;
	}
	if (is_add) {
		if (out->len > 0)
			buf_addch(out, ',');
		buf_addstr(out, name);
	}
	if (out->len > CHAN_TAG_MAX)
		return tl_err_set(err, TL_ETOOBIG, "cannot join '%s': the "
		    "channel list would pass %d bytes of gossip tag space",
		    name, CHAN_TAG_MAX);
	return 0;
}
