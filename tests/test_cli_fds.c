/* SPDX-License-Identifier: MIT */
/* Every nipc verb run as a real process with fd 0, then 1, then 2 closed,
 * on POSIX and System V keys: no file the tool or the library opens may
 * take a standard descriptor's place (the POSIX lock's sem_t was written
 * as stdout, read as stdin). After each run the segment holds exactly what
 * it should, the lock's sem file is byte for byte as before, the lock still
 * excludes, later processes work and nothing new is left in /dev/shm or the
 * key-file directory. Also: a write to stdout that fails (closed, a full
 * device, a pipe without reader) is an error, exit 1. */
#include "config.h"

#include "tlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#define SEG_SIZE 64

#define ARGV TL_ARGV

static const char *tmpdir, *nipc;
static int counter;


/* The objects of the current test: K (a segment made by setup), K2 (one a
 * verb makes), S (a semaphore made by setup), S2 (one a verb makes). */
enum { K, K2, S, S2, NOBJ };
static struct obj {
	char key[PATH_MAX + 16];  /* string form */
	char name[64];            /* POSIX name, "/nipc-fds-PID-N..." */
	char path[PATH_MAX];      /* System V key file */
} obj[NOBJ];
static int posix;

static unsigned char pattern[SEG_SIZE + 1];  /* what K holds now (NUL-ended) */
static char sem_base[4096];               /* K's lock file (POSIX) at rest */
static size_t sem_base_len;
static char ssem_base[4096];              /* S's file (POSIX) at value 2 */
static size_t ssem_base_len;

/* System V: an attachment kept for the whole test, made before anyone
 * else opens the lock. Today the first to open a System V lock owns it and
 * removes it when it detaches, while others still use it (issue 7 item 1,
 * being fixed in the library); test_cli_objects keeps such an owner too. */
static struct tl_proc anchor;

static char out[8192], err[4096];
static size_t outlen;

/* ------------------------------------------------------------ processes */

enum out_mode { OUT_PIPE, OUT_FULL, OUT_NOREADER };

/* Starts argv with pipes on 0, 1 and 2, then closes closed (-1: none) in
 * the child. OUT_FULL puts stdout on /dev/full; OUT_NOREADER on a pipe
 * whose reader is gone, SIGPIPE ignored. */
static struct tl_opts opts(int closed, enum out_mode om)
{
	return (struct tl_opts){.closed = closed >= 0 ? 1u << closed : 0,
				.out = om == OUT_FULL ? "/dev/full" : NULL,
				.dead_pipe = om == OUT_NOREADER,
				.sigpipe_ignore = om == OUT_NOREADER,
				.timeout = TL_T_WAIT / 1000};
}

static void xstart(struct tl_proc *p, const char *const *argv, int closed, enum out_mode om)
{
	struct tl_opts o = opts(closed, om);

	assert_int_equal(tl_start(p, argv, &o), 0);
}

/* Runs argv to its end; stdout (pipe modes) into out, stderr into err. */
static int xrunv(const char *const *argv, int closed, enum out_mode om, const char *in)
{
	struct tl_opts o = opts(closed, om);

	o.in = in;
	return tl_run_buf(argv, &o, out, sizeof out, &outlen, err, sizeof err);
}

#define XRUN(closed, in, ...) xrunv(ARGV(nipc, __VA_ARGS__), closed, OUT_PIPE, in)

/* The end of a long stderr (a trace's lines come first), for messages. */
static const char *tail(const char *s)
{
	size_t n = strlen(s);

	return n > 600 ? s + n - 600 : s;
}

/* Exit status want; with fd 1 closed a verb that prints fails instead. */
static void exits(int rc, int want, int closed, int prints)
{
	if (closed == 1 && prints) {
		if (rc != 1)
			fail_msg("fd 1 closed: exit %d (wanted 1), stderr ends: %s", rc, tail(err));
		if (!strstr(err, "nipc: write error: Bad file descriptor\n"))
			fail_msg("fd 1 closed: no write error on stderr (%zu bytes), which ends: %s",
				 strlen(err), tail(err));
		return;
	}
	if (rc != want)
		fail_msg("fd %d closed: exit %d (wanted %d), stderr ends: %s", closed, rc, want,
			 tail(err));
}

/* Polls cond(arg) every 10 ms for up to TL_T_WAIT ms. */
static void wait_until(int (*cond)(int), int arg, const char *what)
{
	for (int i = 0; i < TL_T_WAIT / 10; i++) {
		if (cond(arg))
			return;
		usleep(10000);
	}
	fail_msg("timed out waiting until %s", what);
}

/* ------------------------------------------------------------ objects */

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return (int)n;
}

static void sem_file_path(int i, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm/sem.%.62s", obj[i].name + 1);
}

/* The segment's first SEG_SIZE bytes, read without nipc; -1 if none. */
static int seg_read(int i, unsigned char *buf)
{
	if (posix) {
		char path[128];

		snprintf(path, sizeof path, "/dev/shm/%.62s", obj[i].name + 1);
		return read_file(path, (char *)buf, SEG_SIZE) == SEG_SIZE ? 0 : -1;
	}
	key_t k = ftok(obj[i].path, 'Q');
	int id = k == -1 ? -1 : shmget(k, 0, 0);
	void *p = id < 0 ? (void *)-1 : shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return -1;
	memcpy(buf, p, SEG_SIZE);
	shmdt(p);
	return 0;
}

static int seg_exists(int i)
{
	unsigned char buf[SEG_SIZE];

	return seg_read(i, buf) == 0;
}

/* Value of object i's semaphore (a segment's lock, or a semaphore): -1 if
 * there is none. */
static int sem_value(int i)
{
	int v = -1;

	if (posix) {
		sem_t *s = sem_open(obj[i].name, 0);
		if (s == SEM_FAILED)
			return -1;
		if (sem_getvalue(s, &v) < 0)
			v = -1;
		sem_close(s);
		return v;
	}
	key_t k = ftok(obj[i].path, 'Q');
	int id = k == -1 ? -1 : semget(k, 0, 0);
	return id < 0 ? -1 : semctl(id, 0, GETVAL);
}

static int k_locked(int i)
{
	return sem_value(i) == 0;
}

/* 1 if process pid maps object i's segment. */
static int maps_segment(int i, pid_t pid)
{
	char path[64], line[PATH_MAX + 256], want[128];
	int found = 0;
	FILE *f;

	if (posix)
		snprintf(want, sizeof want, "/dev/shm/%.62s", obj[i].name + 1);
	else
		snprintf(want, sizeof want, "/SYSV%08x", (unsigned)ftok(obj[i].path, 'Q'));
	snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

/* The process wait_until(mapped, i) watches. */
static pid_t mapper;

static int mapped(int i)
{
	return maps_segment(i, mapper);
}

static int s_value_is(int v)
{
	return sem_value(S) == v;
}

static int s2_value_is(int v)
{
	return sem_value(S2) == v;
}

/* POSIX: object i's sem file must equal base byte for byte (the sem_t at
 * the same value, nipc's recovery flag clear, the same size). */
static void sem_file_same(int i, const char *base, size_t base_len)
{
	char path[128], buf[4096];
	int n;

	sem_file_path(i, path, sizeof path);
	n = read_file(path, buf, sizeof buf);
	if (n != (int)base_len)
		fail_msg("%s: %d bytes, were %zu", path, n, base_len);
	for (int j = 0; j < n; j++)
		if (buf[j] != base[j])
			fail_msg("%s: byte %d is 0x%02x, was 0x%02x", path, j,
				 (unsigned char)buf[j], (unsigned char)base[j]);
}

/* Entries of dir whose name contains tag, as "a b c " in found. */
static void entries_with(const char *dir, const char *tag, char *found, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	found[0] = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] != '.' && strstr(e->d_name, tag) && strlen(found) + strlen(e->d_name) + 2 < len) {
			strcat(found, e->d_name);
			strcat(found, " ");
		}
	}
	closedir(d);
}

/* Nothing of this test in /dev/shm or the key-file directory but what is
 * expected: K and S, and K2 / S2 when they are meant to exist. */
static void nothing_extra(int k2, int s2)
{
	char tag[64], found[4096];
	int want = 0, n = 0;

	snprintf(tag, sizeof tag, "nipc-fds-%ld-%d", (long)getpid(), counter);
	if (posix) {
		entries_with("/dev/shm", tag, found, sizeof found);
		want = 3 + 2 * k2 + s2;
	} else {
		entries_with("/dev/shm", tag, found, sizeof found);
		if (found[0])
			fail_msg("System V run left in /dev/shm: %s", found);
		entries_with(tmpdir, "", found, sizeof found);
		want = 2 + k2 + s2;
	}
	for (char *p = found; (p = strchr(p, ' ')); p++)
		n++;
	if (n != want)
		fail_msg("expected %d entries of this test, found %d: %s", want, n, found);
	if (posix) {
		const int idx[] = {K, S, k2 ? K2 : -1, s2 ? S2 : -1};
		char name[128];
		for (size_t j = 0; j < 4; j++) {
			if (idx[j] < 0)
				continue;
			snprintf(name, sizeof name, "sem.%.62s ", obj[idx[j]].name + 1);
			if (!strstr(found, name))
				fail_msg("missing %s in %s", name, found);
		}
	}
}

/* Nobody holds segment i's lock: POSIX, its file is as K's was at the
 * start; System V, its semaphore is at 1, or gone (today's library removes
 * it with the last handle that opened it; it is made again on the next
 * lock). A value of 0 with no holder would be a broken lock. */
static void lock_at_rest(int i)
{
	int v = sem_value(i);

	if (posix) {
		assert_int_equal(v, 1);
		sem_file_same(i, sem_base, sem_base_len);
	} else if (v != 1 && v != -1) {
		fail_msg("System V lock at rest has value %d", v);
	}
}

/* A holder takes the lock; a second process must wait until it lets go. */
static void lock_excludes(int i)
{
	struct tl_proc holder, waiter;

	xstart(&holder, ARGV(nipc, "shm", "lock", obj[i].key), -1, OUT_PIPE);
	tl_expect_line(&holder, "locked");
	xstart(&waiter, ARGV(nipc, "shm", "lock", obj[i].key, "--for", "0"), -1, OUT_PIPE);
	tl_expect_blocked(&waiter);
	tl_lock_handover(&holder, &waiter);
}

/* After a run: K holds pattern, its lock is at rest and untouched, still
 * excludes, a later nipc reads it, and nothing else was left behind. */
static void k_intact(void)
{
	unsigned char now[SEG_SIZE];

	assert_int_equal(seg_read(K, now), 0);
	assert_memory_equal(now, pattern, SEG_SIZE);
	lock_at_rest(K);
	lock_excludes(K);
	if (XRUN(-1, NULL, "shm", "cat", obj[K].key) != 0)
		fail_msg("a later cat failed: %s", err);
	assert_int_equal(outlen, SEG_SIZE);
	assert_memory_equal(out, pattern, SEG_SIZE);
	nothing_extra(0, 0);
}

/* After a run: S at value 2 with its file as at the start. */
static void s_intact(void)
{
	assert_int_equal(sem_value(S), 2);
	if (posix)
		sem_file_same(S, ssem_base, ssem_base_len);
	nothing_extra(0, 0);
}

/* ------------------------------------------------------------ fixtures */

/* Key files, and nipc key safe's runtime-root (when $XDG_RUNTIME_DIR is
 * unusable), go to the scratch directory. */
static int group_setup(void **state)
{
	(void)state;
	tmpdir = tl_scratch();
	nipc = tl_nipc();
	setenv("TMPDIR", tmpdir, 1);
	alarm(900); /* a deadlock fails the run instead of hanging it */
	return access(nipc, X_OK) ? -1 : 0;
}

static void set_pattern(const char *tag)
{
	for (int i = 0; i < SEG_SIZE; i++)
		pattern[i] = (unsigned char)(tag[i % strlen(tag)] + i / 8);
	pattern[SEG_SIZE] = 0;
}

/* K: a segment holding pattern; S: a semaphore at 2. */
static int setup(void **state)
{
	static const char *const suffix[NOBJ] = {"", "-k2", "-s", "-s2"};
	char path[128];

	counter++;
	posix = *state == tl_posix;
	for (int i = 0; i < NOBJ; i++) {
		struct obj *o = &obj[i];
		snprintf(o->name, sizeof o->name, "/nipc-fds-%ld-%d%s", (long)getpid(), counter,
			 suffix[i]);
		snprintf(o->path, sizeof o->path, "%s/nipc-fds-%ld-%d%s", tmpdir, (long)getpid(),
			 counter, suffix[i]);
		tl_ledger_posix(o->name);
		if (posix)
			snprintf(o->key, sizeof o->key, "posix:%s", o->name);
		else
			snprintf(o->key, sizeof o->key, "systemv:%s", o->path);
	}
	tl_ledger_dir(tmpdir);
	set_pattern("setup");
	if (XRUN(-1, NULL, "shm", "create", obj[K].key, "64") ||
	    xrunv(ARGV(nipc, "shm", "write", obj[K].key), -1, OUT_PIPE, (const char *)pattern) ||
	    XRUN(-1, NULL, "sem", "create", obj[S].key, "2"))
		return -1;
	if (!posix) {
		char line[64];

		xstart(&anchor, ARGV(nipc, "shm", "attach", obj[K].key), -1, OUT_PIPE);
		if (tl_line(&anchor, line, sizeof line, TL_T_WAIT) != 1 || strcmp(line, "attached"))
			return -1;
	}
	if (posix) {
		sem_file_path(K, path, sizeof path);
		sem_base_len = (size_t)read_file(path, sem_base, sizeof sem_base);
		sem_file_path(S, path, sizeof path);
		ssem_base_len = (size_t)read_file(path, ssem_base, sizeof ssem_base);
	}
	return 0;
}

static int teardown(void **state)
{
	if (anchor.pid > 0)
		tl_wait(&anchor, TL_T_WAIT);
	tl_proc_free(&anchor);
	return tl_teardown(state);
}

/* ------------------------------------------------------------ shm verbs */

static void shm_cat(void **state)
{
	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		int rc = XRUN(fd, NULL, "shm", "cat", obj[K].key);
		exits(rc, 0, fd, 1);
		if (fd != 1) {
			assert_int_equal(outlen, SEG_SIZE);
			assert_memory_equal(out, pattern, SEG_SIZE);
		}
		k_intact();
	}
}

static void shm_info(void **state)
{
	(void)state;
	for (int json = 0; json < 2; json++) {
		for (int fd = 0; fd < 3; fd++) {
			int rc = json ? XRUN(fd, NULL, "shm", "info", obj[K].key, "--json")
				      : XRUN(fd, NULL, "shm", "info", obj[K].key);
			exits(rc, 0, fd, 1);
			if (fd != 1)
				assert_non_null(strstr(out, json ? "\"size\":64," : "size:        64\n"));
			k_intact();
		}
	}
}

static void shm_write(void **state)
{
	char data[32];

	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		snprintf(data, sizeof data, "written with fd %d closed", fd);
		int rc = XRUN(fd, data, "shm", "write", obj[K].key);
		if (fd == 0) {
			/* stdin closed: a read error, and nothing written */
			if (rc != 1 || !strstr(err, "reading stdin: Bad file descriptor"))
				fail_msg("fd 0 closed: exit %d, stderr: %s", rc, err);
		} else {
			exits(rc, 0, fd, 0);
			memcpy(pattern, data, strlen(data));
		}
		k_intact();
	}
}

static void shm_lock_for(void **state)
{
	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		int rc = XRUN(fd, NULL, "shm", "lock", obj[K].key, "--for", "20");
		exits(rc, 0, fd, 1);
		if (fd != 1)
			assert_string_equal(out, "locked\nunlocked\n");
		k_intact();
	}
}

/* lock without --for holds until stdin ends: a closed stdin ends it at
 * once; otherwise it must exclude a second process while it holds. */
static void shm_lock_hold(void **state)
{
	struct tl_proc holder, waiter;

	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		xstart(&holder, ARGV(nipc, "shm", "lock", obj[K].key), fd, OUT_PIPE);
		if (fd == 2)
			tl_expect_line(&holder, "locked");
		if (fd == 1)
			wait_until(k_locked, K, "the holder has the lock");
		if (fd != 0) {
			xstart(&waiter, ARGV(nipc, "shm", "lock", obj[K].key, "--for", "0"), -1,
			       OUT_PIPE);
			tl_expect_blocked(&waiter);
			tl_close_in(&holder);
			tl_expect_exit(&waiter, 0);
		}
		tl_expect_exit(&holder, fd == 1 ? 1 : 0);
		if (fd == 1 && !strstr(holder.e.p, "nipc: write error: Bad file descriptor"))
			fail_msg("fd 1 closed: no write error: %s", holder.e.p);
		k_intact();
	}
}

/* attach stays attached until stdin ends; the lock works meanwhile. */
static void shm_attach(void **state)
{
	struct tl_proc att;

	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		xstart(&att, ARGV(nipc, "shm", "attach", obj[K].key), fd, OUT_PIPE);
		if (fd == 2)
			tl_expect_line(&att, "attached");
		if (fd == 1) {
			mapper = att.pid;
			wait_until(mapped, K, "attach maps the segment");
		}
		if (fd != 0)
			lock_excludes(K);
		tl_close_in(&att);
		tl_expect_exit(&att, fd == 1 ? 1 : 0);
		k_intact();
	}
}

/* A segment made with a closed descriptor: zeroed, its lock sane and
 * excluding; removed again by the recovery idiom, leaving nothing. */
static void shm_create(void **state)
{
	unsigned char now[SEG_SIZE], zero[SEG_SIZE] = {0};

	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		int rc = XRUN(fd, NULL, "shm", "create", obj[K2].key, "64");
		exits(rc, 0, fd, 0);
		assert_int_equal(seg_read(K2, now), 0);
		assert_memory_equal(now, zero, SEG_SIZE);
		lock_at_rest(K2);
		struct tl_proc att;
		if (!posix) {
			xstart(&att, ARGV(nipc, "shm", "attach", obj[K2].key), -1, OUT_PIPE);
			tl_expect_line(&att, "attached");
		}
		lock_excludes(K2);
		nothing_extra(1, 0);
		if (!posix)
			tl_expect_exit(&att, 0);
		if (XRUN(-1, NULL, "shm", "info", obj[K2].key, "--cleanup") != 0)
			fail_msg("info --cleanup: %s", err);
		assert_false(seg_exists(K2));
		k_intact();
	}
}

static void shm_create_hold(void **state)
{
	struct tl_proc owner;

	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		xstart(&owner, ARGV(nipc, "shm", "create", obj[K2].key, "64", "--hold"), fd,
		       OUT_PIPE);
		if (fd == 2)
			tl_expect_line(&owner, "created");
		if (fd == 1) {
			mapper = owner.pid;
			wait_until(mapped, K2, "create --hold maps the segment");
		}
		if (fd != 0) {
			lock_at_rest(K2);
			lock_excludes(K2);
			nothing_extra(1, 0);
		}
		tl_close_in(&owner);
		tl_expect_exit(&owner, fd == 1 ? 1 : 0);
		assert_false(seg_exists(K2));
		k_intact();
	}
}

/* ------------------------------------------------------------ sem verbs */

/* A plain acquire or release lasts on both backends (no SEM_UNDO). */
static void sem_back_to_two(void)
{
	int v = sem_value(S);

	if (v == 1)
		assert_int_equal(XRUN(-1, NULL, "sem", "release", obj[S].key), 0);
	else if (v == 3)
		assert_int_equal(XRUN(-1, NULL, "sem", "acquire", obj[S].key), 0);
}

static void sem_acquire_release(void **state)
{
	(void)state;
	for (int acq = 0; acq < 2; acq++) {
		for (int fd = 0; fd < 3; fd++) {
			int rc = XRUN(fd, NULL, "sem", acq ? "acquire" : "release", obj[S].key);
			exits(rc, 0, fd, 0);
			assert_int_equal(outlen, 0);
			assert_int_equal(sem_value(S), acq ? 1 : 3);
			sem_back_to_two();
			s_intact();
		}
	}
}

/* acquire/release --hold keep their effect, also after stdin ends. */
static void sem_hold(void **state)
{
	struct tl_proc p;

	(void)state;
	for (int acq = 0; acq < 2; acq++) {
		int held = acq ? 1 : 3;

		for (int fd = 0; fd < 3; fd++) {
			xstart(&p, ARGV(nipc, "sem", acq ? "acquire" : "release", obj[S].key, "--hold"),
			       fd, OUT_PIPE);
			if (fd == 2)
				tl_expect_line(&p, acq ? "acquired" : "released");
			if (fd != 0) {
				wait_until(s_value_is, held, "the hold's value");
				tl_close_in(&p);
			}
			tl_expect_exit(&p, fd == 1 ? 1 : 0);
			assert_int_equal(sem_value(S), held);
			sem_back_to_two();
			s_intact();
		}
	}
}

static void sem_remove(int i)
{
	key_t k = ftok(obj[i].path, 'Q');
	int id = k == -1 ? -1 : semget(k, 0, 0);

	if (posix) {
		sem_unlink(obj[i].name);
		return;
	}
	if (id >= 0)
		semctl(id, 0, IPC_RMID);
	unlink(obj[i].path);
}

static void sem_create(void **state)
{
	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		exits(XRUN(fd, NULL, "sem", "create", obj[S2].key, "3"), 0, fd, 0);
		assert_int_equal(sem_value(S2), 3);
		assert_int_equal(XRUN(-1, NULL, "sem", "acquire", obj[S2].key, "3"), 0);
		nothing_extra(0, 1);
		sem_remove(S2);
		s_intact();
	}
}

static void sem_create_hold(void **state)
{
	struct tl_proc owner;

	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		xstart(&owner, ARGV(nipc, "sem", "create", obj[S2].key, "1", "--hold"), fd, OUT_PIPE);
		if (fd == 2)
			tl_expect_line(&owner, "created");
		if (fd != 0) {
			wait_until(s2_value_is, 1, "the semaphore is made");
			/* a later process takes it */
			assert_int_equal(XRUN(-1, NULL, "sem", "acquire", obj[S2].key), 0);
			nothing_extra(0, 1);
			tl_close_in(&owner);
		}
		tl_expect_exit(&owner, fd == 1 ? 1 : 0);
		assert_int_equal(sem_value(S2), -1);
		s_intact();
	}
}

/* ------------------------------------------------------------ trace */

static void trace(void **state)
{
	(void)state;
	for (int fd = 0; fd < 3; fd++) {
		/* the traced command's status is trace's: cat fails to write */
		int rc = XRUN(fd, NULL, "trace", "--", nipc, "shm", "cat", obj[K].key);
		exits(rc, 0, fd, 1);
		if (fd != 1)
			assert_memory_equal(out, pattern, SEG_SIZE);
		k_intact();
		rc = XRUN(fd, NULL, "trace", "--summary", "--", nipc, "shm", "lock", obj[K].key,
			  "--for", "10");
		exits(rc, 0, fd, 1);
		if (fd == 0 && !strstr(err, "total"))
			fail_msg("no summary on stderr: %s", err);
		k_intact();
	}
}

/* ------------------------------------------------------------ key, help */

/* Each command with fd 0, 1, 2 closed, stdout on /dev/full and on a pipe
 * without reader: the same output when stdout works, exit 1 and the
 * reason when it does not. */
static void printing(const char *const *argv)
{
	char ref[sizeof out];
	size_t reflen;
	int rc = xrunv(argv, -1, OUT_PIPE, NULL);

	if (rc != 0 || outlen == 0)
		fail_msg("%s %s: exit %d, %zu bytes out, stderr: %s", argv[1], argv[2] ? argv[2] : "",
			 rc, outlen, err);
	memcpy(ref, out, outlen + 1);
	reflen = outlen;
	for (int fd = 0; fd < 3; fd++) {
		rc = xrunv(argv, fd, OUT_PIPE, NULL);
		exits(rc, 0, fd, 1);
		if (fd != 1 && (outlen != reflen || memcmp(out, ref, reflen)))
			fail_msg("%s: fd %d closed changed the output: %s", argv[1], fd, out);
	}
	rc = xrunv(argv, -1, OUT_FULL, NULL);
	if (rc != 1 || !strstr(err, "nipc: write error: No space left on device\n"))
		fail_msg("%s >/dev/full: exit %d, stderr: %s", argv[1], rc, err);
	rc = xrunv(argv, -1, OUT_NOREADER, NULL);
	if (rc != 1 || !strstr(err, "nipc: write error: Broken pipe\n"))
		fail_msg("%s | (no reader): exit %d, stderr: %s", argv[1], rc, err);
}

static void key_verbs(void **state)
{
	char file[PATH_MAX];
	int fd;

	(void)state;
	snprintf(file, sizeof file, "%s/ftok-file", tmpdir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	for (int json = 0; json < 2; json++) {
		const char *j = json ? "--json" : NULL;

		printing(ARGV(nipc, "key", "format", "posix", "/app", j));
		printing(ARGV(nipc, "key", "format", "systemv", "/tmp/app", j));
		printing(ARGV(nipc, "key", "parse", "posix:/app", j));
		printing(ARGV(nipc, "key", "parse", "systemv:/tmp/app", j));
		printing(ARGV(nipc, "key", "safe", "shm", "posix", "app", j));
		printing(ARGV(nipc, "key", "safe", "sem", "systemv", "app", j));
		printing(ARGV(nipc, "key", "legacy", "shm", "posix", "app", j));
		printing(ARGV(nipc, "key", "legacy", "sem", "systemv", "app", j));
		printing(ARGV(nipc, "key", "ftok", file, j));
	}
	unlink(file);
}

static void help_version(void **state)
{
	(void)state;
	printing(ARGV(nipc, "--help"));
	printing(ARGV(nipc, "--version"));
	printing(ARGV(nipc, "key", "--help"));
	printing(ARGV(nipc, "shm", "--help"));
	printing(ARGV(nipc, "shm", "cat", "--help"));
	printing(ARGV(nipc, "sem", "--help"));
	printing(ARGV(nipc, "trace", "--help"));
}

/* A usage error keeps its status 2 with any descriptor closed. */
static void usage_error(void **state)
{
	(void)state;
	for (int fd = 0; fd < 3; fd++)
		assert_int_equal(XRUN(fd, NULL, "frobnicate"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_BOTH(shm_cat),
		TL_BOTH(shm_info),
		TL_BOTH(shm_write),
		TL_BOTH(shm_lock_for),
		TL_BOTH(shm_lock_hold),
		TL_BOTH(shm_attach),
		TL_BOTH(shm_create),
		TL_BOTH(shm_create_hold),
		TL_BOTH(sem_acquire_release),
		TL_BOTH(sem_hold),
		TL_BOTH(sem_create),
		TL_BOTH(sem_create_hold),
		TL_BOTH(trace),
		cmocka_unit_test(key_verbs),
		cmocka_unit_test(help_version),
		cmocka_unit_test(usage_error),
	};

	return TL_MAIN("cli_fds", tests, group_setup, NULL);
}
