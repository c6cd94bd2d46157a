/*
 * tlaloc secret set|grant|revoke|rotate|list|nodes: sealed secrets in a
 * policy directory (policy/secret.h, docs/secrets.md). The nodes to seal
 * to come from the local agent's member list (node keys, names, tags) or,
 * offline, from --node-key files that `tlaloc secret nodes` writes. A
 * value is read from stdin or --from FILE, never from the command line,
 * where ps and shell history would keep it.
 */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "ctl/ctl.h"
#include "net/opkey.h"
#include "policy/secret.h"

#define SECRET_CTL_TIMEOUT_MS	15000
#define NODE_FILES_MAX		64

static const char secret_usage[] =
    "usage: tlaloc secret set KEY --for FILTER... --key OPERATOR.key\n"
    "                         [--from FILE] [--keep-newline]\n"
    "       tlaloc secret grant KEY --for FILTER --key OPERATOR.key\n"
    "       tlaloc secret revoke KEY --for FILTER|NODE --key OPERATOR.key\n"
    "       tlaloc secret rotate KEY --key OPERATOR.key [--from FILE]\n"
    "       tlaloc secret list [KEY]\n"
    "       tlaloc secret nodes\n"
    "  common: [--policy DIR] [--node-key FILE]... [--state-dir DIR]\n"
    "\n"
    "Seals a value to the nodes that may read it, into DIR/secrets/KEY.sealed\n"
    "(DIR: --policy, default the current directory); a recipe reads it with\n"
    "secret(\"KEY\") on those nodes only. The value comes from stdin or\n"
    "--from FILE (one final newline is dropped unless --keep-newline).\n"
    "  --for FILTER  pack=NAME, name=REGEX, tag:K=V, #channel (as tlaloc run)\n"
    "                or node names separated by commas; repeat for more\n"
    "  --key FILE    the operator key: sealed to it too, so grant, revoke and\n"
    "                rotate can reopen the value\n"
    "  --node-key F  nodes from a file (lines: NAME BASE64-KEY [K=V]...), as\n"
    "                `tlaloc secret nodes` prints; default: the local agent's\n"
    "                members (failed and departed ones are left out)\n"
    "grant adds a filter; revoke removes one, or excludes a node; rotate\n"
    "re-seals to the members matching now, with a new value given --from\n"
    "(use '-' for stdin). Every change draws a new data key.\n";

struct secret_opts {
	const char	*verb, *name;
	const char	*policy, *keyfile, *from, *state_dir;
	const char	*fors[SECRET_FOR_MAX];
	size_t		 nfors;
	const char	*node_files[NODE_FILES_MAX];
	size_t		 nnode_files;
	int		 keep_newline;
};

static int
secret_parse(int argc, char **argv, struct secret_opts *o)
{
	static const struct option longopts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "from", required_argument, NULL, 'F' },
		{ "policy", required_argument, NULL, 'p' },
		{ "node-key", required_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "keep-newline", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	o->policy = ".";
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (o->nfors == SECRET_FOR_MAX) {
				cli_errorf("at most %d --for", SECRET_FOR_MAX);
				return -1;
			}
			o->fors[o->nfors++] = optarg;
			break;
		case 'k': o->keyfile = optarg; break;
		case 'F': o->from = optarg; break;
		case 'p': o->policy = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'K': o->keep_newline = 1; break;
		case 'n':
			if (o->nnode_files == NODE_FILES_MAX) {
				cli_errorf("at most %d --node-key",
				    NODE_FILES_MAX);
				return -1;
			}
			o->node_files[o->nnode_files++] = optarg;
			break;
		case 'h':
			fputs(secret_usage, stdout);
			exit(0);
		default:
			fputs(secret_usage, stderr);
			return -1;
		}
	}
	if (optind < argc)
		o->verb = argv[optind++];
	if (optind < argc)
		o->name = argv[optind++];
	if (o->verb == NULL || optind < argc) {
		if (optind < argc)
			cli_errorf("a secret's value is never taken from the "
			    "command line: give it on stdin or with --from "
			    "FILE");
		else
			fputs(secret_usage, stderr);
		return -1;
	}
	return 0;
}

/* ---- the nodes ------------------------------------------------------ */

/* One "NAME BASE64 [K=V]..." line into n; 0 for a blank or comment. */
static int
node_line(char *line, struct secret_node *n, struct tl_err *err)
{
	char *save = NULL, *name, *key, *t;
	size_t pklen;
	struct buf tags = BUF_INIT;

	if ((name = strtok_r(line, " \t", &save)) == NULL || name[0] == '#')
		return 0;
	if ((key = strtok_r(NULL, " \t", &save)) == NULL ||
	    strlen(name) > SECRET_NODE_NAME_MAX ||
	    sodium_base642bin(n->pk, sizeof(n->pk), key, strlen(key), NULL,
	    &pklen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || pklen != 32)
		return tl_err_set(err, TL_EINVAL, "not 'NAME BASE64-KEY "
		    "[K=V]...': '%s'", name);
	snprintf(n->name, sizeof(n->name), "%s", name);
	while ((t = strtok_r(NULL, " \t", &save)) != NULL) {
		buf_addstr(&tags, t);
		buf_addch(&tags, '\0');
	}
	n->tags_len = tags.len;
	n->tags = buf_detach(&tags, NULL);
	return 1;
}

static int
nodes_from_file(const char *path, struct secret_node **v, size_t *n,
    struct tl_err *err)
{
	struct buf b = BUF_INIT;
	char *save = NULL, *line;
	int r;

	if ((r = fileio_read(path, 4u << 20, &b, err)) < 0)
		return r;
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		memset(&(*v)[*n], 0, sizeof(**v));
		if ((r = node_line(line, &(*v)[*n], err)) < 0) {
			snprintf(err->where, sizeof(err->where), "%s", path);
			break;
		}
		*n += (size_t)r;
	}
	buf_release(&b);
	return r < 0 ? r : 0;
}

static int
nodes_from_agent(const char *state_dir, struct secret_node **v, size_t *n,
    struct tl_err *err)
{
	struct buf body = BUF_INIT;
	char *sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	int status, r;

	r = ctl_call(sock, CTL_MEMBER_KEYS, 0, 0, NULL, SECRET_CTL_TIMEOUT_MS,
	    &status, &body, err);
	if (r == 0 && status != 0)
		r = tl_err_set(err, TL_EINVAL, "the agent: %s", body.data);
	if (r == 0 && (r = secret_members_decode((const uint8_t *)body.data,
	    body.len, v, err)) >= 0) {
		*n = (size_t)r;
		r = 0;
	}
	if (r < 0)
		fprintf(stderr, "tlaloc: the nodes come from the local agent; "
		    "without one, give them with --node-key FILE\n");
	free(sock);
	buf_release(&body);
	return r;
}

static int
secret_nodes(const struct secret_opts *o, struct secret_node **v, size_t *n)
{
	struct tl_err err = TL_ERR_INIT;
	int r = 0;

	*v = NULL;
	*n = 0;
	if (o->nnode_files == 0)
		r = nodes_from_agent(o->state_dir, v, n, &err);
	for (size_t i = 0; r == 0 && i < o->nnode_files; i++)
		r = nodes_from_file(o->node_files[i], v, n, &err);
	if (r < 0)
		cli_error(&err);
	return r;
}

/* ---- the value ------------------------------------------------------ */

static int
secret_read_value(const struct secret_opts *o, struct buf *v)
{
	struct tl_err err = TL_ERR_INIT;
	int r;

	if (o->from != NULL && strcmp(o->from, "-") != 0)
		r = fileio_read(o->from, SECRET_VALUE_MAX + 1, v, &err);
	else {
		if (isatty(0))
			fprintf(stderr, "value (end with Ctrl-D): ");
		r = fileio_read_fd(0, "stdin", SECRET_VALUE_MAX + 1, v, &err);
	}
	if (r < 0) {
		cli_error(&err);
		return -1;
	}
	if (!o->keep_newline && v->len > 0 && v->data[v->len - 1] == '\n')
		v->data[--v->len] = '\0';
	return 0;
}

/* Seals v to the nodes, writes the file, says to whom. */
static int
secret_store(const struct secret_opts *o, struct secret *s,
    const struct opkey *op, const struct buf *v)
{
	struct tl_err err = TL_ERR_INIT;
	struct secret_node *nodes;
	size_t n;
	int count;

	if (secret_nodes(o, &nodes, &n) < 0)
		return 1;
	count = secret_seal(s, op, (const uint8_t *)v->data, v->len, nodes, n,
	    &err);
	secret_nodes_free(nodes, n);
	if (count < 0 || secret_write(o->policy, s, &err) < 0) {
		cli_error(&err);
		return 1;
	}
	printf("sealed '%s' (serial %llu) to %d node%s:", s->name,
	    (unsigned long long)s->serial, count, count == 1 ? "" : "s");
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].kind == SECRET_NODE)
			printf(" %s", s->r[i].name);
	printf("\n  in %s/secrets/%s.sealed; publish the policy to send it\n",
	    o->policy, s->name);
	if (count == 0)
		fprintf(stderr, "tlaloc: warning: no node matches yet; `tlaloc "
		    "secret rotate %s` seals to those that match later\n",
		    s->name);
	return 0;
}

/* ---- the verbs ------------------------------------------------------ */

/* A secret's clear value leaves memory zeroed, on every path. */
static void
value_wipe(struct buf *v)
{
	sodium_memzero(v->data, v->len);
	buf_release(v);
}

static int
verb_set(const struct secret_opts *o, const struct opkey *op)
{
	struct tl_err err = TL_ERR_INIT;
	struct secret *s = secret_new(o->name);
	struct buf v = BUF_INIT;
	int rc = 1;

	if (o->nfors == 0) {
		cli_errorf("secret set needs --for FILTER: whom it is for");
		goto out;
	}
	for (size_t i = 0; i < o->nfors; i++)
		if (secret_add_filter(s, o->fors[i], &err) < 0) {
			cli_error(&err);
			goto out;
		}
	if (secret_read_value(o, &v) == 0)
		rc = secret_store(o, s, op, &v);
out:
	value_wipe(&v);
	secret_free(s);
	return rc;
}

/*
 * grant F: F joins the filters (and stops being excluded); revoke F: F
 * leaves them, or when it is not one (a node of a granted pack), "!F"
 * excludes what it matches.
 */
static int
change_filters(const struct secret_opts *o, struct secret *s,
    struct tl_err *err)
{
	char *neg;
	int r = 0;

	if (strcmp(o->verb, "rotate") == 0)
		return 0;
	neg = xasprintf("!%s", o->fors[0]);
	if (strcmp(o->verb, "grant") == 0) {
		secret_remove_filter(s, neg);
		r = secret_add_filter(s, o->fors[0], err);
	} else if (!secret_remove_filter(s, o->fors[0]))
		r = secret_add_filter(s, neg, err);
	free(neg);
	return r;
}

/* grant, revoke, rotate: reopen as the operator, change, seal again. */
static int
verb_change(const struct secret_opts *o, const struct opkey *op)
{
	struct tl_err err = TL_ERR_INIT;
	struct secret *s = NULL;
	struct buf v = BUF_INIT;
	int is_rotate = strcmp(o->verb, "rotate") == 0, rc = 1;

	if (!is_rotate && o->nfors != 1) {
		cli_errorf("secret %s takes one --for", o->verb);
		return 1;
	}
	if (secret_read(o->policy, o->name, &s, &err) < 0 ||
	    secret_open_operator(s, op, &v, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	if (is_rotate && o->from != NULL) {
		sodium_memzero(v.data, v.len);
		buf_reset(&v);
		if (secret_read_value(o, &v) < 0)
			goto out;
	}
	if (change_filters(o, s, &err) < 0) {
		cli_error(&err);
		goto out;
	}
	rc = secret_store(o, s, op, &v);
out:
	value_wipe(&v);
	secret_free(s);
	return rc;
}

static void
list_one(const struct secret *s)
{
	struct tl_err err = TL_ERR_INIT;
	uint8_t id[crypto_generichash_BYTES_MIN];	/* opkey.h's id */
	char hex[OPKEY_ID_HEX];
	size_t nodes = 0;

	crypto_generichash(id, sizeof(id), s->op_pk, 32, NULL, 0);
	opkey_id_hex(id, hex);
	printf("%s  serial %llu, sealed by operator %s%s\n  for:", s->name,
	    (unsigned long long)s->serial, hex, secret_verify(s, &err) < 0 ?
	    " (SIGNATURE DOES NOT MATCH)" : "");
	for (size_t i = 0; i < s->nfilters; i++)
		printf(" '%s'", s->filters[i]);
	printf("\n  readable by:");
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].kind == SECRET_NODE) {
			printf(" %s", s->r[i].name);
			nodes++;
		}
	printf("%s\n", nodes == 0 ? " no node" : "");
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The NAMEs of dir/NAME.sealed, sorted; caller frees. */
static char **
list_names(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t len;

	*n = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len <= 7 || strcmp(e->d_name + len - 7, ".sealed") != 0)
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrndup(e->d_name, len - 7);
	}
	if (d != NULL)
		closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

static int
verb_list(const struct secret_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	struct secret *s;
	char *dir, **names;
	size_t n;
	int rc = 0;

	if (o->name != NULL) {
		if (secret_read(o->policy, o->name, &s, &err) < 0) {
			cli_error(&err);
			return 1;
		}
		list_one(s);
		secret_free(s);
		return 0;
	}
	dir = xasprintf("%s/secrets", o->policy);
	names = list_names(dir, &n);
	for (size_t i = 0; i < n; i++) {
		if (secret_read(o->policy, names[i], &s, &err) < 0) {
			cli_error(&err);
			rc = 1;
		} else
			list_one(s);
		secret_free(s);
		free(names[i]);
	}
	if (n == 0 && rc == 0)
		printf("no secrets in %s\n", dir);
	free(names);
	free(dir);
	return rc;
}

/* The agent's members as --node-key lines. */
static int
verb_nodes(const struct secret_opts *o)
{
	struct secret_node *v;
	size_t n;
	char b64[sodium_base64_ENCODED_LEN(32,
	    sodium_base64_VARIANT_ORIGINAL)];

	if (secret_nodes(o, &v, &n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].is_gone)
			continue;
		sodium_bin2base64(b64, sizeof(b64), v[i].pk, 32,
		    sodium_base64_VARIANT_ORIGINAL);
		printf("%s %s", v[i].name, b64);
		for (size_t k = 0; k < v[i].tags_len; k += strlen(v[i].tags +
		    k) + 1)
			printf(" %s", v[i].tags + k);
		printf("\n");
	}
	secret_nodes_free(v, n);
	return 0;
}

static int
secret_with_key(const struct secret_opts *o)
{
	struct tl_err err = TL_ERR_INIT;
	struct opkey *op;
	int rc;

	if (o->name == NULL || !secret_name_valid(o->name)) {
		cli_errorf("secret %s needs a KEY: letters, digits, '_', '.', "
		    "'-' (at most %d)", o->verb, SECRET_NAME_MAX);
		return 1;
	}
	if (o->keyfile == NULL) {
		cli_errorf("secret %s needs --key OPERATOR.key", o->verb);
		return 1;
	}
	if ((op = opkey_load(o->keyfile, &err)) == NULL) {
		cli_error(&err);
		return 1;
	}
	rc = strcmp(o->verb, "set") == 0 ? verb_set(o, op) :
	    verb_change(o, op);
	opkey_free(op);
	return rc;
}

int
cmd_secret(int argc, char **argv)
{
	struct secret_opts o = { 0 };

	if (sodium_init() < 0 || secret_parse(argc, argv, &o) < 0)
		return 1;
	if (strcmp(o.verb, "list") == 0)
		return verb_list(&o);
	if (strcmp(o.verb, "nodes") == 0)
		return verb_nodes(&o);
	if (strcmp(o.verb, "set") == 0 || strcmp(o.verb, "grant") == 0 ||
	    strcmp(o.verb, "revoke") == 0 || strcmp(o.verb, "rotate") == 0)
		return secret_with_key(&o);
	cli_errorf("unknown secret command '%s'", o.verb);
	fputs(secret_usage, stderr);
	return 1;
}
