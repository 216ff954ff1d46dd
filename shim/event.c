/* SPDX-License-Identifier: MIT */
/* Event capture: the time, the thread, the arguments, and fault-safe copies
 * of the caller's memory that a failed call may not have read; then the
 * formatter and the sink. Nothing here allocates or takes a lock. */
#include "config.h"

#include "shim.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

SHIM_HOT_DATA pid_t shim_pid_cache;

void event_after_fork(void)
{
	shim_tls()->tid = 0;
	__atomic_store_n(&shim_pid_cache, (pid_t)syscall(SYS_getpid), __ATOMIC_RELAXED);
}

void event_note_pid(void)
{
	__atomic_store_n(&shim_pid_cache, (pid_t)syscall(SYS_getpid), __ATOMIC_RELAXED);
}

/* A vfork child runs no fork handler: its pid is not the cached one. */
int event_in_vfork_child(void)
{
	pid_t cached = __atomic_load_n(&shim_pid_cache, __ATOMIC_RELAXED);

	return cached && cached != (pid_t)syscall(SYS_getpid);
}

__attribute__((noinline, cold)) pid_t event_pid_slow(void)
{
	pid_t p = (pid_t)syscall(SYS_getpid);

	__atomic_store_n(&shim_pid_cache, p, __ATOMIC_RELAXED);
	return p;
}

SHIM_HOT_PRE pid_t event_pid(void)
{
	return ev_pid();
}

__attribute__((noinline, cold)) pid_t event_tid_slow(void)
{
	return shim_tls()->tid = (pid_t)syscall(SYS_gettid);
}

SHIM_HOT_DATA int shim_clock_tsc;

SHIM_HOT uint64_t shim_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ----------------------------------------------------------------- events */

/* Copies up to len bytes of the caller's memory at p without faulting (the
 * kernel checks it): the number copied, 0 if none is readable. */
static size_t peek(const void *p, void *dst, size_t len)
{
	struct iovec local = {dst, len}, remote = {(void *)p, len};
	ssize_t n = process_vm_readv((pid_t)syscall(SYS_getpid), &local, 1, &remote, 1, 0);

	return n > 0 ? (size_t)n : 0;
}

/* The most operations a semop may pass (IPC_INFO's semopm), looked up
 * once; 0 when unknown. */
static size_t sem_opm(void)
{
	static int opm; /* 0: not looked up, -1: unknown */
	int v = __atomic_load_n(&opm, __ATOMIC_RELAXED);

	if (!v) {
		struct seminfo si;
		union nipc_semun a = {.info = &si};

		v = REAL(semctl)(0, 0, IPC_INFO, a) < 0 || si.semopm <= 0 ? -1 : si.semopm;
		__atomic_store_n(&opm, v, __ATOMIC_RELAXED);
	}
	return v > 0 ? (size_t)v : 0;
}

/* Whether a failed semop's operations may be shown, using tmp (len bytes)
 * as scratch. The kernel reads none of them when their number is beyond
 * its limit (the caller's array may be shorter than nsops says); an
 * EFAULT may come from the array running into unreadable memory, or from
 * the timeout: the whole array must then be readable. */
static int sops_showable(const struct shim_arg *a, int err, void *tmp, size_t len)
{
	size_t total, off;

	if (err == E2BIG || a->n > sem_opm())
		return 0;
	if (err != EFAULT)
		return 1;
	total = a->n * sizeof(struct sembuf);
	if (total > 65536 || !len)
		return 0;
	for (off = 0; off < total; off += len) {
		size_t want = total - off < len ? total - off : len;

		if (peek((const unsigned char *)a->p + off, tmp, want) != want)
			return 0;
	}
	return 1;
}

/* A successful call has read its timespec, or at least its tv_nsec (glibc
 * checks it before a semaphore's fast path): readable as a whole unless it
 * crosses into another page. */
static int ts_may_cross(const struct timespec *ts)
{
	return ((uintptr_t)ts & 4095) > 4096 - sizeof *ts;
}

/* One argument's copy, if it needs one (secure_args). */
static __attribute__((noinline, cold)) void secure_arg(struct shim_event *e, struct shim_arg *a)
{
	unsigned char *dst;
	size_t room, want, got;

	e->scratch_used = (e->scratch_used + 15) & ~(size_t)15;
	dst = e->scratch + e->scratch_used;
	room = sizeof e->scratch - e->scratch_used;
	if (a->kind == A_SOPS && a->p && e->failed && !sops_showable(a, e->err, dst, room)) {
		a->kind = A_PTR;
		return;
	}
	if (!a->p || !((a->kind == A_TS && (e->failed || ts_may_cross(a->ts))) ||
		       (e->failed && (a->kind == A_STR || a->kind == A_SOPS ||
				      a->kind == A_MQATTR || a->kind == A_SIGEV))))
		return;
	want = a->kind == A_TS ? sizeof(struct timespec)
	     : a->kind == A_MQATTR ? sizeof(struct mq_attr)
	     : a->kind == A_SIGEV ? sizeof(struct sigevent)
	     : a->kind == A_SOPS ? (a->n < SHIM_SOPS_SHOWN ? a->n : SHIM_SOPS_SHOWN) * sizeof(struct sembuf)
	     : SHIM_STR_MAX + 1;
	if (want > room)
		want = room;
	got = want ? peek(a->p, dst, want) : 0;
	if (a->kind == A_STR && got) {
		/* a string may end before unreadable memory; keep what was read */
		if (!memchr(dst, 0, got)) {
			if (got == room)
				got--;
			dst[got++] = 0;
		}
	} else if (got < want) {
		got = 0;
	}
	if (!got && want) {
		a->kind = A_PTR;
		return;
	}
	a->p = dst;
	e->scratch_used += got;
}

/* A failed call may have failed on a bad pointer (EFAULT, or before libc
 * looked at it), and a successful sem_timedwait need not read its
 * deadline: such memory is copied with peek() into the event, and shown
 * as a bare pointer when unreadable. Memory a successful call has read is
 * read directly: no system call on a success path. */
SHIM_HOT static void secure_args(struct shim_event *e)
{
	e->scratch_used = 0;
	for (int i = 0; i < e->nargs; i++)
		if (UNLIKELY(e->failed || e->arg[i].kind == A_TS))
			secure_arg(e, &e->arg[i]);
}

/* The call's end, before its naming (a key search must not count in its
 * time): in ring mode marked first, so a thread preempted from here on is
 * waited for by the reader. Never 0 (ev_end's test). */
SHIM_HOT void ev_stop(struct shim_event *e)
{
	if (shim_policy.sink == SINK_RING)
		ring_end(e->t0);
	e->dur = ev_clock() - e->t0 + 1;
}

/* A text line or a syslog message: its buffer is on this frame only, so
 * that the ring's path keeps a shallow stack. */
static __attribute__((noinline)) int ev_line(struct shim_event *e)
{
	char line[SHIM_LINE_MAX];
	struct out o = {line, 0, sizeof line - 1};

	ev_key_finish(e);
	if (shim_policy.sink == SINK_SYSLOG) {
		format_event(&o, e, 0, NULL);
		line[o.n] = 0;
		sink_syslog(line);
		return 0;
	}
	format_event(&o, e, shim_policy.json,
		     &(struct fmt_prefix){.utc_offset = shim_policy.utc_offset,
					  .tid = shim_policy.tid});
	fmt_end_line(&o);
	return sink_line(line, o.n);
}

SHIM_HOT int ev_end(struct shim_event *e, int failed, int err)
{
	int lost = 0;

	if (!e->dur)
		ev_stop(e);
	e->failed = failed;
	e->err = err;
	secure_args(e);
	if (shim_policy.sink == SINK_RING) {
		ring_put(e);
	} else {
		lost = ev_line(e);
	}
	*shim_errno() = err;
	return lost;
}
