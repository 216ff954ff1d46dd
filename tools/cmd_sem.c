/* SPDX-License-Identifier: MIT */
/* nipc sem — create, acquire and release system semaphores, interoperable
 * with Qt's QSystemSemaphore (same keys, same counter). */
#include "config.h"

#include "common.h"

#include <limits.h>
#include <string.h>

static const char usage_text[] =
	"usage: nipc sem create  KEY INITIAL [--hold]\n"
	"       nipc sem acquire KEY [N] [--hold]   (takes N, default 1; blocks)\n"
	"       nipc sem release KEY [N] [--hold]   (gives N, default 1)\n"
	"KEY is a string form (posix:/app, systemv:/tmp/app) or --legacy NAME\n"
	"[--type TYPE]: Qt 5's legacy semaphore key of NAME (QSystemSemaphore(NAME)).\n"
	"create sets the value to INITIAL. With --hold it stays the owner until a\n"
	"line or EOF on stdin (or SIGINT/SIGTERM), then removes the semaphore, as\n"
	"Qt's owner does; without --hold the semaphore is left in place.\n"
	"acquire and release open the semaphore as Qt's Open mode does: one that\n"
	"does not exist yet is created (value 0) and removed again on exit.\n"
	"On System V (Qt 5's backend) the kernel undoes a process's acquires and\n"
	"releases when it exits (SEM_UNDO, as Qt does): with --hold, acquire and\n"
	"release print \"acquired\" / \"released\" and keep their effect until a\n"
	"line or EOF on stdin (or SIGINT/SIGTERM).\n";

/* A plain `create` leaves the semaphore in place by never closing its
 * owner; the handle stays reachable here (volatile: the store must not be
 * optimised away, or leak checkers would report it). */
static nipc_sem *volatile left_in_place;

static int sem_fail(const char *who, nipc_sem *sem)
{
	int rc = fail("%s: %s", who, nipc_sem_error_string(sem));

	nipc_sem_free(sem);
	return rc;
}

static const struct opt sem_opts[] = {KEY_ARG_OPTS, {.name = "hold"}, {NULL}};

int cmd_sem(int argc, char **argv)
{
	struct key_arg ka = {0};
	const char *verb, *num;
	char who[32];
	int hold, mode, creating;
	unsigned long long n = 1;
	struct cmdline c = {.who = who, .see = "nipc sem --help", .opts = sem_opts,
			    .max_pos = 2, .flags = CL_ONCE};

	if (argc < 2)
		return usage_error("sem: missing subcommand\n%s", usage_text);
	verb = argv[1];
	snprintf(who, sizeof who, "sem %s", verb);
	if (!is_help(verb) && strcmp(verb, "create") && strcmp(verb, "acquire") &&
	    strcmp(verb, "release"))
		return usage_error("sem: unknown subcommand '%s' (create, acquire, release)", verb);
	int prc = is_help(verb) ? CL_HELP : parse_cmdline(&c, argc - 1, argv + 1);
	if (prc == CL_HELP) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (prc)
		return prc;
	creating = !strcmp(verb, "create");
	hold = c.seen[2];
	key_arg_take(&ka, &c, 1);
	num = c.npos ? c.pos[0] : NULL;
	if (creating && !num)
		return usage_error("%s: missing INITIAL value", who);
	if (num && parse_num(num, creating ? 0 : 1, INT_MAX, &n) < 0)
		return usage_error("%s: %s must be a number in %d..%d, not '%s'", who,
				   creating ? "INITIAL" : "N", creating ? 0 : 1, INT_MAX, num);

	nipc_key *key;
	int rc = key_arg_make(&ka, NIPC_KIND_SEM, who, &key);
	if (rc != EXIT_OK)
		return rc;
	nipc_sem *sem = NULL;
	mode = creating ? NIPC_SEM_CREATE : NIPC_SEM_OPEN;
	int err = nipc_sem_new(&sem, key, creating ? (int)n : 0, mode);
	nipc_key_free(key);
	if (err == -NIPC_EINVAL || err == -NIPC_ENOMEM || !sem)
		return fail("%s: %s", who, nipc_strerror(err));
	if (err < 0 || nipc_sem_error(sem))
		return sem_fail(who, sem);

	if (creating) {
		if (!hold) {
			left_in_place = sem;
			return EXIT_OK;
		}
		catch_stop_signals();
		puts("created");
		flush_stdout();
		wait_line_or_signal();
	} else {
		if (!strcmp(verb, "acquire")) {
			for (unsigned long long i = 0; i < n; i++)
				if (nipc_sem_acquire(sem) < 0)
					return sem_fail(who, sem);
		} else if (nipc_sem_release(sem, (int)n) < 0) {
			return sem_fail(who, sem);
		}
		if (hold) {
			catch_stop_signals();
			puts(verb[0] == 'a' ? "acquired" : "released");
			flush_stdout();
			wait_line_or_signal();
		}
	}
	nipc_sem_free(sem);
	return EXIT_OK;
}
