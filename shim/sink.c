/* SPDX-License-Identifier: MIT */
/* Writing trace lines and warnings without harming the host: the shim's
 * descriptors sit above the ones programs use, and a write never raises a
 * signal (SIGPIPE from a pipe without a reader, SIGXFSZ past the file size
 * limit) in the traced program. Everything here is async-signal-safe. */
#include "config.h"

#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <syslog.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where the shim's own descriptors start: far from the low numbers a
 * program opens, closes and expects back. */
#define OUT_FD_MIN 512

int out_dup_high(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, OUT_FD_MIN);

	if (d < 0 && errno == EINVAL) /* a descriptor limit below OUT_FD_MIN */
		d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return d;
}

enum out_kind out_kind_of(const struct stat *st)
{
	struct rlimit rl;

	if (S_ISFIFO(st->st_mode))
		return OUT_PIPE;
	if (S_ISSOCK(st->st_mode))
		return OUT_SOCKET;
	if (S_ISREG(st->st_mode) && !getrlimit(RLIMIT_FSIZE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		return OUT_LIMITED;
	return OUT_PLAIN;
}

static ssize_t write_all(int fd, enum out_kind k, const char *p, size_t n)
{
	while (n) {
		ssize_t w = k == OUT_SOCKET ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The write with sig blocked in this thread. A sig the write raised is
 * taken back unless one was pending before (then the two merged into the
 * program's own, which it keeps). Only a thread that blocks sig already
 * can have one pending: an unblocked one is delivered before the thread
 * is back in user space (save one sent during the rt_sigprocmask call
 * itself, which a failing write, at most once per process, would take).
 * So sigpending() is needed only then, and the usual cost is two calls of
 * rt_sigprocmask. */
static int write_masked(int fd, int sig, const char *p, size_t n)
{
	static const struct timespec zero = {0, 0};
	sigset_t set, old, pending;
	int r, e, was_pending = 0;

	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (sigismember(&old, sig) && !sigpending(&pending))
		was_pending = sigismember(&pending, sig);
	r = (int)write_all(fd, OUT_PLAIN, p, n);
	e = errno;
	if (r < 0 && e == (sig == SIGPIPE ? EPIPE : EFBIG) && !was_pending)
		syscall(SYS_rt_sigtimedwait, &set, NULL, &zero, _NSIG / 8);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

int out_write(int fd, enum out_kind k, const char *p, size_t n)
{
	if (k == OUT_PIPE)
		return write_masked(fd, SIGPIPE, p, n);
	if (k == OUT_LIMITED)
		return write_masked(fd, SIGXFSZ, p, n);
	return (int)write_all(fd, k, p, n);
}

/* ------------------------------------------------------ standard error */

/* Descriptor 2 as the process started with it; warnings go there only
 * while descriptor 2 is still that file. */
static struct {
	int state;              /* 0: not looked at, 1: open, -1: closed */
	enum out_kind kind;
	dev_t dev;
	ino_t ino;
} err_at_start;

void out_note_stderr(void)
{
	struct stat st;

	if (err_at_start.state)
		return;
	err_at_start.state = -1;
	if (fstat(2, &st))
		return;
	err_at_start.kind = out_kind_of(&st);
	err_at_start.dev = st.st_dev;
	err_at_start.ino = st.st_ino;
	err_at_start.state = 1;
}

void out_stderr(const char *p, size_t n)
{
	struct stat st;
	int e = errno;

	out_note_stderr();
	if (err_at_start.state > 0 && !fstat(2, &st) && st.st_dev == err_at_start.dev &&
	    st.st_ino == err_at_start.ino)
		out_write(2, err_at_start.kind, p, n);
	errno = e;
}

void shim_warn(const char *msg, const char *arg)
{
	char buf[512];
	struct out o = {buf, 0, sizeof buf - 1};
	const char *pct = strstr(msg, "%s");

	fmt_puts(&o, "nipc-preload: ");
	fmt_put(&o, msg, pct ? (size_t)(pct - msg) : strlen(msg));
	if (pct) {
		fmt_puts(&o, arg ? arg : "(null)");
		fmt_puts(&o, pct + 2);
	}
	fmt_end_line(&o);
	out_stderr(buf, o.n);
}

int sink_line(const char *p, size_t n)
{
	int fd = guard_write_begin(), r = fd < 0 ? -1 : out_write(fd, shim_policy.kind, p, n);

	if (fd < 0)
		errno = EBADF;
	guard_write_end();
	if (r && (errno == EPIPE || errno == EBADF))
		return -1;
	return 0;
}

void sink_syslog(const char *line)
{
	syslog(LOG_USER | LOG_DEBUG, "%s", line);
}
