/*
 * Channel commands: channel join|part, channels, who, say, listen. The
 * agent checks names and sizes and says which rule was broken; listen
 * long-polls the agent (agent/chan.c) and prints what arrives until it is
 * interrupted.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_frame.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#define LISTEN_TIMEOUT_MS	30000	/* the agent answers within 10 s */

int
cmd_say(int argc, char **argv)
{
	static const char usage[] =
	    "tlaloc say '#NAME'|@NODE TEXT... [--state-dir DIR]";
	const char *state_dir;
	struct buf text = BUF_INIT;
	char **rest, *args[2];
	int flags, n, r = 1;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: %s\n", usage);
		return 0;
	}
	if (cli_client_args(argc, argv, NULL, &state_dir, &flags, &rest,
	    &n) == 0) {
		if (n < 2)
			cli_errorf("usage: %s", usage);
		else {
			for (int i = 1; i < n; i++) {
				if (i > 1)
					buf_addch(&text, ' ');
				buf_addstr(&text, rest[i]);
			}
			args[0] = rest[0];
			args[1] = text.data;
			if (text.len > CTL_ARG_MAX)
				cli_errorf("message is %zu bytes, the limit "
				    "is 512", text.len);
			else
				r = cli_ctl(state_dir, CTL_SAY, flags, 2,
				    args);
		}
	}
	cli_rest_free(rest, n);
	buf_release(&text);
	return r;
}

/* One poll: prints messages, updates cursor. 0, or 1 after an error. */
static int
listen_poll(const char *sock, int flags, const char *chan, char *cursor,
    size_t size)
{
	struct tl_err err = TL_ERR_INIT;
	struct buf body = BUF_INIT;
	char *args[2] = { (char *)chan, cursor };
	struct ctl_cursor cur;
	int status, r = 1;

	if (ctl_call(sock, CTL_LISTEN, (uint8_t)flags, 2, args,
	    LISTEN_TIMEOUT_MS, &status, &body, &err) < 0)
		cli_error(&err);
	else if (status != 0)
		fputs(body.data, stderr);
	else if (ctl_cursor_decode((uint8_t *)body.data, body.len, &cur) < 0)
		cli_errorf("the agent answered listen with something else");
	else {
		snprintf(cursor, size, "%llu", (unsigned long long)cur.cursor);
		fwrite(cur.text, 1, cur.len, stdout);
		fflush(stdout);
		r = 0;
	}
	buf_release(&body);
	return r;
}

int
cmd_listen(int argc, char **argv)
{
	static const char usage[] =
	    "tlaloc listen ['#NAME'|@NODE] [--recent] [--json] "
	    "[--state-dir DIR]\n"
	    "  --recent  first print what this node still holds (its last "
	    "256 messages)";
	const char *state_dir;
	char **rest, cursor[32] = "", *sock;
	int flags, n, r = 1, m = 0;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: %s\n", usage);
		return 0;
	}
	/* "" starts from now, "0" from the oldest message still held. */
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--recent") == 0)
			cursor[0] = '0';
		else
			argv[m++] = argv[i];
	argc = m;
	if (cli_client_args(argc, argv, NULL, &state_dir, &flags, &rest,
	    &n) < 0 || n > 1) {
		if (n > 1)
			cli_errorf("usage: %s", usage);
		cli_rest_free(rest, n);
		return 1;
	}
	sock = xasprintf("%s/agent.sock", cli_state_dir(state_dir));
	/* Until interrupted: each poll waits at most 10 s in the agent. */
	while ((r = listen_poll(sock, flags, n == 1 ? rest[0] : "*", cursor,
	    sizeof(cursor))) == 0)
		;
	free(sock);
	cli_rest_free(rest, n);
	return r;
}
