/*
 * The other text adopt reads under libFuzzer: a crontab (becoming cron
 * declarations), the package managers' "installed on request" answers,
 * their changed-config-file reports and the rc files that enable services
 * (FreeBSD rc.conf, `rc-update show`, OpenBSD rc.conf.local). The first
 * byte picks the parser, the rest is its input. Any bytes must parse
 * without crashing, leaking or reading past the end; what comes out is
 * well formed (paths absolute and clean, names non-empty, Lua strings
 * closed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adopt/adopt_int.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_name(const char *name, void *arg)
{
	(void)arg;
	TL_ASSERT(name[0] != '\0');
}

static void
on_conf(const char *path, const char *pkg, void *arg)
{
	(void)arg;
	TL_ASSERT(path_is_clean_abs(path));
	TL_ASSERT(pkg == NULL || pkg[0] != '\0');
}

static void
crontab(const char *text)
{
	struct adopt a;

	memset(&a, 0, sizeof(a));
	a.opts.root = "/";
	adopt_crontab(&a, "fuzz", text, "fuzz");
	for (size_t i = 0; i < a.n; i++) {
		TL_ASSERT(strncmp(a.v[i].lua, "cron{name = \"", 13) == 0);
		TL_ASSERT(a.v[i].lua[strlen(a.v[i].lua) - 1] == '}');
	}
	adopt_release(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = xstrndup((const char *)data + 1, size - 1);
	switch (data[0] % 10) {
	case 0:
		crontab(text);
		break;
	case 1: case 2: case 3:
		adopt_pkgq_parse((enum adopt_pkgq_form)(data[0] % 10 - 1),
		    text, strlen(text), on_name, NULL);
		break;
	case 4: case 5: case 6:
		adopt_conf_parse((enum adopt_conf_form)(data[0] % 10 - 4),
		    text, strlen(text), on_conf, NULL);
		break;
	case 7:
		adopt_rc_freebsd(text, on_name, NULL);
		break;
	case 8:
		adopt_rc_openrc(text, on_name, NULL);
		break;
	default:
		adopt_rc_openbsd(text, on_name, NULL);
		break;
	}
	free(text);
	return 0;
}
