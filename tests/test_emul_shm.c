/* SPDX-License-Identifier: MIT */
/* System V shared memory emulated on POSIX (shim/emul_sysv.c): the same
 * case program against the kernel and under NIPC_RULES backend=posix
 * gives the same lines; no System V call reaches the kernel; a process
 * killed while holding the registry lock leaves a usable registry; a
 * routed call fails closed when the registry cannot be reached. Every run
 * uses its own emulation namespace, removed (registry included) at the
 * end, and its own keys. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"
#include "../shim/emul_state.h"

static char prog[PATH_MAX], rules[PATH_MAX], key_rules[PATH_MAX], ns[64];
/* The rules of the runs: rules, or key_rules while a test routes by key. */
static const char *cur_rules;
static char out[65536], err[65536];
static key_t key0;
static int counter;

/* ------------------------------------------------------------ helpers */

static int leftovers_of(int remove_all, int quiet);

/* A fresh key range of 16 keys for this process. Every test starts with
 * it: what a failed test left is removed (its backing objects, the
 * registry) and the runs go back to the namespace's rules. */
static key_t next_keys(void)
{
	leftovers_of(1, 1);
	cur_rules = rules;
	return key0 + (key_t)(16 * counter++);
}

/* Until the next test: key k under backend=posix, every other key the
 * kernel's. */
static void route_one_key(key_t k)
{
	FILE *f = fopen(key_rules, "w");

	assert_non_null(f);
	fprintf(f, "sysv-shm 0x%08x backend=posix\nsysv-shm backend=kernel\n", (unsigned)k);
	fclose(f);
	cur_rules = key_rules;
}

/* The options of a run: under the shim with the current rules and the
 * namespace when emul, with extra (NAME=VALUE, it may name another
 * namespace). */
static struct tl_opts opts(int emul, const char *extra)
{
	struct tl_emul e;

	snprintf(e.ns, sizeof e.ns, "%s", ns);
	e.rules[0] = 0;
	return tl_emul_opts(&e, cur_rules, emul, extra);
}

/* Runs argv with stdout in out and stderr in err (opts): the status as
 * tl_run gives it. */
static int run(int emul, const char *extra, const char *const *argv)
{
	struct tl_opts o = opts(emul, extra);
	size_t len;

	return tl_run_buf(argv, &o, out, sizeof out, &len, err, sizeof err);
}

static int run_one(int emul, const char *extra, const char *what, key_t key)
{
	char k[32];
	const char *argv[] = {prog, what, k, NULL};

	snprintf(k, sizeof k, "%#x", (unsigned)key);
	return run(emul, extra, argv);
}

/* Runs one call of the case program under the emulation; its output
 * must be want. */
static void expect_out(const char *what, key_t key, const char *want)
{
	run_one(1, NULL, what, key);
	assert_string_equal(out, want);
}

/* The backing objects of the namespace (the registry not counted), and
 * the objects the name= tests name (nipc-NS.*). */
static int leftovers_of(int remove_all, int quiet)
{
	char pre[96], named[96];
	struct dirent *d;
	DIR *dir = opendir("/dev/shm");
	int n = 0;

	if (!dir)
		return 0;
	snprintf(pre, sizeof pre, "nipc.sysv.%s.", ns);
	snprintf(named, sizeof named, "nipc-%s.", ns);
	while ((d = readdir(dir))) {
		char path[PATH_MAX];

		if (!strncmp(d->d_name, named, strlen(named))) {
			n++;
			if (!quiet)
				fprintf(stderr, "# left behind: /dev/shm/%s\n", d->d_name);
			snprintf(path, sizeof path, "/dev/shm/%s", d->d_name);
			if (remove_all)
				unlink(path);
			continue;
		}
		if (strncmp(d->d_name, pre, strlen(pre)))
			continue;
		if (strcmp(d->d_name + strlen(pre), "reg")) {
			n++;
			if (!quiet)
				fprintf(stderr, "# left behind: /dev/shm/%s\n", d->d_name);
		}
		if (remove_all) {
			snprintf(path, sizeof path, "/dev/shm/%s", d->d_name);
			unlink(path);
		}
	}
	closedir(dir);
	return n;
}

static int leftovers(int remove_all)
{
	return leftovers_of(remove_all, 0);
}

/* Kernel segments of the key range, in the ledger. */
static void kernel_note(key_t k)
{
	for (int i = 0; i < 16; i++) {
		int id = shmget(k + i, 0, 0);

		if (id >= 0)
			tl_ledger_shmid(id);
	}
}

/* Kernel segments of the key range, removed (a failed kernel run). */
static void kernel_clean(key_t k)
{
	kernel_note(k);
	for (int i = 0; i < 16; i++) {
		int id = shmget(k + i, 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
}

static int setup(void **state)
{
	char reg[96];
	FILE *f;

	(void)state;
	alarm(120);
	snprintf(prog, sizeof prog, "%s", tl_prog("sysv_shm_cases"));
	snprintf(ns, sizeof ns, "t%d", (int)getpid());
	snprintf(rules, sizeof rules, "%s", tl_path("emul.rules"));
	snprintf(key_rules, sizeof key_rules, "%s", tl_path("emul-key.rules"));
	cur_rules = rules;
	/* the namespace's registry and backing objects */
	snprintf(reg, sizeof reg, "/nipc.sysv.%s", ns);
	tl_ledger_posix(reg);
	key0 = (key_t)(0x4e000000 | ((unsigned)getpid() & 0xffff) << 8);
	f = fopen(rules, "w");
	if (!f)
		return -1;
	fprintf(f, "sysv-shm backend=posix\n");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	leftovers(1);
	unlink(rules);
	unlink(key_rules);
	return 0;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ------------------------------------------------------------ tests */

/* A process under routing rules that makes no System V call leaves no
 * state behind (runs first: the namespace is new). */
static void test_emul_no_state_without_calls(void **state)
{
	char reg[PATH_MAX];
	const char *argv[] = {prog, "none", "0", NULL};
	key_t k = next_keys();

	(void)state;
	snprintf(reg, sizeof reg, "/dev/shm/nipc.sysv.%s.reg", ns);
	run(1, NULL, argv);
	assert_int_equal(access(reg, F_OK), -1);
	expect_out("get", k, "get: ENOENT\n");
	assert_int_equal(access(reg, F_OK), -1);
	expect_out("create", k, "create: ok\n");
	assert_int_equal(access(reg, F_OK), 0);
	expect_out("rm", k, "rm: ok\n");
	assert_int_equal(leftovers(0), 0);
}

/* Every case of sysv_shm_cases gives the kernel's line. */
static void test_emul_diff_cases(void **state)
{
	static char kern[65536];
	key_t k1 = next_keys(), k2 = next_keys();
	int st;

	(void)state;
	st = run_one(0, NULL, "cases", k1);
	kernel_clean(k1);
	assert_int_equal(st, 0);
	assert_true(count_lines(out) >= 70);
	assert_null(strstr(out, "=bad"));
	strcpy(kern, out);
	st = run_one(1, NULL, "cases", k2);
	if (strcmp(kern, out)) {
		fprintf(stderr, "# kernel:\n%s# emulated:\n%s# stderr:\n%s", kern, out, err);
		fail_msg("the emulation differs from the kernel");
	}
	assert_int_equal(st, 0);
	assert_string_equal(err, "");
	assert_int_equal(leftovers(0), 0);
}

/* Under the emulation no shm system call reaches the kernel. */
static void test_emul_no_kernel_calls(void **state)
{
	char k[32], tr[PATH_MAX];
	const char *argv[] = {"/usr/bin/strace", "-f", "-qq", "-e", "trace=%ipc", "-o", tr,
			      prog, "cases", k, NULL};
	FILE *f;
	char line[1024];
	int st, calls = 0;

	(void)state;
	if (access(argv[0], X_OK))
		skip();
	snprintf(k, sizeof k, "%#x", (unsigned)next_keys());
	snprintf(tr, sizeof tr, "%s", tl_new_path("emul.strace"));
	st = run(1, NULL, argv);
	assert_int_equal(st, 0);
	f = fopen(tr, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, "shmget(") || strstr(line, "shmat(") || strstr(line, "shmdt(") ||
		    strstr(line, "shmctl(")) {
			fprintf(stderr, "# reached the kernel: %s", line);
			calls++;
		}
	fclose(f);
	unlink(tr);
	assert_int_equal(calls, 0);
	assert_true(count_lines(out) >= 70);
	assert_int_equal(leftovers(0), 0);
}

/* A creation of a fresh key under the emulation that the fault (a
 * NIPC_EMUL_FAULT point) kills: the key. */
static key_t killed_create(const char *fault)
{
	key_t k = next_keys();
	char env[64];

	snprintf(env, sizeof env, "NIPC_EMUL_FAULT=%s", fault);
	assert_int_equal(run_one(1, env, "create", k), 128 + SIGKILL);
	return k;
}

/* expect_out for each "call=reply" of steps (blank-separated), in order. */
static void expect_steps(key_t k, const char *steps)
{
	char call[32], reply[32], want[80];
	int n;

	while (sscanf(steps, " %31[^=]=%31s%n", call, reply, &n) == 2) {
		snprintf(want, sizeof want, "%s: %s\n", call, reply);
		expect_out(call, k, want);
		steps += n;
	}
	assert_int_equal(*steps, 0);
}

/* Killed after committing a creation and applying part of it, holding
 * the lock: the next process repairs (the segment exists) and goes on. */
static void test_emul_crash_mid_apply(void **state)
{
	key_t k = killed_create("mid-apply");

	(void)state;
	expect_steps(k, "get=ok rm=ok get=ENOENT");
	assert_int_equal(leftovers(0), 0);
}

/* Killed before the commit, holding the lock, its backing object made:
 * nothing was recorded, the orphan is replaced by the next creator. */
static void test_emul_crash_pre_commit(void **state)
{
	key_t k = killed_create("pre-commit");

	(void)state;
	assert_int_equal(leftovers_of(0, 1), 1);
	expect_steps(k, "get=ENOENT create=ok rm=ok");
	assert_int_equal(leftovers(0), 0);
}

/* A routed call that cannot reach the state fails with ENOSYS, and the
 * shim says why once. */
static void test_emul_fail_closed(void **state)
{
	int st;

	(void)state;
	st = run_one(1, "NIPC_NAMESPACE=bad/name", "create", next_keys());
	assert_true(st >= 0 && st < 128);
	assert_string_equal(out, "create: ENOSYS\n");
	assert_non_null(strstr(err, "System V emulation unavailable"));
	assert_non_null(strstr(err, "ENOSYS"));
}

/* Starts the case program under the shim without waiting for it. */
static void start_one(struct tl_proc *p, const char *what, key_t key)
{
	char k[32];
	struct tl_opts o = opts(1, NULL);

	o.out = "/dev/null";
	snprintf(k, sizeof k, "%#x", (unsigned)key);
	assert_int_equal(tl_start(p, TL_ARGV(prog, what, k), &o), 0);
}

/* 8 processes attach and detach one segment concurrently, half of them
 * killed at random moments (holding the registry lock or not): the
 * survivors finish, every increment of a finished process is there, and
 * no attachment is left counted. */
static void test_emul_concurrent_kills(void **state)
{
	key_t k = next_keys();
	struct tl_proc p[8];
	int st, done = 0, count = -1;

	(void)state;
	expect_out("create", k, "create: ok\n");
	for (int i = 0; i < 8; i++)
		start_one(&p[i], "loop", k);
	for (int i = 0; i < 8; i += 2) {
		usleep((useconds_t)(2000 + (rand() % 20000)));
		kill(p[i].pid, SIGKILL);
	}
	for (int i = 0; i < 8; i++) {
		st = tl_wait(&p[i], 60000);
		tl_proc_free(&p[i]);
		if (st != 128 + SIGKILL) {
			assert_int_equal(st, 0);
			done++;
		}
	}
	assert_true(done >= 4);
	expect_out("nattch", k, "nattch: 0\n");
	/* the lock still works for everyone */
	run_one(1, NULL, "loop", k);
	assert_string_equal(err, "");
	run_one(1, NULL, "count", k);
	assert_int_equal(sscanf(out, "count: %d", &count), 1);
	assert_true(count >= 200 * (done + 1) && count <= 200 * 9);
	expect_out("rm", k, "rm: ok\n");
	assert_int_equal(leftovers(0), 0);
}

/* Whether process pid sleeps in a futex wait (/proc/PID/wchan). */
static int in_futex_wait(pid_t pid)
{
	char path[64], buf[128] = "";
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "futex") != NULL;
}

/* A waiter for the registry lock whose wake-up was lost still gets it.
 * A robust futex loses one when the waiter an unlock woke is killed
 * before it takes the lock and a newcomer takes it first (clearing
 * FUTEX_WAITERS): the next unlock wakes nobody, and the waiters sleep on
 * a free lock (seen in test_emul_concurrent_kills: a survivor killed by
 * its alarm). Made here exactly: this process holds the lock word (as a
 * glibc mutex has it: the owner's tid at offset 0), a loop waits on it,
 * and the word is freed with no wake-up. */
static void test_emul_lost_wakeup(void **state)
{
	char path[PATH_MAX];
	struct emul_reg *r;
	struct tl_proc p;
	key_t k = next_keys();
	int fd, *word, zero = 0, st;

	(void)state;
	expect_out("create", k, "create: ok\n");
	snprintf(path, sizeof path, "/nipc.sysv.%s.reg", ns);
	fd = shm_open(path, O_RDWR, 0);
	assert_true(fd >= 0);
	r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(r != MAP_FAILED);
	word = (int *)&r->lock;
	assert_true(__atomic_compare_exchange_n(word, &zero, (int)gettid(), 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED));
	start_one(&p, "loop", k);
	for (int i = 0; i < 2000 && !((unsigned)__atomic_load_n(word, __ATOMIC_ACQUIRE) &
				      FUTEX_WAITERS && in_futex_wait(p.pid)); i++)
		usleep(5000);
	assert_true((unsigned)__atomic_load_n(word, __ATOMIC_ACQUIRE) & FUTEX_WAITERS);
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
	munmap(r, sizeof *r);
	st = tl_wait(&p, 10000);
	tl_proc_free(&p);
	assert_int_equal(st, 0);
	expect_out("count", k, "count: 200\n");
	expect_out("nattch", k, "nattch: 0\n");
	expect_out("rm", k, "rm: ok\n");
	assert_int_equal(leftovers(0), 0);
}

/* Whether a key is a kernel segment now (/proc/sysvipc/shm). */
static int in_kernel(key_t k)
{
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	char line[512];
	long key;
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%ld", &key) == 1 && (key_t)key == k)
			found = 1;
	fclose(f);
	return found;
}

/* Only the keys a rule routes are emulated; the others stay the kernel's. */
static void test_emul_route_by_key(void **state)
{
	key_t k = next_keys();

	(void)state;
	route_one_key(k);
	expect_out("create", k, "create: ok\n");
	expect_out("create", k + 1, "create: ok\n");
	kernel_note(k);
	assert_false(in_kernel(k));
	assert_true(in_kernel(k + 1));
	assert_int_equal(leftovers_of(0, 1), 1);
	expect_out("rm", k, "rm: ok\n");
	expect_out("rm", k + 1, "rm: ok\n");
	kernel_clean(k);
	assert_false(in_kernel(k + 1));
	assert_int_equal(leftovers(0), 0);
}

/* IPC_SET gives the backing object the segment's new owner, group and
 * mode: the kernel checks data access as IPC_STAT says. */
static void test_emul_set_follows_backing(void **state)
{
	char path[PATH_MAX];
	struct stat st;
	key_t k = next_keys();

	(void)state;
	snprintf(path, sizeof path, "/dev/shm/nipc.sysv.%s.shm.0x%08x", ns, (unsigned)k);
	expect_steps(k, "create=ok");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	expect_steps(k, "give=ok");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65533);
	assert_int_equal(st.st_mode & 07777, 0640);
	expect_steps(k, "rm=ok");
	assert_int_equal(leftovers(0), 0);
}

/* What the namespace's registry holds: live segments, those of them
 * whose key is not k, and attachment records in use that are not of k's
 * segment (a dead process's record stays until it is swept). */
static void registry_holds(key_t k, int *nseg, int *other_seg, int *other_att)
{
	char path[PATH_MAX];
	const struct emul_reg *r;
	int fd, slot = -1;

	snprintf(path, sizeof path, "/dev/shm/nipc.sysv.%s.reg", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = mmap(NULL, sizeof *r, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(r != MAP_FAILED);
	assert_int_equal(r->bytes, sizeof *r);
	*nseg = *other_seg = *other_att = 0;
	for (int s = 0; s < EMUL_NSEG; s++)
		if (r->seg[s].state != ES_FREE) {
			++*nseg;
			if (r->seg[s].key == k)
				slot = s;
			else
				++*other_seg;
		}
	for (int i = 0; i < EMUL_NATT; i++)
		*other_att += r->att[i].used && (int)r->att[i].slot != slot;
	munmap((void *)r, sizeof *r);
}

/* The registry records only emulated segments and attachments: keys the
 * rules leave to the kernel (IPC_PRIVATE included), their attachments and
 * their removal never make an entry, while the registry exists. */
static void test_emul_registry_only_emulated(void **state)
{
	key_t k = next_keys();
	int nseg, other_seg, other_att;

	(void)state;
	route_one_key(k);
	expect_steps(k, "create=ok");
	expect_steps(k + 1, "create=ok");
	kernel_note(k);
	expect_steps(k + 1, "get=ok");
	run_one(1, NULL, "loop", k + 1);
	expect_steps(k + 1, "count=200 nattch=0 private=ok");
	run_one(1, NULL, "loop", k);
	expect_steps(k, "count=200");
	assert_true(in_kernel(k + 1));
	assert_false(in_kernel(k));
	registry_holds(k, &nseg, &other_seg, &other_att);
	assert_int_equal(nseg, 1);
	assert_int_equal(other_seg, 0);
	assert_int_equal(other_att, 0);
	expect_steps(k + 1, "rm=ok");
	expect_steps(k, "rm=ok");
	registry_holds(k, &nseg, &other_seg, &other_att);
	assert_int_equal(nseg, 0);
	kernel_clean(k);
	assert_int_equal(leftovers(0), 0);
}

/* IPC_INFO and SHM_INFO report the emulation's own capacities and usage,
 * in a namespace of its own: the highest index in use (the emulation's
 * range starts at EMUL_IDX_BASE), its slots, the attachments a process
 * may hold, the pages of its segments, those the data objects hold;
 * SHM_STAT of that index gives the segment's id. */
static void test_emul_info_own_figures(void **state)
{
	char want[256];
	key_t k = next_keys();

	(void)state;
	expect_steps(k, "create=ok");
	run_one(1, NULL, "loop", k);
	snprintf(want, sizeof want, "ipc_info=%d shm_info=%d shmmin=1 shmmni=%d shmseg=256 used=1 "
		 "tot=1 rss=1 stat_is_id=yes\n", EMUL_IDX_BASE, EMUL_IDX_BASE, EMUL_NSEG);
	expect_out("info", k, want);
	expect_steps(k, "rm=ok");
	snprintf(want, sizeof want, "ipc_info=0 shm_info=0 shmmin=1 shmmni=%d shmseg=256 used=0 "
		 "tot=0 rss=0 stat_is_id=no\n", EMUL_NSEG);
	expect_out("info", k, want);
	assert_int_equal(leftovers(0), 0);
}

/* Until the next test: every key under backend=posix, backed by
 * name=/nipc-NS.%k; the prefix of the names in prefix. */
static void route_named(char *prefix, size_t len)
{
	FILE *f = fopen(key_rules, "w");

	assert_non_null(f);
	snprintf(prefix, len, "/nipc-%s.", ns);
	fprintf(f, "sysv-shm backend=posix name=%s%%k\n", prefix);
	fclose(f);
	cur_rules = key_rules;
}

static void need_python(void)
{
	if (access("/usr/bin/python3", X_OK))
		skip();
}

/* name=: the object holds the segment's bytes and nothing else; a plain C
 * program and python3's multiprocessing.shared_memory outside the shim
 * read what the System V program wrote, and it reads what they wrote. */
static void test_emul_name_data_interop(void **state)
{
	static const char py[] =
		"import sys\n"
		"from multiprocessing import shared_memory, resource_tracker\n"
		"m = shared_memory.SharedMemory(name=sys.argv[1], create=False)\n"
		"resource_tracker.unregister(m._name, 'shared_memory')\n"
		"b = bytes(m.buf)\n"
		"print(b[:b.index(0)].decode(), m.size)\n"
		"m.buf[:12] = b'from-python\\0'\n"
		"m.close()\n";
	char prefix[96], name[128], path[PATH_MAX];
	const char *argv[] = {"/usr/bin/python3", "-c", py, name + 1, NULL};
	key_t k = next_keys();
	struct stat st;
	char *p;
	int fd;

	(void)state;
	need_python();
	route_named(prefix, sizeof prefix);
	snprintf(name, sizeof name, "%s%08x", prefix, (unsigned)k);
	snprintf(path, sizeof path, "/dev/shm%s", name);
	expect_steps(k, "put=ok");
	fd = shm_open(name, O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	assert_string_equal(p, "from-sysv");
	strcpy(p, "from-c");
	munmap(p, 4096);
	expect_steps(k, "peek=from-c");
	assert_int_equal(run(0, NULL, argv), 0);
	assert_string_equal(out, "from-c 4096\n");
	expect_steps(k, "peek=from-python");
	expect_steps(k, "rm=ok");
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(leftovers(0), 0);
}

/* A POSIX peer (python3) that unlinks the name removes the segment, as
 * IPC_RMID: noticed at shmget by key, IPC_STAT and shmat; the key is free
 * at once, an attached segment lives until its last detach. */
static void test_emul_name_peer_unlink(void **state)
{
	char prefix[96], k[32];
	const char *argv[] = {prog, "peer-unlink", k, prefix, NULL};

	(void)state;
	need_python();
	snprintf(k, sizeof k, "%#x", (unsigned)next_keys());
	route_named(prefix, sizeof prefix);
	assert_int_equal(run(1, NULL, argv), 0);
	assert_string_equal(out,
		"peer_unlink: ok\n"
		"peer_stat: key=IPC_PRIVATE dest=yes nattch=1\n"
		"peer_get: ENOENT\n"
		"peer_create: ok\n"
		"peer_new_id_differs: yes\n"
		"peer_bytes_kept: yes\n"
		"peer_shmdt: ok\n"
		"peer_stat_gone: EINVAL\n"
		"peer_rm_new: ok\n"
		"peer_unlink_unattached: ok\n"
		"peer_unattached_shmat: EINVAL\n"
		"peer_unattached_stat: EINVAL\n"
		"peer_unattached_get: ENOENT\n");
	assert_int_equal(leftovers(0), 0);
}

TL_TESTS("emul_shm", setup, teardown, test_emul_no_state_without_calls, test_emul_diff_cases,
	 test_emul_no_kernel_calls, test_emul_crash_mid_apply, test_emul_crash_pre_commit,
	 test_emul_fail_closed, test_emul_route_by_key, test_emul_concurrent_kills,
	 test_emul_lost_wakeup, test_emul_set_follows_backing, test_emul_registry_only_emulated,
	 test_emul_info_own_figures, test_emul_name_data_interop, test_emul_name_peer_unlink)
