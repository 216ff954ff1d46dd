/* SPDX-License-Identifier: MIT */
/* Real, unmodified programs under the System V emulation (shim/emul_*.c):
 * PostgreSQL's postmaster (its segment, and its refusal to start while an
 * old segment is still attached), a Python program on Debian's sysv_ipc
 * module, and Qt 5 programs sharing a QSharedMemory with its lock. Each
 * runs against the kernel, then under NIPC_RULES in a namespace of its
 * own: what it says must be the same, and strace -f must show System V
 * calls in the kernel run and none (of the emulated families) in the
 * emulated one. Rules "sysv-shm backend=posix" leave semaphores on the
 * kernel; rules "sysv backend=posix" need the semaphore emulation, and the
 * tests on them skip, saying so, while semget still reaches the kernel.
 * A program that is not installed is skipped with its package's name. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"

#define STRACE "/usr/bin/strace"

/* Where a run's System V objects live. */
enum world { KERNEL, SHM, ALL };
static const char *const world_name[] = {"kernel", "sysv-shm backend=posix", "sysv backend=posix"};

static char ns[64], rules[2][PATH_MAX];
static int counter;
/* System V calls strace saw in the runs of the current world. */
static int seen_shm, seen_sem;

/* ------------------------------------------------------------ helpers */

/* A fresh emulation namespace for the next emulated run. */
static void new_namespace(void)
{
	char reg[96];

	snprintf(ns, sizeof ns, "r%dn%d", (int)getpid(), ++counter);
	snprintf(reg, sizeof reg, "/nipc.sysv.%s", ns);
	tl_ledger_posix(reg);
}

/* The backing objects of the namespace (the registry not counted);
 * remove_all: everything of every namespace of this process. */
static int leftovers(int remove_all)
{
	char pre[96], mine[64];
	struct dirent *d;
	DIR *dir = opendir("/dev/shm");
	int n = 0;

	if (!dir)
		return 0;
	snprintf(pre, sizeof pre, "nipc.sysv.%s.", ns);
	snprintf(mine, sizeof mine, "nipc.sysv.r%dn", (int)getpid());
	while ((d = readdir(dir))) {
		char path[PATH_MAX];

		if (ns[0] && !strncmp(d->d_name, pre, strlen(pre)) &&
		    strcmp(d->d_name + strlen(pre), "reg")) {
			n++;
			fprintf(stderr, "# left behind: /dev/shm/%s\n", d->d_name);
		}
		if (remove_all && !strncmp(d->d_name, mine, strlen(mine))) {
			snprintf(path, sizeof path, "/dev/shm/%s", d->d_name);
			unlink(path);
		}
	}
	closedir(dir);
	return n;
}

static struct tl_opts opts(enum world w, uid_t uid, const char *tmpdir)
{
	static char rl[PATH_MAX + 16], nsv[96], td[PATH_MAX + 16];
	static const char *env[5];
	struct tl_opts o = {.env = env, .preload = w != KERNEL, .timeout = 120, .uid = uid};

	snprintf(rl, sizeof rl, "NIPC_RULES=%s", w == KERNEL ? "" : rules[w - 1]);
	snprintf(nsv, sizeof nsv, "NIPC_NAMESPACE=%s", ns);
	snprintf(td, sizeof td, "TMPDIR=%s", tmpdir ? tmpdir : "/tmp");
	env[0] = w == KERNEL ? "NIPC_RULES" : rl;
	env[1] = w == KERNEL ? "NIPC_NAMESPACE" : nsv;
	/* LeakSanitizer (a sanitizer build's helpers) cannot work under strace */
	env[2] = "ASAN_OPTIONS=detect_leaks=0";
	env[3] = tmpdir ? td : NULL;
	env[4] = NULL;
	return o;
}

/* argv run under strace -f, its trace into a new file in dir: the new
 * argv (static, one at a time) and the file in trace. */
static const char *const *straced(const char *const *argv, const char *dir, char *trace)
{
	static const char *v[64];
	int n = 0;

	snprintf(trace, PATH_MAX, "%s/strace.%d", dir, ++counter);
	unlink(trace);
	v[n++] = STRACE;
	v[n++] = "-f";
	v[n++] = "-qq";
	v[n++] = "-e";
	v[n++] = "trace=%ipc";
	v[n++] = "-o";
	v[n++] = trace;
	while (*argv && n < 63)
		v[n++] = *argv++;
	v[n] = NULL;
	return v;
}

static int is_call(const char *line, const char *const *names)
{
	for (; *names; names++) {
		const char *p = strstr(line, *names);

		if (p && (p == line || p[-1] == ' '))
			return 1;
	}
	return 0;
}

/* Counts the System V calls of a finished trace (in seen_*); in an
 * emulated world the ones that should not have reached the kernel are
 * printed. */
static void count_calls(const char *trace, enum world w)
{
	static const char *const shm[] = {"shmget(", "shmat(", "shmdt(", "shmctl(", NULL};
	static const char *const sem[] = {"semget(", "semop(", "semtimedop(", "semctl(", NULL};
	char line[2048];
	FILE *f = fopen(trace, "r");

	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		int s = is_call(line, shm), m = is_call(line, sem);

		seen_shm += s;
		seen_sem += m;
		if ((w != KERNEL && s) || (w == ALL && m))
			fprintf(stderr, "# reached the kernel: %s", line);
	}
	fclose(f);
	unlink(trace);
}

/* The checks of a world's trace: the kernel run made System V calls of
 * the families the program uses (so the emulated run's zero means
 * something); an emulated run made none of the emulated families'. */
static void check_calls(enum world w, int shms_used, int sems_used)
{
	print_message("# %s: strace saw %d shm and %d sem calls\n", world_name[w], seen_shm,
		      seen_sem);
	if (w == KERNEL) {
		assert_true(!shms_used || seen_shm > 0);
		assert_true(!sems_used || seen_sem > 0);
	} else {
		assert_int_equal(seen_shm, 0);
		if (w == ALL)
			assert_int_equal(seen_sem, 0);
	}
	seen_shm = seen_sem = 0;
}

static void need(const char *path, const char *what)
{
	if (access(path, X_OK)) {
		print_message("# %s not installed (%s): not run\n", path, what);
		skip();
	}
}

/* Whether semaphores are emulated under rules "sysv backend=posix": a
 * real program (util-linux ipcmk) makes a set under them, and strace
 * tells whether its semget reached the kernel. */
static int sems_emulated(void)
{
	static int known = -1;
	char trace[PATH_MAX], out[256], err[256];
	const char *ipcmk[] = {"ipcmk", "-S", "1", NULL};
	struct tl_opts o;
	size_t len;
	int id = -1, seen;

	if (known >= 0)
		return known;
	new_namespace();
	o = opts(ALL, 0, NULL);
	if (tl_run_buf(straced(ipcmk, tl_scratch(), trace), &o, out, sizeof out, &len, err,
		       sizeof err) ||
	    sscanf(out, "Semaphore id: %d", &id) != 1)
		fail_msg("ipcmk -S 1 under the emulation: %s%s", out, err);
	seen_sem = 0;
	count_calls(trace, KERNEL);
	seen = seen_sem;
	seen_sem = seen_shm = 0;
	if (seen) {
		tl_ledger_semid(id);
		semctl(id, 0, IPC_RMID);
	} else {
		char ids[16];
		const char *ipcrm[] = {"ipcrm", "-s", ids, NULL};

		snprintf(ids, sizeof ids, "%d", id);
		o = opts(ALL, 0, NULL);
		assert_int_equal(tl_run_buf(ipcrm, &o, out, sizeof out, &len, err, sizeof err), 0);
	}
	leftovers(1);
	known = !seen;
	return known;
}

static void need_sems(enum world w)
{
	if (w == ALL && !sems_emulated()) {
		print_message("# System V semaphores are not emulated in this build (semget under "
			      "rules \"sysv backend=posix\" reached the kernel): not run\n");
		skip();
	}
}

/* Appends a line to a run's report. */
static void note(char *rep, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(char *rep, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(rep);

	va_start(ap, fmt);
	vsnprintf(rep + n, size - n, fmt, ap);
	va_end(ap);
}

/* The same report from the kernel run and the emulated one. */
static void same_reports(const char *kern, const char *emul)
{
	if (strcmp(kern, emul)) {
		fprintf(stderr, "# kernel:\n%s# emulated:\n%s", kern, emul);
		fail_msg("the emulated run differs from the kernel run");
	}
}

static int setup(void **state)
{
	const char *text[2] = {"sysv-shm backend=posix\n", "sysv backend=posix\n"};

	(void)state;
	alarm(900);
	for (int i = 0; i < 2; i++) {
		FILE *f;

		snprintf(rules[i], sizeof rules[i], "%s", tl_path(i ? "all.rules" : "shm.rules"));
		f = fopen(rules[i], "w");
		if (!f)
			return -1;
		fputs(text[i], f);
		fclose(f);
		chmod(rules[i], 0644);
	}
	return 0;
}

static void pg_kill_left(void);

static int teardown(void **state)
{
	pg_kill_left();
	tl_kill_all();
	leftovers(1);
	return tl_teardown(state);
}

/* ------------------------------------------------------------ PostgreSQL */

/* The postmaster's start-up, as postgres(1) does it (strace of a kernel
 * run): CreateLockFile finds postmaster.pid, whose line 7 is "KEY ID" of
 * the old segment; if the pid in it is dead, shmctl(ID, IPC_STAT), shmat
 * and shmdt to check the segment's header, and a shm_nattch above 0 stops
 * it with "pre-existing shared memory block (key K, ID I) is still in
 * use". Else it takes key = the data directory's inode: shmget with
 * IPC_CREAT|IPC_EXCL gives EEXIST, so shmget, IPC_STAT, shmat, IPC_RMID
 * while attached, shmdt, and a new segment under the same key. Its
 * children inherit the attachment by fork; a clean stop removes it. */

static struct passwd pg_user;
/* The data directory of a run that may have left a postmaster running. */
static char pg_data[PATH_MAX];

/* The shim and the segment holder, copied where the user nobody can
 * read them (the build tree may be private to root). */
static char pg_shim[PATH_MAX + 32], pg_holder[PATH_MAX + 32];

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");

	assert_non_null(in);
	assert_non_null(out);
	for (size_t n = 1; n;) {
		buf = realloc(buf, len + 65536);
		assert_non_null(buf);
		n = fread(buf + len, 1, 65536, in);
		len += n;
	}
	assert_int_equal(fwrite(buf, 1, len, out), len);
	free(buf);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, mode), 0);
}

/* Whether nobody can read the copies (a private $TMPDIR would stop it). */
static int reachable_by(uid_t uid)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(setgid(uid) || setuid(uid) || access(pg_shim, R_OK) ||
		      access(pg_holder, X_OK));
	tl_adopt(pid);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	tl_forget(pid);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void pg_copy_tools(void);

/* The newest installed PostgreSQL's bin directory, or skip. */
static void need_postgres(void)
{
	struct passwd *pw = getpwnam("nobody");

	tl_need_postgres();
	need(STRACE, "package strace");
	if (!pw || pw->pw_uid != pw->pw_gid) {
		print_message("# no user nobody whose uid is its gid (postgres refuses root): "
			      "not run\n");
		skip();
	}
	pg_user = *pw;
	if (tl_shim_asan()) {
		/* its runtime would have to come first in a preload list we
		 * make by hand: the plain build's run covers PostgreSQL */
		print_message("# the shim is built with ASan: PostgreSQL runs in the plain "
			      "build's tests only\n");
		skip();
	}
	pg_copy_tools();
}

static void pg_copy_tools(void)
{
	const char *d = tl_path("pg-tools");

	if (mkdir(d, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", d, strerror(errno));
	snprintf(pg_shim, sizeof pg_shim, "%s/libnipc-preload.so", d);
	snprintf(pg_holder, sizeof pg_holder, "%s/sysv_shm_cases", d);
	copy_file(tl_shim(), pg_shim, 0644);
	copy_file(tl_prog("sysv_shm_cases"), pg_holder, 0755);
	if (!reachable_by(pg_user.pw_uid)) {
		print_message("# the user nobody cannot reach %s: not run\n", d);
		skip();
	}
}


/* Line n (1-based) of postmaster.pid, "" if there is none. */
static const char *pid_line(const char *data, int n)
{
	static char line[256];
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof path, "%s/postmaster.pid", data);
	line[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return line;
	while (n-- > 0 && fgets(line, sizeof line, f))
		;
	if (n >= 0)
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	return line;
}

/* The processes whose parent is pid. */
static int children_of(pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[PATH_MAX], buf[512], *p;
		FILE *f;
		int ppid;
		char st;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p, ") %c %d", &st, &ppid) == 2 && ppid == pid && st != 'Z')
			n++;
	}
	closedir(d);
	return n;
}

/* SIGKILL to a postmaster left by a failed run, and to its children. */
static void pg_kill_left(void)
{
	pid_t pm;
	DIR *d;
	struct dirent *e;

	if (!pg_data[0] || (pm = atoi(pid_line(pg_data, 1))) <= 0)
		return;
	kill(pm, SIGKILL);
	d = opendir("/proc");
	while (d && (e = readdir(d))) {
		char path[PATH_MAX], buf[512], *p;
		FILE *f;
		int ppid;
		char st;

		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p, ") %c %d", &st, &ppid) == 2 && ppid == pm)
			kill(atoi(e->d_name), SIGKILL);
	}
	if (d)
		closedir(d);
	pg_data[0] = 0;
}

/* A run as nobody, with the copy of the shim when emulated. */
static struct tl_opts nobody_opts(enum world w)
{
	static char pre[PATH_MAX + 64];
	static const char *env[5];
	struct tl_opts o = opts(w, pg_user.pw_uid, NULL);

	snprintf(pre, sizeof pre, "LD_PRELOAD=%s", pg_shim);
	env[0] = o.env[0];
	env[1] = o.env[1];
	env[2] = o.env[2];
	env[3] = w == KERNEL ? NULL : pre;
	env[4] = NULL;
	o.env = env;
	o.preload = 0;
	return o;
}

static struct tl_opts pg_opts(enum world w, const char *err)
{
	struct tl_opts o = nobody_opts(w);

	o.err = err;
	o.out = err;
	return o;
}

/* pg_isready says the server accepts connections (60 s at most, less if
 * the postmaster's process ends). */
static int pg_ready(struct tl_proc *pm, const char *dir, const char *port)
{
	const char *argv[] = {tl_pg("pg_isready"), "-q", "-h", dir, "-p", port, NULL};

	for (int i = 0; i < 300 && tl_running(pm); i++) {
		if (tl_run(NULL, argv, &(struct tl_opts){.timeout = 30}) == 0)
			return 1;
		usleep(200000);
	}
	return 0;
}

static const char *pg_select(const char *dir, const char *port)
{
	static char out[256], err[1024];
	const char *argv[] = {tl_pg("psql"), "-X", "-At", "-h", dir, "-p", port, "-U", "postgres",
			      "-d", "postgres", "-c", "select 1 + 1", NULL};
	struct tl_opts o = {.timeout = 60};
	size_t len;

	if (tl_run_buf(argv, &o, out, sizeof out, &len, err, sizeof err))
		fprintf(stderr, "# psql: %s", err);
	out[strcspn(out, "\n")] = 0;
	return out;
}

/* Starts the postmaster under strace (w's world): its trace file. */
static void pg_start(struct tl_proc *pm, enum world w, const char *dir, const char *port,
		     const char *log, char *trace)
{
	char data[PATH_MAX];
	const char *argv[] = {tl_pg("postgres"), "-D", data, "-k", dir, "-p", port,
			      "-c", "listen_addresses=", "-c", "fsync=off", NULL};
	struct tl_opts o = pg_opts(w, log);

	snprintf(data, sizeof data, "%s/data", dir);
	assert_int_equal(tl_start(pm, straced(argv, dir, trace), &o), 0);
}

/* What the log of a refused start says. */
static const char *refusal(const char *log)
{
	char *text = tl_slurp(log);
	const char *r = "started?";

	if (text && strstr(text, "pre-existing shared memory block") &&
	    strstr(text, "is still in use"))
		r = "pre-existing shared memory block ... is still in use";
	else if (text)
		fprintf(stderr, "# postmaster said:\n%s", text);
	free(text);
	return r;
}

/* One life of a cluster in world w, its observations in rep. */
static void pg_life(enum world w, char *rep, size_t size)
{
	char dir[1024], data[1100], port[16], log[1100], trace[PATH_MAX];
	char hold_trace[PATH_MAX], idtext[32], line[256];
	const char *initdb[] = {tl_pg("initdb"), "-D", data, "-A", "trust", "-U", "postgres",
				"--no-sync", "--locale=C", "-E", "UTF8", NULL};
	struct tl_proc pm, holder;
	struct tl_opts o;
	long key = 0;
	int id = -1, st, nattch = -1, kids = -2;
	pid_t pmpid;

	rep[0] = 0;
	if (w != KERNEL)
		new_namespace();
	snprintf(dir, sizeof dir, "%s", tl_path(w == KERNEL ? "pg-kernel" : "pg-emul"));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, pg_user.pw_uid, pg_user.pw_gid), 0);
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	snprintf(port, sizeof port, "%d", 20000 + (int)getpid() % 20000);

	/* initdb runs postgres in bootstrap and single-user mode: each makes
	 * and removes a segment */
	o = pg_opts(w, log);
	st = tl_run(NULL, straced(initdb, dir, trace), &o);
	count_calls(trace, w);
	note(rep, size, "initdb: %d\n", st);
	if (st)
		fprintf(stderr, "# initdb:\n%s", tl_slurp(log));
	assert_int_equal(st, 0);
	if (w != KERNEL)
		assert_int_equal(leftovers(0), 0);

	pg_start(&pm, w, dir, port, log, trace);
	snprintf(pg_data, sizeof pg_data, "%s", data);
	note(rep, size, "ready: %d\n", pg_ready(&pm, dir, port));
	note(rep, size, "select: %s\n", pg_select(dir, port));
	pmpid = atoi(pid_line(data, 1));
	assert_int_equal(sscanf(pid_line(data, 7), "%ld %d", &key, &id), 2);
	if (w == KERNEL)
		tl_ledger_shmid(id);
	print_message("# %s: postmaster.pid names key %ld, id %d\n", world_name[w], key, id);

	/* an attachment of another process, the postmaster's counted with
	 * its children's (inherited by fork) */
	snprintf(idtext, sizeof idtext, "%d", id);
	o = nobody_opts(w);
	assert_int_equal(tl_start(&holder, straced(TL_ARGV(pg_holder, "hold", idtext), dir,
						   hold_trace),
				  &o),
			 0);
	assert_int_equal(tl_line(&holder, line, sizeof line, 30000), 1);
	/* children come and go (a backend ending after psql did): the
	 * count between two equal looks at them */
	for (int i = 0; i < 100; i++) {
		int before = children_of(pmpid);

		if (i) {
			usleep(100000);
			tl_write(&holder, "\n");
			assert_int_equal(tl_line(&holder, line, sizeof line, 30000), 1);
		}
		assert_int_equal(sscanf(line, "held: %d", &nattch), 1);
		kids = children_of(pmpid);
		if (kids == before && nattch == kids + 2)
			break;
	}
	print_message("# %s: shm_nattch %d with the holder, the postmaster has %d children\n",
		      world_name[w], nattch, kids);
	note(rep, size, "nattch counts the postmaster, its children and the holder: %s\n",
	     nattch == kids + 2 ? "yes" : "no");

	/* the postmaster dies; its children notice and end; the holder stays */
	kill(pmpid, SIGKILL);
	tl_wait(&pm, 60000);
	tl_proc_free(&pm);
	count_calls(trace, w);
	o = pg_opts(w, log);
	{
		const char *argv[] = {tl_pg("postgres"), "-D", data, "-k", dir, "-p", port,
				      "-c", "listen_addresses=", NULL};

		st = tl_run(NULL, straced(argv, dir, trace), &o);
	}
	count_calls(trace, w);
	note(rep, size, "start while held: %d, %s\n", st, refusal(log));

	tl_close_in(&holder);
	st = tl_wait(&holder, 30000);
	note(rep, size, "holder: %d %s", st, holder.o.p);
	tl_proc_free(&holder);
	count_calls(hold_trace, w);

	pg_start(&pm, w, dir, port, log, trace);
	note(rep, size, "ready after release: %d\n", pg_ready(&pm, dir, port));
	note(rep, size, "select: %s\n", pg_select(dir, port));
	assert_int_equal(sscanf(pid_line(data, 7), "%ld %d", &key, &id), 2);
	if (w == KERNEL)
		tl_ledger_shmid(id);
	/* a fast shutdown */
	kill(atoi(pid_line(data, 1)), SIGINT);
	note(rep, size, "stopped: %d\n", tl_wait(&pm, 60000));
	tl_proc_free(&pm);
	count_calls(trace, w);
	pg_data[0] = 0;
	if (w == KERNEL)
		note(rep, size, "segment after stop: %s\n",
		     shmget((key_t)key, 0, 0) < 0 && errno == ENOENT ? "gone" : "left");
	else
		note(rep, size, "segment after stop: %s\n", leftovers(0) ? "left" : "gone");
}

/* PostgreSQL on the kernel, then with its segments emulated: the same
 * life, no shm call reaching the kernel. */
static void test_real_postgres(void **state)
{
	static char kern[4096], emul[4096];

	(void)state;
	need_postgres();
	pg_life(KERNEL, kern, sizeof kern);
	check_calls(KERNEL, 1, 0);
	print_message("# kernel run:\n%s", kern);
	pg_life(SHM, emul, sizeof emul);
	check_calls(SHM, 1, 0);
	same_reports(kern, emul);
	assert_non_null(strstr(kern, "start while held: 1, pre-existing"));
	assert_non_null(strstr(kern, "ready after release: 1\n"));
	assert_non_null(strstr(kern, "counts the postmaster, its children and the holder: yes"));
}

/* ------------------------------------------------------------ sysv_ipc */

static const char *python;

/* A python3 that imports sysv_ipc (package python3-sysv-ipc), or skip. */
static void need_sysv_ipc(void)
{
	python = tl_need_python_module(PYTHON3, "sysv_ipc", "python3-sysv-ipc");
	need(STRACE, "package strace");
}

/* The kernel's objects of a failed run on key, removed. */
static void kernel_clean(key_t key)
{
	int id = shmget(key, 0, 0);

	if (id >= 0) {
		tl_ledger_shmid(id);
		shmctl(id, IPC_RMID, NULL);
	}
	id = semget(key, 0, 0);
	if (id >= 0) {
		tl_ledger_semid(id);
		semctl(id, 0, IPC_RMID);
	}
}

/* real_sysv_ipc.py PART KEY in world w: its output in rep. */
static void py_run(enum world w, const char *part, char *rep, size_t size)
{
	char script[PATH_MAX], trace[PATH_MAX], k[32], err[4096];
	key_t key = (key_t)(0x5e000000 | ((unsigned)getpid() & 0xffff) << 8 | (unsigned)++counter);
	struct tl_opts o;
	size_t len;
	int st;

	if (w != KERNEL)
		new_namespace();
	snprintf(script, sizeof script, "%s/tests/progs/real_sysv_ipc.py", tl_srcdir());
	snprintf(k, sizeof k, "%#x", (unsigned)key);
	o = opts(w, 0, NULL);
	st = tl_run_buf(straced(TL_ARGV(python, script, part, k), tl_scratch(), trace), &o, rep,
			size, &len, err, sizeof err);
	kernel_clean(key);
	count_calls(trace, w);
	if (st || err[0])
		fprintf(stderr, "# %s, %s: status %d\n%s", part, world_name[w], st, err);
	assert_int_equal(st, 0);
	if (w != KERNEL)
		assert_int_equal(leftovers(0), 0);
}

/* Both parts of the program on the kernel and in world w. */
static void py_both(enum world w)
{
	static char kern[8192], emul[8192];
	static const char *const part[] = {"shm", "sem"};

	need_sysv_ipc();
	need_sems(w);
	for (int i = 0; i < 2; i++) {
		py_run(KERNEL, part[i], kern, sizeof kern);
		check_calls(KERNEL, i == 0, i == 1);
		py_run(w, part[i], emul, sizeof emul);
		check_calls(w, i == 0, i == 1);
		same_reports(kern, emul);
	}
}

/* Shared memory emulated, the semaphores on the kernel. */
static void test_real_sysv_ipc_shm(void **state)
{
	(void)state;
	py_both(SHM);
}

/* Both emulated. */
static void test_real_sysv_ipc_all(void **state)
{
	(void)state;
	py_both(ALL);
}

/* ------------------------------------------------------------ Qt 5 */

static char qt5peer[PATH_MAX];

static void need_qt5(void)
{
	snprintf(qt5peer, sizeof qt5peer, "%s/tests/qt/qt5peer", tl_builddir());
	if (access(qt5peer, X_OK)) {
		print_message("# tests/qt/qt5peer not built (no Qt 5, package qtbase5-dev): "
			      "not run\n");
		skip();
	}
	need(STRACE, "package strace");
}

/* The peers of one run, each under strace. */
struct qt_run {
	enum world w;
	const char *tmp, *name;
	char trace[16][PATH_MAX];
	struct tl_proc p[16];
	int n;
	char *rep;
	size_t size;
};

static struct tl_proc *qt_start(struct qt_run *r, const char *const *args)
{
	const char *argv[16] = {qt5peer};
	struct tl_opts o = opts(r->w, 0, r->tmp);
	struct tl_proc *p = &r->p[r->n];
	int i;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	assert_true(r->n < 16);
	assert_int_equal(tl_start(p, straced(argv, tl_scratch(), r->trace[r->n]), &o), 0);
	r->n++;
	return p;
}

/* The first word of p's next line, noted. */
static void qt_line(struct qt_run *r, struct tl_proc *p, const char *who)
{
	char line[256];
	int got = tl_line(p, line, sizeof line, 30000);

	line[strcspn(line, " ")] = 0;
	note(r->rep, r->size, "%s: %s\n", who, got == 1 ? line : got ? "(eof)" : "(nothing)");
}

/* p ends: its status and the first word of each line it wrote, noted;
 * its trace counted. */
static void qt_end(struct qt_run *r, struct tl_proc *p, const char *who)
{
	int st = tl_wait(p, 60000);

	for (const char *l = p->o.p; *l;) {
		size_t n = strcspn(l, "\n");

		note(r->rep, r->size, "%s: %.*s\n", who, (int)strcspn(l, " \n"), l);
		l += n + (l[n] == '\n');
	}
	note(r->rep, r->size, "%s ends: %d\n", who, st);
	if (st)
		fprintf(stderr, "# qt5peer %s: %s", who, p->e.p);
	tl_proc_free(p);
	count_calls(r->trace[p - r->p], r->w);
}

/* A run to its end: stdout of `qt5peer ARGS` (binary as it is). */
static size_t qt_output(struct qt_run *r, const char *const *args, char *out, size_t size)
{
	struct tl_proc *p = qt_start(r, args);
	int st = tl_wait(p, 60000);
	size_t n = p->o.len < size ? p->o.len : size;

	memcpy(out, p->o.p, n);
	note(r->rep, r->size, "%s %s: status %d\n", args[0], args[1], st);
	if (st)
		fprintf(stderr, "# qt5peer %s: %s", args[1], p->e.p);
	tl_proc_free(p);
	count_calls(r->trace[p - r->p], r->w);
	return n;
}

static unsigned counter_of(struct qt_run *r)
{
	unsigned char b[4] = {0};

	assert_int_equal(qt_output(r, TL_ARGV("shm", "cat", r->name, "--size", "4"), (char *)b, 4),
			 4);
	return b[0] | b[1] << 8 | b[2] << 16 | (unsigned)b[3] << 24;
}

/* Qt 5 programs sharing a segment and its lock in world w. */
static void qt_life(enum world w, char *rep, size_t size)
{
	char name[64], text[64], held[64];
	struct qt_run r = {.w = w, .rep = rep, .size = size};
	struct tl_proc *a, *b, *l1, *l2, *i1, *i2;
	unsigned before;

	rep[0] = 0;
	if (w != KERNEL)
		new_namespace();
	snprintf(name, sizeof name, "nipcreal%dq%d", (int)getpid(), ++counter);
	r.name = name;
	r.tmp = tl_key_dir("qt");

	/* one creates and writes under lock(), another attaches, locks, reads */
	a = qt_start(&r, TL_ARGV("shm", "create", name, "4096", "--data", "hello, Qt"));
	qt_line(&r, a, "creator");
	memset(text, 0, sizeof text);
	qt_output(&r, TL_ARGV("shm", "cat", name, "--size", "9"), text, sizeof text - 1);
	note(rep, size, "read: %s\n", text);

	/* the lock excludes: a second locker waits for the first. Qt's
	 * detach takes the lock too, so the first may end only after the
	 * second has let go: which of them the lock goes to first when the
	 * first unlocks is the kernel's (or the emulation's) choice */
	l1 = qt_start(&r, TL_ARGV("shm", "lock", name));
	qt_line(&r, l1, "locker 1");
	qt_line(&r, l1, "locker 1");
	l2 = qt_start(&r, TL_ARGV("shm", "lock", name));
	qt_line(&r, l2, "locker 2");
	tl_expect_quiet(l2);
	tl_write(l1, "\n");
	qt_line(&r, l1, "locker 1");
	qt_line(&r, l2, "locker 2");
	tl_write(l2, "\n");
	qt_end(&r, l1, "locker 1");
	qt_end(&r, l2, "locker 2");

	/* locked increments of two processes add up */
	before = counter_of(&r);
	i1 = qt_start(&r, TL_ARGV("shm", "inc", name, "300"));
	i2 = qt_start(&r, TL_ARGV("shm", "inc", name, "300"));
	qt_line(&r, i1, "incrementer 1");
	qt_line(&r, i2, "incrementer 2");
	tl_write(i1, "\n");
	tl_write(i2, "\n");
	qt_end(&r, i1, "incrementer 1");
	qt_end(&r, i2, "incrementer 2");
	note(rep, size, "increments seen: %u\n", counter_of(&r) - before);

	/* Qt removes the segment at a detach that leaves shm_nattch 0: not
	 * while another process is attached, and then at its detach */
	b = qt_start(&r, TL_ARGV("shm", "attach", name));
	qt_line(&r, b, "attacher");
	memset(held, 0, sizeof held);
	qt_output(&r, TL_ARGV("shm", "cat", name, "--size", "9"), held, sizeof held - 1);
	tl_write(a, "\n");
	qt_end(&r, a, "creator");
	memset(text, 0, sizeof text);
	qt_output(&r, TL_ARGV("shm", "cat", name, "--size", "9"), text, sizeof text - 1);
	note(rep, size, "read after the creator left: %s\n",
	     memcmp(held, text, sizeof text) ? "other bytes" : "the same bytes");
	tl_write(b, "\n");
	qt_end(&r, b, "attacher");
	qt_output(&r, TL_ARGV("shm", "attach", name), text, 0);
	if (w != KERNEL)
		assert_int_equal(leftovers(0), 0);
}

static void qt_both(enum world w)
{
	static char kern[4096], emul[4096];

	need_qt5();
	need_sems(w);
	qt_life(KERNEL, kern, sizeof kern);
	check_calls(KERNEL, 1, 1);
	print_message("# kernel run:\n%s", kern);
	qt_life(w, emul, sizeof emul);
	check_calls(w, 1, 1);
	same_reports(kern, emul);
	assert_non_null(strstr(kern, "read: hello, Qt\n"));
	assert_non_null(strstr(kern, "increments seen: 600\n"));
	assert_non_null(strstr(kern, "read after the creator left: the same bytes\n"));
	assert_non_null(strstr(kern, "shm attach: status 1"));
}

/* The segment emulated, its lock's semaphore on the kernel. */
static void test_real_qt5_shm(void **state)
{
	(void)state;
	qt_both(SHM);
}

/* Both emulated. */
static void test_real_qt5_all(void **state)
{
	(void)state;
	qt_both(ALL);
}

TL_TESTS("emul_real", setup, teardown, test_real_postgres, test_real_sysv_ipc_shm,
	 test_real_sysv_ipc_all, test_real_qt5_shm, test_real_qt5_all)
