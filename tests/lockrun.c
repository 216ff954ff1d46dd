/* SPDX-License-Identifier: MIT */
/* Locked-increment runs with real processes: start, collect, judge. */
#include "config.h"

#include "lockrun.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lock_share(int i, int n, int total)
{
	int parts = n * (n + 1) / 2;

	if (i == n - 1)
		return total - total / parts * (parts - n);
	return total / parts * (i + 1);
}

int lock_ready(struct tl_proc *p, int timeout_ms)
{
	char line[256];

	return tl_line(p, line, sizeof line, timeout_ms) == 1 && !strncmp(line, "ready", 5) &&
	       (!line[5] || line[5] == ' ');
}

void lock_expect_ready(struct tl_proc *p, const char *what)
{
	if (!lock_ready(p, 10000)) {
		tl_wait(p, 100);
		fail_msg("%s worker not ready: %s", what, p->e.p);
	}
}

void lock_ok(struct tl_proc *p, const char *c)
{
	if (!tl_cmd_ok(p, c))
		fail_msg("objhelper '%s' did not reply ok", c);
}

void lock_end(struct tl_proc *p)
{
	int rc = tl_end(p, "exit");

	if (rc != 0)
		fail_msg("objhelper exit %d", rc);
}

void lock_waits(struct tl_proc *p, const char *cmd, const char *what)
{
	const char *r = tl_cmd(p, cmd, 300);

	if (r[0])
		fail_msg("%s: '%s' returned '%s'", what, cmd, r);
}

void lock_gets(struct tl_proc *p, const char *what)
{
	const char *r = tl_cmd(p, NULL, 10000);

	if (strcmp(r, "ok"))
		fail_msg("%s: '%s'", what, r);
}

void lock_handover(struct tl_proc *holder, struct tl_proc *waiter, const char *cmd,
		   const char *what)
{
	char why[256];

	snprintf(why, sizeof why, "%s while the lock is held", what);
	lock_waits(waiter, cmd, why);
	lock_ok(holder, "unlock");
	snprintf(why, sizeof why, "%s once the holder unlocked", what);
	lock_gets(waiter, why);
}

void lock_leave(struct tl_proc *p)
{
	lock_ok(p, "detach");
	lock_end(p);
}

void lock_ok_all(struct tl_proc *const *p, const char *c)
{
	for (; *p; p++)
		lock_ok(*p, c);
}

void lock_each(void (*f)(struct tl_proc *), struct tl_proc *const *p)
{
	for (; *p; p++)
		f(*p);
}

void lock_make(struct tl_proc *maker, const char *size)
{
	char create[64];

	snprintf(create, sizeof create, "create %s", size);
	lock_ok(maker, create);
	lock_ok(maker, "cleanup 0");
	lock_ok(maker, "detach");
	lock_end(maker);
}

unsigned lock_observer_end(struct tl_proc *obs, char *msg, size_t size)
{
	unsigned counter = 0;
	const char *r = tl_cmd(obs, "counter", 10000);

	if (sscanf(r, "ok %u", &counter) != 1)
		lock_addf(msg, size, "observer: counter: '%s'; ", r);
	r = tl_cmd(obs, "detach", 10000);
	if (strcmp(r, "ok"))
		lock_addf(msg, size, "observer: detach: '%s'; ", r);
	tl_send(obs, "exit");
	if (tl_wait(obs, 10000) != 0)
		lock_addf(msg, size, "observer: exit: %.200s; ", obs->e.p);
	tl_proc_free(obs);
	return counter;
}

long lock_observe(void *obs)
{
	unsigned v;

	return sscanf(tl_cmd(obs, "counter", 10000), "ok %u", &v) == 1 ? (long)v : -1;
}

void lock_addf(char *msg, size_t size, const char *fmt, ...)
{
	size_t len = strlen(msg);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + len, size - len, fmt, ap);
	va_end(ap);
}

long long lock_run(struct tl_proc *w, int n, int stall_ms, lock_progress progress, void *arg,
		   struct lock_result *res)
{
	long long t0 = tl_mono_ns(), moved = t0, looked = t0;
	long last = progress(arg);
	int left = n;

	for (int i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof res[i]);
		tl_write(&w[i], "go\n");
	}
	while (left) {
		tl_pump_all(w, (size_t)n, 50);
		for (int i = 0; i < n; i++)
			/* both pipes at EOF: it is exiting */
			if (w[i].pid > 0 && w[i].out < 0 && w[i].err < 0) {
				res[i].status = tl_wait(&w[i], stall_ms);
				left--;
			}
		if (left && tl_mono_ns() - looked > 500 * 1000000LL) {
			long now = progress(arg);

			looked = tl_mono_ns();
			if (now != last) {
				last = now;
				moved = looked;
			}
		}
		if (left && looked - moved > stall_ms * 1000000LL)
			for (int i = 0; i < n; i++)
				if (w[i].pid > 0) {
					res[i].status = -1;
					tl_wait(&w[i], 0);
					left--;
				}
	}
	for (int i = 0; i < n; i++) {
		char *d = strstr(w[i].o.p, "done ");

		if (d)
			sscanf(d, "done %ld %ld", &res[i].incs, &res[i].errs);
		snprintf(res[i].err, sizeof res[i].err, "%.*s", (int)strcspn(w[i].e.p, "\n"),
			 w[i].e.p);
		tl_proc_free(&w[i]);
	}
	return (tl_mono_ns() - t0) / 1000000;
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
