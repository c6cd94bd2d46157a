#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "cluster/pack.h"

#define TAGS_MAX	512	/* SWIM_TAGS_MAX; agent/ must not need it */

void
agent_config_init(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->tags);
	c->profile = AGENT_LAN;
	c->pack_expect = 3;
	c->log_level = LOG_NOTICE;
	c->log_format = LOG_FORMAT_TEXT;
	c->log_max_size = LOG_ROTATE_BYTES;
	c->log_keep = LOG_ROTATE_KEEP;
	c->interval_s = 1800;
	c->splay_s = 300;
	c->program_interval_s = 3600;
	c->bucket_replicas = 2;
	c->replica_max_bytes = (unsigned long long)64 << 20;
	svc_config_init(&c->svc);
}

static void
joins_clear(struct agent_config *c)
{
	for (size_t i = 0; i < c->njoins; i++)
		free(c->joins[i]);
	c->njoins = 0;
}

/*
 * Every string the config owns. key: the setting that stores its value as
 * given ("state_dir", also "state-dir"); NULL for one set only after a
 * check of its own, in config_set() or config_log().
 */
static const struct {
	const char	*key;
	size_t		 off;
} config_strs[] = {
	{ "config", offsetof(struct agent_config, config_path) },
	{ "name", offsetof(struct agent_config, name) },
	{ "bind", offsetof(struct agent_config, bind) },
	{ "advertise", offsetof(struct agent_config, advertise) },
	{ "keyring", offsetof(struct agent_config, keyring_path) },
	{ "state_dir", offsetof(struct agent_config, state_dir) },
	{ "policy_from", offsetof(struct agent_config, policy_from) },
	{ "root", offsetof(struct agent_config, root) },
	{ "http", offsetof(struct agent_config, http) },
	{ "http_token", offsetof(struct agent_config, http_token) },
	{ "program", offsetof(struct agent_config, program) },
	{ "program_key", offsetof(struct agent_config, program_key) },
	{ NULL, offsetof(struct agent_config, backup_age) },
	{ NULL, offsetof(struct agent_config, backup_size) },
	{ NULL, offsetof(struct agent_config, pack) },
	{ NULL, offsetof(struct agent_config, log_target) },
};
#define CONFIG_NSTRS	(sizeof(config_strs) / sizeof(config_strs[0]))

static char **
config_str(struct agent_config *c, size_t i)
{
	return (char **)(void *)((char *)c + config_strs[i].off);
}

void
agent_config_release(struct agent_config *c)
{
	for (size_t i = 0; i < CONFIG_NSTRS; i++)
		free(*config_str(c, i));
	svc_config_release(&c->svc);
	joins_clear(c);
	buf_release(&c->tags);
	agent_config_init(c);
}

int
agent_tags_apply(struct buf *tags, const char *kv, int is_delete,
    struct tl_err *err)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv), i = 0;
	struct buf out = BUF_INIT;

	if (klen == 0 || (!is_delete && eq == NULL))
		return tl_err_set(err, TL_EINVAL,
		    "tag '%s' is not of the form key=value", kv);
	/* Copy every other tag, then append the new one. */
	while (i < tags->len) {
		const char *t = tags->data + i;
		size_t n = strlen(t);

		if (!(strncmp(t, kv, klen) == 0 && t[klen] == '='))
			buf_add(&out, t, n + 1);
		i += n + 1;
	}
	if (!is_delete)
		buf_add(&out, kv, strlen(kv) + 1);
	if (out.len > TAGS_MAX) {
		buf_release(&out);
		return tl_err_set(err, TL_ETOOBIG,
		    "tags take more than %d bytes", TAGS_MAX);
	}
	buf_release(tags);
	*tags = out;
	return 0;
}

int
agent_err_wrap(struct tl_err *err, int code, const char *prefix)
{
	char m[sizeof(err->msg)];

	snprintf(m, sizeof(m), "%s", err->msg);
	return tl_err_set(err, code, "%s: %s", prefix, m);
}

static int
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
	return 0;
}

static int
config_seconds(unsigned *dst, const char *key, const char *val,
    struct tl_err *err)
{
	char *end;
	unsigned long v = strtoul(val, &end, 10);

	if (val[0] < '0' || val[0] > '9' || *end != '\0' || v > 86400 * 7)
		return tl_err_set(err, TL_EINVAL, "%s must be seconds "
		    "(0..604800), not '%s'", key, val);
	*dst = (unsigned)v;
	return 0;
}

/* A whole number from min to max; name is the setting's, for the
 * message. */
static int
config_uint(unsigned *dst, const char *name, const char *val,
    unsigned long min, unsigned long max, struct tl_err *err)
{
	char *end;
	unsigned long v = strtoul(val, &end, 10);

	if (val[0] < '0' || val[0] > '9' || *end != '\0' || v < min ||
	    v > max)
		return tl_err_set(err, TL_EINVAL, "%s must be %lu to %lu, "
		    "not '%s'", name, min, max, val);
	*dst = (unsigned)v;
	return 0;
}

/* A pack name is also published as the swim tag pack=NAME. */
static int
set_pack(struct agent_config *c, const char *v, struct tl_err *err)
{
	size_t n = strlen(v);
	char *kv;
	int r;

	if (n == 0 || n > PACK_NAME_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		return tl_err_set(err, TL_EINVAL, "pack name must be 1 to %d "
		    "of a-z 0-9 _ -, not '%s'", PACK_NAME_MAX, v);
	kv = xasprintf("pack=%s", v);
	r = agent_tags_apply(&c->tags, kv, 0, err);
	free(kv);
	if (r == 0)
		set_str(&c->pack, v);
	return r;
}

static int
config_is(const char *key, const char *name)
{
	size_t n = strlen(name);

	/* "log_format" in the file, "--log-format" as a flag. */
	if (strlen(key) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (key[i] != name[i] && !(key[i] == '-' && name[i] == '_'))
			return 0;
	return 1;
}

/* The log settings other than the level; unknown keys end here. */
static int
config_log(struct agent_config *c, const char *key, const char *val,
    struct tl_err *err)
{
	struct bucket_retention r;
	int v;

	if (config_is(key, "log_format")) {
		if ((v = log_format_parse(val)) < 0)
			return tl_err_set(err, TL_EINVAL, "log format must be "
			    "text or json, not '%s'", val);
		c->log_format = v;
		return 0;
	}
	if (config_is(key, "log_target")) {
		if (val[0] == '\0')
			return tl_err_set(err, TL_EINVAL, "log target must be "
			    "stderr, syslog or a file path");
		return set_str(&c->log_target, val);
	}
	if (config_is(key, "log_max_size")) {
		if (bucket_retention_parse(NULL, val, &r, err) < 0)
			return agent_err_wrap(err, TL_EINVAL, "log_max_size");
		c->log_max_size = r.max_bytes;
		return 0;
	}
	if (config_is(key, "log_keep"))
		return config_uint(&c->log_keep, "log_keep", val, 0, 100, err);
	return tl_err_set(err, TL_EINVAL, "unknown setting '%s'", key);
}

int
agent_config_log(const struct agent_config *c, struct tl_err *err)
{
	int r;

	log_set_level((enum log_level)c->log_level);
	log_set_format((enum log_format)c->log_format);
	log_set_rotation(c->log_max_size, c->log_keep);
	if ((r = log_set_target(c->log_target ? c->log_target : "stderr",
	    err)) < 0)
		return r;
	return 0;
}

/*
 * Applies one setting. from_flag tells repeatables apart: the first join
 * flag drops the joins from the file.
 */
static int
config_set(struct agent_config *c, const char *key, const char *val,
    int *flag_joins, struct tl_err *err)
{
	int lvl;

	for (size_t i = 0; i < CONFIG_NSTRS; i++)
		if (config_strs[i].key != NULL &&
		    config_is(key, config_strs[i].key))
			return set_str(config_str(c, i), val);
	if (strcmp(key, "tag") == 0)
		return agent_tags_apply(&c->tags, val, 0, err);
	if (strcmp(key, "trust") == 0)
		return opkey_trust_add_file(&c->trust, val, err);
	if (strcmp(key, "pack") == 0)
		return set_pack(c, val, err);
	if (config_is(key, "pack_expect"))
		return config_uint(&c->pack_expect, "pack_expect", val, 1,
		    PACK_VOTERS_MAX, err);
	if (strcmp(key, "join") == 0) {
		if (flag_joins != NULL && !*flag_joins) {
			joins_clear(c);
			*flag_joins = 1;
		}
		if (c->njoins == AGENT_JOINS_MAX)
			return tl_err_set(err, TL_ETOOBIG,
			    "more than %d join addresses", AGENT_JOINS_MAX);
		c->joins[c->njoins++] = xstrdup(val);
		return 0;
	}
	if (config_is(key, "program_interval"))
		return config_seconds(&c->program_interval_s, key, val, err);
	if (config_is(key, "backup_max_age") ||
	    config_is(key, "backup_max_size")) {
		set_str(config_is(key, "backup_max_age") ? &c->backup_age :
		    &c->backup_size, val);
		return bucket_retention_parse(c->backup_age, c->backup_size,
		    &c->backups, err);
	}
	if (config_is(key, "bucket_replicas"))
		return config_uint(&c->bucket_replicas, "bucket_replicas", val,
		    0, 16, err);
	if (config_is(key, "replica_max_bytes")) {
		struct bucket_retention r;

		if (bucket_retention_parse(NULL, val, &r, err) < 0)
			return agent_err_wrap(err, TL_EINVAL,
			    "replica_max_bytes");
		c->replica_max_bytes = r.max_bytes;
		return 0;
	}
	if (strcmp(key, "interval") == 0 || strcmp(key, "splay") == 0)
		return config_seconds(strcmp(key, "interval") == 0 ?
		    &c->interval_s : &c->splay_s, key, val, err);
	if (strcmp(key, "enforce") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return tl_err_set(err, TL_EINVAL, "enforce must be "
			    "yes or no, not '%s'", val);
		c->is_no_enforce = strcmp(val, "no") == 0;
		return 0;
	}
	if (strcmp(key, "profile") == 0) {
		if (strcmp(val, "lan") == 0)
			c->profile = AGENT_LAN;
		else if (strcmp(val, "wan") == 0)
			c->profile = AGENT_WAN;
		else if (strcmp(val, "local") == 0)
			c->profile = AGENT_LOCAL;
		else
			return tl_err_set(err, TL_EINVAL, "profile must be "
			    "lan, wan or local, not '%s'", val);
		return 0;
	}
	if (config_is(key, "log_level")) {
		if ((lvl = log_level_parse(val)) < 0)
			return tl_err_set(err, TL_EINVAL, "log level must be "
			    "err, warn, notice, info or debug, not '%s'", val);
		c->log_level = lvl;
		return 0;
	}
	if ((lvl = svc_config_set(&c->svc, key, val, err)) != 1)
		return lvl;
	return config_log(c, key, val, err);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
config_file(struct agent_config *c, const char *path, struct tl_err *err)
{
	struct buf b = BUF_INIT;
	char *line, *save = NULL, *eq;
	int r, lineno = 0;

	if ((r = fileio_read(path, 1 << 20, &b, err)) < 0) {
		char pre[300];

		snprintf(pre, sizeof(pre), "config '%s'", path);
		agent_err_wrap(err, r, pre);
		goto out;
	}
	/* strtok_r would skip empty lines and miscount; split by hand. */
	for (line = b.data; line != NULL; line = save) {
		if ((save = strchr(line, '\n')) != NULL)
			*save++ = '\0';
		lineno++;
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			r = tl_err_set(err, TL_ESYNTAX, "config '%s' line %d: "
			    "expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		if ((r = config_set(c, trim(line), trim(eq + 1), NULL,
		    err)) < 0) {
			char pre[300];

			snprintf(pre, sizeof(pre), "config '%s' line %d",
			    path, lineno);
			agent_err_wrap(err, r, pre);
			goto out;
		}
	}
	r = 0;
out:
	buf_release(&b);
	return r;
}

/* Finds --config first, so the file can be read before the flags. */
static int
config_find_file(struct agent_config *c, int argc, char **argv,
    struct tl_err *err)
{
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--config=", 9) == 0)
			return set_str(&c->config_path, argv[i] + 9);
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 == argc)
				return tl_err_set(err, TL_EINVAL,
				    "--config needs a value");
			return set_str(&c->config_path, argv[i + 1]);
		}
	}
	return 0;
}

static int
config_flags(struct agent_config *c, int argc, char **argv,
    struct tl_err *err)
{
	int flag_joins = 0, r;

	for (int i = 1; i < argc; i++) {
		char key[32];
		const char *a = argv[i], *val, *eq;
		size_t klen;

		if (strncmp(a, "--", 2) != 0)
			return tl_err_set(err, TL_EINVAL,
			    "unexpected argument '%s'", a);
		a += 2;
		eq = strchr(a, '=');
		klen = eq ? (size_t)(eq - a) : strlen(a);
		if (klen >= sizeof(key))
			return tl_err_set(err, TL_EINVAL,
			    "unknown flag '%s'", argv[i]);
		memcpy(key, a, klen);
		key[klen] = '\0';
		if (strcmp(key, "no-enforce") == 0 && eq == NULL) {
			c->is_no_enforce = 1;
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return tl_err_set(err, TL_EINVAL,
			    "--%s needs a value", key);
		if ((r = config_set(c, key, val, &flag_joins, err)) < 0) {
			if (r == TL_EINVAL && strncmp(err->msg, "unknown", 7)
			    == 0)
				tl_err_set(err, r, "unknown flag '--%s'", key);
			return r;
		}
	}
	return 0;
}

static int
config_defaults(struct agent_config *c, struct tl_err *err)
{
	const char *env = getenv("TLALOC_STATE_DIR");
	char host[256];

	if (c->name == NULL) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "node");
		host[sizeof(host) - 1] = '\0';
		c->name = xstrdup(host);
	}
	if (strlen(c->name) == 0 || strlen(c->name) > 64)
		return tl_err_set(err, TL_EINVAL,
		    "name must be 1 to 64 bytes long");
	if (c->bind == NULL)
		c->bind = xstrdup("0.0.0.0:7946");
	if (c->advertise == NULL) {
		if (strncmp(c->bind, "0.0.0.0:", 8) == 0 ||
		    strncmp(c->bind, "[::]:", 5) == 0)
			return tl_err_set(err, TL_EINVAL, "advertise must be "
			    "set when bind '%s' is a wildcard", c->bind);
		c->advertise = xstrdup(c->bind);
	}
	if (c->keyring_path == NULL)
		c->keyring_path = xstrdup("/etc/tlaloc/keyring");
	if (c->state_dir == NULL)
		c->state_dir = xstrdup(env && env[0] ? env :
		    "/var/lib/tlaloc");
	return 0;
}

int
agent_config_load(struct agent_config *c, int argc, char **argv,
    struct tl_err *err)
{
	int r;

	if ((r = config_find_file(c, argc, argv, err)) < 0)
		return r;
	if (c->config_path != NULL) {
		char *path = xstrdup(c->config_path);

		r = config_file(c, path, err);
		free(path);
		if (r < 0)
			return r;
	}
	if ((r = config_flags(c, argc, argv, err)) < 0)
		return r;
	return config_defaults(c, err);
}
