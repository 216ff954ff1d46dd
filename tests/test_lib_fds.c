/* SPDX-License-Identifier: MIT */
/* libnipc in a process whose fds 0, 1 and 2 are closed: the library must
 * never keep a descriptor below 3, or the program's next stdio call reads
 * or writes it (a POSIX lock's sem_t as stdout). A child closes the three,
 * creates, locks, attaches, detaches a segment and opens a semaphore, and
 * after each step reports every descriptor below 3 it finds open in
 * /proc/self/fd (it opens nothing itself) over a pipe to the test. */
#include "config.h"

#include "nipc.h"
#include "tlib.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int report_fd = -1;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char line[PATH_MAX + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	(void)!write(report_fd, line, (size_t)n);
}

/* What each of fds 0-2 was after the last step ("" if closed). */
static char seen[3][PATH_MAX];

/* Reports each of fds 0-2 that the library took or let go since the last
 * step, with what it is. */
static void low_fds(const char *step)
{
	char link[32], target[PATH_MAX];

	for (int fd = 0; fd < 3; fd++) {
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = 0;
		if (!strcmp(target, seen[fd]))
			continue;
		if (target[0])
			report("held after %s: fd %d -> %s", step, fd, target);
		else
			report("let go at %s: fd %d", step, fd);
		memcpy(seen[fd], target, sizeof target);
	}
}

#define STEP(call, step) \
	do { \
		int r_ = (call); \
		if (r_ < 0) { \
			report("err %s: %d", step, r_); \
			return; \
		} \
		low_fds(step); \
	} while (0)

static void shm_steps(const nipc_key *key)
{
	nipc_shm *a = NULL, *b = NULL;

	STEP(nipc_shm_new(&a, key), "shm new");
	STEP(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), "create");
	STEP(nipc_shm_lock(a), "lock");
	STEP(nipc_shm_unlock(a), "unlock");
	STEP(nipc_shm_new(&b, key), "second handle");
	STEP(nipc_shm_attach(b, NIPC_SHM_READWRITE), "attach");
	STEP(nipc_shm_lock(b), "lock (attached handle)");
	STEP(nipc_shm_unlock(b), "unlock (attached handle)");
	STEP(nipc_shm_detach(b), "detach");
	nipc_shm_free(b);
	low_fds("free");
	STEP(nipc_shm_detach(a), "last detach");
	nipc_shm_free(a);
	low_fds("last free");
}

/* nipc_sem_new's result, or the error it left in *s. */
static int sem_made(int r, nipc_sem *s)
{
	return r < 0 ? r : s && nipc_sem_error(s) ? -1 : 0;
}

static void sem_steps(const nipc_key *key)
{
	nipc_sem *s = NULL, *o = NULL;

	STEP(sem_made(nipc_sem_new(&s, key, 1, NIPC_SEM_CREATE), s), "sem create");
	STEP(nipc_sem_acquire(s), "sem acquire");
	STEP(nipc_sem_release(s, 1), "sem release");
	STEP(sem_made(nipc_sem_new(&o, key, 0, NIPC_SEM_OPEN), o), "sem open");
	STEP(nipc_sem_acquire(o), "sem acquire (opened)");
	STEP(nipc_sem_release(o, 1), "sem release (opened)");
	nipc_sem_free(o);
	nipc_sem_free(s);
	low_fds("sem free");
}

/* Runs both scenarios in a child with fds 0-2 closed; returns its report
 * (NUL-terminated) in buf. */
static void run_closed(int type, char *buf, size_t size)
{
	nipc_key *shm_key = tl_key(type), *sem_key = tl_key(type);
	int p[2], st;
	size_t len = 0;
	pid_t pid;

	assert_non_null(shm_key);
	assert_non_null(sem_key);
	/* fds 0-2 are open here, so the pipe's ends are above them */
	assert_int_equal(pipe(p), 0);
	assert_true(p[0] > 2 && p[1] > 2);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		close(0);
		close(1);
		close(2);
		low_fds("start");
		shm_steps(shm_key);
		sem_steps(sem_key);
		report("done");
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = {p[0], POLLIN, 0};
		int r = poll(&pfd, 1, 20000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t n = read(p[0], buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(p[0]);
	if (waitpid(pid, &st, WNOHANG) == 0)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	tl_ledger_note();
	nipc_key_free(shm_key);
	nipc_key_free(sem_key);
}

/* Both backends in one test. */
static void no_low_fds(void **state)
{
	static const struct {
		const char *name;
		int type;
	} backends[] = {{"posix", NIPC_KEY_POSIX}, {"systemv", NIPC_KEY_SYSTEMV}};
	char buf[8192];
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		run_closed(backends[i].type, buf, sizeof buf);
		if (strstr(buf, "held ") || strstr(buf, "err ") || !strstr(buf, "done\n")) {
			print_error("%s, with fds 0-2 closed:\n%s", backends[i].name, buf);
			bad = 1;
		}
	}
	if (bad)
		fail_msg("the library kept a descriptor below 3 (above)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_low_fds),
	};

	alarm(120); /* a deadlock fails the run instead of hanging it */
	return TL_MAIN("lib_fds", tests, NULL, NULL);
}
