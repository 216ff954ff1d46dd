/* SPDX-License-Identifier: MIT */
/* The backends seen from outside: the run-time probes (which must make no
 * object, and answer 0 where System V IPC is forbidden), and the stat and
 * list of objects, checked field by field against /proc/sysvipc, /dev/shm
 * and processes that attach. */
#include "config.h"

#include "objutil.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* ------------------------------------------------------------------ probes */

/* Makes the listed system calls fail with errno e in this process, for
 * good (a seccomp filter). 0 or -1. */
static int forbid(const long *nrs, int n, int e)
{
	struct sock_filter f[32];
	struct sock_fprog prog = {0};
	int len = 0;

	f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++)
		f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							(unsigned)nrs[i], (unsigned char)(n - i), 0);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						SECCOMP_RET_ERRNO | ((unsigned)e & SECCOMP_RET_DATA));
	prog.len = (unsigned short)len;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The probes' answers (System V shm, sem, POSIX shm, sem: bits 0..3) in a
 * child with the calls nrs failing with errno e; -1 if the filter could
 * not be installed. */
static int probes_without(const long *nrs, int n, int e)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (forbid(nrs, n, e) < 0)
			_exit(255);
		_exit(nipc_shm_key_type_supported(NIPC_KEY_SYSTEMV) |
		      nipc_sem_key_type_supported(NIPC_KEY_SYSTEMV) << 1 |
		      nipc_shm_key_type_supported(NIPC_KEY_POSIX) << 2 |
		      nipc_sem_key_type_supported(NIPC_KEY_POSIX) << 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

/* System V IPC forbidden (seccomp, as in some containers) or compiled out:
 * System V answers 0, POSIX is not concerned. */
static void probe_sysv_forbidden(void **state)
{
	static const long nrs[] = {
		SYS_shmget, SYS_shmctl, SYS_shmat, SYS_semget, SYS_semctl, SYS_semop,
#ifdef SYS_ipc
		SYS_ipc,
#endif
	};
	int n = (int)(sizeof nrs / sizeof nrs[0]);
	int r;

	(void)state;
	if ((r = probes_without(nrs, n, ENOSYS)) < 0)
		skip();
	assert_int_equal(r, 4 | 8);
	assert_int_equal(probes_without(nrs, n, EPERM), 4 | 8);
}

/* The probes make no object: with shmget and semget failing, they still
 * answer 1 (a probe that made a private segment would answer 0). */
static void probe_makes_nothing(void **state)
{
	static const long nrs[] = {SYS_shmget, SYS_semget};
	int r;

	(void)state;
	if ((r = probes_without(nrs, 2, EPERM)) < 0)
		skip();
	assert_int_equal(r, 1 | 2 | 4 | 8);
}

static int setup(void **state)
{
	(void)state;
	return obj_setup();
}

static int teardown(void **state)
{
	(void)state;
	obj_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_sysv_forbidden),
		cmocka_unit_test(probe_makes_nothing),
	};

	alarm(300); /* a deadlock fails the run instead of hanging it */
	return cmocka_run_group_tests_name("stat", tests, setup, teardown);
}
