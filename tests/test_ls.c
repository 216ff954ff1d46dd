/* SPDX-License-Identifier: MIT */
/* nipc ls against real processes: Python's multiprocessing.shared_memory
 * (mapped, then left behind), ipcmk, an attached System V segment, a named
 * semaphore open in a live process, the same users under a family filter,
 * an abandoned Qt 5 segment, a segment
 * of the shim's emulation, a semaphore set and a message queue, and a run
 * as another user. --json is read field by field and checked against
 * ipcs, /proc/sysvipc and stat(). Every object is
 * named per run and removed even when a test fails. */
#include "config.h"

#include "tlib.h"
#include "trace_json.h"

#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARGV TL_ARGV

static const char *nipc, *tmpdir;
static int counter;
static char name[64];
static struct tj_doc doc;
static char out[65536], err[4096];

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
	snprintf(name, sizeof name, "/nipc-ls-%ld-%d", (long)getpid(), ++counter);
	tl_ledger_posix(name);
	return 0;
}

static int msq = -1;

static int teardown(void **state)
{
	(void)state;
	if (msq >= 0)
		msgctl(msq, IPC_RMID, NULL);
	msq = -1;
	tl_kill_all();
	tl_ledger_dir(tmpdir);
	tl_ledger_clean();
	tl_scratch_empty();
	return 0;
}

/* `nipc ls --json --key GLOB [--family FAMILY]` (as uid, if nonzero): the
 * one object it lists, or NULL when none. */
static const struct tj_node *ls_one_in(const char *glob, uid_t uid, const char *family)
{
	struct tl_opts o = {.uid = uid, .timeout = 30};
	size_t len;
	int rc = family ? tl_run_buf(ARGV(nipc, "ls", "--json", "--key", glob, "--family", family), &o,
				     out, sizeof out, &len, err, sizeof err)
			: tl_run_buf(ARGV(nipc, "ls", "--json", "--key", glob), &o, out, sizeof out, &len,
				     err, sizeof err);

	if (rc)
		fprintf(stderr, "# nipc ls: %d: %s", rc, err);
	assert_int_equal(rc, 0);
	assert_int_equal(tj_parse(&doc, out, len), 0);
	const struct tj_node *first = tj_child(&doc, &doc.node[0]);
	if (first)
		assert_null(tj_next(&doc, first));
	return first;
}

static const struct tj_node *ls_one(const char *glob, uid_t uid)
{
	return ls_one_in(glob, uid, NULL);
}

static const char *str(const struct tj_node *o, const char *field)
{
	const struct tj_node *n = tj_get(&doc, o, field);

	assert_non_null(n);
	return n->type == TJ_NULL ? "null" : n->text;
}

static long long num(const struct tj_node *o, const char *field)
{
	const struct tj_node *n = tj_get(&doc, o, field);

	assert_non_null(n);
	assert_int_equal(n->type, TJ_NUM);
	return tj_int(n, -1);
}

/* 1 if pid is among the object's users. */
static int has_user(const struct tj_node *o, pid_t pid)
{
	const struct tj_node *u = tj_get(&doc, o, "users");

	assert_non_null(u);
	for (u = tj_child(&doc, u); u; u = tj_next(&doc, u))
		if (tj_int(tj_get(&doc, u, "pid"), -1) == pid)
			return 1;
	return 0;
}

/* The /proc/sysvipc/shm line of id: its fields by the header's names. */
static long long sysvipc_field(const char *file, long long id, const char *field)
{
	char *text = tl_slurp(file), *line, *save, *cols[32];
	int ncol = 0, want = -1;
	long long v = -1;

	assert_non_null(text);
	line = strtok_r(text, "\n", &save);
	for (char *s, *t = strtok_r(line, " ", &s); t && ncol < 32; t = strtok_r(NULL, " ", &s))
		cols[ncol++] = t;
	for (int i = 0; i < ncol; i++)
		if (!strcmp(cols[i], field))
			want = i;
	while (want >= 0 && (line = strtok_r(NULL, "\n", &save))) {
		char *s, *t = strtok_r(line, " ", &s);
		long long f[32];
		int i;

		for (i = 0; t && i < 32; t = strtok_r(NULL, " ", &s), i++)
			f[i] = strtoll(t, NULL, i == 2 ? 8 : 10);
		if (f[1] == id && want < i)
			v = f[want];
	}
	free(text);
	return v;
}

/* A python3 holder of a multiprocessing.shared_memory segment that the
 * resource tracker does not remove: "mapped" when it is, exits at a line. */
static void py_holder(struct tl_proc *p)
{
	static char code[512];

	snprintf(code, sizeof code,
		 "import sys\n"
		 "from multiprocessing import shared_memory, resource_tracker\n"
		 "m = shared_memory.SharedMemory(name='%s', create=True, size=5000)\n"
		 "resource_tracker.unregister(m._name, 'shared_memory')\n"
		 "print('mapped', flush=True)\n"
		 "sys.stdin.readline()\n"
		 "m.close()\n", name + 1);
	tl_start_ok(p, ARGV(PYTHON3, "-c", code), "mapped");
}

static void python_segment(void **state)
{
	struct tl_proc p;
	char glob[80], path[PATH_MAX];
	const struct tj_node *o;
	struct stat st;

	(void)state;
	snprintf(glob, sizeof glob, "posix:%s", name);
	snprintf(path, sizeof path, "/dev/shm%s", name);
	py_holder(&p);
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "posix-shm");
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, p.pid));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(num(o, "size"), st.st_size);
	assert_int_equal(num(o, "ctime"), st.st_ctime);
	assert_string_equal(str(o, "owner"), "root");
	assert_string_equal(str(o, "perms"), "0600");
	tl_let_go(&p, "python3");
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "verdict"), "idle");
	assert_false(has_user(o, p.pid));
}

/* ipcmk objects: nobody uses them, nothing proves them abandoned. */
static void ipcmk_objects(void **state)
{
	char id[32], *p;
	const struct tj_node *o;

	(void)state;
	assert_int_equal(tl_run_text(ARGV("ipcmk", "-M", "8192"), out, sizeof out, err, sizeof err), 0);
	assert_non_null(p = strstr(out, "id: "));
	snprintf(id, sizeof id, "%d", atoi(p + 4));
	tl_ledger_shmid(atoi(id));
	o = ls_one(id, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "sysv-shm");
	assert_string_equal(str(o, "verdict"), "idle");
	assert_int_equal(num(o, "nattch"), 0);
	assert_int_equal(num(o, "size"), 8192);
	/* ipcmk made it and is gone */
	assert_string_equal(tj_get(&doc, tj_get(&doc, o, "creator"), "alive")->text, "false");
	assert_string_equal(str(o, "command"), "null");
	assert_int_equal(tl_run_text(ARGV("ipcmk", "-S", "3"), out, sizeof out, err, sizeof err), 0);
	assert_non_null(p = strstr(out, "id: "));
	snprintf(id, sizeof id, "%d", atoi(p + 4));
	tl_ledger_semid(atoi(id));
	o = ls_one(id, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "sysv-sem");
	assert_string_equal(str(o, "verdict"), "idle");
	assert_int_equal(num(o, "nsems"), 3);
}

/* This process attached: in-use, USERS shows it; every field as the kernel
 * has it in /proc/sysvipc/shm. */
static void sysv_attached(void **state)
{
	key_t key = (key_t)(0x4c530000 | ((getpid() & 0xff) << 8) | counter);
	int id = shmget(key, 12345, IPC_CREAT | IPC_EXCL | 0640);
	char glob[32], hex[16];
	const struct tj_node *o;
	void *at;

	(void)state;
	assert_true(id >= 0);
	tl_ledger_shmid(id);
	at = shmat(id, NULL, 0);
	assert_true(at != (void *)-1);
	snprintf(glob, sizeof glob, "%d", id);
	o = ls_one(glob, 0);
	shmdt(at);
	assert_non_null(o);
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, getpid()));
	snprintf(hex, sizeof hex, "0x%08x", (unsigned)key);
	assert_string_equal(str(o, "key"), hex);
	assert_int_equal(num(o, "id"), id);
	assert_int_equal(num(o, "size"), sysvipc_field("/proc/sysvipc/shm", id, "size"));
	assert_int_equal(num(o, "nattch"), 1);
	assert_int_equal(num(o, "cpid"), sysvipc_field("/proc/sysvipc/shm", id, "cpid"));
	assert_int_equal(num(o, "cpid"), getpid());
	assert_int_equal(num(o, "ctime"), sysvipc_field("/proc/sysvipc/shm", id, "ctime"));
	assert_string_equal(str(o, "perms"), "0640");
	assert_true(tj_get(&doc, tj_get(&doc, o, "creator"), "alive")->text[0] == 't');
	assert_string_equal(str(o, "emulated"), "false");
	shmctl(id, IPC_RMID, NULL);
}

/* The row of `ipcs ARGS` whose column idcol is id: its columns in col[]
 * (pointers into a static copy); how many. */
static int ipcs_row(const char *const *argv, int idcol, long long id, char *col[], int max)
{
	static char text[65536];
	char *line, *save;

	assert_int_equal(tl_run_text(argv, text, sizeof text, err, sizeof err), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s, *t;
		int n = 0;

		for (t = strtok_r(line, " ", &s); t && n < max; t = strtok_r(NULL, " ", &s))
			col[n++] = t;
		if (n > idcol && col[idcol][0] >= '0' && col[idcol][0] <= '9' &&
		    atoll(col[idcol]) == id)
			return n;
	}
	fail_msg("%s %s: no row of id %lld", argv[0], argv[1], id);
	return 0;
}

/* A semaphore set this process operated and a message queue it sent two
 * messages to: --json field by field against ipcs (key, id, owner, perms,
 * nsems; used-bytes and the last sender) and /proc/sysvipc (ctime). */
static void sem_and_queue_vs_ipcs(void **state)
{
	key_t skey = (key_t)(0x4c5e0000 | ((getpid() & 0xff) << 8) | counter);
	key_t qkey = (key_t)(0x4c510000 | ((getpid() & 0xff) << 8) | counter);
	struct sembuf op = {1, 2, 0};
	struct { long type; char text[8]; } m = {1, "1234567"};
	char glob[32], hex[16], *col[16];
	const struct tj_node *o;
	int sid;

	(void)state;
	assert_true((sid = semget(skey, 3, IPC_CREAT | IPC_EXCL | 0640)) >= 0);
	tl_ledger_semid(sid);
	assert_int_equal(semop(sid, &op, 1), 0);
	snprintf(glob, sizeof glob, "%d", sid);
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_int_equal(ipcs_row(ARGV("ipcs", "-s"), 1, sid, col, 16), 5);
	assert_string_equal(str(o, "type"), "sysv-sem");
	snprintf(hex, sizeof hex, "0x%08x", (unsigned)skey);
	assert_string_equal(str(o, "key"), hex);
	assert_string_equal(str(o, "key"), col[0]);
	assert_int_equal(num(o, "id"), atoll(col[1]));
	assert_string_equal(str(o, "owner"), col[2]);
	assert_int_equal(strtol(str(o, "perms"), NULL, 8), strtol(col[3], NULL, 8));
	assert_string_equal(str(o, "perms"), "0640");
	assert_int_equal(num(o, "nsems"), atoll(col[4]));
	assert_int_equal(num(o, "nsems"), 3);
	assert_int_equal(num(o, "ctime"), sysvipc_field("/proc/sysvipc/sem", sid, "ctime"));
	assert_int_equal(num(o, "lpid"), getpid());
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_string_equal(str(o, "emulated"), "false");

	assert_true((msq = msgget(qkey, IPC_CREAT | IPC_EXCL | 0620)) >= 0);
	assert_int_equal(msgsnd(msq, &m, 5, 0), 0);
	assert_int_equal(msgsnd(msq, &m, 7, 0), 0);
	snprintf(glob, sizeof glob, "%d", msq);
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_int_equal(ipcs_row(ARGV("ipcs", "-q"), 1, msq, col, 16), 6);
	assert_string_equal(str(o, "type"), "sysv-msg");
	snprintf(hex, sizeof hex, "0x%08x", (unsigned)qkey);
	assert_string_equal(str(o, "key"), hex);
	assert_string_equal(str(o, "key"), col[0]);
	assert_int_equal(num(o, "id"), atoll(col[1]));
	assert_string_equal(str(o, "owner"), col[2]);
	assert_int_equal(strtol(str(o, "perms"), NULL, 8), strtol(col[3], NULL, 8));
	assert_string_equal(str(o, "perms"), "0620");
	assert_int_equal(num(o, "size"), atoll(col[4]));
	assert_int_equal(num(o, "size"), 12);
	assert_int_equal(atoll(col[5]), 2);
	assert_int_equal(ipcs_row(ARGV("ipcs", "-q", "-p"), 0, msq, col, 16), 4);
	assert_int_equal(num(o, "lpid"), atoll(col[2]));
	assert_int_equal(num(o, "lpid"), getpid());
	assert_int_equal(num(o, "ctime"), sysvipc_field("/proc/sysvipc/msg", msq, "ctime"));
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, getpid()));
	assert_int_equal(msgctl(msq, IPC_RMID, NULL), 0);
	msq = -1;
}

static void named_semaphore(void **state)
{
	char glob[80];
	const struct tj_node *o;
	sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);

	(void)state;
	assert_true(s != SEM_FAILED);
	snprintf(glob, sizeof glob, "posix:%s", name);
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "posix-sem");
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, getpid()));
	sem_close(s);
	o = ls_one(glob, 0);
	assert_string_equal(str(o, "verdict"), "idle");
	sem_unlink(name);
}

/* A family filter finds the same users: a POSIX segment held open and
 * not mapped (found by its descriptor) and an attached System V segment
 * (found by its mapping, the only way a process holds one). */
static void family_filter(void **state)
{
	char glob[80], idglob[32];
	const struct tj_node *o;
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	int id = shmget(IPC_PRIVATE, 4096, 0600);
	void *at = id >= 0 ? shmat(id, NULL, SHM_RDONLY) : (void *)-1;

	(void)state;
	if (id >= 0)
		tl_ledger_shmid(id);
	assert_true(fd >= 0);
	assert_true(at != (void *)-1);
	snprintf(glob, sizeof glob, "posix:%s", name);
	snprintf(idglob, sizeof idglob, "%d", id);
	o = ls_one_in(glob, 0, "posix-shm");
	assert_non_null(o);
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, getpid()));
	o = ls_one_in(idglob, 0, "sysv-shm");
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "sysv-shm");
	assert_true(has_user(o, getpid()));
	o = ls_one_in(idglob, 0, "sysv");
	assert_non_null(o);
	assert_true(has_user(o, getpid()));
	close(fd);
	o = ls_one_in(glob, 0, "posix");
	assert_string_equal(str(o, "verdict"), "idle");
	shmdt(at);
	shmctl(id, IPC_RMID, NULL);
	shm_unlink(name);
}

/* Another user's view: root's processes are unreadable, so a segment of
 * root's that no process nipc can read maps is unknown, never idle. */
static void other_user(void **state)
{
	char glob[80];
	const struct tj_node *o;
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(glob, sizeof glob, "posix:%s", name);
	o = ls_one(glob, 65534);
	assert_non_null(o);
	assert_string_equal(str(o, "verdict"), "unknown");
	o = ls_one(glob, 0);
	assert_string_equal(str(o, "verdict"), "idle");
	shm_unlink(name);

	/* a System V semaphore set it may not read: unknown; root reads it */
	int id = semget(IPC_PRIVATE, 1, 0600);
	char ids[32];

	assert_true(id >= 0);
	tl_ledger_semid(id);
	snprintf(ids, sizeof ids, "%d", id);
	o = ls_one(ids, 65534);
	assert_non_null(o);
	assert_string_equal(str(o, "verdict"), "unknown");
	o = ls_one(ids, 0);
	assert_string_equal(str(o, "verdict"), "idle");
	semctl(id, 0, IPC_RMID);
}

static char qt5peer[PATH_MAX];

/* A Qt 5 QSharedMemory whose only holder was killed: the segment has no
 * attachment, its key file and its lock are left: orphan. */
static void qt5_abandoned(void **state)
{
	char qname[64], glob[PATH_MAX];
	struct tl_proc p;
	const struct tj_node *o;

	(void)state;
	snprintf(qt5peer, sizeof qt5peer, "%s/tests/qt/qt5peer", tl_builddir());
	if (access(qt5peer, X_OK)) {
		print_message("# tests/qt/qt5peer not built (no Qt 5): skipped\n");
		skip();
	}
	snprintf(qname, sizeof qname, "nipcls%ld_%d", (long)getpid(), counter);
	tl_start_ok(&p, ARGV(qt5peer, "shm", "create", qname, "100"), "created");
	snprintf(glob, sizeof glob, "%s/qipc_sharedmemory_*", tl_scratch_real());
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, p.pid));
	tl_ledger_shmid((int)num(o, "id"));
	kill(p.pid, SIGKILL);
	tl_wait(&p, 10000);
	tl_proc_free(&p);
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "sysv-shm");
	assert_string_equal(str(o, "verdict"), "orphan");
	assert_int_equal(num(o, "nattch"), 0);
	snprintf(glob, sizeof glob, "%s/qipc_systemsem_*", tl_scratch_real());
	o = ls_one(glob, 0);
	assert_non_null(o);
	tl_ledger_semid((int)num(o, "id"));
	assert_string_equal(str(o, "type"), "sysv-sem");
	assert_string_equal(str(o, "verdict"), "orphan");
	/* removed here: the ledger finds them by key file, gone with the scratch */
	shmctl((int)num(o, "id"), IPC_RMID, NULL);
}

/* A segment of the emulation: listed from its registry, marked emulated,
 * its attachment (pid + start time) as its user. */
static void emulated_segment(void **state)
{
	char ns[64], rules[PATH_MAX], nsv[96], rl[PATH_MAX + 16], code[512], glob[128], reg[96];
	struct tl_proc p;
	const struct tj_node *o;
	FILE *f;

	(void)state;
	snprintf(ns, sizeof ns, "ls%ldn%d", (long)getpid(), counter);
	snprintf(reg, sizeof reg, "/nipc.sysv.%s.reg", ns);
	tl_ledger_posix(reg);
	snprintf(rules, sizeof rules, "%s", tl_path("ls.rules"));
	assert_non_null(f = fopen(rules, "w"));
	fputs("sysv backend=posix\n", f);
	fclose(f);
	snprintf(rl, sizeof rl, "NIPC_RULES=%s", rules);
	snprintf(nsv, sizeof nsv, "NIPC_NAMESPACE=%s", ns);
	key_t key = (key_t)(0x4c540000 | ((getpid() & 0xff) << 8) | counter);
	char shmname[96];
	snprintf(shmname, sizeof shmname, "/nipc.sysv.%s.shm.0x%08x", ns, (unsigned)key);
	tl_ledger_posix(shmname);
	char semname[96];
	snprintf(semname, sizeof semname, "/nipc.sysv.%s.sem.0x%08x", ns, (unsigned)key);
	tl_ledger_posix(semname);
	snprintf(code, sizeof code,
		 "import ctypes, sys\n"
		 "l = ctypes.CDLL(None)\n"
		 "l.shmat.restype = ctypes.c_void_p\n"
		 "i = l.shmget(%d, 4096, 0o1600)\n"
		 "a = l.shmat(i, None, 0)\n"
		 "s = l.semget(%d, 2, 0o1600)\n"
		 "print('attached', i, s, l.semop(s, (ctypes.c_short * 3)(0, 1, 0), 1), flush=True)\n"
		 "sys.stdin.readline()\n"
		 "l.shmctl(i, 0, None)\n"
		 "l.semctl(s, 0, 0)\n", (int)key, (int)key);
	struct tl_opts opt = {.env = TL_ENV(rl, nsv, "ASAN_OPTIONS=detect_leaks=0"), .preload = 1};
	assert_int_equal(tl_start(&p, ARGV(PYTHON3, "-c", code), &opt), 0);
	/* ids of other namespaces' emulations may be the same: by name */
	tl_expect(&p, "attached", 10000);
	snprintf(glob, sizeof glob, "posix:%s", shmname);
	o = ls_one(glob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "sysv-shm");
	assert_string_equal(str(o, "emulated"), "true");
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_int_equal(num(o, "nattch"), 1);
	assert_int_equal(num(o, "size"), 4096);
	assert_true(has_user(o, p.pid));
	assert_int_equal(num(o, "cpid"), p.pid);
	/* its semaphore set: the state is mapped by the process that uses it */
	char sglob[128];
	snprintf(sglob, sizeof sglob, "posix:%s", semname);
	o = ls_one(sglob, 0);
	assert_non_null(o);
	assert_string_equal(str(o, "type"), "sysv-sem");
	assert_string_equal(str(o, "emulated"), "true");
	assert_int_equal(num(o, "nsems"), 2);
	assert_string_equal(str(o, "verdict"), "in-use");
	assert_true(has_user(o, p.pid));
	tl_let_go(&p, "python3");
	assert_null(ls_one(glob, 0));
	assert_null(ls_one(sglob, 0));
}

static void usage_errors(void **state)
{
	(void)state;
	assert_int_equal(tl_run_text(ARGV(nipc, "ls", "-o", "NOPE"), out, sizeof out, err, sizeof err), 2);
	assert_int_equal(tl_run_text(ARGV(nipc, "ls", "--verdict", "dead"), out, sizeof out, err, sizeof err), 2);
	assert_int_equal(tl_run_text(ARGV(nipc, "ls", "--family", "windows-shm"), out, sizeof out, err, sizeof err), 2);
	assert_int_equal(tl_run_text(ARGV(nipc, "ls", "-o", "TYPE,VERDICT", "--family", "sysv"), out, sizeof out, err, sizeof err), 0);
	assert_true(!strncmp(out, "TYPE", 4));
	/* --json always names the type */
	assert_int_equal(tl_run_text(ARGV(nipc, "ls", "--json", "-o", "VERDICT", "--family", "posix-sem"),
				     out, sizeof out, err, sizeof err), 0);
	assert_int_equal(tj_parse(&doc, out, strlen(out)), 0);
	for (const struct tj_node *o = tj_child(&doc, &doc.node[0]); o; o = tj_next(&doc, o))
		assert_string_equal(str(o, "type"), "posix-sem");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(python_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(ipcmk_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(sysv_attached, setup, teardown),
		cmocka_unit_test_setup_teardown(sem_and_queue_vs_ipcs, setup, teardown),
		cmocka_unit_test_setup_teardown(named_semaphore, setup, teardown),
		cmocka_unit_test_setup_teardown(family_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(other_user, setup, teardown),
		cmocka_unit_test_setup_teardown(qt5_abandoned, setup, teardown),
		cmocka_unit_test_setup_teardown(emulated_segment, setup, teardown),
	};

	alarm(300);
	return TL_MAIN("ls", tests, group_setup, NULL);
}
