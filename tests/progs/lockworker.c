/* SPDX-License-Identifier: MIT */
/* lockworker TYPE NATIVE [LEGACY] --idiom IDIOM --count N [--size S]:
 * N increments of the uint32 counter at offset 0 of a segment, each under
 * nipc_shm_lock/unlock with a sched_yield() between read and write, so that
 * a lock that does not exclude loses updates. IDIOM is how a program gets
 * at the segment:
 *   attach-once  attach, N increments, detach
 *   coa-once     create-or-attach (create; on AlreadyExists attach), N
 *                increments, detach
 *   coa-every    per increment: new handle, create-or-attach, lock,
 *                increment, unlock, detach, free
 * Prints "ready" once set up and starts at a line on stdin (EOF: quits
 * without incrementing), so that every worker really overlaps. Then prints
 * "done INCREMENTS ERRORS"; errors are counted and the work goes on (an
 * increment whose lock failed is skipped), the first one is printed on
 * stderr. Exit: 0 no error, 1 errors, 2 usage, 3 setup failed, 4 no start. */
#include "config.h"

#include "nipc.h"

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum idiom { ATTACH_ONCE, COA_ONCE, COA_EVERY };

static nipc_key *key;
static size_t size = 64;
static long incs, errs;

static void error(const nipc_shm *shm, const char *what, long i)
{
	if (!errs++)
		fprintf(stderr, "lockworker %ld: %s (increment %ld): %s\n", (long)getpid(), what, i,
			shm ? nipc_shm_error_string(shm) : "out of memory");
}

static int create_or_attach(nipc_shm *shm)
{
	int r = nipc_shm_create(shm, size, NIPC_SHM_READWRITE);

	if (r == -NIPC_EEXIST)
		r = nipc_shm_attach(shm, NIPC_SHM_READWRITE);
	return r;
}

static void increment(nipc_shm *shm, long i)
{
	volatile uint32_t *c = nipc_shm_data(shm);

	if (nipc_shm_lock(shm) < 0) {
		error(shm, "lock", i);
		return;
	}
	uint32_t v = *c;
	sched_yield();
	*c = v + 1;
	incs++;
	if (nipc_shm_unlock(shm) < 0)
		error(shm, "unlock", i);
}

static void every(long n)
{
	for (long i = 0; i < n; i++) {
		nipc_shm *shm;

		if (nipc_shm_new(&shm, key) < 0) {
			error(NULL, "new", i);
			continue;
		}
		if (create_or_attach(shm) < 0)
			error(shm, "create-or-attach", i);
		else {
			increment(shm, i);
			if (nipc_shm_detach(shm) < 0)
				error(shm, "detach", i);
		}
		nipc_shm_free(shm);
	}
}

static int wait_go(void)
{
	char line[16];

	printf("ready\n");
	fflush(stdout);
	return fgets(line, sizeof line, stdin) != NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: lockworker TYPE NATIVE [LEGACY] --idiom attach-once|coa-once|"
			"coa-every --count N [--size S]\n");
	return 2;
}

static int parse(int argc, char **argv, enum idiom *idiom, long *n)
{
	static const char *const names[] = {"attach-once", "coa-once", "coa-every"};
	int i = 3, found = 0;

	if (argc < 3)
		return -1;
	if (argc > 3 && argv[3][0] != '-')
		i = 4;
	if (nipc_key_new(&key, atoi(argv[1]), argv[2]) < 0 ||
	    (i == 4 && nipc_key_set_legacy(key, argv[3]) < 0))
		return -1;
	*n = -1;
	for (; i + 1 < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];

		if (!strcmp(opt, "--idiom")) {
			for (int k = 0; k < 3; k++)
				if (!strcmp(val, names[k])) {
					*idiom = (enum idiom)k;
					found = 1;
				}
		} else if (!strcmp(opt, "--count"))
			*n = strtol(val, NULL, 10);
		else if (!strcmp(opt, "--size"))
			size = (size_t)strtoul(val, NULL, 10);
		else
			return -1;
	}
	return i == argc && found && *n >= 0 && size >= sizeof(uint32_t) ? 0 : -1;
}

int main(int argc, char **argv)
{
	nipc_shm *shm = NULL;
	enum idiom idiom = ATTACH_ONCE;
	long n;
	int r = 0;

	if (parse(argc, argv, &idiom, &n) < 0)
		return usage();
	if (idiom != COA_EVERY) {
		if (nipc_shm_new(&shm, key) < 0)
			return 3;
		r = idiom == COA_ONCE ? create_or_attach(shm)
				      : nipc_shm_attach(shm, NIPC_SHM_READWRITE);
		if (r < 0) {
			fprintf(stderr, "lockworker: %s\n", nipc_shm_error_string(shm));
			return 3;
		}
	}
	if (!wait_go()) {
		nipc_shm_free(shm);
		return 4;
	}
	if (idiom == COA_EVERY)
		every(n);
	else {
		for (long i = 0; i < n; i++)
			increment(shm, i);
		if (nipc_shm_detach(shm) < 0)
			error(shm, "detach", n);
		nipc_shm_free(shm);
	}
	printf("done %ld %ld\n", incs, errs);
	if (errs > 1)
		fprintf(stderr, "lockworker %ld: %ld errors in all\n", (long)getpid(), errs);
	nipc_key_free(key);
	return errs ? 1 : 0;
}
