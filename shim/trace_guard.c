/* SPDX-License-Identifier: MIT */
/* Line mode's descriptor guard: the shim's trace descriptor (a copy, high
 * and close-on-exec, of NIPC_TRACE_FILE, fd:N or standard error) is not
 * the program's, so the program can neither close it nor make its number
 * one of its own files.
 *
 * The calls that could are interposed: close(2) of that number fails with
 * EBADF, as for any descriptor the program never opened; close_range(2)
 * closes the range around it; dup2(2) and dup3(2) onto it first move the
 * shim's descriptor to another number, wait until no trace line is being
 * written through the old one, and then let the program have the number;
 * duplicating it fails with EBADF. The other way, checking the file by
 * device and inode before each line, costs an fstat(2) per event and
 * still races: a dup2 between the check and the write puts the line in
 * the program's file. Only close and close_range are hooked through
 * their rows in ops.def (the guard takes their places in the table of
 * real functions, so every path to libc passes it); dup2 and dup3 are not
 * traced, and are exported here. */
#include "config.h"

#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static int guard_fd = -1;
static unsigned writers;
static int (*real_close)(int);
static int (*real_close_range)(unsigned, unsigned, int);

static int guarded(void)
{
	return __atomic_load_n(&guard_fd, __ATOMIC_SEQ_CST);
}

static int g_close(int fd)
{
	if (UNLIKELY(fd >= 0 && fd == guarded())) {
		errno = EBADF;
		return -1;
	}
	return real_close(fd);
}

static int g_close_range(unsigned first, unsigned last, int flags)
{
	int g = guarded(), r = 0;

	if (LIKELY(g < 0 || (unsigned)g < first || (unsigned)g > last || first > last ||
		   (flags & CLOSE_RANGE_CLOEXEC)))
		return real_close_range(first, last, flags);
	if ((unsigned)g > first)
		r = real_close_range(first, (unsigned)g - 1, flags);
	if (!r && (unsigned)g < last)
		r = real_close_range((unsigned)g + 1, last, flags);
	return r;
}

void guard_set(int fd)
{
	if (!real_close) {
		real_close = shim_next.close;
		real_close_range = shim_next.close_range;
		__atomic_store_n(&shim_next.close, g_close, __ATOMIC_RELEASE);
		if (real_close_range)
			__atomic_store_n(&shim_next.close_range, g_close_range, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&guard_fd, fd, __ATOMIC_SEQ_CST);
}

int guard_close_own(int fd)
{
	return real_close ? real_close(fd) : (int)syscall(SYS_close, fd);
}

int guard_write_begin(void)
{
	__atomic_add_fetch(&writers, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&shim_policy.fd, __ATOMIC_SEQ_CST);
}

void guard_write_end(void)
{
	__atomic_sub_fetch(&writers, 1, __ATOMIC_RELEASE);
}

/* The program wants the number of the shim's descriptor: the shim moves
 * its own out of the way, and lets no trace line go to the old number. */
static void move_away(int g)
{
	int e = errno, d = fcntl(g, F_DUPFD_CLOEXEC, g + 1);

	/* no number left (-1): the next line fails with EBADF and tracing
	 * stops, rather than write into the program's file */
	__atomic_store_n(&shim_policy.fd, d, __ATOMIC_SEQ_CST);
	__atomic_store_n(&guard_fd, d, __ATOMIC_SEQ_CST);
	/* bounded: a signal handler of a thread that is writing a line may
	 * be the one calling dup2 */
	for (int i = 0; i < 100000 && __atomic_load_n(&writers, __ATOMIC_SEQ_CST); i++)
		sched_yield();
	errno = e;
}

static int dup_into(int oldfd, int newfd, int flags, int three)
{
	int g = guarded();

	if (UNLIKELY(g >= 0 && (oldfd == g || newfd == g))) {
		if (oldfd == g) {
			errno = EBADF;
			return -1;
		}
		if (oldfd != newfd)
			move_away(g);
	}
	if (!three && oldfd == newfd)
		return fcntl(oldfd, F_GETFD) < 0 ? -1 : newfd;
	return (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

EXPORT int dup2(int oldfd, int newfd)
{
	return dup_into(oldfd, newfd, 0, 0);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return dup_into(oldfd, newfd, flags, 1);
}
