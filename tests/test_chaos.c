/* SPDX-License-Identifier: MIT */
/* Chaos: WORKERS processes (tests/progs/chaosworker) cycle create-or-attach
 * → lock → check → unlock → detach on one key while one of them, picked at
 * random, is killed with SIGKILL every 20–80 ms and restarted, KILLS times
 * per backend. No worker may see another inside the lock; afterwards a new
 * process gets the lock within T_FRESH, and Qt's recovery idiom leaves no
 * segment, lock, key file or file in /dev/shm behind. */
#include "config.h"

#include "chaos_stats.h"
#include "nipc.h"
#include "tlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define KILLS 300          /* per backend: ~15 s at 20–80 ms */
#define MAX_CHAOS_MS 40000 /* stop killing by then even with fewer kills */
#define T_FRESH 5000       /* ms: a new process must get the lock by then */
#define T_OP 10000         /* ms: any single operation after the chaos */
#define MAX_PIDS 4096
#define MAX_SHM_NAMES 512

static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX;

static struct chaos_stats *st;
static int stats_fd = -1;
static nipc_key *key;
/* every process the test started on the key, for telling our System V
 * objects from other programs' */
static pid_t pids[MAX_PIDS];
static int n_pids;
/* /dev/shm before the run */
static char *shm_before[MAX_SHM_NAMES];
static int n_shm_before;
static struct timespec run_start;

static long long now_ms(void)
{
	return tl_mono_ns() / 1000000;
}

static void remember(pid_t pid)
{
	if (n_pids < MAX_PIDS)
		pids[n_pids++] = pid;
}

static int ours(pid_t pid)
{
	for (int i = 0; i < n_pids; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

static pid_t start_worker(void)
{
	char type[16], fd[16];
	pid_t pid;

	snprintf(type, sizeof type, "%d", nipc_key_type(key));
	snprintf(fd, sizeof fd, "%d", stats_fd);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
		execl(tl_prog("chaosworker"), "chaosworker", type, nipc_key_native(key), fd,
		      (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		tl_adopt(pid);
		remember(pid);
	}
	return pid;
}

static int end_worker(pid_t pid)
{
	int s = 0;

	kill(pid, SIGKILL);
	while (waitpid(pid, &s, 0) < 0 && errno == EINTR)
		;
	tl_forget(pid);
	return s;
}

/* ------------------------------------------------------- leftovers */

static void shm_snapshot(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;

	n_shm_before = 0;
	clock_gettime(CLOCK_REALTIME, &run_start);
	if (!d)
		return;
	while ((e = readdir(d)) && n_shm_before < MAX_SHM_NAMES)
		if (e->d_name[0] != '.' || e->d_name[1])
			shm_before[n_shm_before++] = strdup(e->d_name);
	closedir(d);
}

static int was_there(const char *name)
{
	for (int i = 0; i < n_shm_before; i++)
		if (shm_before[i] && !strcmp(shm_before[i], name))
			return 1;
	return 0;
}

/* glibc's sem_open temporary file: "sem." and six random characters */
static int sem_temp(const char *name)
{
	return !strncmp(name, "sem.", 4) && strlen(name) == 10;
}

/* Files in /dev/shm from this run: named after the key, or glibc
 * temporaries made since the run began. Appends them to buf; counts them.
 * remove: unlink them too. */
static int shm_leftovers(char *buf, size_t size, int remove)
{
	char mine[64], path[PATH_MAX];
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	struct stat sb;
	int n = 0;

	snprintf(mine, sizeof mine, "nipc-test-%d-", (int)getpid());
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
		if (was_there(e->d_name) || lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		/* the temporaries cannot be told from other programs': those
		 * made during a POSIX run count as ours */
		if (!strstr(e->d_name, mine) &&
		    !(nipc_key_type(key) == NIPC_KEY_POSIX && sem_temp(e->d_name) &&
		      sb.st_uid == geteuid() && sb.st_mtim.tv_sec >= run_start.tv_sec))
			continue;
		n++;
		if (strlen(buf) + strlen(e->d_name) + 2 < size)
			strcat(strcat(buf, " "), e->d_name);
		if (remove)
			unlink(path);
	}
	closedir(d);
	return n;
}

/* System V objects under the keys the key file had that our processes made
 * or last used. Appends them to buf; counts them. remove: removes them. */
static int sysv_leftovers(char *buf, size_t size, int remove)
{
	uint32_t n = __atomic_load_n(&st->n_keys, __ATOMIC_SEQ_CST);
	int left = 0, id;

	for (uint32_t i = 0; i < n && i < CHAOS_MAX_KEYS; i++) {
		key_t k = (key_t)st->keys[i];
		struct shmid_ds ds;
		char one[64];

		if ((id = shmget(k, 0, 0)) >= 0 && shmctl(id, IPC_STAT, &ds) == 0 &&
		    (ours(ds.shm_cpid) || ours(ds.shm_lpid))) {
			left++;
			snprintf(one, sizeof one, " segment %#x", (unsigned)k);
			if (strlen(buf) + strlen(one) < size)
				strcat(buf, one);
			if (remove)
				shmctl(id, IPC_RMID, NULL);
		}
		if ((id = semget(k, 0, 0)) >= 0) {
			int last = semctl(id, 0, GETPID);

			/* a key we saw may have been reused by another test's
			 * key file: only a semaphore our processes used is ours */
			if (!ours(last))
				continue;
			left++;
			snprintf(one, sizeof one, " semaphore %#x (value %d)", (unsigned)k,
				 semctl(id, 0, GETVAL));
			if (strlen(buf) + strlen(one) < size)
				strcat(buf, one);
			if (remove)
				semctl(id, 0, IPC_RMID);
		}
	}
	if (nipc_key_type_is_systemv(nipc_key_type(key)) &&
	    access(nipc_key_native(key), F_OK) == 0) {
		left++;
		if (strlen(buf) + 10 < size)
			strcat(buf, " key-file");
	}
	return left;
}

static int leftovers(char *buf, size_t size, int remove)
{
	buf[0] = '\0';
	return sysv_leftovers(buf, size, remove) + shm_leftovers(buf, size, remove);
}

/* ------------------------------------------------------- diagnostics */

/* One line of /proc/PID/FILE, or "?". */
static const char *proc_line(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	snprintf(buf, size, "?");
	if ((f = fopen(path, "re"))) {
		if (!fgets(buf, (int)size, f))
			snprintf(buf, size, "?");
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* What a process is doing: command, state, wait channel, first kernel
 * frames. */
static void dump_proc(const char *what, pid_t pid)
{
	char stat[256], wchan[64], stack[128], path[64], cmd[160] = "?";
	const char *state = proc_line(pid, "stat", stat, sizeof stat);
	FILE *f;
	size_t n;

	if ((state = strrchr(stat, ')')))
		state += 2;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	if ((f = fopen(path, "re"))) {
		n = fread(cmd, 1, sizeof cmd - 1, f);
		cmd[n] = '\0';
		for (size_t i = 0; n && i < n - 1; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		fclose(f);
	}
	print_message("#   %s %d (%s): %s, state %.1s, wchan %s\n", what, (int)pid, cmd,
		      kill(pid, 0) == 0 ? "alive" : "gone", state ? state : "?",
		      proc_line(pid, "wchan", wchan, sizeof wchan));
	snprintf(path, sizeof path, "/proc/%d/stack", (int)pid);
	if (!(f = fopen(path, "re")))
		return;
	for (int i = 0; i < 4 && fgets(stack, sizeof stack, f); i++)
		print_message("#     %s", stack);
	fclose(f);
}

/* The lock semaphore's state and what our live processes are doing:
 * printed when the lock did not come, so that a failure says why. */
static void dump_state(const char *why)
{
	struct semid_ds ds;
	union {
		int val;
		struct semid_ds *buf;
	} arg = {.buf = &ds};
	struct timespec now;
	long k = -1;
	int id = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	print_message("# state %s:\n", why);
	if (nipc_key_type_is_systemv(nipc_key_type(key)) &&
	    nipc_ftok(&k, nipc_key_native(key), nipc_key_type(key)) == 0 &&
	    (id = semget((key_t)k, 0, 0)) >= 0 && semctl(id, 0, IPC_STAT, arg) == 0) {
		pid_t last = semctl(id, 0, GETPID);

		print_message("#   lock %#lx id %d: value %d, sempid %d, otime %lld s ago, "
			      "%d waiting, holder slot %u\n", k, id, semctl(id, 0, GETVAL),
			      (int)last, ds.sem_otime ? (long long)(now.tv_sec - ds.sem_otime)
			      : -1LL, semctl(id, 0, GETNCNT), st->holder);
		/* not one of ours: another program uses the same System V
		 * key (ftok keeps 16 bits of the inode, and the file system
		 * hands a freed inode to the next file made) */
		if (last > 0)
			dump_proc(ours(last) ? "sempid" : "sempid, NOT a process of this test", last);
	} else if (nipc_key_type_is_systemv(nipc_key_type(key)))
		print_message("#   lock: none (key file %s, key %#lx)\n",
			      access(nipc_key_native(key), F_OK) ? "gone" : "there", k);
	for (int i = 1; i < n_pids; i++)
		if (kill(pids[i], 0) == 0)
			dump_proc("ours", pids[i]);
}

/* ------------------------------------------------------------- chaos */

struct figures {
	int kills, restarts, exits, first_exit, dumped;
	long long ms, longest_stall_ms;
};

static void run_chaos(struct figures *f, unsigned seed)
{
	pid_t w[WORKERS];
	long long t0 = now_ms(), last_progress = t0;
	uint32_t last_cycles = 0;

	memset(f, 0, sizeof *f);
	for (int i = 0; i < WORKERS; i++)
		assert_true((w[i] = start_worker()) > 0);
	while (f->kills < KILLS && now_ms() - t0 < MAX_CHAOS_MS) {
		int i = (int)(rand_r(&seed) % WORKERS), s;
		uint32_t c;

		usleep(20000 + rand_r(&seed) % 60001);
		chaos_note_key(st, key);
		/* a worker that ended by itself crashed (sanitizer, SIGBUS...) */
		for (int j = 0; j < WORKERS; j++)
			if (waitpid(w[j], &s, WNOHANG) == w[j]) {
				tl_forget(w[j]);
				if (!f->exits++)
					f->first_exit = s;
				assert_true((w[j] = start_worker()) > 0);
				f->restarts++;
			}
		end_worker(w[i]);
		f->kills++;
		assert_true((w[i] = start_worker()) > 0);
		f->restarts++;
		c = __atomic_load_n(&st->cycles, __ATOMIC_SEQ_CST);
		if (c != last_cycles) {
			last_cycles = c;
			last_progress = now_ms();
		} else if (now_ms() - last_progress > f->longest_stall_ms) {
			f->longest_stall_ms = now_ms() - last_progress;
			if (f->longest_stall_ms > T_FRESH && !f->dumped++)
				dump_state("in a stretch without a locked cycle");
		}
	}
	for (int i = 0; i < WORKERS; i++)
		end_worker(w[i]);
	f->ms = now_ms() - t0;
}

static void report(const struct figures *f, unsigned seed)
{
	print_message("# %s: %d kills in %lld ms (seed %u), %u locked cycles, longest stretch "
		      "without one %lld ms\n", nipc_key_type_is_systemv(nipc_key_type(key)) ? "systemv"
		      : "posix", f->kills, f->ms, seed, st->cycles, f->longest_stall_ms);
	print_message("# create-or-attach: %u created, %u attached, %u vanished in between\n",
		      st->created, st->attached, st->vanished);
	print_message("# exclusion violations: %u (pid in the segment), %u (holder slot)\n",
		      st->seg_violations, st->holder_violations);
	print_message("# errors: open %u, lock %u, unlock %u, detach %u\n", st->err_open,
		      st->err_lock, st->err_unlock, st->err_detach);
	for (int i = 0; i < 4; i++)
		if (st->last_error[i][0])
			print_message("#   last %s error: %s\n", i == 0 ? "open" : i == 1 ? "lock"
				      : i == 2 ? "unlock" : "detach", st->last_error[i]);
	if (f->exits)
		print_message("# workers that ended by themselves: %d (first: status %#x)\n", f->exits,
			      f->first_exit);
}

/* After the chaos: a new process gets the lock (latency printed), excludes
 * a second one; then the recovery idiom and `info --cleanup` leave nothing. */
static void afterwards(void)
{
	struct tl_proc a, b, info;
	long long t0;
	char r1[128], r2[128], left[1024];
	const char *r;
	char *ks = NULL;
	int s;

	assert_int_equal(TL_OBJHELPER(&a, key), 0);
	remember(a.pid);
	t0 = now_ms();
	snprintf(r1, sizeof r1, "%s", tl_cmd(&a, "open 4096", T_OP));
	snprintf(r2, sizeof r2, "%s", strncmp(r1, "ok", 2) ? "" : tl_cmd(&a, "lock", T_OP));
	if (strcmp(r2, "ok")) {
		dump_state("when the fresh lock did not come");
		fail_msg("no fresh lock: open -> '%s', lock -> '%s' after %lld ms", r1, r2,
			 now_ms() - t0);
	}
	print_message("# fresh lock after %lld ms\n", now_ms() - t0);
	if (now_ms() - t0 > T_FRESH)
		fail_msg("the fresh lock took %lld ms (bound %d ms)", now_ms() - t0, T_FRESH);
	/* create-or-attach takes the lock too: the second opens while it is free */
	assert_string_equal(tl_cmd(&a, "unlock", T_OP), "ok");
	assert_int_equal(TL_OBJHELPER(&b, key), 0);
	remember(b.pid);
	if (strncmp(r = tl_cmd(&b, "open 4096", T_OP), "ok", 2))
		fail_msg("a second process: open -> '%s'", r);
	assert_string_equal(tl_cmd(&a, "lock", T_OP), "ok");
	assert_int_equal(tl_send(&b, "lock"), 0);
	if (*(r = tl_cmd(&b, NULL, 500)))
		fail_msg("a second locker got '%s' while the first held the lock", r);
	assert_string_equal(tl_cmd(&a, "unlock", T_OP), "ok");
	assert_string_equal(tl_cmd(&b, NULL, T_OP), "ok");
	assert_string_equal(tl_cmd(&b, "unlock", T_OP), "ok");
	chaos_note_key(st, key);
	tl_kill(&a); /* attached, not holding the lock */
	tl_kill(&b);

	assert_int_equal(TL_OBJHELPER(&a, key), 0);
	remember(a.pid);
	if (strncmp(r = tl_cmd(&a, "recover", T_OP), "ok", 2))
		fail_msg("the recovery idiom: '%s'", r);
	assert_int_equal(tl_end(&a, "exit"), 0);
	if (leftovers(left, sizeof left, 0))
		fail_msg("left after the recovery idiom:%s", left);

	assert_int_equal(nipc_key_to_string(&ks, key), 0);
	tl_start_ok(&info, TL_ARGV(tl_nipc(), "shm", "info", ks, "--cleanup"), NULL);
	free(ks);
	remember(info.pid);
	s = tl_wait(&info, T_OP);
	tl_proc_free(&info);
	if (s != 0 && s != 1 && s != 3) /* 3: no segment */
		fail_msg("nipc shm info --cleanup: %s %d", s < 0 ? "still running after" : "exit",
			 s < 0 ? T_OP / 1000 : s);
	if (leftovers(left, sizeof left, 0))
		fail_msg("left after nipc shm info --cleanup on nothing:%s", left);
}

static void chaos(void **state)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	char left[1024];
	struct figures f;

	assert_non_null(key = tl_key(*(int *)*state));
	shm_snapshot();
	run_chaos(&f, seed);
	report(&f, seed);
	if (leftovers(left, sizeof left, 0))
		print_message("# after the chaos:%s\n", left);
	afterwards();
	assert_int_equal(st->seg_violations + st->holder_violations, 0);
	assert_int_equal(f.exits, 0);
	assert_int_equal(st->err_open + st->err_lock + st->err_unlock + st->err_detach, 0);
}

/* ------------------------------------------------------------ the run */

static int test_setup(void **state)
{
	char path[] = "/tmp/nipc-test-chaos-XXXXXX";
	void *p;

	alarm(180); /* a deadlock fails the run instead of hanging it */
	if ((stats_fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	if (ftruncate(stats_fd, sizeof *st) < 0)
		return -1;
	p = mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED, stats_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	st = p;
	n_pids = 0;
	remember(getpid());
	return 0;
}

/* Workers, objects and files of the test go, even when it failed. */
static int test_teardown(void **state)
{
	char left[1024];

	tl_kill_all();
	if (key)
		leftovers(left, sizeof left, 1);
	nipc_key_free(key);
	key = NULL;
	munmap(st, sizeof *st);
	close(stats_fd);
	for (int i = 0; i < n_shm_before; i++)
		free(shm_before[i]);
	n_shm_before = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{"chaos_sysv", chaos, test_setup, test_teardown, &SYSV},
		{"chaos_posix", chaos, test_setup, test_teardown, &POSIX},
	};

	return TL_MAIN("chaos", tests, NULL, NULL);
}
