/* cron: rewriting a crontab touches only the named block. */
#include "test.h"

#include <stdlib.h>

char	*cron_rewrite(const char *text, const char *name, const char *block);

static const char tab[] =
    "# mine\n"
    "15 2 * * * /usr/bin/own\n"
    "# BEGIN tlaloc cron: a\n"
    "0 3 * * * /bin/a\n"
    "# END tlaloc cron: a\n"
    "# BEGIN tlaloc cron: b\n"
    "@daily /bin/b\n"
    "# END tlaloc cron: b\n";

TEST(cron_replace_keeps_the_rest)
{
	const char *nb = "# BEGIN tlaloc cron: a\n0 4 * * * /bin/a\n"
	    "# END tlaloc cron: a\n";
	char *t = cron_rewrite(tab, "a", nb);

	ASSERT_CONTAINS(t, "15 2 * * * /usr/bin/own\n");
	ASSERT_CONTAINS(t, "0 4 * * * /bin/a\n");
	ASSERT(strstr(t, "0 3 * * *") == NULL);
	ASSERT_CONTAINS(t, "@daily /bin/b\n");
	free(t);
}

TEST(cron_same_block_is_idempotent)
{
	const char *same = "# BEGIN tlaloc cron: b\n@daily /bin/b\n"
	    "# END tlaloc cron: b\n";
	char *t = cron_rewrite(tab, "b", same);

	ASSERT_STR_EQ(t, tab);
	free(t);
}

TEST(cron_remove_and_append)
{
	const char *nc = "# BEGIN tlaloc cron: c\n* * * * * /bin/c\n"
	    "# END tlaloc cron: c\n";
	char *t = cron_rewrite(tab, "a", NULL), *u;

	ASSERT(strstr(t, "/bin/a") == NULL);
	ASSERT_CONTAINS(t, "/usr/bin/own");
	ASSERT_CONTAINS(t, "@daily /bin/b");
	u = cron_rewrite(t, "c", nc);
	ASSERT_CONTAINS(u, "# END tlaloc cron: b\n# BEGIN tlaloc cron: c\n");
	free(t);
	free(u);
	/* a name that only starts like another is not that one */
	t = cron_rewrite(tab, "", NULL);
	ASSERT_STR_EQ(t, tab);
	free(t);
}

TEST(cron_takes_over_the_same_entry_written_by_hand)
{
	/* What `tlaloc adopt` describes: a hand-written entry and its
	 * environment line; the block lands in its place, once. */
	const char *hand = "# mine\nPATH=/bin\n15  2 * * *   /usr/bin/own -x\n"
	    "0 1 * * * /bin/other\n";
	const char *nb = "# BEGIN tlaloc cron: root-1\nPATH=/bin\n"
	    "15 2 * * * /usr/bin/own -x\n# END tlaloc cron: root-1\n";
	char *t = cron_rewrite(hand, "root-1", nb);

	ASSERT_STR_EQ(t, "# mine\n# BEGIN tlaloc cron: root-1\nPATH=/bin\n"
	    "15 2 * * * /usr/bin/own -x\n# END tlaloc cron: root-1\n"
	    "0 1 * * * /bin/other\n");
	free(t);
	/* another schedule or command is another entry: appended */
	t = cron_rewrite("15 3 * * * /usr/bin/own -x\n", "root-1", nb);
	ASSERT_CONTAINS(t, "15 3 * * * /usr/bin/own -x\n# BEGIN");
	free(t);
	t = cron_rewrite("15 2 * * * /usr/bin/own\n", "root-1", nb);
	ASSERT_CONTAINS(t, "15 2 * * * /usr/bin/own\n# BEGIN");
	free(t);
	/* an entry inside another block is that block's, never taken */
	t = cron_rewrite("# BEGIN tlaloc cron: x\n15 2 * * * /usr/bin/own -x\n"
	    "# END tlaloc cron: x\n", "root-1", nb);
	ASSERT_CONTAINS(t, "# END tlaloc cron: x\n# BEGIN tlaloc cron: root-1");
	free(t);
	/* @special entries compare by their one word */
	t = cron_rewrite("@daily  /bin/b\n", "d", "# BEGIN tlaloc cron: d\n"
	    "@daily /bin/b\n# END tlaloc cron: d\n");
	ASSERT_STR_EQ(t, "# BEGIN tlaloc cron: d\n@daily /bin/b\n"
	    "# END tlaloc cron: d\n");
	free(t);
}
