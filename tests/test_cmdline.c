/* SPDX-License-Identifier: MIT */
/* The argument parser every nipc command uses (tools/common.c): option
 * forms, "--", help on every level, the rest as a command, the errors. */
#include "config.h"

#include "common.h"
#undef fail /* nipc's, which cmocka's takes the place of here */

#include "tlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *added[2];
static const struct opt opts[] = {
	{.name = "output", .short_name = 'o', .has_value = 1, .needs = "a file name"},
	{.name = "json"}, {.name = "count", .short_name = 'c'}, {.name = "size", .has_value = 1},
	{.name = "tag", .has_value = 1, .once = 1}, {.name = "add", .has_value = 1, .list = added,
	.list_max = 2}, {NULL}
};

static char err_text[4096];

/* parse_cmdline on a NULL-ended list, its stderr kept in err_text. */
static int parse(struct cmdline *c, char **argv)
{
	FILE *tmp = tmpfile();
	int argc = 0, saved = dup(2), rc;
	size_t n;

	assert_non_null(tmp);
	while (argv[argc])
		argc++;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	rc = parse_cmdline(c, argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(err_text, 1, sizeof err_text - 1, tmp);
	err_text[n] = '\0';
	fclose(tmp);
	return rc;
}

#define ARGV(...) ((char *[]){"cmd", __VA_ARGS__, NULL})

static struct cmdline cl(unsigned flags, int max_pos)
{
	return (struct cmdline){.who = "cmd x", .see = "nipc cmd --help", .opts = opts,
				.max_pos = max_pos, .flags = flags};
}

static void test_forms(void **state)
{
	struct cmdline c = cl(0, 3);

	(void)state;
	assert_int_equal(parse(&c, ARGV("a", "--output=f1", "--json", "b", "-c", "--size", "9")), 0);
	assert_string_equal(c.val[0], "f1");
	assert_int_equal(c.seen[1], 1);
	assert_int_equal(c.seen[2], 1);
	assert_string_equal(c.val[3], "9");
	assert_int_equal(c.npos, 2);
	assert_string_equal(c.pos[0], "a");
	assert_string_equal(c.pos[1], "b");
	/* short forms; the last value wins without CL_ONCE */
	assert_int_equal(parse(&c, ARGV("-o", "f2", "-of3", "--output", "--json")), 0);
	assert_string_equal(c.val[0], "--json");
	assert_int_equal(c.seen[0], 3);
	assert_int_equal(c.seen[1], 0);
	assert_int_equal(parse(&c, ARGV("-of3")), 0);
	assert_string_equal(c.val[0], "f3");
	/* "--" ends the options; a lone "-" is an argument */
	assert_int_equal(parse(&c, ARGV("-", "--", "--json", "-h")), 0);
	assert_int_equal(c.seen[1], 0);
	assert_int_equal(c.npos, 3);
	assert_string_equal(c.pos[0], "-");
	assert_string_equal(c.pos[1], "--json");
	assert_string_equal(c.pos[2], "-h");
	assert_string_equal(err_text, "");
}

static void test_help(void **state)
{
	struct cmdline c = cl(0, 1);

	(void)state;
	/* anywhere among the options, even after an error */
	assert_int_equal(parse(&c, ARGV("--bogus", "a", "b", "--help")), CL_HELP);
	assert_int_equal(parse(&c, ARGV("-h")), CL_HELP);
	assert_string_equal(err_text, "");
	/* not as an option's value */
	assert_int_equal(parse(&c, ARGV("-o", "--help", "--size", "-h")), 0);
	assert_string_equal(c.val[0], "--help");
	assert_string_equal(c.val[3], "-h");
	assert_int_equal(parse(&c, ARGV("--output=x", "-ox", "-h")), CL_HELP);
	c = cl(CL_STOP_AT_POSITIONAL, 0);
	/* a command's own --help is the command's */
	assert_int_equal(parse(&c, ARGV("--json", "prog", "--help")), 0);
	assert_int_equal(c.nrest, 2);
	assert_string_equal(c.rest[0], "prog");
	assert_null(c.rest[2]);
	assert_int_equal(parse(&c, ARGV("-c", "--", "-h")), 0);
	assert_int_equal(c.nrest, 1);
	assert_string_equal(c.rest[0], "-h");
	assert_int_equal(parse(&c, ARGV("-c", "--")), 0);
	assert_int_equal(c.nrest, 0);
}

static void expect_usage(unsigned flags, int max_pos, char **argv, const char *msg)
{
	struct cmdline c = cl(flags, max_pos);

	assert_int_equal(parse(&c, argv), EXIT_USAGE);
	if (!strstr(err_text, msg))
		fail_msg("stderr '%s' lacks '%s'", err_text, msg);
}

static void test_errors(void **state)
{
	(void)state;
	expect_usage(0, 1, ARGV("--x"), "nipc: cmd x: unknown option '--x' (see nipc cmd --help)\n");
	expect_usage(0, 1, ARGV("-x"), "unknown option '-x'");
	expect_usage(0, 1, ARGV("-1"), "unknown option '-1'");
	expect_usage(0, 1, ARGV("--js"), "unknown option '--js'");
	expect_usage(0, 1, ARGV("--json=1"), "unknown option '--json=1'");
	expect_usage(0, 1, ARGV("-cc"), "unknown option '-cc'");
	expect_usage(0, 1, ARGV("a", "-o"), "nipc: cmd x: -o needs a file name\n");
	expect_usage(0, 1, ARGV("--size"), "--size needs a value");
	expect_usage(0, 1, ARGV("a", "b"), "unexpected argument 'b'");
	expect_usage(0, 1, ARGV("a", "--", "b"), "unexpected argument 'b'");
	expect_usage(CL_ONCE, 1, ARGV("--json", "--json"), "nipc: cmd x: --json given twice\n");
	expect_usage(CL_ONCE, 1, ARGV("--size=1", "--size", "2"), "--size given twice");
	expect_usage(CL_STOP_AT_POSITIONAL, 0, ARGV("--bogus", "prog"), "unknown option '--bogus'");
	expect_usage(0, 0, ARGV("--tag=a", "--tag", "b"), "nipc: cmd x: --tag given twice\n");
	expect_usage(0, 0, ARGV("--add=1", "--add", "2", "--add=3"), "nipc: cmd x: more than 2 --add\n");
}

/* A repeatable option keeps every value, in order. */
static void test_list(void **state)
{
	struct cmdline c = cl(0, 0);

	(void)state;
	assert_int_equal(parse(&c, ARGV("--add=1", "--json", "--add", "2", "--json")), 0);
	assert_int_equal(c.seen[5], 2);
	assert_string_equal(added[0], "1");
	assert_string_equal(added[1], "2");
	assert_int_equal(c.seen[1], 2);
}

/* Without a who, a message is nipc's own. */
static void test_top_level(void **state)
{
	struct cmdline c = {.see = "nipc --help", .opts = opts, .flags = CL_STOP_AT_POSITIONAL};

	(void)state;
	assert_int_equal(parse(&c, ARGV("--bogus")), EXIT_USAGE);
	assert_string_equal(err_text, "nipc: unknown option '--bogus' (see nipc --help)\n");
}

static void test_rows_and_keys(void **state)
{
	static const struct {
		const char *name;
		int n;
	} rows[] = {{"create", 1}, {"write", 2}, {"cat", 3}};
	static const struct opt key_opts[] = {KEY_ARG_OPTS, {NULL}};
	struct cmdline c = {.who = "k", .opts = key_opts, .max_pos = 3};
	struct key_arg ka;

	(void)state;
	assert_int_equal(FIND_ROW(rows, "cat"), 2);
	assert_int_equal(FIND_ROW(rows, "create"), 0);
	assert_int_equal(FIND_ROW(rows, "ca"), -1);
	/* the first positional is the KEY, unless --legacy names it */
	assert_int_equal(parse(&c, ARGV("posix:/a", "5")), 0);
	key_arg_take(&ka, &c, 1);
	assert_string_equal(ka.string, "posix:/a");
	assert_null(ka.legacy);
	assert_int_equal(c.npos, 1);
	assert_string_equal(c.pos[0], "5");
	assert_int_equal(parse(&c, ARGV("5", "--legacy=app", "--type", "posix")), 0);
	key_arg_take(&ka, &c, 1);
	assert_null(ka.string);
	assert_string_equal(ka.legacy, "app");
	assert_string_equal(ka.type, "posix");
	assert_string_equal(c.pos[0], "5");
	/* both: kept for key_arg_make to refuse */
	assert_int_equal(parse(&c, ARGV("posix:/a", "5", "--legacy", "app")), 0);
	key_arg_take(&ka, &c, 1);
	assert_string_equal(ka.string, "posix:/a");
	assert_string_equal(ka.legacy, "app");
}

TL_TESTS("cmdline", NULL, NULL, test_forms, test_help, test_errors, test_list, test_top_level,
	 test_rows_and_keys)
