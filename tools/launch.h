/* SPDX-License-Identifier: MIT */
/* The one launcher of nipc run and nipc trace: the options --rules, --rule
 * and --namespace, the checks made before the program starts (rules, the
 * namespace, the emulation's state), the shim preloaded, CMD forked,
 * exec'd and waited for, with every descendant it leaves (the launcher is
 * a child subreaper: a double-forked daemon stays its descendant) unless
 * --detach. */
#ifndef NIPC_TOOL_LAUNCH_H
#define NIPC_TOOL_LAUNCH_H

#include "common.h"

#include <limits.h>
#include <sys/types.h>

#define LAUNCH_MAX_RULES 256

/* --rule values in order (the option table's list). */
extern const char *launch_rule_lines[LAUNCH_MAX_RULES];

/* The launcher's options, first in a command's option table (their values
 * are c->val[0..2]). */
#define LAUNCH_OPTS \
	{.name = "rules", .has_value = 1, .once = 1, .needs = "a file name"}, \
	{.name = "rule", .has_value = 1, .needs = "a rule line", \
	 .list = launch_rule_lines, .list_max = LAUNCH_MAX_RULES}, \
	{.name = "namespace", .has_value = 1, .once = 1, .needs = "a name"}, \
	{.name = "detach", .once = 1}
#define LAUNCH_NOPTS 4

/* The help text's lines for LAUNCH_OPTS. */
#define LAUNCH_OPTS_HELP \
	"      --rules FILE   the rules (nipc-preload(7) RULES); default: NIPC_RULES\n" \
	"      --rule LINE    one more rule, after the file's (repeatable)\n" \
	"      --namespace NAME  the System V emulation's namespace (NIPC_NAMESPACE):\n" \
	"                     1 to 40 letters, digits, '_' or '-'\n" \
	"      --detach       stop waiting when CMD itself exits; by default nipc\n" \
	"                     waits until every process CMD started (daemons too)\n" \
	"                     has exited\n"

struct launch {
	const char *who;        /* "run", "trace": the messages' prefix */
	const char *rules_file;
	const char **rule;
	int nrule;
	const char *ns;
	int detach;             /* --detach: wait for CMD only, not for its descendants */
	char **cmd;
	/* launch_prepare */
	char shim[PATH_MAX];
};

/* The launcher's part of a parsed command line (LAUNCH_OPTS first) and
 * the command (c->rest). */
void launch_take(struct launch *l, const struct cmdline *c);
/* Everything before the program starts, so that nothing it cannot run
 * under starts it: the shim found; the rules read, checked (diagnostics
 * as nipc rules check prints them) and put in this process's environment
 * for the program and its descendants (NIPC_RULES_TEXT: no file to leave
 * behind); the namespace checked and set; when the rules can route System
 * V objects to the emulation, its state reachable (fail closed).
 * EXIT_OK, or EXIT_FAIL / EXIT_USAGE after a message. */
int launch_prepare(struct launch *l);
/* Forks and execs the command with the shim preloaded; more(arg), if set,
 * runs in the child first to set more of its environment. Unless detach,
 * this process becomes a child subreaper first (PR_SET_CHILD_SUBREAPER):
 * orphans among CMD's descendants are re-parented to it, not to init, so a
 * daemon's getppid() is this process. 0 and *pid, or EXIT_FAIL after a
 * message (the exec's error included). */
int launch_spawn(const struct launch *l, void (*more)(const void *arg), const void *arg,
		 pid_t *pid);
/* Waits for pid (SIGINT and SIGQUIT ignored: they are the program's),
 * then, unless detach, for every descendant (launch_wait_descendants);
 * pid's exit status as a shell gives it. */
int launch_wait(const struct launch *l, pid_t pid);
/* Unless detach: reaps children until none is left, orphaned descendants
 * re-parented to this subreaper included (nothing to wait for: returns at
 * once). For a caller that waits for CMD itself (nipc trace's reader). */
void launch_wait_descendants(const struct launch *l);
/* A wait status as a shell's $?: the exit code, 128+N if killed by N. */
int launch_exit_status(int status);

/* cmd_rules.c: diagnostics as nipc rules check prints them (text on
 * stderr, or JSON items on stdout). */
struct rules;
void rules_print_diags(const struct rules *r, int json);

#endif
