/* SPDX-License-Identifier: MIT */
/* The segment lock and data shared with a real Qt 6.8 (the qt68ipc probe of
 * shared/qt68-ref: QSharedMemory with POSIX keys) and the nipc tool: data
 * both ways, a lock held by either side keeps the other out and lets it in
 * once given back, rounds that alternate the holder, and what a Qt 6.8
 * create() on a live segment does to a nipc holder, observed and asserted.
 * Qt 6.8 never unlinks a POSIX segment on Linux, so every case unlinks its
 * segment and lock by name at the end, even when it fails. The cases skip
 * when the probe is absent or does not run. */
#include "config.h"

#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


#define T_LINE 10000   /* ms to wait for an expected line or exit */
#define T_QUIET 500    /* ms a blocked side must stay blocked */
#define T_GET 2000     /* ms a waiting nipc locker may take after an unlock */
#define QT_HOLD "2500" /* ms Qt holds in qt_lock_blocks_nipc (> T_QUIET + slack) */
#define ROUNDS 4
#define T_TEST 30 /* s per case (alarm) */

#define PROBE_REL "shared/qt68-ref/qt68ipc"
#define SHM_DIR "/dev/shm"

static char qt[PATH_MAX + 64];
static char qt_why[PATH_MAX + 2048]; /* why the cases skip; "" when they run */
static char name[64], key[80], shm_path[PATH_MAX], sem_path[PATH_MAX];
static int counter;

/* ------------------------------------------------------ finding the probe */

/* 1 if it runs: `key` parses a POSIX key without touching the system. */
static int probe_runs(const char *path)
{
	struct tl_proc p;
	int rc = tl_run(&p, TL_ARGV(path, "key", "posix:/x"), NULL);
	const char *say = p.e.p[0] ? p.e.p : p.o.p;

	if (rc == 0 && !strncmp(p.o.p, "key: type=0x100 ", 16)) {
		tl_proc_free(&p);
		return 1;
	}
	snprintf(qt_why, sizeof qt_why, "%s does not run (exit %d): %.*s", path, rc,
		 (int)strcspn(say, "\n"), say);
	tl_proc_free(&p);
	return 0;
}

/* NIPC_QT68_DIR (the directory or the probe itself), else shared/qt68-ref
 * beside the source tree or beside one of its ancestors (distcheck's
 * source tree lies inside the clone). 0 with qt set, or -1 with qt_why. */
static int find_probe(void)
{
	const char *env = getenv("NIPC_QT68_DIR"), *src = getenv("NIPC_TOP_SRCDIR");
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (env && env[0]) {
		if (stat(env, &st) == 0 && S_ISDIR(st.st_mode))
			snprintf(qt, sizeof qt, "%s/qt68ipc", env);
		else
			snprintf(qt, sizeof qt, "%s", env);
		if (access(qt, X_OK) == 0)
			return 0;
		snprintf(qt_why, sizeof qt_why, "NIPC_QT68_DIR=%s: no executable qt68ipc", env);
		return -1;
	}
	if (!src || !realpath(src, dir)) {
		snprintf(qt_why, sizeof qt_why, "NIPC_TOP_SRCDIR unset or missing");
		return -1;
	}
	while (strcmp(dir, "/")) {
		slash = strrchr(dir, '/');
		slash[slash == dir] = '\0';
		snprintf(qt, sizeof qt, "%s/%s", strcmp(dir, "/") ? dir : "", PROBE_REL);
		if (access(qt, X_OK) == 0)
			return 0;
	}
	snprintf(qt_why, sizeof qt_why,
		 "no %s beside %s or its parents, and NIPC_QT68_DIR is not set", PROBE_REL, src);
	return -1;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n = 0;
	int in = open(from, O_RDONLY | O_CLOEXEC), out, ok = 0;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		ok = close(out) == 0 && n == 0;
	}
	close(in);
	return ok ? 0 : -1;
}

/* A copy that does not keep symlinks turns libQt6Core.so.6 into a small
 * file holding its target's name, and the loader fails with "file too
 * short". Then run a copy of the probe from a private directory with the
 * link made again: the probe finds QtCore through RUNPATH=$ORIGIN. */
static int stage_probe(void)
{
	char dir[PATH_MAX], lib[PATH_MAX + 32], target[64], real[PATH_MAX + 96];
	char stage[PATH_MAX], to[PATH_MAX + 32];
	struct stat st;
	char *text;

	if (!realpath(qt, dir))
		return -1;
	*strrchr(dir, '/') = '\0';
	snprintf(lib, sizeof lib, "%s/libQt6Core.so.6", dir);
	if (lstat(lib, &st) || !S_ISREG(st.st_mode) || st.st_size >= (off_t)sizeof target ||
	    !(text = tl_slurp(lib)))
		return -1;
	snprintf(target, sizeof target, "%s", text);
	free(text);
	target[strcspn(target, "\n")] = '\0';
	snprintf(real, sizeof real, "%s/%s", dir, target);
	if (strchr(target, '/') || strncmp(target, "libQt6Core.so.6.", 16) || access(real, R_OK))
		return -1;
	snprintf(stage, sizeof stage, "%s", tl_path("qt68"));
	if (mkdir(stage, 0755))
		return -1;
	snprintf(to, sizeof to, "%s/libQt6Core.so.6", stage);
	if (symlink(real, to))
		return -1;
	snprintf(to, sizeof to, "%s/qt68ipc", stage);
	if (copy_file(qt, to, 0755))
		return -1;
	print_message("# %s is a file naming %s (a symlink lost in a copy): "
		      "running a copy of the probe in %s\n", lib, target, stage);
	snprintf(qt, sizeof qt, "%s", to);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (access(tl_nipc(), X_OK))
		return -1;
	if (find_probe() == 0 && !probe_runs(qt)) {
		char why[sizeof qt_why];

		snprintf(why, sizeof why, "%s", qt_why);
		if (stage_probe() == 0 && probe_runs(qt))
			qt_why[0] = '\0';
		else
			snprintf(qt_why, sizeof qt_why, "%s", why);
	}
	if (!qt_why[0])
		print_message("# Qt 6.8 probe: %s\n", qt);
	return 0;
}

/* First in every case: skips it when the probe is not usable. */
#define NEED_QT68()                                                 \
	do {                                                        \
		if (qt_why[0]) {                                    \
			print_message("# SKIP: %s\n", qt_why);      \
			skip();                                     \
		}                                                   \
	} while (0)

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof name, "nipcqt68_%ld_%d", (long)getpid(), ++counter);
	snprintf(key, sizeof key, "posix:/%s", name);
	snprintf(shm_path, sizeof shm_path, SHM_DIR "/%s", name);
	snprintf(sem_path, sizeof sem_path, SHM_DIR "/sem.%s", name);
	tl_ledger_posix(key + strlen("posix:"));
	alarm(T_TEST);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_kill_all();
	tl_ledger_clean();
	alarm(0);
	return 0;
}

/* ------------------------------------------------------------ processes */

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static ino_t inode(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		fail_msg("%s: %s", path, strerror(errno));
	return st.st_ino;
}

static void assert_nothing_left(void)
{
	if (exists(shm_path) || exists(sem_path))
		fail_msg("left behind:%s%s", exists(shm_path) ? " segment" : "",
			 exists(sem_path) ? " lock" : "");
}

/* `nipc shm create KEY 4096 --hold`, attached until its stdin gets a line
 * (the test skips without Qt 6.8). */
static void nipc_create(struct tl_proc *p)
{
	NEED_QT68();
	tl_start_ok(p, TL_ARGV(tl_nipc(), "shm", "create", key, "4096", "--hold"), NULL);
	tl_expect(p, "created", T_LINE);
	assert_true(exists(shm_path));
}

/* nipc_create's process lets go: its last detach removes everything. */
static void nipc_done(struct tl_proc *p)
{
	tl_let_go(p, "nipc shm create --hold");
	assert_nothing_left();
}

/* nipc cat: the segment must begin with text and its NUL. */
static void nipc_sees(const char *text)
{
	char out[4096];
	size_t n;

	n = tl_run_ok(TL_ARGV(tl_nipc(), "shm", "cat", key, "--size", "64"), NULL, 0, out,
		      sizeof out);
	if (n != 64 || memcmp(out, text, strlen(text) + 1))
		fail_msg("nipc shm cat: %zu bytes '%.64s', expected '%s' and its NUL", n, out,
			 text);
}

/* The segment must begin with text and its NUL, read without the lock:
 * what a blocked writer must not have changed yet. */
static void peek_sees(const char *text)
{
	char buf[64];
	int fd = open(shm_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf, 0);

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof buf)
		fail_msg("%s: cannot read it", shm_path);
	if (memcmp(buf, text, strlen(text) + 1))
		fail_msg("the segment holds '%.64s' while a writer waits; expected '%s'", buf,
			 text);
}

/* Qt read: the segment must hold text. */
static void qt_sees(const char *text)
{
	char out[4096], want[600];

	tl_run_ok(TL_ARGV(qt, "read", key), NULL, 0, out, sizeof out);
	snprintf(want, sizeof want, "read: %s\n", text);
	assert_string_equal(out, want);
}

static void qt_write(const char *text)
{
	char out[512], want[64];

	tl_run_ok(TL_ARGV(qt, "write", key, text), NULL, 0, out, sizeof out);
	snprintf(want, sizeof want, "written %zu\n", strlen(text) + 1);
	assert_string_equal(out, want);
}

static void nipc_write(const char *text)
{
	char out[512];

	tl_run_ok(TL_ARGV(tl_nipc(), "shm", "write", key), text, strlen(text) + 1, out, sizeof out);
}

/* `nipc shm write KEY` started with text and its NUL on stdin. */
static void nipc_write_start(struct tl_proc *p, const char *text)
{
	tl_start_ok(p, TL_ARGV(tl_nipc(), "shm", "write", key), NULL);
	assert_true(write(p->in, text, strlen(text) + 1) == (ssize_t)strlen(text) + 1);
	tl_close_in(p);
}

static long ms_since(long long t0)
{
	return (long)((tl_mono_ns() - t0) / 1000000);
}

/* --------------------------------------------------------------- cases */

/* A segment nipc made: Qt's bytes reach nipc and nipc's reach Qt, each
 * written and read under the lock; nipc's last detach removes everything. */
static void nipc_creates_data_both_ways(void **state)
{
	struct tl_proc c;

	(void)state;
	nipc_create(&c);
	qt_write("written by Qt 6.8");
	nipc_sees("written by Qt 6.8");
	nipc_write("written by nipc");
	qt_sees("written by nipc");
	nipc_done(&c);
}

/* A segment Qt made (glibc's own 32-byte lock file, which nipc extends):
 * data both ways, and a nipc holder keeps Qt out. */
static void qt_creates_data_both_ways(void **state)
{
	struct tl_proc c, h, r;

	(void)state;
	NEED_QT68();
	tl_start_ok(&c, TL_ARGV(qt, "create", key, "4096", "hold"), "ready");
	nipc_sees("hello from qt68");
	nipc_write("written by nipc");
	qt_sees("written by nipc");

	tl_start_ok(&h, TL_ARGV(tl_nipc(), "shm", "lock", key), "locked");
	tl_start_ok(&r, TL_ARGV(qt, "read", key), NULL);
	tl_expect_waits(&r, "Qt's read", T_QUIET);
	tl_let_go(&h, "nipc shm lock");
	assert_string_equal(tl_expect(&r, "read:", T_LINE), "written by nipc");
	tl_finish_ok(&r, "qt68ipc read");
	tl_let_go(&c, "qt68ipc create hold");
}

/* Qt 6.8 keeps a segment mapped without any lock nipc could see; nipc's
 * last detach (cleanup on) still finds it in /proc and keeps the segment
 * for Qt. Once Qt has gone too, nipc's next last detach removes it. */
static void qt_attached_segment_kept(void **state)
{
	struct tl_proc c, a, b;

	(void)state;
	NEED_QT68();
	tl_start_ok(&c, TL_ARGV(qt, "create", key, "4096", "hold"), "ready");
	tl_start_ok(&a, TL_ARGV(tl_nipc(), "shm", "attach", key, "--cleanup"), "attached");
	tl_let_go(&a, "nipc shm attach --cleanup");
	if (!exists(shm_path))
		fail_msg("nipc's last detach removed a segment Qt 6.8 still maps");
	qt_sees("hello from qt68");
	tl_let_go(&c, "qt68ipc create hold");

	tl_start_ok(&b, TL_ARGV(tl_nipc(), "shm", "attach", key, "--cleanup"), "attached");
	tl_let_go(&b, "nipc shm attach --cleanup");
	assert_false(exists(shm_path));
	assert_nothing_left();
}

/* nipc holds the lock: Qt's read (which takes it) waits until nipc lets go. */
static void nipc_lock_blocks_qt(void **state)
{
	struct tl_proc c, h, r;
	long long t;

	(void)state;
	nipc_create(&c);
	nipc_write("before");
	tl_start_ok(&h, TL_ARGV(tl_nipc(), "shm", "lock", key), "locked");
	tl_start_ok(&r, TL_ARGV(qt, "read", key), NULL);
	tl_expect_waits(&r, "Qt's read", T_QUIET);
	assert_int_equal(tl_write(&h, "\n"), 0);
	tl_expect(&h, "unlocked", T_LINE);
	t = tl_mono_ns();
	assert_string_equal(tl_expect(&r, "read:", T_LINE), "before");
	print_message("# Qt's read came %ld ms after nipc's unlocked\n", ms_since(t));
	tl_finish_ok(&r, "qt68ipc read");
	tl_finish_ok(&h, "nipc shm lock");
	nipc_done(&c);
}

/* Qt holds the lock: nipc's locker (which polls the sem_t while a holder
 * that is not nipc has the count) stays out, and gets it soon after Qt's
 * unlock. */
static void qt_lock_blocks_nipc(void **state)
{
	struct tl_proc c, q, l;
	long long tu = 0, tl = 0, deadline;
	char line[256];

	(void)state;
	nipc_create(&c);
	tl_start_ok(&q, TL_ARGV(qt, "lockhold", key, QT_HOLD), "locked");
	tl_start_ok(&l, TL_ARGV(tl_nipc(), "shm", "lock", key, "--for", "0"), NULL);
	tl_expect_waits(&l, "nipc shm lock", T_QUIET);
	/* both lines, each timed as it comes (resolution a few ms) */
	deadline = tl_mono_ns() + T_LINE * 1000000LL;
	while ((!tu || !tl) && tl_mono_ns() < deadline) {
		if (!tu && tl_line(&q, line, sizeof line, 2) == 1) {
			assert_string_equal(line, "unlocked");
			tu = tl_mono_ns();
		}
		if (!tl && tl_line(&l, line, sizeof line, 2) == 1) {
			assert_string_equal(line, "locked");
			tl = tl_mono_ns();
		}
	}
	if (!tu)
		fail_msg("Qt never printed unlocked");
	if (!tl)
		fail_msg("nipc never got the lock (%ld ms after Qt's unlock)", ms_since(tu));
	print_message("# nipc got the lock %ld ms after Qt's unlocked\n",
		      (long)((tl - tu) / 1000000));
	if (tl - tu > T_GET * 1000000LL)
		fail_msg("nipc got the lock only %lld ms after Qt's unlock", (tl - tu) / 1000000);
	tl_expect(&l, "unlocked", T_LINE);
	tl_finish_ok(&l, "nipc shm lock");
	tl_finish_ok(&q, "qt68ipc lockhold");
	nipc_done(&c);
}

/* The holder alternates: nipc holds while Qt's write waits, then Qt holds
 * while nipc's write waits; each round's waiting write lands after the
 * holder let go, and the other side reads it. */
static void alternating_rounds(void **state)
{
	struct tl_proc c, h, w;
	char text[64], prev[64] = "";
	long long t;

	(void)state;
	nipc_create(&c);
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 2 == 0) {
			snprintf(text, sizeof text, "round %d by Qt", i);
			tl_start_ok(&h, TL_ARGV(tl_nipc(), "shm", "lock", key), "locked");
			tl_start_ok(&w, TL_ARGV(qt, "write", key, text), NULL);
			tl_expect_waits(&w, "Qt's write", T_QUIET);
			peek_sees(prev);
			tl_let_go(&h, "nipc shm lock");
			tl_expect(&w, "written", T_LINE);
			tl_finish_ok(&w, "qt68ipc write");
			nipc_sees(text);
		} else {
			snprintf(text, sizeof text, "round %d by nipc", i);
			tl_start_ok(&h, TL_ARGV(qt, "lockhold", key, "1500"), "locked");
			nipc_write_start(&w, text);
			tl_expect_waits(&w, "nipc shm write", T_QUIET);
			peek_sees(prev);
			tl_expect(&h, "unlocked", T_LINE);
			t = tl_mono_ns();
			tl_finish_ok(&w, "nipc shm write");
			print_message("# round %d: nipc's write ended %ld ms after Qt's unlocked\n",
				      i, ms_since(t));
			tl_finish_ok(&h, "qt68ipc lockhold");
			qt_sees(text);
		}
		snprintf(prev, sizeof prev, "%s", text);
	}
	nipc_done(&c);
}

/* Qt 6.8's create() on a segment that exists opens the lock in Create
 * mode: it unlinks the live lock, makes a new one, fails on the segment
 * and unlinks its new lock again. A nipc process that held the lock keeps
 * holding the unlinked one, while the next locker makes a new lock and
 * gets it at once: the two do not exclude each other. Newcomers on the
 * new lock exclude each other again, and the old holder's unlock is not an
 * error. Observed with Qt 6.8.0; nipc cannot prevent it. */
static void qt_create_unlinks_held_lock(void **state)
{
	struct tl_proc c, h1, h2, l3, r, q;
	ino_t seg, old;
	long long t;
	int rc;

	(void)state;
	nipc_create(&c);
	nipc_write("before");
	tl_start_ok(&h1, TL_ARGV(tl_nipc(), "shm", "lock", key), "locked");
	seg = inode(shm_path);
	old = inode(sem_path);

	rc = tl_run(&q, TL_ARGV(qt, "create", key, "4096"), NULL);
	if (rc != 1 || !strstr(q.o.p, "already exists"))
		fail_msg("Qt's create: exit %d, '%s' (expected it to fail: already exists)", rc,
			 q.o.p);
	tl_proc_free(&q);
	assert_int_equal(inode(shm_path), seg);
	if (exists(sem_path))
		fail_msg("the lock file is still there after Qt's create (same inode: %s)",
			 inode(sem_path) == old ? "yes" : "no");

	/* the next locker makes a new lock: in at once, though h1 holds */
	t = tl_mono_ns();
	tl_start_ok(&h2, TL_ARGV(tl_nipc(), "shm", "lock", key), NULL);
	tl_expect(&h2, "locked", T_GET);
	print_message("# a new nipc locker got a new lock in %ld ms while the first held "
		      "the unlinked one\n", ms_since(t));
	assert_true(tl_running(&h1));
	assert_int_not_equal(inode(sem_path), old);

	/* on the new lock nipc and Qt exclude again */
	tl_start_ok(&l3, TL_ARGV(tl_nipc(), "shm", "lock", key, "--for", "0"), NULL);
	tl_start_ok(&r, TL_ARGV(qt, "read", key), NULL);
	tl_expect_waits(&l3, "a second locker on the new lock", T_QUIET);
	tl_expect_waits(&r, "Qt's read on the new lock", T_QUIET);
	tl_let_go(&h2, "nipc shm lock (new lock)");
	tl_expect(&l3, "locked", T_LINE);
	tl_expect(&l3, "unlocked", T_LINE);
	tl_finish_ok(&l3, "nipc shm lock --for 0");
	assert_string_equal(tl_expect(&r, "read:", T_LINE), "before");
	tl_finish_ok(&r, "qt68ipc read");

	/* the first holder gives back the unlinked lock without an error */
	assert_int_equal(tl_write(&h1, "\n"), 0);
	tl_expect(&h1, "unlocked", T_LINE);
	tl_finish_ok(&h1, "nipc shm lock (unlinked lock)");

	/* the creator's handle opened the lock before Qt's create: taking it
	 * for the last detach, it finds its lock file without a name and
	 * follows the name to the new lock, so the last detach removes the
	 * segment and the lock everyone uses now: nothing is left */
	tl_let_go(&c, "nipc shm create --hold");
	assert_false(exists(shm_path));
	assert_false(exists(sem_path));
	(void)rc;
	assert_nothing_left();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(nipc_creates_data_both_ways),
		T(qt_creates_data_both_ways),
		T(nipc_lock_blocks_qt),
		T(qt_lock_blocks_nipc),
		T(alternating_rounds),
		T(qt_create_unlinks_held_lock),
		T(qt_attached_segment_kept),
	};

	return TL_MAIN("qt68_lock", tests, group_setup, NULL);
}
