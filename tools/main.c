/* SPDX-License-Identifier: MIT */
/* nipc — operate Qt-compatible native IPC objects: keys, shared memory,
 * system semaphores, and tracing of unmodified programs. */
#include "config.h"

#include "common.h"
#include "nipc.h"

#include <stdio.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"key", cmd_key, "format, parse and generate native IPC keys"},
	{"shm", cmd_shm, "create, read, write and inspect shared memory segments"},
	{"sem", cmd_sem, "create, acquire and release system semaphores"},
	{"rm", cmd_rm, "remove an IPC object whole, unless a live process uses it"},
	{"run", cmd_run, "run a program under the shim with rules"},
	{"trace", cmd_trace, "run a program under the shim, tracing its IPC calls"},
	{"counters", cmd_counters, "print a per-object counters table (NIPC_COUNTERS)"},
	{"rules", cmd_rules, "check the shim's rules and what they do to keys"},
	{"ls", cmd_ls, "list IPC objects, who uses them, and a verdict"},
	{"clean", cmd_clean, "remove orphan (and idle) IPC objects, never live ones"},
};

static int usage(FILE *f)
{
	fputs("usage: nipc COMMAND [ARGS...]\n"
	      "       nipc --version | --help\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'nipc COMMAND --help' describes a command; see nipc(1).\n", f);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static const struct opt main_opts[] = {{.name = "version"}, {NULL}};

static int run(int argc, char **argv)
{
	struct cmdline c = {.see = "nipc --help", .opts = main_opts,
			    .flags = CL_STOP_AT_POSITIONAL};
	int rc = parse_cmdline(&c, argc, argv), i;

	if (rc == CL_HELP)
		return usage(stdout);
	if (rc)
		return rc;
	if (c.seen[0]) {
		printf("nipc %s\n", nipc_version());
		return EXIT_OK;
	}
	if (!c.nrest)
		return usage(stderr);
	if ((i = FIND_ROW(commands, c.rest[0])) >= 0)
		return commands[i].run(c.nrest, c.rest);
	usage_error("unknown command '%s'", c.rest[0]);
	return usage(stderr);
}

int main(int argc, char **argv)
{
	/* First: a file opened on a closed fd 0-2 would be read or written as
	 * stdin, stdout or stderr (the POSIX lock's sem_t, for one). */
	std_fds_fill();
	return close_stdout(run(argc, argv));
}
