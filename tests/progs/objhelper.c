/* SPDX-License-Identifier: MIT */
/* objhelper TYPE NATIVE [LEGACY]: one nipc_shm and one nipc_sem on a key,
 * driven by commands on stdin, one reply line each ("ok [value]" or
 * "err CODE TEXT"), for the multi-process tests of shared memory and
 * semaphores. NIPC_TEST_FAULT=POINT[:N] (or the command "fault POINT[:N]")
 * kills it with SIGKILL at the N-th hit of the library's fault point POINT
 * (lib/internal.h), for the crash-window tests. */
#include "config.h"

#include "internal.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>

static nipc_shm *shm;
static nipc_sem *sem;
static nipc_key *key;

static char fault_point[64];
static long fault_left;

static void fault_hook(const char *point)
{
	if (fault_left > 0 && !strcmp(point, fault_point) && --fault_left == 0)
		raise(SIGKILL);
}

/* POINT[:N], N >= 1 (default 1); 0 or -1. */
static int fault_arm(const char *spec)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	long hits = colon ? strtol(colon + 1, NULL, 10) : 1;

	if (!n || n >= sizeof fault_point || hits < 1)
		return -1;
	memcpy(fault_point, spec, n);
	fault_point[n] = '\0';
	fault_left = hits;
	nipc__fault_hook = fault_hook;
	return 0;
}

static void reply_shm(int r)
{
	if (r < 0)
		printf("err %d %s\n", nipc_shm_error(shm), nipc_shm_error_string(shm));
	else
		printf("ok\n");
}

static void reply_sem(int r)
{
	if (r < 0)
		printf("err %d %s\n", sem ? (int)nipc_sem_error(sem) : -1,
		       sem ? nipc_sem_error_string(sem) : "no semaphore");
	else
		printf("ok\n");
}

/* Adds 1 to the counter at offset 0 n times under the lock, with a yield
 * between read and write so that a broken lock loses updates. */
static int increment(long n)
{
	volatile uint32_t *c = nipc_shm_data(shm);

	if (!c)
		return -1;
	for (long i = 0; i < n; i++) {
		if (nipc_shm_lock(shm) < 0)
			return -1;
		uint32_t v = *c;
		sched_yield();
		*c = v + 1;
		if (nipc_shm_unlock(shm) < 0)
			return -1;
	}
	return 0;
}

/* Qt's create-or-attach idiom; "ok created" or "ok attached". */
static void create_or_attach(long size)
{
	if (nipc_shm_create(shm, (size_t)size, NIPC_SHM_READWRITE) == 0)
		printf("ok created\n");
	else if (nipc_shm_error(shm) != NIPC_SHM_ERR_ALREADY_EXISTS)
		reply_shm(-1);
	else if (nipc_shm_attach(shm, NIPC_SHM_READWRITE) == 0)
		printf("ok attached\n");
	else
		reply_shm(-1);
}

/* Qt's recovery idiom: a create that fails with AlreadyExists, attach,
 * detach; with nothing there, what create made is detached again. */
static void recover(void)
{
	int made = nipc_shm_create(shm, 64, NIPC_SHM_READWRITE) == 0;

	if (!made && nipc_shm_error(shm) != NIPC_SHM_ERR_ALREADY_EXISTS)
		reply_shm(-1);
	else if (!made && nipc_shm_attach(shm, NIPC_SHM_READWRITE) < 0)
		reply_shm(-1);
	else if (nipc_shm_detach(shm) < 0)
		reply_shm(-1);
	else
		printf("ok %s\n", made ? "created" : "attached");
}

/* The verbs that are one call, on the segment or on the semaphore, given
 * the command's number where the call takes one. */
static const struct {
	const char *verb;
	int (*shm)(nipc_shm *);
	int (*shm_n)(nipc_shm *, int);
	int (*sem)(nipc_sem *);
	int (*sem_n)(nipc_sem *, int);
} calls[] = {
	{"detach", .shm = nipc_shm_detach},
	{"lock", .shm = nipc_shm_lock},
	{"unlock", .shm = nipc_shm_unlock},
	{"locktimeout", .shm_n = nipc_shm_lock_timeout},
	{"cleanup", .shm_n = nipc_shm_set_cleanup},
	{"acquire", .sem = nipc_sem_acquire},
	{"acquiretimeout", .sem_n = nipc_sem_acquire_timeout},
	{"undo", .sem_n = nipc_sem_set_undo},
	{"release", .sem_n = nipc_sem_release},
};

/* 1 if verb was one of the one-call verbs (then it has been replied to). */
static int one_call(const char *verb, int n)
{
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		if (strcmp(verb, calls[i].verb))
			continue;
		if (calls[i].shm)
			reply_shm(calls[i].shm(shm));
		else if (calls[i].shm_n)
			reply_shm(calls[i].shm_n(shm, n));
		else if (calls[i].sem)
			reply_sem(calls[i].sem(sem));
		else
			reply_sem(calls[i].sem_n(sem, n));
		return 1;
	}
	return 0;
}

static void command(char *line)
{
	char verb[32] = "", arg[32] = "";
	long a = 0, b = 0;

	sscanf(line, "%31s %31s", verb, arg);
	a = strtol(arg, NULL, 0);
	if (one_call(verb, (int)a))
		return;
	if (!strcmp(verb, "create"))
		reply_shm(nipc_shm_create(shm, (size_t)a, NIPC_SHM_READWRITE));
	else if (!strcmp(verb, "open"))
		create_or_attach(a);
	else if (!strcmp(verb, "recover"))
		recover();
	else if (!strcmp(verb, "fault"))
		puts(fault_arm(arg) < 0 ? "err -1 bad fault spec" : "ok");
	else if (!strcmp(verb, "attach"))
		reply_shm(nipc_shm_attach(shm, strcmp(arg, "ro") ? NIPC_SHM_READWRITE
								    : NIPC_SHM_READONLY));
	else if (!strcmp(verb, "size"))
		printf("ok %zu\n", nipc_shm_size(shm));
	else if (!strcmp(verb, "write")) {
		sscanf(line, "%*s %ld %ld", &a, &b);
		/* a read-only mapping must kill us with SIGSEGV, sanitizers or not */
		signal(SIGSEGV, SIG_DFL);
		((volatile unsigned char *)nipc_shm_data(shm))[a] = (unsigned char)b;
		printf("ok\n");
	} else if (!strcmp(verb, "read"))
		printf("ok %u\n", ((volatile unsigned char *)nipc_shm_data(shm))[a]);
	else if (!strcmp(verb, "counter"))
		printf("ok %u\n", *(volatile uint32_t *)nipc_shm_data(shm));
	else if (!strcmp(verb, "inc"))
		reply_shm(increment(a));
	else if (!strcmp(verb, "semopen")) {
		char mode[16] = "";

		sscanf(line, "%*s %ld %15s", &a, mode);
		nipc_sem_free(sem);
		sem = NULL;
		int r = nipc_sem_new(&sem, key, (int)a,
				     strcmp(mode, "create") ? NIPC_SEM_OPEN : NIPC_SEM_CREATE);
		reply_sem(r < 0 || nipc_sem_error(sem) ? -1 : 0);
	} else if (!strcmp(verb, "semfree")) {
		nipc_sem_free(sem);
		sem = NULL;
		printf("ok\n");
	} else if (!strcmp(verb, "kill"))
		raise(SIGKILL);
	else
		printf("err -1 unknown command %s\n", verb);
}

int main(int argc, char **argv)
{
	char line[256];

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: objhelper TYPE NATIVE [LEGACY]\n");
		return 2;
	}
	if (nipc_key_new(&key, atoi(argv[1]), argv[2]) < 0 ||
	    (argc == 4 && nipc_key_set_legacy(key, argv[3]) < 0) || nipc_shm_new(&shm, key) < 0) {
		fprintf(stderr, "objhelper: bad key\n");
		return 2;
	}
	if (getenv("NIPC_TEST_FAULT") && fault_arm(getenv("NIPC_TEST_FAULT")) < 0) {
		fprintf(stderr, "objhelper: bad NIPC_TEST_FAULT\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "exit"))
			break;
		command(line);
	}
	nipc_sem_free(sem);
	nipc_shm_free(shm);
	nipc_key_free(key);
	return 0;
}
