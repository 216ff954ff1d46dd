/* SPDX-License-Identifier: MIT */
/* Makes a known number of traced events for the trace ring tests and says
 * how many (its own count, on stdout, "made N"). Each event is a
 * shm_unlink of a name that does not exist (ENOENT): no object is left.
 *
 *   ring_stress tree THREADS FORKS EVENTS   THREADS threads, each FORKS
 *       times: a fork child makes EVENTS events and execs `leaf EVENTS`;
 *       each thread makes EVENTS events itself between forks
 *   ring_stress threads N EVENTS            N threads alive at once, each
 *       making EVENTS events (more threads than the pool has rings)
 *   ring_stress leaf EVENTS                 EVENTS events
 *   ring_stress chain N EVENTS              EVENTS events, then exec itself
 *       to do the same, N times over: one process, N + 1 images, each
 *       pausing 1 ms before its exec ("made" printed by the last)
 *   ring_stress burst EVENTS                EVENTS events, as fast as it can
 *   ring_stress kill EVENTS                 a child makes events until the
 *       parent SIGKILLs it; then the parent makes EVENTS events ("made"
 *       counts the parent's only; "child N" the child's before the kill)
 *   ring_stress half EVENTS                 a child makes EVENTS events,
 *       then reserves a record in its ring and is killed before finishing
 *       it, as a kill in the middle of a traced call would; then the
 *       parent makes EVENTS events ("child N pid P": N = EVENTS)
 *   ring_stress signal EVENTS               EVENTS events from a signal
 *       handler that interrupts a blocked, traced sem_wait (lost: the
 *       thread is inside the shim), plus the sem_open, sem_unlink, the
 *       waits and the post that ends them ("made" counts all) */
#include "config.h"

#include "../../shim/ring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char self[4096];
static long events;

static void make(long n)
{
	char name[64];

	snprintf(name, sizeof name, "/nipc-ring-absent-%ld", (long)getpid());
	for (long i = 0; i < n; i++)
		if (shm_unlink(name) == 0 || errno != ENOENT)
			_exit(3);
}

static void *thread(void *arg)
{
	long forks = (long)arg;
	char ev[32];

	snprintf(ev, sizeof ev, "%ld", events);
	for (long i = 0; i < forks; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			_exit(4);
		if (pid == 0) {
			make(events);
			execl(self, self, "leaf", ev, (char *)NULL);
			_exit(5);
		}
		make(events);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			_exit(6);
	}
	return NULL;
}

static int tree(int threads, long forks)
{
	pthread_t t[64];

	if (threads > 64)
		return 2;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, thread, (void *)forks))
			return 1;
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("made %ld\n", (long)threads * forks * events * 3);
	return 0;
}

static pthread_barrier_t together;

static void *alive_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&together);
	make(events);
	pthread_barrier_wait(&together);
	return NULL;
}

static int threads_at_once(int n)
{
	pthread_t t[1024];

	if (n > 1024 || pthread_barrier_init(&together, NULL, (unsigned)n))
		return 2;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, alive_thread, NULL))
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("made %ld\n", (long)n * events);
	return 0;
}

static int kill_child(void)
{
	volatile long *count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				    -1, 0);
	pid_t pid;
	int st;

	if (count == MAP_FAILED)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (;;) {
			make(1);
			__atomic_add_fetch(count, 1, __ATOMIC_RELEASE);
		}
	}
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < 20000)
		sched_yield();
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	make(events);
	printf("made %ld\nchild %ld pid %ld\n", events, __atomic_load_n(count, __ATOMIC_ACQUIRE),
	       (long)pid);
	return 0;
}

/* The trace buffer as this process maps it (from /proc/self/maps). */
static struct ring_pool *mapped_pool(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	struct ring_pool *p = NULL;

	while (f && !p && fgets(line, sizeof line, f)) {
		unsigned long lo;

		if (strstr(line, "/dev/shm/nipc-trace-") && sscanf(line, "%lx-", &lo) == 1)
			p = (struct ring_pool *)lo;
	}
	if (f)
		fclose(f);
	return p;
}

/* The start of a record that is never finished, in this thread's ring. */
static int half_record(void)
{
	struct ring_pool *p = mapped_pool();
	pid_t tid = (pid_t)syscall(SYS_gettid);

	if (!p)
		return -1;
	for (uint32_t i = 0; i < p->nrings; i++) {
		struct ring_hdr *h = ring_slot(p, i);
		uint64_t pos;
		struct ring_rec *r;

		if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != RING_CLAIMED || h->pid != getpid() ||
		    h->tid != tid)
			continue;
		/* this thread's end mark: after the last record it wrote */
		pos = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) & (p->ring_bytes - 1);
		for (;;) {
			r = (struct ring_rec *)(ring_data(h) + pos);
			if (r->commit != RING_COMMIT && r->commit != RING_PAD)
				break;
			pos = (pos + r->len) & (p->ring_bytes - 1);
		}
		if (pos + 64 + RING_MARK_BYTES > p->ring_bytes)
			return -1;
		*(uint64_t *)(ring_data(h) + pos + 64) = 0;
		__atomic_store_n(&r->len, 64, __ATOMIC_RELEASE);
		return 0;
	}
	return -1;
}

static int half(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		make(events);
		if (half_record())
			_exit(7);
		raise(SIGKILL);
		_exit(8);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st))
		return 1;
	make(events);
	printf("made %ld\nchild %ld pid %ld\n", events, events, (long)pid);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	make(events);
}

static int signal_inside(void)
{
	char name[64];
	struct sigaction sa = {.sa_handler = on_alarm};
	struct timespec nap = {0, 20000000};
	sem_t *s;
	pid_t pid;
	int st;
	long waits = 0;

	snprintf(name, sizeof name, "/nipc-ring-sig-%ld", (long)getpid());
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (s == SEM_FAILED)
		return 1;
	sem_unlink(name);
	sigaction(SIGUSR1, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		/* untraced helper: interrupts the wait, then ends it */
		nanosleep(&nap, NULL);
		kill(getppid(), SIGUSR1);
		nanosleep(&nap, NULL);
		sem_post(s);
		_exit(0);
	}
	do
		waits++;
	while (sem_wait(s) && errno == EINTR);
	waitpid(pid, &st, 0);
	/* sem_open, sem_unlink, the handler's events, the waits (the one
	 * that failed with EINTR too) and the child's post */
	printf("made %ld\n", 2 + events + waits + 1);
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0 || argc < 3)
		return 2;
	self[n] = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "threads") && argc == 4) {
		events = atol(argv[3]);
		return threads_at_once(atoi(argv[2]));
	}
	if (!strcmp(argv[1], "chain") && (argc == 4 || argc == 5)) {
		long left = atol(argv[2]), all = argc == 5 ? atol(argv[4]) : left;
		const struct timespec ms = {0, 1000000};
		char l[32], e[32], a[32];

		events = atol(argv[3]);
		make(events);
		if (left <= 0) {
			printf("made %ld\n", (all + 1) * events);
			return 0;
		}
		snprintf(l, sizeof l, "%ld", left - 1);
		snprintf(e, sizeof e, "%ld", events);
		snprintf(a, sizeof a, "%ld", all);
		nanosleep(&ms, NULL);
		execl(self, self, "chain", l, e, a, (char *)NULL);
		return 5;
	}
	if (!strcmp(argv[1], "tree") && argc == 5) {
		events = atol(argv[4]);
		return tree(atoi(argv[2]), atol(argv[3]));
	}
	events = atol(argv[2]);
	if (!strcmp(argv[1], "leaf") || !strcmp(argv[1], "burst")) {
		make(events);
		if (!strcmp(argv[1], "burst"))
			printf("made %ld\n", events);
		return 0;
	}
	if (!strcmp(argv[1], "kill"))
		return kill_child();
	if (!strcmp(argv[1], "half"))
		return half();
	if (!strcmp(argv[1], "signal"))
		return signal_inside();
	return 2;
}
