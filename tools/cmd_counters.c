/* SPDX-License-Identifier: MIT */
/* nipc counters: print a per-object counters table that programs under the
 * shim fill (NIPC_COUNTERS=/NAME, always-on counting without nipc trace). */
#include "config.h"

#include "common.h"
#include "trace_counters.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: nipc counters TABLE [--json] [--remove]\n"
	"\n"
	"Print the counters table TABLE (a POSIX shared memory name, /NAME) that\n"
	"programs run with libnipc-preload.so and NIPC_COUNTERS=TABLE fill: per\n"
	"named semaphore, calls, posts, waits, contended calls, time blocked and\n"
	"a histogram of it, as nipc trace --counters prints them at its end.\n"
	"\n"
	"      --json     one JSON line per semaphore\n"
	"      --remove   then remove the table\n"
	"  -h, --help     show this help\n"
	"\n"
	"Exit status: 0; 3 if TABLE does not exist; 1 if it is not a counters\n"
	"table of this version; 2 on a usage error.\n";

static const struct opt counters_opts[] = {{.name = "json"}, {.name = "remove"}, {NULL}};

int cmd_counters(int argc, char **argv)
{
	struct cmdline c = {.who = "counters", .see = "nipc counters --help", .opts = counters_opts,
			    .max_pos = 1};
	struct trace_counters t = {{0}, NULL};
	int rc = parse_cmdline(&c, argc, argv);

	if (rc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (c.npos != 1)
		return usage_error("counters: no table given (usage: nipc counters TABLE)");
	if (c.pos[0][0] != '/' || strchr(c.pos[0] + 1, '/') || !c.pos[0][1])
		return usage_error("counters: %s: a table is a POSIX name, /NAME", c.pos[0]);
	if ((rc = trace_counters_open(&t, c.pos[0])))
		return rc == -2 ? EXIT_NOTFOUND : EXIT_FAIL;
	trace_counters_print(&t, stdout, c.seen[0] > 0);
	trace_counters_close(&t, c.seen[1] > 0);
	return EXIT_OK;
}
