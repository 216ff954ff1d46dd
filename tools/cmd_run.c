/* SPDX-License-Identifier: MIT */
/* nipc run: run a command and its children under libnipc-preload.so with
 * rules, without tracing (nipc trace is the same launcher with tracing). */
#include "config.h"

#include "launch.h"
#include "../shim/ledger.h"

#include <stdio.h>

static const char usage_text[] =
	"usage: nipc run [--rules FILE] [--rule LINE]... [--namespace NAME]\n"
	"                [--detach] [--] CMD [ARGS...]\n"
	"\n"
	"Run CMD, and every program it starts, under libnipc-preload.so with the\n"
	"given rules (file lines first, then each --rule in order). The rules are\n"
	"checked first: with errors (FILE:LINE:COL: message), or when they route\n"
	"System V objects to an emulation whose state cannot be reached, CMD is\n"
	"not started. nipc run waits until CMD and every process it started have\n"
	"exited (it is their subreaper: a daemon's parent is nipc run), then\n"
	"removes the objects cleanup= rules say are due.\n"
	"\n"
	LAUNCH_OPTS_HELP
	"  -h, --help         show this help\n"
	"\n"
	"The shim is NIPC_PRELOAD if set, else the build tree's\n"
	"shim/.libs/libnipc-preload.so next to this nipc, else the installed one.\n"
	"Exit status: CMD's (128+N if killed by signal N); 1 if CMD was not\n"
	"started (rules with errors, the emulation unreachable, CMD cannot be\n"
	"run); 2 on a usage error.\n";

static const struct opt run_opts[] = {LAUNCH_OPTS, {NULL}};

/* The command and its descendants are gone: cleanup=exit objects whose creator died (a crash
 * runs no exit handler) go now if nobody uses them; last-detach objects
 * nobody uses too. */
static void sweep_ledger(void)
{
	struct ledger_head *h = ledger_open(0);

	if (h) {
		ledger_sweep_key(h, 0, 0, NULL);
		ledger_close(h);
	}
}

int cmd_run(int argc, char **argv)
{
	struct cmdline c = {.who = "run", .see = "nipc run --help", .opts = run_opts,
			    .flags = CL_STOP_AT_POSITIONAL};
	struct launch l = {.who = "run"};
	int rc = parse_cmdline(&c, argc, argv);
	pid_t pid;

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!c.nrest)
		return usage_error("run: no command given (usage: nipc run [OPTIONS] -- CMD [ARGS...])");
	launch_take(&l, &c);
	if ((rc = launch_prepare(&l)))
		return rc;
	if (launch_spawn(&l, NULL, NULL, &pid))
		return EXIT_FAIL;
	rc = launch_wait(&l, pid);
	sweep_ledger();
	return rc;
}
