/* Service providers: the parsers of each init system's answers. */
#include "test.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fileio.h"
#include "core/xalloc.h"
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

/* Real captures found in public sources (captures/README.md). */
TEST(svc_freebsd_rcconf_real)
{
	char *t = sample("freebsd-rc.conf.real");

	ASSERT(svc_freebsd_rcconf_enabled(t, "firewall"));
	ASSERT(svc_freebsd_rcconf_enabled(t, "moused"));
	ASSERT(svc_freebsd_rcconf_enabled(t, "dbus"));
	ASSERT(svc_freebsd_rcconf_enabled(t, "clear_tmp"));
	ASSERT(svc_freebsd_rcconf_enabled(t, "ddb"));
	ASSERT(!svc_freebsd_rcconf_enabled(t, "sendmail"));
	ASSERT(!svc_freebsd_rcconf_enabled(t, "netif"));
	ASSERT(!svc_freebsd_rcconf_enabled(t, "sshd"));
	free(t);
}

TEST(svc_rcctl_ls_on_real)
{
	char *r = sample("openbsd-rcctl-ls-on.real");

	ASSERT(svc_rcctl_listed(r, "sshd"));
	ASSERT(svc_rcctl_listed(r, "check_quotas"));
	ASSERT(svc_rcctl_listed(r, "syslogd"));
	ASSERT(svc_rcctl_listed(r, "dhcpleased"));
	ASSERT(!svc_rcctl_listed(r, "unbound"));
	ASSERT(!svc_rcctl_listed(r, "ssh"));
	free(r);
}

TEST(svc_openrc_rc_update_show_real)
{
	char *o = sample("openrc-rc-update-show.real");

	ASSERT(svc_openrc_in_default(o, "alsasound"));
	ASSERT(svc_openrc_in_default(o, "local"));
	ASSERT(svc_openrc_in_default(o, "netmount"));
	ASSERT(svc_openrc_in_default(o, "udev-postmount"));
	ASSERT(svc_openrc_in_default(o, "xdm"));
	ASSERT(!svc_openrc_in_default(o, "bootmisc"));
	ASSERT(!svc_openrc_in_default(o, "net.lo"));
	ASSERT(!svc_openrc_in_default(o, "udev"));
	ASSERT(!svc_openrc_in_default(o, "killprocs"));
	ASSERT(!svc_openrc_in_default(o, "sshd"));
	free(o);
}

TEST(svc_provider_names)
{
	ASSERT(svc_provider_find("bsdrc") == &svc_freebsd);
	ASSERT(svc_provider_find("sysv") == &svc_sysv);
	ASSERT(svc_provider_find("launchd") == NULL);
	ASSERT(svc_provider_detect("/nonexistent-tree") == NULL);
}

/* Writes an empty file at root/rel with mode (the directories 0755). */
static void
plant(const char *root, const char *rel, mode_t mode)
{
	char *p = xasprintf("%s%s", root, rel);
	char *slash = p + strlen(root);
	int fd;

	while ((slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		(void)mkdir(p, 0755);
		*slash = '/';
	}
	ASSERT((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode)) >= 0);
	ASSERT_EQ(fchmod(fd, mode), 0);
	close(fd);
	free(p);
}

/* The systems are told by marker files that are not programs: FreeBSD's
 * /etc/rc.subr is 0444 and OpenBSD's /etc/master.passwd 0600, and a
 * detection that asked for an executable never found either. */
TEST(svc_and_acct_detect_bsd_by_their_non_executable_markers)
{
	char *fbsd = test_path("freebsd"), *obsd = test_path("openbsd");

	ASSERT_EQ(mkdir(fbsd, 0755), 0);
	plant(fbsd, "/usr/sbin/sysrc", 0755);
	ASSERT(svc_provider_detect(fbsd) == NULL);	/* sysrc alone */
	plant(fbsd, "/etc/rc.subr", 0444);
	ASSERT(svc_provider_detect(fbsd) == &svc_freebsd);

	ASSERT_EQ(mkdir(obsd, 0755), 0);
	ASSERT_STR_EQ(acct_provider_detect(obsd)->name, "shadow");
	plant(obsd, "/etc/master.passwd", 0600);
	ASSERT_STR_EQ(acct_provider_detect(obsd)->name, "openbsd");
	free(fbsd);
	free(obsd);
}
