/* SPDX-License-Identifier: MIT */
/* Locked-increment runs with real processes: start, collect, judge. */
#include "config.h"

#include "lockrun.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int lock_share(int i, int n, int total)
{
	int parts = n * (n + 1) / 2;

	if (i == n - 1)
		return total - total / parts * (parts - n);
	return total / parts * (i + 1);
}

const char *lock_cmd(struct proc *p, const char *c, int timeout_ms)
{
	static char line[512];
	int r;

	if (c && (proc_write(p, c) < 0 || proc_write(p, "\n") < 0))
		return "(eof)";
	r = proc_line(p, line, sizeof line, timeout_ms);
	return r == 1 ? line : r == 0 ? "" : "(eof)";
}

int lock_ready(struct proc *p, int timeout_ms)
{
	char line[256];

	return proc_line(p, line, sizeof line, timeout_ms) == 1 && !strncmp(line, "ready", 5) &&
	       (!line[5] || line[5] == ' ');
}

void lock_addf(char *msg, size_t size, const char *fmt, ...)
{
	size_t len = strlen(msg);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + len, size - len, fmt, ap);
	va_end(ap);
}

static void keep(char *buf, size_t size, size_t *len, const char *s, ssize_t n)
{
	size_t room = size - 1 - *len;

	if ((size_t)n > room)
		n = (ssize_t)room;
	memcpy(buf + *len, s, (size_t)n);
	*len += (size_t)n;
	buf[*len] = '\0';
}

/* Reads what is there from *fd into buf; closes it at EOF. */
static void take(int *fd, char *buf, size_t size, size_t *len)
{
	char tmp[4096];
	ssize_t r = read(*fd, tmp, sizeof tmp);

	if (r > 0)
		keep(buf, size, len, tmp, r);
	else if (r == 0) {
		close(*fd);
		*fd = -1;
	}
}

long long lock_run(struct proc *w, int n, int stall_ms, lock_progress progress, void *arg,
		   struct lock_result *res)
{
	long long t0 = mono_ns(), moved = t0, looked = t0;
	size_t errlen[LOCK_MAX_WORKERS] = {0};
	long last = progress(arg);
	int left = n;

	for (int i = 0; i < n; i++) {
		fcntl(w[i].out, F_SETFL, O_NONBLOCK);
		fcntl(w[i].err, F_SETFL, O_NONBLOCK);
		w[i].buf[w[i].len < sizeof w[i].buf ? w[i].len : sizeof w[i].buf - 1] = '\0';
		memset(&res[i], 0, sizeof res[i]);
	}
	for (int i = 0; i < n; i++)
		proc_write(&w[i], "go\n");
	while (left) {
		struct pollfd pf[2 * LOCK_MAX_WORKERS];
		int np = 0;

		for (int i = 0; i < n; i++) {
			if (w[i].out >= 0)
				pf[np++] = (struct pollfd){.fd = w[i].out, .events = POLLIN};
			if (w[i].err >= 0)
				pf[np++] = (struct pollfd){.fd = w[i].err, .events = POLLIN};
		}
		if (np)
			poll(pf, (nfds_t)np, 50);
		else
			usleep(10000);
		for (int i = 0; i < n; i++) {
			int st;

			if (w[i].out >= 0)
				take(&w[i].out, w[i].buf, sizeof w[i].buf, &w[i].len);
			if (w[i].err >= 0)
				take(&w[i].err, w[i].errbuf, sizeof w[i].errbuf, &errlen[i]);
			/* both pipes at EOF: it is exiting */
			if (w[i].pid > 0 && w[i].out < 0 && w[i].err < 0 &&
			    waitpid(w[i].pid, &st, 0) == w[i].pid) {
				res[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				w[i].pid = 0;
				left--;
			}
		}
		if (left && mono_ns() - looked > 500 * 1000000LL) {
			long now = progress(arg);

			looked = mono_ns();
			if (now != last) {
				last = now;
				moved = looked;
			}
		}
		if (left && looked - moved > stall_ms * 1000000LL)
			for (int i = 0; i < n; i++)
				if (w[i].pid > 0) {
					res[i].status = -1;
					proc_wait(&w[i], 0);
					left--;
				}
	}
	for (int i = 0; i < n; i++) {
		char *d = strstr(w[i].buf, "done ");

		if (d)
			sscanf(d, "done %ld %ld", &res[i].incs, &res[i].errs);
		snprintf(res[i].err, sizeof res[i].err, "%.*s", (int)strcspn(w[i].errbuf, "\n"),
			 w[i].errbuf);
		proc_close_in(&w[i]);
	}
	return (mono_ns() - t0) / 1000000;
}

void lock_judge(char *msg, size_t size, const char *label, const struct lock_result *res,
		int n, int total, unsigned counter, long long ms, int stall_ms)
{
	long done = 0, errs = 0;
	int hung = 0, bad = 0, first = -1;

	for (int i = 0; i < n; i++) {
		done += res[i].incs;
		errs += res[i].errs;
		hung += res[i].status == -1;
		bad += res[i].status != 0;
		if (res[i].status > 0 && first < 0)
			first = i;
	}
	/* a killed worker did not say how far it got: nothing is known lost */
	fprintf(stderr,
		"lock figures: %s: %d workers, %d increments: counter %u of %ld done, %ld lost; "
		"%ld errors, %d hung, %d exited non-zero; %lld ms\n",
		label, n, total, counter, done, hung ? 0 : done - (long)counter, errs, hung, bad, ms);
	for (int i = 0; i < n; i++)
		if (res[i].status == -1)
			fprintf(stderr, "  worker %d: hung, killed: %s\n", i, res[i].err);
		else if (res[i].status)
			fprintf(stderr, "  worker %d: exit %d, %ld done, %ld errors: %s\n", i,
				res[i].status, res[i].incs, res[i].errs, res[i].err);
	if (hung)
		lock_addf(msg, size, "%d workers hung (no increment for %d ms: killed); ", hung,
			  stall_ms);
	if (bad > hung)
		lock_addf(msg, size, "%ld errors, %d workers failed, first: %s; ", errs, bad - hung,
			  res[first].err);
	if (counter != (unsigned)total && !hung)
		lock_addf(msg, size, "counter %u, want %d (%ld increments done, %ld lost); ",
			  counter, total, done, done - (long)counter);
}
