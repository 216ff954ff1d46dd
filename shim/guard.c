/* SPDX-License-Identifier: MIT */
/* The shim's own descriptors of the objects cleanup.c watches for their
 * last detach: high, close-on-exec, and kept from the program's close and
 * close_range (hooks.c asks here before either goes through). A number is
 * never trusted alone: a descriptor is the shim's only while it still
 * names the file it was taken for (device and inode), since the program
 * can replace it (dup2) or close it unseen (the close_range system call).
 * Calls no interposed function: the hooks reach it. */
#include "config.h"

#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>

#define GUARD_MAX 64
#define GUARD_FD_MIN 600

static struct {
	int fd;
	uint64_t dev, ino;
} guard[GUARD_MAX];
static int nguard;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
/* the range of the numbers ever taken, for the hooks' fast test */
static int guard_lo = INT_MAX, guard_hi = -1;

static int same_file(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) && (uint64_t)st.st_dev == dev &&
	       (uint64_t)st.st_ino == ino;
}

/* The slot of fd while it is still the shim's, else -1 (lock held). */
static int slot_of(int fd)
{
	for (int i = 0; i < nguard; i++)
		if (guard[i].fd == fd)
			return same_file(fd, guard[i].dev, guard[i].ino) ? i : -1;
	return -1;
}

static void forget(int i)
{
	guard[i] = guard[--nguard];
}

int shim_guard_take(int fd)
{
	struct stat st;
	int hi;

	if (fstat(fd, &st))
		return -1;
	pthread_mutex_lock(&guard_lock);
	/* numbers the program took over are forgotten, not closed */
	for (int i = 0; i < nguard; i++)
		if (!same_file(guard[i].fd, guard[i].dev, guard[i].ino))
			forget(i--);
	hi = nguard < GUARD_MAX ? fcntl(fd, F_DUPFD_CLOEXEC, GUARD_FD_MIN) : -1;
	if (hi >= 0) {
		guard[nguard].fd = hi;
		guard[nguard].dev = (uint64_t)st.st_dev;
		guard[nguard].ino = (uint64_t)st.st_ino;
		nguard++;
		if (hi < guard_lo)
			__atomic_store_n(&guard_lo, hi, __ATOMIC_RELAXED);
		if (hi > guard_hi)
			__atomic_store_n(&guard_hi, hi, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&guard_lock);
	return hi;
}

void shim_guard_drop(int fd)
{
	int i;

	if (fd < 0)
		return;
	pthread_mutex_lock(&guard_lock);
	i = slot_of(fd);
	if (i >= 0) {
		shim_next.close(fd);
		forget(i);
	} else {
		for (i = 0; i < nguard; i++)
			if (guard[i].fd == fd)
				forget(i--);
	}
	pthread_mutex_unlock(&guard_lock);
}

int shim_guard_is(int fd)
{
	int r;

	if (fd < __atomic_load_n(&guard_lo, __ATOMIC_RELAXED) ||
	    fd > __atomic_load_n(&guard_hi, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&guard_lock);
	r = slot_of(fd) >= 0;
	pthread_mutex_unlock(&guard_lock);
	return r;
}

int shim_guard_in(unsigned first, unsigned last)
{
	int lo = __atomic_load_n(&guard_lo, __ATOMIC_RELAXED);
	int hi = __atomic_load_n(&guard_hi, __ATOMIC_RELAXED);

	return hi >= 0 && (unsigned)hi >= first && (unsigned)lo <= last;
}

int shim_guard_close_range(unsigned first, unsigned last, int flags)
{
	unsigned lo = first;
	int r = 0;

	pthread_mutex_lock(&guard_lock);
	for (int fd = GUARD_FD_MIN; r == 0 && fd <= guard_hi; fd++) {
		if ((unsigned)fd < lo || (unsigned)fd > last || slot_of(fd) < 0)
			continue;
		if ((unsigned)fd > lo)
			r = shim_next.close_range(lo, (unsigned)fd - 1, flags);
		lo = (unsigned)fd + 1;
	}
	if (r == 0 && lo <= last)
		r = shim_next.close_range(lo, last, flags);
	pthread_mutex_unlock(&guard_lock);
	return r;
}
