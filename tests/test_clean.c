/* SPDX-License-Identifier: MIT */
/* nipc clean against real processes: leaks from Python (its resource
 * tracker killed too), a Qt 5 holder killed with SIGKILL, ipcmk; objects
 * alive in every way a program holds one, never removed even with
 * --idle 0s; a live PostgreSQL server beside clean and rm; a process attaching while clean runs (the NIPC_CLEAN_PAUSE_MS
 * test hook holds clean in its quarantine window); two cleans at once.
 * Every run names its objects uniquely and passes --key, so that it
 * touches nothing of anyone else's; teardown removes what is left. */
#include "config.h"

#include "tlib.h"
#include "trace_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARGV TL_ARGV

static const char *nipc, *tmpdir;
static int counter;
static char name[64], glob[96];
static struct tj_doc doc;
static char out[65536], err[8192];

static int group_setup(void **state)
{
	(void)state;
	nipc = tl_nipc();
	tmpdir = tl_scratch();
	setenv("TMPDIR", tmpdir, 1);
	return access(nipc, X_OK) ? -1 : 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(name, sizeof name, "/nipc-clean-%ld-%d", (long)getpid(), ++counter);
	snprintf(glob, sizeof glob, "posix:%s", name);
	tl_ledger_posix(name);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_kill_all();
	tl_ledger_dir(tmpdir);
	tl_ledger_clean();
	tl_scratch_empty();
	return 0;
}

/* nipc clean ARGS --json: its exit status; the document in doc. */
static int clean_json(const char *const *argv)
{
	const char *a[24] = {nipc, "clean", "--json"};
	struct tl_opts o = {.timeout = 60};
	size_t len;
	int n = 3, rc;

	for (int i = 0; argv[i] && n < 23; i++)
		a[n++] = argv[i];
	a[n] = NULL;
	rc = tl_run_buf(a, &o, out, sizeof out, &len, err, sizeof err);
	if (rc)
		fprintf(stderr, "# nipc clean: %d: %s", rc, err);
	assert_int_equal(tj_parse(&doc, out, len), 0);
	return rc;
}

/* The action clean took on the one object it looked at. */
static const char *action_of_one(void)
{
	const struct tj_node *objs = tj_get(&doc, &doc.node[0], "objects"), *o;

	assert_non_null(objs);
	o = tj_child(&doc, objs);
	assert_non_null(o);
	assert_null(tj_next(&doc, o));
	return tj_get(&doc, o, "action")->text;
}

static const char *clean_one(const char *const *argv)
{
	assert_int_equal(clean_json(argv), 0);
	return action_of_one();
}

static int exists(const char *posix)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "/dev/shm%s", posix);
	return stat(path, &st) == 0;
}

static int shm_exists(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) == 0;
}

static int sem_exists(int id)
{
	return semctl(id, 0, GETVAL) >= 0;
}

static void usage_errors(void **state)
{
	(void)state;
	assert_int_equal(tl_run_text(ARGV(nipc, "clean", "--idle", "10x"), out, sizeof out, err, sizeof err), 2);
	assert_non_null(strstr(err, "30s, 10m, 2h, 7d"));
	assert_int_equal(tl_run_text(ARGV(nipc, "clean", "--idle", "m"), out, sizeof out, err, sizeof err), 2);
	assert_int_equal(tl_run_text(ARGV(nipc, "clean", "--idle", "-1s"), out, sizeof out, err, sizeof err), 2);
	assert_int_equal(tl_run_text(ARGV(nipc, "clean", "--idle", "5"), out, sizeof out, err, sizeof err), 2);
	assert_int_equal(tl_run_text(ARGV(nipc, "clean", "--idle"), out, sizeof out, err, sizeof err), 2);
	for (const char *const *a = ARGV("30s", "10m", "2h", "7d", "0s"); *a; a++)
		assert_int_equal(tl_run_text(ARGV(nipc, "clean", "--dry-run", "--idle", *a, "--key", glob),
					     out, sizeof out, err, sizeof err), 0);
	assert_non_null(strstr(out, "0 removed"));
}

/* Python's multiprocessing.shared_memory, the program and its resource
 * tracker killed: the segment stays, idle (nothing proves it abandoned),
 * removed with --idle only. */
static void python_leak(void **state)
{
	static char code[768];
	struct tl_proc p;
	const char *rest;
	pid_t tracker;

	(void)state;
	snprintf(code, sizeof code,
		 "import sys\n"
		 "from multiprocessing import shared_memory, resource_tracker\n"
		 "m = shared_memory.SharedMemory(name='%s', create=True, size=5000)\n"
		 "print('mapped', resource_tracker._resource_tracker._pid, flush=True)\n"
		 "sys.stdin.readline()\n", name + 1);
	assert_int_equal(tl_start(&p, ARGV(PYTHON3, "-c", code), NULL), 0);
	rest = tl_expect(&p, "mapped", 20000);
	tracker = (pid_t)atoi(rest);
	assert_true(tracker > 1);
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", glob)), "kept");
	assert_true(exists(name));
	assert_int_equal(kill(tracker, SIGKILL), 0);
	tl_kill(&p);
	for (int i = 0; i < 200 && kill(tracker, 0) == 0; i++)
		usleep(20000);  /* the tracker is python's child: init reaps it */
	assert_true(exists(name));
	assert_string_equal(clean_one(ARGV("--key", glob)), "kept");
	assert_string_equal(clean_one(ARGV("--idle", "1h", "--key", glob)), "kept");
	assert_true(exists(name));
	assert_string_equal(clean_one(ARGV("--dry-run", "--idle", "0s", "--key", glob)), "would-remove");
	assert_true(exists(name));
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", glob)), "removed");
	assert_false(exists(name));
}

static char qt5peer[PATH_MAX];

static void need_qt5(void)
{
	snprintf(qt5peer, sizeof qt5peer, "%s/tests/qt/qt5peer", tl_builddir());
	if (access(qt5peer, X_OK)) {
		print_message("# tests/qt/qt5peer not built (no Qt 5): skipped\n");
		skip();
	}
}

/* The ids of the objects under the scratch's Qt key files with prefix. */
static int qt_id(const char *prefix)
{
	char g[PATH_MAX];
	struct tl_opts o = {.timeout = 30};
	size_t len;
	const struct tj_node *n;

	snprintf(g, sizeof g, "%s/%s*", tl_scratch_real(), prefix);
	assert_int_equal(tl_run_buf(ARGV(nipc, "ls", "--json", "--family", "sysv", "--key", g), &o, out,
				    sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(tj_parse(&doc, out, len), 0);
	n = tj_child(&doc, &doc.node[0]);
	return n ? (int)tj_int(tj_get(&doc, n, "id"), -1) : -1;
}

static int qt_keyfiles(void)
{
	DIR *d = opendir(tl_scratch_real());
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "qipc_", 5);
	closedir(d);
	return n;
}

/* A Qt 5 QSharedMemory holder killed with SIGKILL: its segment, its lock
 * semaphore and both key files go, without --idle (Qt's last-detach rule
 * makes the leftovers evidence). */
static void qt5_killed(void **state)
{
	char qname[64], g[PATH_MAX];
	struct tl_proc p;
	int shm, sem;

	(void)state;
	need_qt5();
	snprintf(qname, sizeof qname, "nipcclean%ld_%d", (long)getpid(), counter);
	tl_start_ok(&p, ARGV(qt5peer, "shm", "create", qname, "100"), "created");
	shm = qt_id("qipc_sharedmemory_");
	sem = qt_id("qipc_systemsem_");
	assert_true(shm >= 0 && sem >= 0);
	tl_ledger_shmid(shm);
	tl_ledger_semid(sem);
	snprintf(g, sizeof g, "%s/qipc_*", tl_scratch_real());
	assert_int_equal(clean_json(ARGV("--idle", "0s", "--key", g)), 0);
	assert_true(shm_exists(shm) && sem_exists(sem));
	assert_int_equal(qt_keyfiles(), 2);
	kill(p.pid, SIGKILL);
	tl_wait(&p, 10000);
	tl_proc_free(&p);
	assert_true(shm_exists(shm));
	assert_int_equal(clean_json(ARGV("--key", g)), 0);
	assert_false(shm_exists(shm));
	assert_false(sem_exists(sem));
	assert_int_equal(qt_keyfiles(), 0);
	assert_int_equal(tj_int(tj_get(&doc, &doc.node[0], "removed"), -1), 1);
	assert_int_equal(tj_int(tj_get(&doc, &doc.node[0], "failed"), -1), 0);
}

/* An abandoned Qt 5 segment whose Qt lock a live process holds: kept
 * while it holds it, removed whole once it let go. */
static void qt5_lock_held(void **state)
{
	char qname[64], g[PATH_MAX];
	struct tl_proc p, h;
	int shm, sem;

	(void)state;
	need_qt5();
	snprintf(qname, sizeof qname, "nipcclock%ld_%d", (long)getpid(), counter);
	tl_start_ok(&p, ARGV(qt5peer, "shm", "create", qname, "100"), "created");
	shm = qt_id("qipc_sharedmemory_");
	sem = qt_id("qipc_systemsem_");
	assert_true(shm >= 0 && sem >= 0);
	tl_ledger_shmid(shm);
	tl_ledger_semid(sem);
	kill(p.pid, SIGKILL);
	tl_wait(&p, 10000);
	tl_proc_free(&p);
	/* QSharedMemory's lock is the QSystemSemaphore of the same key */
	tl_start_ok(&h, ARGV(qt5peer, "sem", "acquire", qname, "1", "--hold"), "trying");
	tl_expect(&h, "acquired", 10000);
	snprintf(g, sizeof g, "%s/qipc_sharedmemory_*", tl_scratch_real());
	assert_int_equal(clean_json(ARGV("--key", g)), 0);
	assert_string_equal(action_of_one(), "kept");
	assert_true(shm_exists(shm) && sem_exists(sem));
	assert_int_equal(qt_keyfiles(), 2);
	tl_let_go(&h, "qt5peer acquire");
	assert_string_equal(clean_one(ARGV("--key", g)), "removed");
	assert_false(shm_exists(shm));
	assert_false(sem_exists(sem));
	assert_int_equal(qt_keyfiles(), 0);
}

/* One syslog line per removal (LOG_USER | LOG_NOTICE, ident nipc): read
 * from a /dev/log of a private mount namespace (a tmpfs over /dev holding
 * the real /dev/shm and /dev/null, and a datagram socket). */
static const char syslog_script[] =
	"set -e\n"
	"d=$1/dev; mkdir -p \"$d\"; mount -t tmpfs none \"$d\"\n"
	"mkdir \"$d/shm\"; mount --bind /dev/shm \"$d/shm\"\n"
	"touch \"$d/null\"; mount --bind /dev/null \"$d/null\"\n"
	"mount --rbind \"$d\" /dev\n"
	"\"$2\" -c 'import socket, sys\n"
	"s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
	"s.bind(\"/dev/log\")\n"
	"print(\"up\", flush=True)\n"
	"s.settimeout(5)\n"
	"try:\n"
	"    while True: open(sys.argv[1], \"ab\").write(s.recv(4096) + b\"\\n\")\n"
	"except socket.timeout: pass' \"$1/log\" > \"$1/up\" &\n"
	"while ! [ -s \"$1/up\" ]; do sleep 0.05; done\n"
	"shift 2\n"
	"\"$@\"\n"
	"wait\n";

static void syslog_line(void **state)
{
	char dir[PATH_MAX], log[PATH_MAX + 8], *text;
	struct tl_opts o = {.timeout = 60};
	size_t len;
	int fd, rc;

	(void)state;
	if (tl_run_text(ARGV("unshare", "-m", "true"), out, sizeof out, err, sizeof err)) {
		print_message("# no private mount namespace (unshare -m): skipped\n");
		skip();
	}
	assert_true((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
	close(fd);
	snprintf(dir, sizeof dir, "%s", tl_path("syslog"));
	assert_int_equal(mkdir(dir, 0700), 0);
	rc = tl_run_buf(ARGV("unshare", "-m", "sh", "-c", syslog_script, "sh", dir, PYTHON3, nipc, "clean",
			     "--idle", "0s", "--key", glob, "--key", "no-such-object"),
			&o, out, sizeof out, &len, err, sizeof err);
	if (rc)
		fprintf(stderr, "# %s%s", out, err);
	assert_int_equal(rc, 0);
	assert_false(exists(name));
	snprintf(log, sizeof log, "%s/log", dir);
	assert_non_null(text = tl_slurp(log));
	/* <13>: LOG_USER | LOG_NOTICE; one line, naming the object */
	assert_non_null(strstr(text, "<13>"));
	assert_non_null(strstr(text, "nipc["));
	assert_non_null(strstr(text, "clean: removed posix-shm"));
	assert_non_null(strstr(text, name));
	assert_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
}

/* ipcmk: idle, removed only with --idle. */
static void ipcmk_objects(void **state)
{
	char id[32], *p;
	int shm, sem;

	(void)state;
	assert_int_equal(tl_run_text(ARGV("ipcmk", "-M", "8192"), out, sizeof out, err, sizeof err), 0);
	assert_non_null(p = strstr(out, "id: "));
	shm = atoi(p + 4);
	tl_ledger_shmid(shm);
	assert_int_equal(tl_run_text(ARGV("ipcmk", "-S", "2"), out, sizeof out, err, sizeof err), 0);
	assert_non_null(p = strstr(out, "id: "));
	sem = atoi(p + 4);
	tl_ledger_semid(sem);
	snprintf(id, sizeof id, "%d", shm);
	assert_string_equal(clean_one(ARGV("--key", id)), "kept");
	assert_string_equal(clean_one(ARGV("--idle", "1d", "--key", id)), "kept");
	assert_true(shm_exists(shm));
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", id)), "removed");
	assert_false(shm_exists(shm));
	snprintf(id, sizeof id, "%d", sem);
	assert_string_equal(clean_one(ARGV("--key", id)), "kept");
	assert_true(sem_exists(sem));
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", id)), "removed");
	assert_false(sem_exists(sem));
}

/* Alive in every way: never removed, with --idle 0s. */
static void never_alive(void **state)
{
	char n2[80], n3[80], g1[96], g2[96], g3[96], ids[32], sids[32];
	key_t key = (key_t)(0x4c430000 | ((getpid() & 0xff) << 8) | counter);
	int id, fd, sid;
	void *at, *map;
	sem_t *s;
	struct sembuf op = {0, 1, 0};

	(void)state;
	/* an attached System V segment */
	assert_true((id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600)) >= 0);
	tl_ledger_shmid(id);
	assert_true((at = shmat(id, NULL, 0)) != (void *)-1);
	snprintf(ids, sizeof ids, "%d", id);
	/* a mapped POSIX segment (its descriptor closed) */
	assert_true((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_true((map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) != MAP_FAILED);
	close(fd);
	/* an open, unmapped POSIX segment */
	snprintf(n2, sizeof n2, "%s-open", name);
	snprintf(g2, sizeof g2, "posix:%s", n2);
	assert_true((fd = shm_open(n2, O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
	/* a named semaphore open */
	snprintf(n3, sizeof n3, "%s-sem", name);
	snprintf(g3, sizeof g3, "posix:%s", n3);
	assert_true((s = sem_open(n3, O_CREAT | O_EXCL, 0600, 1)) != SEM_FAILED);
	/* a System V semaphore whose last operator is alive */
	assert_true((sid = semget(IPC_PRIVATE, 1, 0600)) >= 0);
	tl_ledger_semid(sid);
	assert_int_equal(semop(sid, &op, 1), 0);
	snprintf(sids, sizeof sids, "%d", sid);
	snprintf(g1, sizeof g1, "%s", glob);
	assert_int_equal(clean_json(ARGV("--idle", "0s", "--key", ids, "--key", g1, "--key", g2,
					 "--key", g3, "--key", sids)), 0);
	assert_int_equal(tj_int(tj_get(&doc, &doc.node[0], "kept"), -1), 5);
	assert_int_equal(tj_int(tj_get(&doc, &doc.node[0], "removed"), -1), 0);
	assert_true(shm_exists(id));
	assert_true(exists(name));
	assert_true(exists(n2));
	snprintf(g1, sizeof g1, "/sem.%s", n3 + 1);
	assert_true(exists(g1));
	assert_true(sem_exists(sid));
	/* each still works */
	memcpy(map, "ok", 3);
	memcpy(at, "ok", 3);
	assert_int_equal(sem_wait(s), 0);
	shmdt(at);
	shmctl(id, IPC_RMID, NULL);
	munmap(map, 4096);
	shm_unlink(name);
	close(fd);
	shm_unlink(n2);
	sem_close(s);
	sem_unlink(n3);
	semctl(sid, 0, IPC_RMID);
}

/* A Qt 5 QSystemSemaphore held by live processes (the creator, and one
 * that acquired it and holds it): kept. */
static void qt5_semaphore_alive(void **state)
{
	char qname[64], g[PATH_MAX];
	struct tl_proc c, a;
	int sem;

	(void)state;
	need_qt5();
	snprintf(qname, sizeof qname, "nipcclsem%ld_%d", (long)getpid(), counter);
	tl_start_ok(&c, ARGV(qt5peer, "sem", "create", qname, "1"), "created");
	sem = qt_id("qipc_systemsem_");
	assert_true(sem >= 0);
	tl_ledger_semid(sem);
	snprintf(g, sizeof g, "%s/qipc_systemsem_*", tl_scratch_real());
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", g)), "kept");
	tl_start_ok(&a, ARGV(qt5peer, "sem", "acquire", qname, "1", "--hold"), "trying");
	tl_expect(&a, "acquired", 10000);
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", g)), "kept");
	assert_true(sem_exists(sem));
	assert_int_equal(qt_keyfiles(), 1);
	tl_let_go(&a, "qt5peer acquire");
	tl_let_go(&c, "qt5peer create");
}

/* ------------------------------------------- a live database server */

/* The newest installed PostgreSQL, started as nobody (it refuses root),
 * or skip. */
static void need_postgres(struct passwd *pw)
{
	struct passwd *p = getpwnam("nobody");

	tl_need_postgres();
	if (getuid() != 0 || !p || p->pw_uid != p->pw_gid) {
		print_message("# PostgreSQL runs as nobody, which needs root and a user nobody "
			      "whose uid is its gid: skipped\n");
		skip();
	}
	*pw = *p;
}

static const char *pg_select(const char *dir, const char *port)
{
	static char res[256];
	char e[1024];
	struct tl_opts o = {.timeout = 60};
	size_t len;

	if (tl_run_buf(ARGV(tl_pg("psql"), "-X", "-At", "-h", dir, "-p", port, "-U", "postgres", "-d",
			    "postgres", "-c", "select count(*) from pg_stat_activity where 1 + 1 = 2"),
		       &o, res, sizeof res, &len, e, sizeof e))
		fprintf(stderr, "# psql: %s", e);
	res[strcspn(res, "\n")] = 0;
	return res;
}

/* The POSIX segments (/dev/shm/PostgreSQL.N) process pid maps, as
 * "/PostgreSQL.N" in names[]; how many. */
static int pg_posix(pid_t pid, char names[][64], int max)
{
	char path[64], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) && n < max) {
		char *p = strstr(line, "/dev/shm/PostgreSQL."), *nm;
		int dup = 0;

		if (!p)
			continue;
		p[strcspn(p, " \n")] = 0;
		nm = p + 8;
		for (int i = 0; i < n; i++)
			dup |= !strcmp(names[i], nm);
		if (!dup)
			snprintf(names[n++], 64, "%s", nm);
	}
	fclose(f);
	return n;
}

/* A live PostgreSQL server, its System V segment attached and its POSIX
 * segments mapped by the postmaster and every backend: nipc clean --idle
 * 0s keeps them all, nipc rm refuses each, nothing of them changes (a
 * System V segment's mode, made 0 during clean's check, is back; a POSIX
 * name is back after quarantine) and the server keeps answering queries,
 * before and after, through backends that attach them anew. */
static void database_server_alive(void **state)
{
	char dir[PATH_MAX], data[PATH_MAX + 8], log[PATH_MAX + 8], port[16], pidf[PATH_MAX + 32];
	char names[8][64], keys[8][600], idtext[32], line[256];
	const char *args[24];
	struct passwd pw;
	struct tl_proc pm;
	struct tl_opts o;
	struct shmid_ds before, after;
	struct stat pst[8], now;
	FILE *f;
	int id = -1, n, na = 0, ready = 0;
	long key;
	pid_t pmpid = 0;

	(void)state;
	need_postgres(&pw);
	snprintf(dir, sizeof dir, "%s", tl_path("pg"));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, pw.pw_uid, pw.pw_gid), 0);
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	snprintf(port, sizeof port, "%d", 20000 + ((int)getpid() * 7 + 11) % 20000);
	o = (struct tl_opts){.uid = pw.pw_uid, .timeout = 120, .out = log, .err = log,
			     .env = TL_ENV("ASAN_OPTIONS=detect_leaks=0")};
	if (tl_run(NULL, ARGV(tl_pg("initdb"), "-D", data, "-A", "trust", "-U", "postgres",
			      "--no-sync", "--locale=C", "-E", "UTF8"), &o))
		fail_msg("initdb failed:\n%s", tl_slurp(log));
	assert_int_equal(tl_start(&pm, ARGV(tl_pg("postgres"), "-D", data, "-k", dir, "-p", port,
					    "-c", "listen_addresses=", "-c", "fsync=off"), &o), 0);
	for (int i = 0; i < 300 && tl_running(&pm) && !ready; i++) {
		ready = !tl_run(NULL, ARGV(tl_pg("pg_isready"), "-q", "-h", dir, "-p", port),
				&(struct tl_opts){.timeout = 30});
		if (!ready)
			usleep(200000);
	}
	if (!ready)
		fail_msg("the server did not start:\n%s", tl_slurp(log));
	assert_string_not_equal(pg_select(dir, port), "");
	/* postmaster.pid: line 1 the pid, line 7 the segment's key and id */
	snprintf(pidf, sizeof pidf, "%s/postmaster.pid", data);
	assert_non_null(f = fopen(pidf, "r"));
	for (int i = 1; i <= 7 && fgets(line, sizeof line, f); i++) {
		if (i == 1)
			pmpid = atoi(line);
		if (i == 7)
			assert_int_equal(sscanf(line, "%ld %d", &key, &id), 2);
	}
	fclose(f);
	assert_true(pmpid > 0 && id >= 0);
	tl_ledger_shmid(id);
	n = pg_posix(pmpid, names, 8);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		tl_ledger_posix(names[i]);
		snprintf(path, sizeof path, "/dev/shm%s", names[i]);
		assert_int_equal(stat(path, &pst[i]), 0);
	}
	print_message("# PostgreSQL: System V segment %d, %d POSIX segment(s) mapped\n", id, n);
	assert_true(n >= 1);
	assert_int_equal(shmctl(id, IPC_STAT, &before), 0);
	assert_true(before.shm_nattch >= 1);

	snprintf(idtext, sizeof idtext, "%d", id);
	args[na++] = "--idle";
	args[na++] = "0s";
	args[na++] = "--key";
	args[na++] = idtext;
	for (int i = 0; i < n; i++) {
		snprintf(keys[i], sizeof keys[i], "posix:%s", names[i]);
		args[na++] = "--key";
		args[na++] = keys[i];
	}
	args[na] = NULL;
	assert_int_equal(clean_json(args), 0);
	assert_int_equal(tj_int(tj_get(&doc, &doc.node[0], "kept"), -1), 1 + n);
	assert_int_equal(tj_int(tj_get(&doc, &doc.node[0], "removed"), -1), 0);
	snprintf(line, sizeof line, "shmid:%d", id);
	assert_int_equal(tl_run_text(ARGV(nipc, "rm", line), out, sizeof out, err, sizeof err), 4);
	for (int i = 0; i < n; i++)
		assert_int_equal(tl_run_text(ARGV(nipc, "rm", keys[i]), out, sizeof out, err,
					     sizeof err), 4);

	/* nothing of it changed */
	assert_int_equal(shmctl(id, IPC_STAT, &after), 0);
	assert_int_equal(after.shm_perm.mode, before.shm_perm.mode);
	assert_false(after.shm_perm.mode & SHM_DEST);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof path, "/dev/shm%s", names[i]);
		assert_int_equal(stat(path, &now), 0);
		assert_int_equal(now.st_ino, pst[i].st_ino);
		assert_int_equal(now.st_mode, pst[i].st_mode);
	}
	/* and it keeps working: a new backend per query */
	for (int i = 0; i < 3; i++)
		assert_string_not_equal(pg_select(dir, port), "");
	assert_true(tl_running(&pm));

	kill(pmpid, SIGINT);
	assert_int_equal(tl_wait(&pm, 60000), 0);
	tl_proc_free(&pm);
}

/* Run as another user, root's processes are unreadable: root's unused
 * segment is unknown to it and kept, even with --idle 0s. */
static void unknown_kept(void **state)
{
	struct tl_opts o = {.uid = 65534, .timeout = 30};
	size_t len;
	int fd;

	(void)state;
	assert_true((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
	close(fd);
	assert_int_equal(tl_run_buf(ARGV(nipc, "clean", "--json", "--idle", "0s", "--key", glob), &o, out,
				    sizeof out, &len, err, sizeof err), 0);
	assert_int_equal(tj_parse(&doc, out, len), 0);
	assert_string_equal(action_of_one(), "kept");
	assert_string_equal(tj_get(&doc, tj_child(&doc, tj_get(&doc, &doc.node[0], "objects")), "verdict")->text,
			    "unknown");
	assert_true(exists(name));
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", glob)), "removed");
	assert_false(exists(name));
}

/* Waits until clean says it pauses at where. */
static void wait_pause(struct tl_proc *p, const char *where)
{
	for (int i = 0; i < 500 && !strstr(p->e.p, where); i++)
		tl_pump_all(p, 1, 20);
	if (!strstr(p->e.p, where))
		fail_msg("clean did not pause at %s: %s", where, p->e.p);
}

static const struct tl_opts paused = {.env = TL_ENV("NIPC_CLEAN_PAUSE_MS=1500")};

/* A process maps a POSIX segment after clean's scan: the recheck in
 * quarantine finds it and puts the segment back under its name. */
static void attach_while_cleaning_posix(void **state)
{
	struct tl_proc p;
	struct stat st0, st1;
	char path[PATH_MAX];
	int fd;
	char *map;

	(void)state;
	snprintf(path, sizeof path, "/dev/shm%s", name);
	assert_true((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	assert_int_equal(stat(path, &st0), 0);
	assert_int_equal(tl_start(&p, ARGV(nipc, "clean", "--idle", "0s", "--key", glob), &paused), 0);
	wait_pause(&p, "pause before-quarantine");
	assert_true((fd = shm_open(name, O_RDWR, 0)) >= 0);
	assert_true((map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) != MAP_FAILED);
	close(fd);
	assert_int_equal(tl_wait(&p, 20000), 0);
	assert_non_null(strstr(p.o.p, "a user appeared: put back"));
	tl_proc_free(&p);
	assert_int_equal(stat(path, &st1), 0);
	assert_true(st0.st_ino == st1.st_ino);
	/* the same object under its name */
	memcpy(map, "same", 5);
	assert_true((fd = shm_open(name, O_RDONLY, 0)) >= 0);
	assert_int_equal(pread(fd, path, 5, 0), 5);
	assert_string_equal(path, "same");
	close(fd);
	munmap(map, 4096);
	shm_unlink(name);
}

/* In quarantine the name is gone: an opener gets ENOENT, and the object,
 * still unused, is removed. */
static void quarantine_hides(void **state)
{
	struct tl_proc p;
	int fd;

	(void)state;
	assert_true((fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
	close(fd);
	assert_int_equal(tl_start(&p, ARGV(nipc, "clean", "--idle", "0s", "--key", glob), &paused), 0);
	wait_pause(&p, "pause in-quarantine");
	assert_true(shm_open(name, O_RDWR, 0) < 0);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(tl_wait(&p, 20000), 0);
	assert_non_null(strstr(p.o.p, "removed"));
	tl_proc_free(&p);
	assert_false(exists(name));
}

/* A process attaches a System V segment after clean's scan: mode 0 first,
 * then nattch is seen, the mode is restored and the segment kept. */
static void attach_while_cleaning_sysv(void **state)
{
	key_t key = (key_t)(0x4c440000 | ((getpid() & 0xff) << 8) | counter);
	struct tl_proc p;
	struct shmid_ds ds;
	char ids[32];
	void *at;
	int id;

	(void)state;
	assert_true((id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640)) >= 0);
	tl_ledger_shmid(id);
	snprintf(ids, sizeof ids, "%d", id);
	assert_int_equal(tl_start(&p, ARGV(nipc, "clean", "--idle", "0s", "--key", ids), &paused), 0);
	wait_pause(&p, "pause before-quarantine");
	assert_true((at = shmat(id, NULL, 0)) != (void *)-1);
	assert_int_equal(tl_wait(&p, 20000), 0);
	assert_non_null(strstr(p.o.p, "attached meanwhile: mode restored"));
	tl_proc_free(&p);
	assert_int_equal(shmctl(id, IPC_STAT, &ds), 0);
	assert_int_equal(ds.shm_perm.mode & 0777, 0640);
	shmdt(at);
	shmctl(id, IPC_RMID, NULL);
}

/* A System V semaphore set operated on after clean's scan: kept, its mode
 * as it was. */
static void operate_while_cleaning_sem(void **state)
{
	struct tl_proc p;
	struct semid_ds ds;
	union semun { int val; struct semid_ds *buf; } arg = {.buf = &ds};
	struct sembuf op = {0, 1, 0};
	char ids[32];
	int id;

	(void)state;
	assert_true((id = semget(IPC_PRIVATE, 2, 0640)) >= 0);
	tl_ledger_semid(id);
	snprintf(ids, sizeof ids, "%d", id);
	assert_int_equal(tl_start(&p, ARGV(nipc, "clean", "--idle", "0s", "--key", ids), &paused), 0);
	wait_pause(&p, "pause before-quarantine");
	assert_int_equal(semop(id, &op, 1), 0);
	assert_int_equal(tl_wait(&p, 20000), 0);
	assert_non_null(strstr(p.o.p, "kept "));
	tl_proc_free(&p);
	assert_int_equal(semctl(id, 0, IPC_STAT, arg), 0);
	assert_int_equal(ds.sem_perm.mode & 0777, 0640);
	/* never operated on, nothing waits: it goes */
	semctl(id, 0, IPC_RMID);
	assert_true((id = semget(IPC_PRIVATE, 1, 0600)) >= 0);
	tl_ledger_semid(id);
	snprintf(ids, sizeof ids, "%d", id);
	assert_string_equal(clean_one(ARGV("--idle", "0s", "--key", ids)), "removed");
	assert_false(sem_exists(id));
}

/* Two cleans at once over the same leftovers: each removed once, the live
 * ones untouched, nothing failed. */
static void two_at_once(void **state)
{
	enum { NP = 3, NS = 2 };
	char names[NP][80], globs[NP + NS + 2][256];
	int ids[NS], live, fd;
	const char *argv[2][32];
	struct tl_proc p[2];
	void *at;

	(void)state;
	for (int i = 0; i < NP; i++) {
		snprintf(names[i], sizeof names[i], "%s-%d", name, i);
		tl_ledger_posix(names[i]);
		assert_true((fd = shm_open(names[i], O_CREAT | O_EXCL | O_RDWR, 0600)) >= 0);
		close(fd);
		snprintf(globs[i], sizeof globs[i], "posix:%s", names[i]);
	}
	for (int i = 0; i < NS; i++) {
		assert_true((ids[i] = shmget(IPC_PRIVATE, 4096, 0600)) >= 0);
		tl_ledger_shmid(ids[i]);
		snprintf(globs[NP + i], sizeof globs[0], "%d", ids[i]);
	}
	assert_true((live = shmget(IPC_PRIVATE, 4096, 0600)) >= 0);
	tl_ledger_shmid(live);
	assert_true((at = shmat(live, NULL, 0)) != (void *)-1);
	snprintf(globs[NP + NS], sizeof globs[0], "%d", live);
	for (int k = 0; k < 2; k++) {
		int n = 0;

		argv[k][n++] = nipc;
		argv[k][n++] = "clean";
		argv[k][n++] = "--idle";
		argv[k][n++] = "0s";
		for (int i = 0; i <= NP + NS; i++) {
			argv[k][n++] = "--key";
			argv[k][n++] = globs[i];
		}
		argv[k][n] = NULL;
	}
	assert_int_equal(tl_start(&p[0], argv[0], NULL), 0);
	assert_int_equal(tl_start(&p[1], argv[1], NULL), 0);
	assert_int_equal(tl_wait(&p[0], 30000), 0);
	assert_int_equal(tl_wait(&p[1], 30000), 0);
	for (int i = 0; i < NP + NS; i++) {
		int removed = 0;

		for (int k = 0; k < 2; k++) {
			char want[300];
			const char *s = p[k].o.p;

			if (i < NP)
				snprintf(want, sizeof want, "posix:%s:", names[i]);
			else
				snprintf(want, sizeof want, " id %d:", ids[i - NP]);
			for (const char *l = s; (l = strstr(l, want)); l++) {
				const char *bol = l;

				while (bol > s && bol[-1] != '\n')
					bol--;
				removed += !strncmp(bol, "removed ", 8);
				assert_true(!strncmp(bol, "removed ", 8) || !strncmp(bol, "already-gone ", 13) ||
					    !strncmp(bol, "kept ", 5));
			}
		}
		if (removed != 1)
			fail_msg("object %d removed %d times:\n%s---\n%s", i, removed, p[0].o.p, p[1].o.p);
		if (i < NP)
			assert_false(exists(names[i]));
		else
			assert_false(shm_exists(ids[i - NP]));
	}
	assert_null(strstr(p[0].o.p, "failed "));
	assert_null(strstr(p[1].o.p, "failed "));
	assert_true(shm_exists(live));
	tl_proc_free(&p[0]);
	tl_proc_free(&p[1]);
	shmdt(at);
	shmctl(live, IPC_RMID, NULL);
}

/* Two cleans racing without the lock file (one of another user's, not
 * waited for), each held in its quarantine window by the test hook so that
 * both act on every object: in a private IPC and mount namespace with its
 * own /dev/shm, three POSIX leftovers and two System V segments; each is
 * removed once, the other clean finds it already gone, nothing fails. */
static const char race_script[] =
	"set -e\n"
	"mount -t tmpfs none /dev/shm\n"
	"touch /dev/shm/.nipc-clean.lock; chown 65534 /dev/shm/.nipc-clean.lock\n"
	"for i in 1 2 3; do : > /dev/shm/left$i; done\n"
	"ipcmk -M 4096 >/dev/null; ipcmk -M 4096 >/dev/null\n"
	"export TMPDIR=$1 NIPC_CLEAN_PAUSE_MS=300\n"
	"\"$2\" clean --idle 0s > \"$1/a\" 2>/dev/null & a=$!\n"
	"\"$2\" clean --idle 0s > \"$1/b\" 2>/dev/null & b=$!\n"
	"wait $a; wait $b\n"
	"ls /dev/shm; ipcs -m | grep -c 0x || true\n";

static void two_racing_unlocked(void **state)
{
	char dir[PATH_MAX], f[PATH_MAX + 8], *a, *b;
	struct tl_opts o = {.timeout = 60};
	size_t len;
	int rc, removed = 0, gone = 0;

	(void)state;
	if (tl_run_text(ARGV("unshare", "-mi", "true"), out, sizeof out, err, sizeof err)) {
		print_message("# no private namespaces (unshare -mi): skipped\n");
		skip();
	}
	snprintf(dir, sizeof dir, "%s", tl_path("race"));
	assert_int_equal(mkdir(dir, 0700), 0);
	rc = tl_run_buf(ARGV("unshare", "-mi", "sh", "-c", race_script, "sh", dir, nipc), &o, out, sizeof out,
			&len, err, sizeof err);
	if (rc)
		fprintf(stderr, "# %s%s", out, err);
	assert_int_equal(rc, 0);
	/* nothing left (ipcs counts 0 segments) */
	assert_string_equal(out, "0\n");
	snprintf(f, sizeof f, "%s/a", dir);
	assert_non_null(a = tl_slurp(f));
	snprintf(f, sizeof f, "%s/b", dir);
	assert_non_null(b = tl_slurp(f));
	for (char *s = a; s; s = s == a ? b : NULL)
		for (char *l = s; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
			removed += !strncmp(l, "removed ", 8);
			gone += !strncmp(l, "already-gone ", 13);
			assert_true(strncmp(l, "failed ", 7));
		}
	if (removed != 5)
		fail_msg("removed %d times, not 5:\n%s---\n%s", removed, a, b);
	assert_true(gone >= 1);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(python_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(qt5_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(qt5_lock_held, setup, teardown),
		cmocka_unit_test_setup_teardown(syslog_line, setup, teardown),
		cmocka_unit_test_setup_teardown(ipcmk_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(never_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(qt5_semaphore_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(database_server_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_while_cleaning_posix, setup, teardown),
		cmocka_unit_test_setup_teardown(quarantine_hides, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_while_cleaning_sysv, setup, teardown),
		cmocka_unit_test_setup_teardown(operate_while_cleaning_sem, setup, teardown),
		cmocka_unit_test_setup_teardown(two_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(two_racing_unlocked, setup, teardown),
	};

	alarm(300);
	return TL_MAIN("clean", tests, group_setup, NULL);
}
