/*
 * tlaloc keys: `gen` makes a new key and needs no agent; install, use,
 * remove and list go to the local agent, which carries them to every
 * member (see src/agent/keys.c).
 *
 * A key never comes from the command line, where ps shows it to every
 * user: install reads it from --file FILE or standard input; use and
 * remove take a key id (8 hex digits, `keys list` shows them) or the key
 * the same way. `gen --out FILE` writes a new file, 0600.
 *
 * Every change is signed here with the operator's key (--key FILE,
 * keys_sign.c), and agents believe it only when they trust that key;
 * `evict NODE` shuts a member out for good.
 */
#include "cli.h"
#include "keys_sign.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl/ctl.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fileio.h"
#include "net/keyring.h"
#include "net/opkey.h"

static const char keys_usage[] =
    "tlaloc keys gen [--out FILE] | install [--file FILE] |\n"
    "       use ID|--file FILE | remove ID|--file FILE | list [--json]"
    " [--state-dir DIR]\n"
    "       (without --file, install, use and remove read the key on "
    "standard input;\n"
    "        they and evict are signed with --key OPERATOR.key)\n"
    "       tlaloc keys evict NODE --key OPERATOR.key [--state-dir DIR]\n"
    "       tlaloc keys operator gen --out DIR [--comment TEXT]";

/* `keys operator gen`: an operator key pair, written, never printed. */
static int
keys_operator(int argc, char **argv)
{
	struct tl_err err = TL_ERR_INIT;
	const char *out = NULL, *comment = NULL;
	struct opkey_pub pub;
	char id[OPKEY_ID_HEX];

	if (argc < 3 || strcmp(argv[2], "gen") != 0) {
		cli_errorf("usage: %s", keys_usage);
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--comment") == 0 && i + 1 < argc)
			comment = argv[++i];
		else {
			cli_errorf("usage: %s", keys_usage);
			return 1;
		}
	}
	if (out == NULL) {
		cli_errorf("keys operator gen: --out DIR is required");
		return 1;
	}
	/* A new directory is made private: it holds the secret key. */
	if (fileio_mkdirs(out, 0700, &err) < 0 ||
	    opkey_generate(out, comment, &pub, &err) < 0) {
		cli_errorf("keys operator gen: %s", err.msg);
		return 1;
	}
	opkey_id_hex(pub.id, id);
	printf("operator key %s\n  secret: %s/operator.key (0600; keep it off "
	    "the nodes)\n  public: %s/operator.pub (give it to agents with "
	    "--trust)\n", id, out, out);
	return 0;
}

/* How an op takes its argument: a key (file or stdin), a key or an id,
 * or nothing. */
enum keys_arg { KEYS_ARG_KEY, KEYS_ARG_KEY_OR_ID, KEYS_ARG_NONE };

static const struct {
	const char	*name;
	int		 op;
	enum keys_arg	 arg;
} keys_ops[] = {
	{ "install", CTL_KEYS_INSTALL, KEYS_ARG_KEY },
	{ "use", CTL_KEYS_USE, KEYS_ARG_KEY_OR_ID },
	{ "remove", CTL_KEYS_REMOVE, KEYS_ARG_KEY_OR_ID },
	{ "list", CTL_KEYS_LIST, KEYS_ARG_NONE },
};

/* `keys gen`: to stdout, or to a new file that only its owner reads. */
static int
keys_gen(int argc, char **argv)
{
	uint8_t key[KEYRING_KEY_LEN];
	char b64[KEYRING_B64_LEN + 1];
	const char *out = NULL;
	size_t n;
	int fd, r = 0;

	if (argc == 4 && strcmp(argv[2], "--out") == 0)
		out = argv[3];
	else if (argc != 2) {
		cli_errorf("usage: %s", keys_usage);
		return 1;
	}
	keyring_generate(key);
	keyring_key_b64(key, b64);
	n = strlen(b64);
	b64[n++] = '\n';
	if (out == NULL)
		r = fwrite(b64, 1, n, stdout) == n ? 0 : -1;
	else if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		cli_errorf("keys gen: cannot create '%s': %s%s", out,
		    strerror(errno), errno == EEXIST ? " (not overwriting a "
		    "key file)" : "");
		r = -1;
	} else {
		/* 0600 whatever the umask: fchmod, not only the open mode. */
		if (fchmod(fd, 0600) < 0 || fileio_write_all(fd, b64, n) < 0 ||
		    fsync(fd) < 0) {
			cli_errorf("keys gen: cannot write '%s': %s", out,
			    strerror(errno));
			r = -1;
		}
		close(fd);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	return r < 0 ? 1 : 0;
}

/* The first non-blank line of file (NULL: standard input), which must be
 * a base64 key, into b64. */
static int
keys_read(const char *file, char b64[KEYRING_B64_LEN])
{
	struct tl_err err = TL_ERR_INIT;
	uint8_t key[KEYRING_KEY_LEN];
	struct buf b = BUF_INIT;
	char *line, *save = NULL;
	int r = 0;

	if (file != NULL)
		r = fileio_read(file, KEYRING_FILE_MAX, &b, &err);
	else
		r = fileio_read_fd(0, "standard input", KEYRING_FILE_MAX, &b,
		    &err);
	if (r < 0) {
		cli_error(&err);
		goto out;
	}
	line = strtok_r(b.data, " \t\r\n", &save);
	if (line == NULL || keyring_key_parse(line, strlen(line), key,
	    &err) < 0) {
		cli_errorf("%s holds no base64 key", file ? file :
		    "standard input");
		r = -1;
		goto out;
	}
	keyring_key_b64(key, b64);
	sodium_memzero(key, sizeof(key));
out:
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	return r < 0 ? -1 : 0;
}

/* Is arg a key id, "0a1b2c3d"? */
static int
keys_is_id(const char *arg)
{
	return strlen(arg) == 2 * KEYRING_ID_LEN &&
	    strspn(arg, "0123456789abcdefABCDEF") == 2 * KEYRING_ID_LEN;
}

static int
keys_refuse_argv(void)
{
	cli_errorf("keys are never taken from the command line, where ps "
	    "shows them to every user: give --file FILE or the key on "
	    "standard input (or, for use and remove, its id from `tlaloc "
	    "keys list`)");
	return 1;
}

/* Runs op i with arg (from argv) or the key read from file or stdin,
 * signed with the operator key in opkey when given. */
static int
keys_run(size_t i, const char *state_dir, int flags, const char *arg,
    const char *file, const char *opkey)
{
	char b64[KEYRING_B64_LEN];
	struct buf stmt = BUF_INIT;
	char *args[2];
	int r;

	if (keys_ops[i].arg == KEYS_ARG_NONE) {
		if (arg != NULL || file != NULL) {
			cli_errorf("usage: %s", keys_usage);
			return 1;
		}
		return cli_ctl(state_dir, keys_ops[i].op, flags, 0, args);
	}
	if (arg != NULL && (keys_ops[i].arg == KEYS_ARG_KEY ||
	    !keys_is_id(arg)))
		return keys_refuse_argv();
	if (arg != NULL && file != NULL) {
		cli_errorf("usage: %s", keys_usage);
		return 1;
	}
	if (arg == NULL && keys_read(file, b64) < 0)
		return 1;
	args[0] = (char *)(uintptr_t)(arg ? arg : b64);
	/* The change is signed here, on the operator's side. */
	if (opkey != NULL && cli_keys_sign(opkey, keys_ops[i].op, args[0],
	    &stmt) != 0) {
		sodium_memzero(b64, sizeof(b64));
		return 1;
	}
	args[1] = stmt.data;
	r = cli_ctl(state_dir, keys_ops[i].op, flags, opkey != NULL ? 2 : 1,
	    args);
	sodium_memzero(b64, sizeof(b64));
	buf_release(&stmt);
	return r;
}

int
cmd_keys(int argc, char **argv)
{
	const char *state_dir = NULL, *arg = NULL, *file = NULL, *opkey = NULL;
	int flags = 0;

	if (cli_help(argc, argv, keys_usage))
		return 0;
	if (argc < 2) {
		cli_errorf("usage: %s", keys_usage);
		return 1;
	}
	if (strcmp(argv[1], "operator") == 0)
		return keys_operator(argc, argv);
	if (strcmp(argv[1], "gen") == 0)
		return keys_gen(argc, argv);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			flags |= CTL_F_JSON;
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			state_dir = argv[++i];
		else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			opkey = argv[++i];
		else if (arg == NULL && strncmp(argv[i], "--", 2) != 0)
			arg = argv[i];
		else {
			cli_errorf("usage: %s", keys_usage);
			return 1;
		}
	}
	if (strcmp(argv[1], "evict") == 0) {
		if (arg == NULL || opkey == NULL || file != NULL) {
			cli_errorf("usage: %s", keys_usage);
			return 1;
		}
		return cli_keys_evict(state_dir, arg, opkey, flags);
	}
	for (size_t i = 0; i < sizeof(keys_ops) / sizeof(keys_ops[0]); i++)
		if (strcmp(argv[1], keys_ops[i].name) == 0)
			return keys_run(i, state_dir, flags, arg, file, opkey);
	cli_errorf("usage: %s", keys_usage);
	return 1;
}
