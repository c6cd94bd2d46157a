/*
 * tlaloc bootstrap's option checks under libFuzzer. The input is split at
 * newlines into: kind number, then values for --join, --tag, --pack,
 * --policy-from, --package-url, --bin, --part. Whatever the values, a
 * render either fails with a sentence, or succeeds and every value it took
 * is free of the characters that could leave the shell, YAML, Puppet or
 * Ruby quoting it is put in. Never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"
#include "core/buf.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = { "cloud-init", "systemd", "sysv",
    "openrc", "freebsd-rc", "openbsd-rc", "dhcp", "puppet", "chef",
    "shell" };

static int
dangerous(const char *v)
{
	return v != NULL && strpbrk(v, "'\"\\$`\n\r\t {}#*|<>()") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootstrap_opts o;
	struct tl_err err = TL_ERR_INIT;
	struct buf out = BUF_INIT;
	char *text, *field[8] = { 0 }, *p;
	size_t n = 0;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = text; p != NULL && n < 8; n++) {
		field[n] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	memset(&o, 0, sizeof(o));
	o.via = kinds[(field[0] ? (unsigned char)field[0][0] : 0) % 10];
	if (field[1] && field[1][0])
		o.member.joins[o.member.njoins++] = field[1];
	if (field[2] && field[2][0])
		o.member.tags[o.member.ntags++] = field[2];
	o.member.pack = field[3] && field[3][0] ? field[3] : NULL;
	o.member.policy_from = field[4] && field[4][0] ? field[4] : NULL;
	if (field[5] && field[5][0]) {
		o.package_url = field[5];
		o.from = BOOTSTRAP_FROM_URL;
	}
	o.bin = field[6] && field[6][0] ? field[6] : NULL;
	o.part = field[7] && field[7][0] ? field[7] : NULL;
	if (bootstrap_render(&o, &out, &err) == 0) {
		/* #, {} etc. are fine in a URL's query but not elsewhere. */
		if ((o.member.njoins && dangerous(o.member.joins[0])) ||
		    (o.member.ntags && dangerous(o.member.tags[0])) || dangerous(o.member.pack) ||
		    dangerous(o.member.policy_from) || dangerous(o.bin) ||
		    (o.package_url && strpbrk(o.package_url, "'\"\\$` \n")))
			abort();
	} else if (err.msg[0] == '\0')
		abort();
	buf_release(&out);
	free(text);
	return 0;
}
