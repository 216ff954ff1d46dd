/* SPDX-License-Identifier: MIT */
/* System V shared memory emulated on POSIX (shim/emul_sysv.c): the same
 * case program against the kernel and under NIPC_RULES backend=posix
 * gives the same lines; no System V call reaches the kernel; a process
 * killed while holding the registry lock leaves a usable registry; a
 * routed call fails closed when the registry cannot be reached. Every run
 * uses its own emulation namespace, removed (registry included) at the
 * end, and its own keys. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char shim[PATH_MAX], prog[PATH_MAX], rules[PATH_MAX], ns[64];
static char out[65536], err[65536];
static key_t key0;
static int counter;

/* ------------------------------------------------------------ helpers */

static const char *builddir(void)
{
	const char *b = getenv("NIPC_TOP_BUILDDIR");

	return b && *b ? b : ".";
}

/* A fresh key range of 16 keys for this process. */
static key_t next_keys(void)
{
	return key0 + (key_t)(16 * counter++);
}

static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
	}
	buf[n] = 0;
}

/* Runs argv with stdout in out and stderr in err; under the shim with
 * the rules and namespace when emul, with extra (NAME=VALUE or NULL)
 * added. Returns the wait status. */
static int run(int emul, const char *extra, const char *const *argv)
{
	int po[2], pe[2], st;
	pid_t pid;

	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char pre[2 * PATH_MAX], rl[PATH_MAX + 16], nsv[96];
		char *env[512];
		int n = 0;

		for (char **e = environ; *e && n < 500; e++)
			if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "NIPC_", 5))
				env[n++] = *e;
		/* first: getenv takes the first of two same names */
		if (extra)
			env[n++] = (char *)extra;
		if (emul) {
#ifdef NIPC_ASAN_RUNTIME
			snprintf(pre, sizeof pre, "LD_PRELOAD=%s:%s", NIPC_ASAN_RUNTIME, shim);
			env[n++] = "ASAN_OPTIONS=detect_leaks=0";
#else
			snprintf(pre, sizeof pre, "LD_PRELOAD=%s", shim);
#endif
			snprintf(rl, sizeof rl, "NIPC_RULES=%s", rules);
			snprintf(nsv, sizeof nsv, "NIPC_NAMESPACE=%s", ns);
			env[n++] = pre;
			env[n++] = rl;
			env[n++] = nsv;
		}
		env[n] = NULL;
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execve(argv[0], (char *const *)argv, env);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	read_all(po[0], out, sizeof out);
	read_all(pe[0], err, sizeof err);
	close(po[0]);
	close(pe[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static int run_one(int emul, const char *extra, const char *what, key_t key)
{
	char k[32];
	const char *argv[] = {prog, what, k, NULL};

	snprintf(k, sizeof k, "%#x", (unsigned)key);
	return run(emul, extra, argv);
}

/* Runs one call of the case program under the emulation; its output
 * must be want. */
static void expect_out(const char *what, key_t key, const char *want)
{
	run_one(1, NULL, what, key);
	assert_string_equal(out, want);
}

/* The backing objects of the namespace (the registry not counted). */
static int leftovers_of(int remove_all, int quiet)
{
	char pre[96];
	struct dirent *d;
	DIR *dir = opendir("/dev/shm");
	int n = 0;

	if (!dir)
		return 0;
	snprintf(pre, sizeof pre, "nipc.sysv.%s.", ns);
	while ((d = readdir(dir))) {
		char path[PATH_MAX];

		if (strncmp(d->d_name, pre, strlen(pre)))
			continue;
		if (strcmp(d->d_name + strlen(pre), "reg")) {
			n++;
			if (!quiet)
				fprintf(stderr, "# left behind: /dev/shm/%s\n", d->d_name);
		}
		if (remove_all) {
			snprintf(path, sizeof path, "/dev/shm/%s", d->d_name);
			unlink(path);
		}
	}
	closedir(dir);
	return n;
}

static int leftovers(int remove_all)
{
	return leftovers_of(remove_all, 0);
}

/* Kernel segments of the key range, removed (a failed kernel run). */
static void kernel_clean(key_t k)
{
	for (int i = 0; i < 16; i++) {
		int id = shmget(k + i, 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	alarm(120);
	snprintf(shim, sizeof shim, "%s/shim/.libs/libnipc-preload.so", builddir());
	snprintf(prog, sizeof prog, "%s/tests/progs/sysv_shm_cases", builddir());
	snprintf(ns, sizeof ns, "t%d", (int)getpid());
	snprintf(rules, sizeof rules, "/tmp/nipc-emul-%d.rules", (int)getpid());
	key0 = (key_t)(0x4e000000 | ((unsigned)getpid() & 0xffff) << 8);
	f = fopen(rules, "w");
	if (!f)
		return -1;
	fprintf(f, "sysv-shm backend=posix\n");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	leftovers(1);
	unlink(rules);
	return 0;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ------------------------------------------------------------ tests */

/* A process under routing rules that makes no System V call leaves no
 * state behind (runs first: the namespace is new). */
static void test_emul_no_state_without_calls(void **state)
{
	char reg[PATH_MAX];
	const char *argv[] = {prog, "none", "0", NULL};
	key_t k = next_keys();

	(void)state;
	snprintf(reg, sizeof reg, "/dev/shm/nipc.sysv.%s.reg", ns);
	run(1, NULL, argv);
	assert_int_equal(access(reg, F_OK), -1);
	expect_out("get", k, "get: ENOENT\n");
	assert_int_equal(access(reg, F_OK), -1);
	expect_out("create", k, "create: ok\n");
	assert_int_equal(access(reg, F_OK), 0);
	expect_out("rm", k, "rm: ok\n");
	assert_int_equal(leftovers(0), 0);
}

/* Every case of sysv_shm_cases gives the kernel's line. */
static void test_emul_diff_cases(void **state)
{
	static char kern[65536];
	key_t k1 = next_keys(), k2 = next_keys();
	int st;

	(void)state;
	st = run_one(0, NULL, "cases", k1);
	kernel_clean(k1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(count_lines(out) >= 70);
	assert_null(strstr(out, "=bad"));
	strcpy(kern, out);
	st = run_one(1, NULL, "cases", k2);
	if (strcmp(kern, out)) {
		fprintf(stderr, "# kernel:\n%s# emulated:\n%s# stderr:\n%s", kern, out, err);
		fail_msg("the emulation differs from the kernel");
	}
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(err, "");
	assert_int_equal(leftovers(0), 0);
}

/* Under the emulation no shm system call reaches the kernel. */
static void test_emul_no_kernel_calls(void **state)
{
	char k[32], tr[PATH_MAX];
	const char *argv[] = {"/usr/bin/strace", "-f", "-qq", "-e", "trace=%ipc", "-o", tr,
			      prog, "cases", k, NULL};
	FILE *f;
	char line[1024];
	int st, calls = 0;

	(void)state;
	if (access(argv[0], X_OK))
		skip();
	snprintf(k, sizeof k, "%#x", (unsigned)next_keys());
	snprintf(tr, sizeof tr, "/tmp/nipc-emul-%d.strace", (int)getpid());
	st = run(1, NULL, argv);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	f = fopen(tr, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, "shmget(") || strstr(line, "shmat(") || strstr(line, "shmdt(") ||
		    strstr(line, "shmctl(")) {
			fprintf(stderr, "# reached the kernel: %s", line);
			calls++;
		}
	fclose(f);
	unlink(tr);
	assert_int_equal(calls, 0);
	assert_true(count_lines(out) >= 70);
	assert_int_equal(leftovers(0), 0);
}

/* Killed after committing a creation and applying part of it, holding
 * the lock: the next process repairs (the segment exists) and goes on. */
static void test_emul_crash_mid_apply(void **state)
{
	key_t k = next_keys();
	int st;

	(void)state;
	st = run_one(1, "NIPC_EMUL_FAULT=mid-apply", "create", k);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	expect_out("get", k, "get: ok\n");
	expect_out("rm", k, "rm: ok\n");
	expect_out("get", k, "get: ENOENT\n");
	assert_int_equal(leftovers(0), 0);
}

/* Killed before the commit, holding the lock, its backing object made:
 * nothing was recorded, the orphan is replaced by the next creator. */
static void test_emul_crash_pre_commit(void **state)
{
	key_t k = next_keys();
	int st;

	(void)state;
	st = run_one(1, "NIPC_EMUL_FAULT=pre-commit", "create", k);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(leftovers_of(0, 1), 1);
	expect_out("get", k, "get: ENOENT\n");
	expect_out("create", k, "create: ok\n");
	expect_out("rm", k, "rm: ok\n");
	assert_int_equal(leftovers(0), 0);
}

/* A routed call that cannot reach the state fails with ENOSYS, and the
 * shim says why once. */
static void test_emul_fail_closed(void **state)
{
	int st;

	(void)state;
	st = run_one(1, "NIPC_NAMESPACE=bad/name", "create", next_keys());
	assert_true(WIFEXITED(st));
	assert_string_equal(out, "create: ENOSYS\n");
	assert_non_null(strstr(err, "System V emulation unavailable"));
	assert_non_null(strstr(err, "ENOSYS"));
}

/* Starts the case program under the shim without waiting for it. */
static pid_t start_one(const char *what, key_t key)
{
	static char k[32], pre[2 * PATH_MAX], rl[PATH_MAX + 16], nsv[96];
	pid_t pid;

	snprintf(k, sizeof k, "%#x", (unsigned)key);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
#ifdef NIPC_ASAN_RUNTIME
		snprintf(pre, sizeof pre, "%s:%s", NIPC_ASAN_RUNTIME, shim);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
#else
		snprintf(pre, sizeof pre, "%s", shim);
#endif
		snprintf(rl, sizeof rl, "%s", rules);
		snprintf(nsv, sizeof nsv, "%s", ns);
		setenv("LD_PRELOAD", pre, 1);
		setenv("NIPC_RULES", rl, 1);
		setenv("NIPC_NAMESPACE", nsv, 1);
		unsetenv("NIPC_TRACE");
		execl(prog, prog, what, k, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* 8 processes attach and detach one segment concurrently, half of them
 * killed at random moments (holding the registry lock or not): the
 * survivors finish, every increment of a finished process is there, and
 * no attachment is left counted. */
static void test_emul_concurrent_kills(void **state)
{
	key_t k = next_keys();
	pid_t pid[8];
	int st, done = 0, count = -1;

	(void)state;
	expect_out("create", k, "create: ok\n");
	for (int i = 0; i < 8; i++)
		pid[i] = start_one("loop", k);
	for (int i = 0; i < 8; i += 2) {
		usleep((useconds_t)(2000 + (rand() % 20000)));
		kill(pid[i], SIGKILL);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		if (WIFEXITED(st)) {
			assert_int_equal(WEXITSTATUS(st), 0);
			done++;
		} else {
			assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		}
	}
	assert_true(done >= 4);
	expect_out("nattch", k, "nattch: 0\n");
	/* the lock still works for everyone */
	run_one(1, NULL, "loop", k);
	assert_int_equal(err[0], 0);
	run_one(1, NULL, "count", k);
	assert_int_equal(sscanf(out, "count: %d", &count), 1);
	assert_true(count >= 200 * (done + 1) && count <= 200 * 9);
	expect_out("rm", k, "rm: ok\n");
	assert_int_equal(leftovers(0), 0);
}

/* Whether a key is a kernel segment now (/proc/sysvipc/shm). */
static int in_kernel(key_t k)
{
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	char line[512];
	long key;
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%ld", &key) == 1 && (key_t)key == k)
			found = 1;
	fclose(f);
	return found;
}

/* Only the keys a rule routes are emulated; the others stay the kernel's. */
static void test_emul_route_by_key(void **state)
{
	char saved[PATH_MAX];
	key_t k = next_keys();
	FILE *f;

	(void)state;
	strcpy(saved, rules);
	snprintf(rules, sizeof rules, "/tmp/nipc-emul-%d-key.rules", (int)getpid());
	f = fopen(rules, "w");
	assert_non_null(f);
	fprintf(f, "sysv-shm 0x%08x backend=posix\nsysv-shm backend=kernel\n", (unsigned)k);
	fclose(f);
	expect_out("create", k, "create: ok\n");
	expect_out("create", k + 1, "create: ok\n");
	assert_false(in_kernel(k));
	assert_true(in_kernel(k + 1));
	assert_int_equal(leftovers_of(0, 1), 1);
	expect_out("rm", k, "rm: ok\n");
	expect_out("rm", k + 1, "rm: ok\n");
	kernel_clean(k);
	unlink(rules);
	strcpy(rules, saved);
	assert_false(in_kernel(k + 1));
	assert_int_equal(leftovers(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emul_no_state_without_calls),
		cmocka_unit_test(test_emul_diff_cases),
		cmocka_unit_test(test_emul_no_kernel_calls),
		cmocka_unit_test(test_emul_crash_mid_apply),
		cmocka_unit_test(test_emul_crash_pre_commit),
		cmocka_unit_test(test_emul_fail_closed),
		cmocka_unit_test(test_emul_route_by_key),
		cmocka_unit_test(test_emul_concurrent_kills),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
