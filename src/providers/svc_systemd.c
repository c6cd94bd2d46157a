/*
 * systemd. Enabling and disabling use `systemctl --root=ROOT`, which edits
 * the unit symlinks offline, so it works in a throwaway root and on a
 * system being built. Whether a unit runs, and starting or stopping it,
 * needs a running systemd (/run/systemd/system, sd_booted's test); without
 * one a service is reported not running, and start/stop fail saying so.
 */
#include "providers.h"

#include <string.h>

#include "core/err.h"
#include "core/fileio.h"

int
svc_systemd_enabled_word(const char *word)
{
	static const char *const on[] = {
		"enabled", "enabled-runtime", "static", "alias", "indirect",
		"generated", "transient", NULL
	};

	for (size_t i = 0; on[i] != NULL; i++)
		if (strcmp(word, on[i]) == 0)
			return 1;
	return 0;
}

static int
systemd_booted(const char *root)
{
	return path_in_root_is_dir(root, "/run/systemd/system");
}

static int
systemd_detect(const char *root)
{
	return systemd_booted(root);
}

static void
systemctl_argv(struct argv *a, const char *root)
{
	argv_add(a, "systemctl");
	argv_addf(a, "--root=%s", root ? root : "/");
	argv_add(a, "--no-pager");
}

static int
systemd_observe(const char *root, const char *name, struct svc_state *st,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	struct buf out = BUF_INIT;
	int rc;

	memset(st, 0, sizeof(*st));
	systemctl_argv(&a, root);
	argv_add(&a, "is-enabled");
	argv_add(&a, name);
	/* systemctl runs on the host and reaches into root itself. */
	rc = prov_status(NULL, &a, &out, err);
	if (rc >= 0) {
		out.data[strcspn(out.data, "\n")] = '\0';
		st->exists = strstr(out.data, "No such file") == NULL &&
		    strcmp(out.data, "not-found") != 0 && out.len > 0;
		st->is_enabled = svc_systemd_enabled_word(out.data);
		rc = 0;
	}
	argv_release(&a);
	if (rc == 0 && st->exists && systemd_booted(root) &&
	    (root == NULL || strcmp(root, "/") == 0))
		st->is_running = prov_status_words(NULL, (const char *const[]){
		    "systemctl", "is-active", "--quiet", name, NULL }, NULL,
		    err) == 0;
	buf_release(&out);
	return rc;
}

static int
systemd_action(const char *root, const char *name, const char *verb,
    struct tl_err *err)
{
	if (!systemd_booted(root) || (root != NULL && strcmp(root, "/") != 0))
		return tl_err_set(err, TL_EINVAL, "cannot %s '%s': systemd "
		    "is not running in '%s'", verb, name, root ? root : "/");
	return prov_run_words(NULL, (const char *const[]){ "systemctl", verb,
	    name, NULL }, SVC_TIMEOUT_MS, err);
}

static int
systemd_enable(const char *root, const char *name, int on,
    struct tl_err *err)
{
	struct argv a = ARGV_INIT;
	int rc;

	systemctl_argv(&a, root);
	argv_add(&a, on ? "enable" : "disable");
	argv_add(&a, name);
	rc = prov_run_ok(NULL, &a, NULL, SVC_TIMEOUT_MS, err);
	argv_release(&a);
	return rc;
}

const struct svc_provider svc_systemd = {
	.name = "systemd",
	.detect = systemd_detect,
	.observe = systemd_observe,
	.action = systemd_action,
	.enable = systemd_enable,
};
