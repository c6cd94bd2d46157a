/*
 * tlaloc keys: `gen` prints a new key and needs no agent; install, use,
 * remove and list go to the local agent, which carries them to every
 * member (see src/agent/keys.c).
 */
#include "cli.h"

#include <string.h>

#include <sodium.h>

#include "agent/ctl.h"
#include "core/err.h"
#include "core/fileio.h"
#include "net/keyring.h"
#include "net/opkey.h"

static const char keys_usage[] =
    "tlaloc keys gen | install KEY | use KEY | remove KEY | list [--json]"
    " [--state-dir DIR]\n"
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

static const struct {
	const char	*name;
	int		 op;
	int		 nargs;
} keys_ops[] = {
	{ "install", CTL_KEYS_INSTALL, 1 },
	{ "use", CTL_KEYS_USE, 1 },
	{ "remove", CTL_KEYS_REMOVE, 1 },
	{ "list", CTL_KEYS_LIST, 0 },
};

int
cmd_keys(int argc, char **argv)
{
	uint8_t key[KEYRING_KEY_LEN];
	char b64[KEYRING_B64_LEN];
	const char *state_dir = NULL, *arg = NULL;
	int flags = 0;

	if (cli_help(argc, argv, keys_usage))
		return 0;
	if (argc < 2) {
		cli_errorf("usage: %s", keys_usage);
		return 1;
	}
	if (strcmp(argv[1], "operator") == 0)
		return keys_operator(argc, argv);
	if (strcmp(argv[1], "gen") == 0) {
		keyring_generate(key);
		keyring_key_b64(key, b64);
		printf("%s\n", b64);
		sodium_memzero(key, sizeof(key));
		sodium_memzero(b64, sizeof(b64));
		return 0;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			flags |= CTL_F_JSON;
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			state_dir = argv[++i];
		else if (arg == NULL && strncmp(argv[i], "--", 2) != 0)
			arg = argv[i];
		else {
			cli_errorf("usage: %s", keys_usage);
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(keys_ops) / sizeof(keys_ops[0]); i++) {
		char *args[1] = { (char *)(uintptr_t)arg };

		if (strcmp(argv[1], keys_ops[i].name) != 0)
			continue;
		if ((arg != NULL) != keys_ops[i].nargs) {
			cli_errorf("usage: %s", keys_usage);
			return 1;
		}
		return cli_ctl(state_dir, keys_ops[i].op, flags,
		    keys_ops[i].nargs, args);
	}
	cli_errorf("usage: %s", keys_usage);
	return 1;
}
