/* SPDX-License-Identifier: MIT */
/* cleanup= rules and the ledger (nipc-preload(7) CLEANUP, THE LEDGER) with
 * real processes: a normal exit removes a cleanup=exit object; one killed
 * with SIGKILL is removed by nipc run when the command ends, or by the
 * next opener under the shim; an object another process maps survives its
 * creator; close_range in the program changes nothing; last-detach acts
 * when the last user unmaps, closes, sem_closes or shmdts, while it runs,
 * and a process that only opened it keeps it; cleanup=never
 * keeps it; the record names its creator; a writer killed holding the
 * ledger's lock leaves a usable ledger. Each test uses a ledger of its own
 * (NIPC_LEDGER_DIR in the scratch directory). */
#include "config.h"

#include "tlib.h"
#include "../shim/ledger.h"
#include "../shim/rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[PATH_MAX], env_dir[PATH_MAX + 32];
static size_t olen;      /* tl_run_buf wants it */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/ledger", tl_scratch());
	mkdir(dir, 0700);
	tl_ledger_dir(dir);
	snprintf(env_dir, sizeof env_dir, "NIPC_LEDGER_DIR=%s", dir);
	setenv("NIPC_LEDGER_DIR", dir, 1);
	return 0;
}

static int exists(const char *name)
{
	char path[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof path, "/dev/shm%s", name);
	return !stat(path, &st);
}

static void start(struct tl_proc *p, const char *rule, const char *kind, const char *name,
		  const char *action)
{
	char rules[128];
	struct tl_opts o = {.preload = 1, .env = TL_ENV(rules, env_dir)};

	snprintf(rules, sizeof rules, "NIPC_RULES_TEXT=%s", rule);
	assert_int_equal(tl_start(p, TL_ARGV(tl_prog("cleanup_prog"), kind, name, action), &o), 0);
}

/* Runs the program to its end; its status. */
static int run(const char *rule, const char *kind, const char *name, const char *action)
{
	struct tl_proc p;
	int st;

	start(&p, rule, kind, name, action);
	st = tl_wait(&p, 10000);
	tl_proc_free(&p);
	return st;
}

/* The live record of key, copied; 0 if there is none. */
static int find(const char *key, struct ledger_rec *out)
{
	struct ledger_head *h = ledger_open(0);
	int found = 0;

	if (!h)
		return 0;
	for (int i = 0; i < LEDGER_SLOTS && !found; i++)
		if (h->rec[i].state == LR_LIVE && !strcmp(h->rec[i].key, key)) {
			*out = h->rec[i];
			found = 1;
		}
	ledger_close(h);
	return found;
}

static void test_exit_removes(void **state)
{
	const char *n = tl_unique_name();

	(void)state;
	assert_int_equal(run("posix-shm cleanup=exit", "shm", n, "exit"), 0);
	assert_false(exists(n));
}

static void test_record_names_creator(void **state)
{
	const char *n = tl_unique_name();
	struct ledger_rec r;
	struct tl_proc p;
	char key[300];

	(void)state;
	start(&p, "posix-shm cleanup=exit", "shm", n, "hold");
	tl_expect(&p, "ready", TL_T_WAIT);
	snprintf(key, sizeof key, "posix:%s", n);
	assert_true(find(key, &r));
	assert_int_equal(r.pid, p.pid);
	assert_true(r.start != 0);
	assert_true(r.start == ledger_proc_start(p.pid));
	assert_string_equal(r.comm, "cleanup_prog");
	assert_string_equal(r.name, n);
	assert_int_equal(r.family, RF_POSIX_SHM);
	assert_int_equal(r.cleanup, RC_EXIT);
	assert_true(r.ino != 0);
	tl_let_go(&p, "creator");
	assert_false(exists(n));
	/* the record goes with the object */
	assert_false(find(key, &r));
}

static void test_closeall(void **state)
{
	const char *n = tl_unique_name();
	struct tl_proc p;

	(void)state;
	start(&p, "posix-shm cleanup=exit", "shm", n, "closeall");
	tl_expect(&p, "ready", TL_T_WAIT);
	assert_true(exists(n));
	tl_let_go(&p, "creator");
	assert_false(exists(n));
}

static void test_never_keeps(void **state)
{
	const char *n = tl_unique_name();
	struct ledger_rec r;
	char key[300];

	(void)state;
	assert_int_equal(run("posix-shm cleanup=never", "shm", n, "exit"), 0);
	assert_true(exists(n));
	snprintf(key, sizeof key, "posix:%s", n);
	assert_true(find(key, &r));
	assert_int_equal(r.cleanup, RC_NEVER);
	assert_int_equal(shm_unlink(n), 0);
}

static void test_no_rule_records_nothing(void **state)
{
	const char *n = tl_unique_name();
	struct ledger_rec r;
	char key[300];

	(void)state;
	assert_int_equal(run("posix-sem cleanup=exit", "shm", n, "exit"), 0);
	assert_true(exists(n));
	snprintf(key, sizeof key, "posix:%s", n);
	assert_false(find(key, &r));
	assert_int_equal(shm_unlink(n), 0);
}

static void test_killed_next_opener(void **state)
{
	const char *n = tl_unique_name();
	char out[64];
	struct tl_proc p;
	struct tl_opts o = {.preload = 1,
			    .env = TL_ENV("NIPC_RULES_TEXT=posix-shm cleanup=exit", env_dir)};

	(void)state;
	assert_int_equal(run("posix-shm cleanup=exit", "shm", n, "kill"), 128 + SIGKILL);
	assert_true(exists(n));
	assert_int_equal(tl_run_buf(TL_ARGV(tl_prog("cleanup_prog"), "open", n, "exit"), &o,
				    out, sizeof out, &olen, NULL, 0), 0);
	assert_string_equal(out, "ENOENT\n");
	assert_false(exists(n));
	(void)p;
}

/* nipc ls reads the ledger: a POSIX segment's creator and command, dead,
 * and cleanup=exit makes the unused leftover an orphan. */
static void test_ls_shows_creator(void **state)
{
	const char *n = tl_unique_name();
	char key[300], out[1024], want[256];
	struct ledger_rec r;

	(void)state;
	assert_int_equal(run("posix-shm cleanup=exit", "shm", n, "kill"), 128 + SIGKILL);
	snprintf(key, sizeof key, "posix:%s", n);
	assert_true(find(key, &r));
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "ls", "--key", key, "-o",
					     "CPID,CREATOR,VERDICT,WHY"), out, sizeof out, NULL, 0), 0);
	snprintf(want, sizeof want, "%d:dead", (int)r.pid);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "orphan"));
	assert_non_null(strstr(out, "cleanup=exit"));
	/* the dead creator's command, as the ledger recorded it */
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "ls", "--key", key, "-o", "COMMAND",
					     "--json"), out, sizeof out, NULL, 0), 0);
	assert_non_null(strstr(out, "\"command\":\"cleanup_prog\""));
	/* and nipc clean removes the orphan (a dry run first changes nothing) */
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "clean", "--dry-run", "--key", key),
				     out, sizeof out, NULL, 0), 0);
	assert_true(exists(n));
	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "clean", "--key", key), out, sizeof out,
				     NULL, 0), 0);
	assert_non_null(strstr(out, "1 removed"));
	assert_false(exists(n));
}

static void test_killed_run_cleans(void **state)
{
	const char *n = tl_unique_name();
	char err[512];
	int st;

	(void)state;
	st = tl_run_text(TL_ARGV(tl_nipc(), "run", "--rule", "posix-shm cleanup=exit", "--",
				 tl_prog("cleanup_prog"), "shm", n, "kill"),
			 NULL, 0, err, sizeof err);
	assert_int_equal(st, 128 + SIGKILL);
	assert_false(exists(n));
}

static void test_used_survives(void **state)
{
	const char *n = tl_unique_name();
	struct tl_proc c, u;
	struct tl_opts plain = {.env = TL_ENV(env_dir)};
	char out[64];
	struct tl_opts o = {.preload = 1,
			    .env = TL_ENV("NIPC_RULES_TEXT=posix-shm cleanup=exit", env_dir)};

	(void)state;
	start(&c, "posix-shm cleanup=exit", "shm", n, "hold");
	tl_expect(&c, "ready", TL_T_WAIT);
	/* another user, not under the shim, maps it */
	assert_int_equal(tl_start(&u, TL_ARGV(tl_prog("cleanup_prog"), "map", n, "hold"), &plain), 0);
	tl_expect(&u, "ready", TL_T_WAIT);
	tl_let_go(&c, "creator");
	assert_true(exists(n));
	/* still used: the next opener leaves it */
	assert_int_equal(tl_run_buf(TL_ARGV(tl_prog("cleanup_prog"), "open", n, "exit"), &o,
				    out, sizeof out, &olen, NULL, 0), 0);
	assert_string_equal(out, "found\n");
	tl_let_go(&u, "user");
	/* unused now and its creator gone: the next opener removes it */
	assert_int_equal(tl_run_buf(TL_ARGV(tl_prog("cleanup_prog"), "open", n, "exit"), &o,
				    out, sizeof out, &olen, NULL, 0), 0);
	assert_string_equal(out, "ENOENT\n");
	assert_false(exists(n));
}

static void test_sem_exit(void **state)
{
	const char *n = tl_unique_name();
	char sem[300];

	(void)state;
	snprintf(sem, sizeof sem, "/sem.%s", n + 1);
	assert_int_equal(run("posix-sem cleanup=exit", "sem", n, "exit"), 0);
	assert_false(exists(sem));
}

static void test_sysv_shm_exit(void **state)
{
	char key[16], out[64];
	struct tl_proc p;
	int id;

	(void)state;
	snprintf(key, sizeof key, "0x%08x", 0x6c000000u | ((unsigned)getpid() & 0xffffff));
	start(&p, "sysv-shm cleanup=exit", "sysvshm", key, "hold");
	snprintf(out, sizeof out, "%s", tl_expect(&p, "ready", TL_T_WAIT));
	id = atoi(out);
	tl_ledger_shmid(id);
	assert_true(shmctl(id, IPC_STAT, &(struct shmid_ds){0}) == 0);
	tl_let_go(&p, "creator");
	assert_int_equal(shmctl(id, IPC_STAT, &(struct shmid_ds){0}), -1);
}

/* The last of three users to go removes it, whoever created it; the one
 * closing every descriptor changes nothing. */
static void test_last_detach_three(void **state)
{
	const char *n = tl_unique_name(), *rule = "posix-shm cleanup=last-detach";
	struct tl_proc a, b, c;

	(void)state;
	start(&a, rule, "shm", n, "hold");
	tl_expect(&a, "ready", TL_T_WAIT);
	start(&b, rule, "map", n, "hold");
	tl_expect(&b, "ready", TL_T_WAIT);
	start(&c, rule, "map", n, "closeall");
	tl_expect(&c, "ready", TL_T_WAIT);
	tl_let_go(&a, "creator");
	assert_true(exists(n));
	tl_let_go(&c, "second user");
	assert_true(exists(n));
	tl_let_go(&b, "last user");
	assert_false(exists(n));
}

/* Reads MARK ("PID PPID") once it exists, waiting at most 10 s. */
static int read_mark(const char *mark, int *pid, int *ppid)
{
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(mark, "r");

		if (f) {
			int n = fscanf(f, "%d %d", pid, ppid);

			fclose(f);
			return n == 2 ? 0 : -1;
		}
		usleep(10000);
	}
	return -1;
}

/* nipc run waits for a double-forked daemon (its parent, as getppid()
 * says), which creates a cleanup=exit segment a second after the command
 * returned and is killed, and then cleans after it; with --detach it
 * returns when the command does. Either way the exit status is the
 * command's. */
static void test_run_waits_for_daemon(void **state)
{
	const char *n = tl_unique_name();
	char mark[PATH_MAX], go[PATH_MAX], err[512];
	struct tl_proc p;
	struct tl_opts o = {0};
	int pid, ppid, run_pid;

	(void)state;
	snprintf(mark, sizeof mark, "%s/daemon-mark-%d", tl_scratch(), (int)getpid());
	snprintf(go, sizeof go, "%s/daemon-go-%d", tl_scratch(), (int)getpid());
	assert_int_equal(tl_start(&p, TL_ARGV(tl_nipc(), "run", "--rule", "posix-shm cleanup=exit",
					      "--", tl_prog("daemon_prog"), n, mark), &o), 0);
	run_pid = p.pid;
	assert_int_equal(tl_wait(&p, 20000), 3);
	tl_proc_free(&p);
	/* the daemon has run to its end, under nipc run */
	assert_int_equal(read_mark(mark, &pid, &ppid), 0);
	assert_int_equal(ppid, run_pid);
	assert_false(exists(n));
	unlink(mark);

	assert_int_equal(tl_run_text(TL_ARGV(tl_nipc(), "run", "--detach", "--rule",
					     "posix-shm cleanup=exit", "--", tl_prog("daemon_prog"),
					     n, mark, go), NULL, 0, err, sizeof err), 3);
	/* returned before the daemon (which waits for go) did anything */
	assert_int_equal(access(mark, F_OK), -1);
	assert_int_equal(close(open(go, O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(read_mark(mark, &pid, &ppid), 0);
	assert_int_not_equal(ppid, run_pid);
	/* nothing swept after it: the next nipc clean or opener would */
	for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++)
		usleep(10000);
	assert_true(exists(n));
	assert_int_equal(shm_unlink(n), 0);
	unlink(mark);
	unlink(go);
}

/* p lets its object go (munmap, close, sem_close, shmdt) and stays alive. */
static void detach(struct tl_proc *p)
{
	assert_true(tl_write(p, "\n") >= 0);
	tl_expect(p, "detached", TL_T_WAIT);
}

/* Whether process pid holds a descriptor of /dev/shm/NAME. */
static int holds(pid_t pid, const char *name)
{
	char dpath[64], lpath[PATH_MAX], want[PATH_MAX + 16], link[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int found = 0;
	ssize_t n;

	snprintf(dpath, sizeof dpath, "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof want, "/dev/shm%s", name);
	if (!(dp = opendir(dpath)))
		return 0;
	while ((d = readdir(dp)) && !found) {
		snprintf(lpath, sizeof lpath, "%s/%s", dpath, d->d_name);
		n = readlink(lpath, link, sizeof link - 1);
		if (n > 0) {
			link[n] = 0;
			found = !strcmp(link, want);
		}
	}
	closedir(dp);
	return found;
}

/* last-detach acts when the last user lets go, not when it exits: the
 * first of two to unmap leaves it, the second removes it while both
 * still run. */
static void test_last_detach_moment(void **state)
{
	const char *n = tl_unique_name(), *rule = "posix-shm cleanup=last-detach";
	struct tl_proc a, b;

	(void)state;
	start(&a, rule, "shm", n, "detach");
	tl_expect(&a, "ready", TL_T_WAIT);
	start(&b, rule, "map", n, "detach");
	tl_expect(&b, "ready", TL_T_WAIT);
	detach(&a);
	assert_true(exists(n));
	detach(&b);
	assert_false(exists(n));
	tl_let_go(&a, "creator");
	tl_let_go(&b, "user");
}

/* A process that opened it and did not map it (not under the shim) keeps
 * it when the last mapper lets go. */
static void test_last_detach_opener_keeps(void **state)
{
	const char *n = tl_unique_name(), *rule = "posix-shm cleanup=last-detach";
	struct tl_opts plain = {.env = TL_ENV(env_dir)};
	struct tl_proc a, u;

	(void)state;
	start(&a, rule, "shm", n, "detach");
	tl_expect(&a, "ready", TL_T_WAIT);
	assert_int_equal(tl_start(&u, TL_ARGV(tl_prog("cleanup_prog"), "openonly", n, "hold"),
				  &plain), 0);
	tl_expect(&u, "ready", TL_T_WAIT);
	detach(&a);
	assert_true(exists(n));
	tl_let_go(&u, "opener");
	assert_true(exists(n));
	/* nobody uses it now: its last user's exit sweeps it */
	tl_let_go(&a, "creator");
	assert_false(exists(n));
}

/* The program closing every descriptor, with the system call the shim
 * does not see (its descriptor goes), libc's close_range or close() on
 * every number (it stays): the last detach still removes the object, and
 * only then. */
static void test_last_detach_closeall(void **state)
{
	const char *n = tl_unique_name(), *rule = "posix-shm cleanup=last-detach";
	struct tl_proc a, b, c;

	(void)state;
	start(&a, rule, "shm", n, "closeall-detach");
	tl_expect(&a, "ready", TL_T_WAIT);
	start(&b, rule, "map", n, "libcclose-detach");
	tl_expect(&b, "ready", TL_T_WAIT);
	start(&c, rule, "map", n, "closeloop-detach");
	tl_expect(&c, "ready", TL_T_WAIT);
	assert_false(holds(a.pid, n));
	assert_true(holds(b.pid, n));
	assert_true(holds(c.pid, n));
	detach(&a);
	assert_true(exists(n));
	detach(&c);
	assert_true(exists(n));
	assert_false(holds(c.pid, n));
	detach(&b);
	assert_false(exists(n));
	assert_false(holds(b.pid, n));
	tl_let_go(&a, "creator");
	tl_let_go(&b, "user");
	tl_let_go(&c, "user");
}

/* cleanup=exit falls back to last-detach once its creator is gone: the
 * creator exits while another process maps it (it stays), and that
 * process's munmap removes it; while the creator lives, a user's munmap
 * does not. */
static void test_exit_then_last_detach(void **state)
{
	const char *n = tl_unique_name(), *rule = "posix-shm cleanup=exit";
	struct tl_proc a, b, c;

	(void)state;
	start(&a, rule, "shm", n, "hold");
	tl_expect(&a, "ready", TL_T_WAIT);
	start(&b, rule, "map", n, "detach");
	tl_expect(&b, "ready", TL_T_WAIT);
	start(&c, rule, "map", n, "detach");
	tl_expect(&c, "ready", TL_T_WAIT);
	detach(&c);
	assert_true(exists(n));
	tl_let_go(&a, "creator");
	assert_true(exists(n));
	detach(&b);
	assert_false(exists(n));
	tl_let_go(&b, "user");
	tl_let_go(&c, "user");
}

static void test_last_detach_sem(void **state)
{
	const char *n = tl_unique_name(), *rule = "posix-sem cleanup=last-detach";
	char sem[300];
	struct tl_proc a, b;

	(void)state;
	snprintf(sem, sizeof sem, "/sem.%s", n + 1);
	start(&a, rule, "sem", n, "detach");
	tl_expect(&a, "ready", TL_T_WAIT);
	start(&b, rule, "sem", n, "detach");
	tl_expect(&b, "ready", TL_T_WAIT);
	detach(&a);
	assert_true(exists(sem));
	detach(&b);
	assert_false(exists(sem));
	tl_let_go(&a, "creator");
	tl_let_go(&b, "user");
}

static void test_last_detach_sysv(void **state)
{
	const char *rule = "sysv-shm cleanup=last-detach";
	char key[16], out[64];
	struct tl_proc a, b;
	int id;

	(void)state;
	snprintf(key, sizeof key, "0x%08x", 0x6d000000u | ((unsigned)getpid() & 0xffffff));
	start(&a, rule, "sysvshm", key, "detach");
	snprintf(out, sizeof out, "%s", tl_expect(&a, "ready", TL_T_WAIT));
	id = atoi(out);
	tl_ledger_shmid(id);
	start(&b, rule, "sysvmap", key, "detach");
	tl_expect(&b, "ready", TL_T_WAIT);
	detach(&a);
	assert_int_equal(shmctl(id, IPC_STAT, &(struct shmid_ds){0}), 0);
	detach(&b);
	assert_int_equal(shmctl(id, IPC_STAT, &(struct shmid_ds){0}), -1);
	tl_let_go(&a, "creator");
	tl_let_go(&b, "user");
}

/* An unreachable ledger: an acting policy fails the creation and leaves
 * nothing; cleanup=never creates unrecorded. */
static void test_unreachable_fails_closed(void **state)
{
	const char *n = tl_unique_name();
	char bad[PATH_MAX + 32], err[512];
	struct tl_proc p;
	struct tl_opts o = {.preload = 1, .env = TL_ENV("NIPC_RULES_TEXT=posix-shm cleanup=exit", bad)};
	struct tl_opts on = {.preload = 1, .env = TL_ENV("NIPC_RULES_TEXT=posix-shm cleanup=never", bad)};

	(void)state;
	snprintf(bad, sizeof bad, "NIPC_LEDGER_DIR=%s/no-such-dir", dir);
	assert_int_equal(tl_start(&p, TL_ARGV(tl_prog("cleanup_prog"), "shm", n, "exit"), &o), 0);
	assert_int_equal(tl_wait(&p, 10000), 2);
	snprintf(err, sizeof err, "%s", p.e.p);
	tl_proc_free(&p);
	assert_non_null(strstr(err, "shm_open"));
	assert_false(exists(n));
	assert_int_equal(tl_start(&p, TL_ARGV(tl_prog("cleanup_prog"), "shm", n, "exit"), &on), 0);
	assert_int_equal(tl_wait(&p, 10000), 0);
	tl_proc_free(&p);
	assert_true(exists(n));
	assert_int_equal(shm_unlink(n), 0);
}

/* A writer killed holding the lock, mid-record: the next locker frees the
 * half-written slot and the ledger works on. */
static void test_lock_owner_killed(void **state)
{
	struct ledger_head *h = ledger_open(1);
	struct ledger_rec r = {.family = RF_POSIX_SHM, .id = -1, .cleanup = RC_NEVER};
	int slot = -1, st;
	pid_t pid;

	(void)state;
	assert_non_null(h);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (ledger_lock(h))
			_exit(1);
		for (int i = 0; i < LEDGER_SLOTS; i++)
			if (h->rec[i].state == LR_FREE) {
				h->rec[i].state = LR_WRITING;
				strcpy(h->rec[i].key, "half");
				break;
			}
		raise(SIGKILL);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	for (int i = 0; i < LEDGER_SLOTS; i++)
		if (h->rec[i].state == LR_WRITING)
			slot = i;
	assert_true(slot >= 0);
	snprintf(r.key, sizeof r.key, "posix:/nipc-test-lock");
	assert_int_equal(ledger_add(h, &r), 0);
	assert_int_not_equal(h->rec[slot].state, LR_WRITING);
	ledger_close(h);
}

TL_TESTS("cleanup", setup, NULL, test_exit_removes, test_record_names_creator, test_closeall,
	 test_never_keeps, test_no_rule_records_nothing, test_killed_next_opener,
	 test_killed_run_cleans, test_run_waits_for_daemon, test_ls_shows_creator, test_used_survives, test_sem_exit, test_sysv_shm_exit, test_last_detach_three,
	 test_last_detach_moment, test_last_detach_opener_keeps, test_last_detach_closeall,
	 test_exit_then_last_detach,
	 test_last_detach_sem, test_last_detach_sysv,
	 test_unreachable_fails_closed,
	 test_lock_owner_killed)
