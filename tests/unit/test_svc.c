/* Service providers: the parsers of each init system's answers. */
#include "test.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "providers/providers.h"

static char *
sample(const char *name)
{
	struct buf b = BUF_INIT;
	char path[256];

	snprintf(path, sizeof(path), "tests/system/captures/%s", name);
	if (fileio_read(path, 1 << 20, &b, NULL) < 0)
		test_fail(__FILE__, __LINE__, "cannot read %s", path);
	return buf_detach(&b, NULL);
}

TEST(svc_systemd_words)
{
	ASSERT(svc_systemd_enabled_word("enabled"));
	ASSERT(svc_systemd_enabled_word("static"));
	ASSERT(!svc_systemd_enabled_word("disabled"));
	ASSERT(!svc_systemd_enabled_word("masked"));
	ASSERT(!svc_systemd_enabled_word(""));
}

TEST(svc_freebsd_rcconf_last_wins)
{
	char *t = sample("freebsd-rc.conf.sample");

	ASSERT(svc_freebsd_rcconf_enabled(t, "sshd"));
	ASSERT(!svc_freebsd_rcconf_enabled(t, "ntpd"));
	ASSERT(!svc_freebsd_rcconf_enabled(t, "nginx"));
	ASSERT(!svc_freebsd_rcconf_enabled(t, "ssh"));
	free(t);
}

TEST(svc_rcctl_and_openrc_lists)
{
	char *r = sample("openbsd-rcctl-ls-on.sample");
	char *o = sample("openrc-rc-update-show-v.sample");

	ASSERT(svc_rcctl_listed(r, "sshd"));
	ASSERT(!svc_rcctl_listed(r, "ssh"));
	ASSERT(svc_openrc_in_default(o, "sshd"));
	ASSERT(svc_openrc_in_default(o, "local"));
	ASSERT(!svc_openrc_in_default(o, "bootmisc"));
	ASSERT(!svc_openrc_in_default(o, "nginx"));
	free(r);
	free(o);
}

TEST(svc_provider_names)
{
	ASSERT(svc_provider_find("bsdrc") == &svc_freebsd);
	ASSERT(svc_provider_find("sysv") == &svc_sysv);
	ASSERT(svc_provider_find("launchd") == NULL);
	ASSERT(svc_provider_detect("/nonexistent-tree") == NULL);
}
