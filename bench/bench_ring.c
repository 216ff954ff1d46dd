/* SPDX-License-Identifier: MIT */
/* What one traced event costs the traced program: each call of a loop is
 * timed on its own, and the table gives, per call, the median and 99th
 * percentile of its time traced minus those of the same call untraced:
 * sem_post and sem_wait on a named semaphore, and shm_open, close and
 * shm_unlink, under `nipc trace` (the ring), in line mode (LD_PRELOAD +
 * NIPC_TRACE_FILE), under `strace -f`, and with an LTTng-UST tracepoint
 * after each call in the same loop (bench_lttng, built when configure
 * finds lttng-ust; it needs lttng-sessiond). Per call, not per iteration:
 * this VM stalls for about 40 us roughly once a millisecond, so about 1%
 * of the life-cycle loop's 7 us iterations hold a stall, and the
 * iteration's p99 sits on that cliff, where any slower iteration moves it
 * by tens of microseconds (the iteration columns show it). Each run is a
 * child process; rounds (ROUNDS below) interleave the configurations; how far the
 * untraced p99 moves between rounds is printed too (a difference within it
 * means nothing). Each round also runs one process under nipc trace that
 * times blocks of calls through the shim and blocks through libc's own
 * functions in turn (paired_loop): the difference with no second process
 * in it. So that the shim's own time can be seen apart from the
 * kernel's, a build of the shim that times itself (TSC reads at the hook's
 * start, around the real call and at its end: what is not the real call,
 * minus the two extra reads) runs under nipc trace in every round too.
 * The loop pins itself to the last CPU it may use (nipc's reader, strace
 * and lttng's daemons are left free). Goal (issue 11, not asserted): ring
 * <= 200 ns per event, comparable to LTTng-UST. */
#include "config.h"

#include "common.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Rounds: a process's own layout moves a life-cycle call's median by
 * hundreds of ns from one run to the next (each round is a new process),
 * so the cheap configurations run many short rounds; line mode and strace,
 * whose costs are microseconds, only the first SLOW_ROUNDS. */
#define ROUNDS 25
#define SLOW_ROUNDS 5

enum cfg { NATIVE, RING, LINE, STRACE, LTTNG, NCFG };

static const char *const cfg_name[NCFG] = {
	"native", "nipc trace (ring)", "line mode (file)", "strace -f", "LTTng-UST tracepoint",
};

/* ring: nipc trace's --buffer-size, one the reader keeps up with (it
 * drains every 5 ms), so that the producer's cost is measured, not the
 * drop path: the semaphore loop makes 15 million events a second (a ring
 * it never wraps: fresh memory), the life-cycle loop 400,000 (a ring it
 * wraps, whose lines are reused as in a long run). */
#define MAXOPS 3

struct workload {
	const char *what, *name, *ring;
	int events;
	const char *ops[MAXOPS];
	long iters[NCFG];
	const char *note; /* printed under the table */
};

static const struct workload workloads[] = {
	{"sem", "sem_post+sem_wait", "256M", 2, {"sem_post", "sem_wait"},
	 {200000, 200000, 50000, 20000, 200000},
	 "(strace -f: uncontended sem_post and sem_wait make no system call; strace sees none)"},
	{"shm", "shm_open+close+shm_unlink", "4M", 3, {"shm_open", "close", "shm_unlink"},
	 {20000, 20000, 20000, 3000, 20000}, NULL},
};

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* The calling thread on the last CPU it may run on. */
static void pin_last_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set))
		return;
	for (int c = CPU_SETSIZE - 1; c >= 0; c--)
		if (CPU_ISSET(c, &set)) {
			CPU_ZERO(&set);
			CPU_SET(c, &set);
			sched_setaffinity(0, sizeof set, &set);
			return;
		}
}

/* The loop's clock: the TSC between fences where there is one (a vDSO
 * clock read right after a system call costs this VM about 50 ns, a
 * fenced TSC read about 10), counted in ticks and scaled by the rate seen
 * over the whole loop; elsewhere CLOCK_MONOTONIC in ns. */
static inline uint64_t tick(void)
{
#if defined(__x86_64__)
	uint64_t t;

	__builtin_ia32_lfence();
	t = __builtin_ia32_rdtsc();
	__builtin_ia32_lfence();
	return t;
#else
	return (uint64_t)now_ns();
#endif
}

static void print_q(float *v, long n, double scale)
{
	qsort(v, (size_t)n, sizeof *v, cmp_float);
	printf(" %.1f %.1f", v[n / 2] * scale, v[(size_t)((double)n * 0.99)] * scale);
}

/* A loop's start: pinned, its object's name, the semaphore of the "sem"
 * loop (*s, else NULL). */
static int loop_begin(const char *what, char *name, size_t len, sem_t **s)
{
	pin_last_cpu();
	snprintf(name, len, "/nipc-bench-ring-%ld", (long)getpid());
	*s = NULL;
	if (strcmp(what, "sem"))
		return 0;
	*s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (*s == SEM_FAILED) {
		fprintf(stderr, "bench_ring: sem_open %s: %s\n", name, strerror(errno));
		return -1;
	}
	sem_unlink(name);
	return 0;
}

/* A loop's end: its objects gone; ns per tick over the loop (k0, n0: its
 * start), or -1 if a call failed. */
static double loop_end(const char *what, sem_t *s, const char *name, int bad, uint64_t k0, double n0)
{
	uint64_t k1 = tick();
	double n1 = now_ns();

	if (s)
		sem_close(s);
	else if (bad)
		shm_unlink(name);
	if (bad) {
		fprintf(stderr, "bench_ring: a call of the %s loop failed\n", what);
		return -1;
	}
	return k1 > k0 ? (n1 - n0) / (double)(k1 - k0) : 1;
}

/* Times each call; prints, in ns, the median and p99 of the iteration,
 * then of each call ("iter_med iter_p99 op1_med op1_p99 ..."). With tp
 * set, each call is followed by tp(op) within its time (the LTTng child). */
int bench_ring_loop(const char *what, long iters, void (*tp)(int op, const void *obj, const char *name, int ret));
int bench_ring_loop(const char *what, long iters, void (*tp)(int op, const void *obj, const char *name, int ret))
{
	char name[64];
	float *t = malloc((size_t)iters * (MAXOPS + 1) * sizeof *t), *ev[MAXOPS];
	sem_t *s;
	int nops = strcmp(what, "sem") ? 3 : 2, bad = 0;
	uint64_t k[MAXOPS + 1], k0;
	double n0, scale;

	if (!t)
		return 1;
	for (int o = 0; o < MAXOPS; o++)
		ev[o] = t + (size_t)iters * (size_t)(o + 1);
	if (loop_begin(what, name, sizeof name, &s))
		return 1;
	n0 = now_ns();
	k0 = tick();
	for (long i = 0; i < iters && !bad; i++) {
		k[0] = tick();
		if (s) {
			int r = sem_post(s);

			if (tp)
				tp(0, s, name, r);
			k[1] = tick();
			bad |= r;
			r = sem_wait(s);
			if (tp)
				tp(1, s, name, r);
			k[2] = tick();
			bad |= r;
		} else {
			int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600), r;

			if (tp)
				tp(2, NULL, name, fd);
			k[1] = tick();
			r = close(fd);
			if (tp)
				tp(3, NULL, name, r);
			k[2] = tick();
			bad |= r | (fd < 0);
			r = shm_unlink(name);
			if (tp)
				tp(4, NULL, name, r);
			k[3] = tick();
			bad |= r;
		}
		t[i] = (float)(k[nops] - k[0]);
		for (int o = 0; o < nops; o++)
			ev[o][i] = (float)(k[o + 1] - k[o]);
	}
	if ((scale = loop_end(what, s, name, bad, k0, n0)) < 0)
		return 1;
	print_q(t, iters, scale);
	for (int o = 0; o < nops; o++)
		print_q(ev[o], iters, scale);
	putchar('\n');
	free(t);
	return 0;
}

#ifndef BENCH_RING_NO_MAIN

/* Under nipc trace, one process: blocks of PAIR_BLOCK iterations through
 * the interposed functions (traced) alternate with blocks through libc's
 * own (untraced: dlsym on libc's handle finds libc's definitions, not the
 * shim's), so that both see the same process, layout and moment; prints
 * the traced quantiles, then the untraced ones, as bench_ring_loop does.
 * Each untraced block runs just after a traced one (and the other way
 * round): some of the shim's cache lines are in the way of the untraced
 * calls, and the traced ones find the shim's lines colder than a loop of
 * traced calls alone would. */
#define PAIR_BLOCK 16

static int paired_loop(const char *what, long iters)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	int (*post[2])(sem_t *) = {sem_post, NULL}, (*wait[2])(sem_t *) = {sem_wait, NULL};
	int (*open_[2])(const char *, int, mode_t) = {shm_open, NULL}, (*close_[2])(int) = {close, NULL};
	int (*unlink_[2])(const char *) = {shm_unlink, NULL};
	int nops = strcmp(what, "sem") ? 3 : 2, bad = 0;
	long half = iters / 2 / PAIR_BLOCK * PAIR_BLOCK, at[2] = {0, 0};
	float *t = malloc((size_t)half * 2 * (MAXOPS + 1) * sizeof *t);
	uint64_t k[MAXOPS + 1], k0;
	double n0, scale;
	sem_t *s;
	char name[64];

	if (!t || !libc || half <= 0)
		return 1;
	post[1] = (int (*)(sem_t *))dlsym(libc, "sem_post");
	wait[1] = (int (*)(sem_t *))dlsym(libc, "sem_wait");
	open_[1] = (int (*)(const char *, int, mode_t))dlsym(libc, "shm_open");
	close_[1] = (int (*)(int))dlsym(libc, "close");
	unlink_[1] = (int (*)(const char *))dlsym(libc, "shm_unlink");
	if (!post[1] || !wait[1] || !open_[1] || !close_[1] || !unlink_[1] || post[1] == post[0] ||
	    open_[1] == open_[0]) {
		fprintf(stderr, "bench_ring: libc's own functions not found apart from the shim's\n");
		return 1;
	}
	if (loop_begin(what, name, sizeof name, &s))
		return 1;
	n0 = now_ns();
	k0 = tick();
	for (long b = 0; b < 2 * half / PAIR_BLOCK && !bad; b++) {
		int m = (int)(b & 1);
		/* [m][0: iteration, 1..: calls][i] */
		float *row = t + (size_t)m * (size_t)half * (MAXOPS + 1);

		for (int j = 0; j < PAIR_BLOCK && !bad; j++, at[m]++) {
			k[0] = tick();
			if (s) {
				bad |= post[m](s);
				k[1] = tick();
				bad |= wait[m](s);
				k[2] = tick();
			} else {
				int fd = open_[m](name, O_RDWR | O_CREAT | O_EXCL, 0600);

				k[1] = tick();
				bad |= close_[m](fd) | (fd < 0);
				k[2] = tick();
				bad |= unlink_[m](name);
				k[3] = tick();
			}
			row[at[m]] = (float)(k[nops] - k[0]);
			for (int o = 0; o < nops; o++)
				row[(size_t)(o + 1) * (size_t)half + (size_t)at[m]] = (float)(k[o + 1] - k[o]);
		}
	}
	if ((scale = loop_end(what, s, name, bad, k0, n0)) < 0)
		return 1;
	for (int m = 0; m < 2; m++)
		for (int o = 0; o <= nops; o++)
			print_q(t + ((size_t)m * (MAXOPS + 1) + (size_t)o) * (size_t)half, half, scale);
	putchar('\n');
	free(t);
	return 0;
}

static int self_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	return (size_t)snprintf(out, len, "%s", exe) >= len ? -1 : 0;
}

struct env {
	char self[PATH_MAX], nipc[PATH_MAX], shim[PATH_MAX], strace[PATH_MAX], lttng[PATH_MAX];
	char lttng_bin[PATH_MAX], file[PATH_MAX], dir[64], timed[PATH_MAX];
	int have_strace, have_lttng, have_timed;
	int own_sessiond;       /* lttng-sessiond was started by this run */
	double tsc_per_ns, tsc_read;    /* the TSC's rate; one read's cost, ticks */
};

#if defined(__x86_64__)
/* The TSC against CLOCK_MONOTONIC over 50 ms, and what two back-to-back
 * reads differ by (the median of 1001): the self-timed shim's own cost. */
static void tsc_calibrate(struct env *v)
{
	static double d[1001];
	const struct timespec nap = {0, 50000000};
	double t0 = now_ns(), t1;
	uint64_t r0 = __builtin_ia32_rdtsc(), r1;

	nanosleep(&nap, NULL);
	r1 = __builtin_ia32_rdtsc();
	t1 = now_ns();
	v->tsc_per_ns = (double)(r1 - r0) / (t1 - t0);
	for (int i = 0; i < 1001; i++) {
		uint64_t a = __builtin_ia32_rdtsc();

		d[i] = (double)(__builtin_ia32_rdtsc() - a);
	}
	v->tsc_read = median(d, 1001);
}

/* The self-timed shim under nipc trace: per call of the loop, the median
 * and p99 of its own time (what is not the real call, minus the timing's
 * two extra reads), ns. */
static int run_timed(const struct env *v, const struct workload *w, double *med, double *p99)
{
	char iters[32], hist[PATH_MAX], op[32];
	unsigned long long ticks, count, total[MAXOPS] = {0}, seen[MAXOPS] = {0};
	double q[MAXOPS][2];
	int st, devnull;
	FILE *f;
	pid_t pid;

	snprintf(iters, sizeof iters, "%ld", w->iters[RING]);
	snprintf(hist, sizeof hist, "%s/self", v->dir);
	unlink(hist);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		unsetenv("LD_PRELOAD");
		setenv("NIPC_PRELOAD", v->timed, 1);
		setenv("NIPC_SELF_TIMING_FILE", hist, 1);
		execl(v->nipc, "nipc", "trace", "-o", "/dev/null", "--buffer-size", w->ring, "--",
		      v->self, "--child", w->what, iters, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || !(f = fopen(hist, "re")))
		return -1;
	/* "op ticks count", each op's buckets in order */
	for (int pass = 0; pass < 2; pass++) {
		rewind(f);
		while (fscanf(f, "%31s %llu %llu", op, &ticks, &count) == 3)
			for (int o = 0; o < w->events; o++) {
				if (strcmp(op, w->ops[o]))
					continue;
				if (!pass) {
					total[o] += count;
					q[o][0] = q[o][1] = -1;
					continue;
				}
				seen[o] += count;
				if (q[o][0] < 0 && seen[o] * 2 >= total[o])
					q[o][0] = (double)ticks;
				if (q[o][1] < 0 && seen[o] * 100 >= total[o] * 99)
					q[o][1] = (double)ticks;
			}
	}
	fclose(f);
	unlink(hist);
	for (int o = 0; o < w->events; o++) {
		if (!total[o])
			return -1;
		med[o] = (q[o][0] - 2 * v->tsc_read) / v->tsc_per_ns;
		p99[o] = (q[o][1] - 2 * v->tsc_read) / v->tsc_per_ns;
	}
	return 0;
}
#endif

/* One run of configuration c: the median and p99 in ns of the iteration
 * (index 0) and of each call (1..events); paired (c is RING): the
 * one-process loop, its traced quantiles, then its untraced ones
 * (index events + 1 on). */
static int run_child(const struct env *v, enum cfg c, const struct workload *w, int paired,
		     double *med, double *p99)
{
	char iters[32], buf[512], *at = buf, *end;
	int p[2];
	pid_t pid;

	snprintf(iters, sizeof iters, "%ld", (paired ? 2 : 1) * w->iters[c]);
	if (pipe(p))
		return -1;
	unlink(v->file);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		unsetenv("LD_PRELOAD");
		unsetenv("NIPC_TRACE");
		unsetenv("NIPC_TRACE_FILE");
		unsetenv("NIPC_TRACE_RING");
		switch (c) {
		case NATIVE:
			execl(v->self, v->self, "--child", w->what, iters, (char *)NULL);
			break;
		case RING:
			execl(v->nipc, "nipc", "trace", "-o", "/dev/null", "--buffer-size", w->ring, "--",
			      v->self, paired ? "--paired" : "--child", w->what, iters, (char *)NULL);
			break;
		case LINE:
			setenv("LD_PRELOAD", v->shim, 1);
			setenv("NIPC_TRACE", "1", 1);
			setenv("NIPC_TRACE_FILE", v->file, 1);
			execl(v->self, v->self, "--child", w->what, iters, (char *)NULL);
			break;
		case STRACE:
			execl(v->strace, "strace", "-f", "-qq", "-o", v->file, v->self, "--child",
			      w->what, iters, (char *)NULL);
			break;
		case LTTNG:
			execl(v->lttng, v->lttng, w->what, iters, (char *)NULL);
			break;
		default:
			break;
		}
		_exit(127);
	}
	close(p[1]);
	if (bench_child_output(p[0], pid, buf, sizeof buf) < 0)
		return -1;
	unlink(v->file);
	for (int i = 0; i < (paired ? 2 : 1) * (w->events + 1); i++) {
		med[i] = strtod(at, &end);
		if (end == at)
			return -1;
		p99[i] = strtod(end, &at);
		if (at == end)
			return -1;
	}
	return 0;
}

static int run(const struct env *v, enum cfg c, const struct workload *w, double *med,
	       double *p99)
{
	return run_child(v, c, w, 0, med, p99);
}

/* The one-process run: per call (index 0: the iteration), the traced
 * minus the untraced median and p99, ns. */
static int run_paired(const struct env *v, const struct workload *w, double *dmed, double *dp99)
{
	double m[2 * (MAXOPS + 1)], p[2 * (MAXOPS + 1)];

	if (run_child(v, RING, w, 1, m, p))
		return -1;
	for (int i = 0; i <= w->events; i++) {
		dmed[i] = m[i] - m[w->events + 1 + i];
		dp99[i] = p[i] - p[w->events + 1 + i];
	}
	return 0;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* An LTTng session with the bench's events enabled; 0 if it runs. */
static int lttng_session(struct env *v, int start)
{
	char cmd[PATH_MAX * 4 + 512];

	if (!start) {
		/* the daemon too, if this run started it (its consumer daemon
		 * ends with it), waited for (it takes about a second): a run
		 * right after this one must not find it dying and use it, or
		 * the lttng client would start one that nobody stops */
		snprintf(cmd, sizeof cmd, "%s destroy nipc-bench-%ld >/dev/null 2>&1; rm -rf %s/lttng%s",
			 v->lttng_bin, (long)getpid(), v->dir,
			 v->own_sessiond ? "; pkill -x lttng-sessiond; i=0; while pgrep -x lttng-sessiond "
					   ">/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done" : "");
		return sh(cmd);
	}
	if (sh("pgrep -x lttng-sessiond >/dev/null")) {
		if (sh("lttng-sessiond --daemonize >/dev/null 2>&1"))
			return -1;
		v->own_sessiond = 1;
	}
	snprintf(cmd, sizeof cmd,
		 "%s create nipc-bench-%ld --output=%s/lttng >/dev/null 2>&1 && "
		 "%s enable-event -u -s nipc-bench-%ld 'nipc_bench:*' >/dev/null 2>&1 && "
		 "%s start nipc-bench-%ld >/dev/null 2>&1",
		 v->lttng_bin, (long)getpid(), v->dir, v->lttng_bin, (long)getpid(), v->lttng_bin,
		 (long)getpid());
	return sh(cmd);
}

int main(int argc, char **argv)
{
	struct env v = {0};
	char dir[PATH_MAX - 64];
	const char *lttng_note = NULL;

	if (argc == 4 && !strcmp(argv[1], "--child"))
		return bench_ring_loop(argv[2], atol(argv[3]), NULL);
	if (argc == 4 && !strcmp(argv[1], "--paired"))
		return paired_loop(argv[2], atol(argv[3]));
	if (self_dir(dir, sizeof dir) || readlink("/proc/self/exe", v.self, sizeof v.self - 1) <= 0) {
		fprintf(stderr, "bench_ring: cannot find myself\n");
		return 1;
	}
	snprintf(v.nipc, sizeof v.nipc, "%s/../tools/nipc", dir);
	snprintf(v.shim, sizeof v.shim, "%s/../shim/.libs/libnipc-preload.so", dir);
	snprintf(v.lttng, sizeof v.lttng, "%s/bench_lttng", dir);
	snprintf(v.timed, sizeof v.timed, "%s/.libs/libnipc-preload-timed.so", dir);
#if defined(__x86_64__)
	v.have_timed = !access(v.timed, R_OK);
	if (v.have_timed)
		tsc_calibrate(&v);
#endif
	if (access(v.nipc, X_OK) || access(v.shim, R_OK)) {
		fprintf(stderr, "bench_ring: build nipc and the shim first\n");
		return 1;
	}
	snprintf(v.dir, sizeof v.dir, "/tmp/nipc-bench-ring-XXXXXX");
	if (!mkdtemp(v.dir)) {
		perror("bench_ring: mkdtemp");
		return 1;
	}
	snprintf(v.file, sizeof v.file, "%s/trace", v.dir);
	v.have_strace = bench_in_path("strace", v.strace, sizeof v.strace);
	if (access(v.lttng, X_OK))
		lttng_note = "skipped: lttng-ust not found by configure (liblttng-ust-dev)";
	else if (!bench_in_path("lttng", v.lttng_bin, sizeof v.lttng_bin))
		lttng_note = "skipped: lttng (lttng-tools) not installed";
	else if (lttng_session(&v, 1))
		lttng_note = "skipped: no LTTng session (lttng-sessiond cannot start?)";
	else
		v.have_lttng = 1;

	printf("bench_ring: ns per traced event: each call of the loop timed on its own; per call,\n"
	       "its traced median and p99 minus those of the same call untraced (native: its\n"
	       "own median and p99), and the iteration's, as the median over %d rounds (%d for\n"
	       "line mode and strace) of each round's own difference to native (a round runs\n"
	       "each configuration once, in turn, each in a new process);\n"
	       "ring, one process: traced minus untraced in one process under nipc trace,\n"
	       "blocks of %d iterations through the shim and through libc's own functions\n"
	       "in turn (no difference between processes; a block runs after one of the\n"
	       "other kind, whose cache lines are in its way);\n"
	       "(native p99 noise): how far the untraced p99 moves between rounds (median\n"
	       "distance from its median): smaller p99 differences are noise;\n"
	       "(shim's own time): per traced call, the time the shim spends besides the real\n"
	       "call, measured inside it with the TSC (a build for the bench; the jump into\n"
	       "the hook and the real call's colder caches are not in it)\n",
	       ROUNDS, SLOW_ROUNDS, PAIR_BLOCK);
	for (size_t wi = 0; wi < sizeof workloads / sizeof workloads[0]; wi++) {
		const struct workload *w = &workloads[wi];
		/* [cfg][0: iteration, 1..: calls][round] */
		double med[NCFG][MAXOPS + 1][ROUNDS], p99[NCFG][MAXOPS + 1][ROUNDS];
		double dm[NCFG][MAXOPS + 1][ROUNDS], dp[NCFG][MAXOPS + 1][ROUNDS];
		double tm[MAXOPS][ROUNDS], tp[MAXOPS][ROUNDS];
		double pm[MAXOPS + 1][ROUNDS], pp[MAXOPS + 1][ROUNDS];
		int nr[NCFG] = {0}, failed[NCFG] = {0}, nt = 0, tfailed = !v.have_timed;
		int np = 0, pfailed = 0;

		printf("\n%s (%d calls per iteration)\n%-22s %17s", w->name, w->events, "configuration",
		       "iteration");
		for (int o = 0; o < w->events; o++)
			printf(" %17s", w->ops[o]);
		printf("\n%-22s", "");
		for (int o = 0; o <= w->events; o++)
			printf(" %8s %8s", "median", "p99");
		putchar('\n');
		for (int r = 0; r < ROUNDS; r++) {
			for (int c = 0; c < NCFG; c++) {
				double m[MAXOPS + 1], p[MAXOPS + 1];

				if ((c == STRACE && !v.have_strace) || (c == LTTNG && !v.have_lttng) ||
				    ((c == LINE || c == STRACE) && r >= SLOW_ROUNDS) || failed[c] ||
				    failed[NATIVE])
					continue;
				if (run(&v, (enum cfg)c, w, m, p)) {
					failed[c] = 1;
					continue;
				}
				for (int o = 0; o <= w->events; o++) {
					med[c][o][nr[c]] = m[o];
					p99[c][o][nr[c]] = p[o];
					dm[c][o][nr[c]] = m[o] - med[NATIVE][o][r];
					dp[c][o][nr[c]] = p[o] - p99[NATIVE][o][r];
				}
				nr[c]++;
			}
			if (!pfailed) {
				double m[MAXOPS + 1], p[MAXOPS + 1];

				if (run_paired(&v, w, m, p) == 0) {
					for (int o = 0; o <= w->events; o++) {
						pm[o][np] = m[o];
						pp[o][np] = p[o];
					}
					np++;
				} else {
					pfailed = 1;
				}
			}
#if defined(__x86_64__)
			if (!tfailed) {
				double m[MAXOPS], p[MAXOPS];

				if (run_timed(&v, w, m, p) == 0) {
					for (int o = 0; o < w->events; o++) {
						tm[o][nt] = m[o];
						tp[o][nt] = p[o];
					}
					nt++;
				} else {
					tfailed = 1;
				}
			}
#endif
		}

		for (int c = 0; c < NCFG; c++) {
			if (c == STRACE && !v.have_strace) {
				printf("%-22s (strace not installed)\n", cfg_name[c]);
				continue;
			}
			if (c == LTTNG && !v.have_lttng) {
				printf("%-22s (%s)\n", cfg_name[c], lttng_note);
				continue;
			}
			if (failed[c] || !nr[c]) {
				printf("%-22s FAILED\n", cfg_name[c]);
				continue;
			}
			printf("%-22s", cfg_name[c]);
			for (int o = 0; o <= w->events; o++)
				if (c == NATIVE)
					printf(" %8.0f %8.0f", median(med[c][o], nr[c]), median(p99[c][o], nr[c]));
				else
					printf(" %+8.0f %+8.0f", median(dm[c][o], nr[c]), median(dp[c][o], nr[c]));
			putchar('\n');
		}
		if (np && !pfailed) {
			printf("%-22s", "ring, one process");
			for (int o = 0; o <= w->events; o++)
				printf(" %+8.0f %+8.0f", median(pm[o], np), median(pp[o], np));
			putchar('\n');
		} else {
			printf("%-22s FAILED\n", "ring, one process");
		}
		if (nt) {
			printf("%-22s %17s", "(shim's own time)", "");
			for (int o = 0; o < w->events; o++)
				printf(" %8.0f %8.0f", median(tm[o], nt), median(tp[o], nt));
			putchar('\n');
		} else {
			printf("%-22s (%s)\n", "(shim's own time)",
			       v.have_timed ? "FAILED" : "skipped: no bench/.libs/libnipc-preload-timed.so (make bench)");
		}
		if (nr[NATIVE] > 1) {
			/* how far the untraced p99 moves from round to round: a
			 * p99 difference within it says nothing */
			printf("%-22s", "(native p99 noise)");
			for (int o = 0; o <= w->events; o++) {
				double dev[ROUNDS], m = median(p99[NATIVE][o], nr[NATIVE]);

				for (int r = 0; r < nr[NATIVE]; r++)
					dev[r] = fabs(p99[NATIVE][o][r] - m);
				printf(" %8s %8.0f", "", median(dev, nr[NATIVE]));
			}
			putchar('\n');
		}
		if (w->note && v.have_strace)
			printf("%s\n", w->note);
	}
	if (v.have_lttng || v.own_sessiond)
		lttng_session(&v, 0);
	rmdir(v.dir);
	return 0;
}

#endif
