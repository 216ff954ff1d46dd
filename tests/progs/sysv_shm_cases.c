/* SPDX-License-Identifier: MIT */
/* System V shared memory cases, one result line each, for differential
 * runs: the same output against the kernel and under the emulation (ids
 * and addresses are never printed, only compared).
 *
 *   sysv_shm_cases cases KEY   every case, with keys KEY..KEY+9
 *   sysv_shm_cases create KEY | get KEY | rm KEY   one call each
 *   sysv_shm_cases loop KEY   attaches and detaches KEY's segment 200
 *                             times, incrementing its first word
 *   sysv_shm_cases nattch KEY   prints shm_nattch of KEY's segment
 *   sysv_shm_cases count KEY    prints the first word of KEY's segment
 *   sysv_shm_cases info KEY   IPC_INFO, SHM_INFO and SHM_STAT of the highest
 *                             index (KEY's segment, when it holds it)
 *   sysv_shm_cases give KEY   IPC_SET: owner 65534, group 65533, mode 0640
 *   sysv_shm_cases private 0   an IPC_PRIVATE segment attached, detached
 *                              and removed
 *   sysv_shm_cases owner-uses|group-uses|nongroup-uses|old-owner-uses ID
 *                              (internal) cases_owner's other users
 *   sysv_shm_cases hold ID   attaches segment ID read-only, prints
 *                            "held: N" (its shm_nattch then) at once and at
 *                            each line on stdin; at EOF detaches, prints
 *                            "released"
 *   sysv_shm_cases put KEY    creates KEY's segment if needed, writes
 *                             "from-sysv" at its start
 *   sysv_shm_cases peek KEY   prints the string at its start
 *   sysv_shm_cases peer-unlink KEY PREFIX   segments KEY (attached) and
 *                             KEY+1, backed by PREFIXkkkkkkkk (rule name=
 *                             PREFIX%k), whose names python3 unlinks
 *   sysv_shm_cases exec-child FD   (internal) says it runs, waits for EOF
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static key_t base;
static char self[4096];
static char *first;      /* the attachment cases_attach leaves for the others */

static void res(const char *name, long r)
{
	if (r < 0)
		printf("%s: %s\n", name, strerrorname_np(errno));
	else
		printf("%s: ok\n", name);
	fflush(stdout);
}

static void resp(const char *name, void *p)
{
	res(name, p == (void *)-1 ? -1 : 0);
}

static unsigned long nattch(int id)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds))
		return 999;
	return ds.shm_nattch;
}

static void show_stat(const char *name, int id, time_t t0)
{
	struct shmid_ds ds;
	time_t now = time(NULL);

	if (shmctl(id, IPC_STAT, &ds)) {
		res(name, -1);
		return;
	}
	printf("%s: key=%s uid=%u gid=%u cuid=%u cgid=%u mode=%#o segsz=%zu atime=%s dtime=%s "
	       "ctime=%s cpid=%s lpid=%s nattch=%lu\n", name,
	       ds.shm_perm.__key == IPC_PRIVATE ? "IPC_PRIVATE" :
	       ds.shm_perm.__key >= base && ds.shm_perm.__key < base + 10 ? "KEY+n" : "other",
	       ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.cuid, ds.shm_perm.cgid,
	       (unsigned)ds.shm_perm.mode, (size_t)ds.shm_segsz,
	       !ds.shm_atime ? "0" : ds.shm_atime >= t0 && ds.shm_atime <= now ? "now" : "bad",
	       !ds.shm_dtime ? "0" : ds.shm_dtime >= t0 && ds.shm_dtime <= now ? "now" : "bad",
	       ds.shm_ctime >= t0 && ds.shm_ctime <= now ? "now" : "bad",
	       ds.shm_cpid == getpid() ? "self" : "other",
	       !ds.shm_lpid ? "0" : ds.shm_lpid == getpid() ? "self" : "other",
	       (unsigned long)ds.shm_nattch);
	fflush(stdout);
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* get, create, exclusive, sizes */
static int cases_get(time_t t0)
{
	int id, id2, p1, p2;

	res("get_missing", shmget(base, 4096, 0600));
	res("create", id = shmget(base, 4096, IPC_CREAT | 0600));
	res("create_excl_exists", shmget(base, 4096, IPC_CREAT | IPC_EXCL | 0600));
	id2 = shmget(base, 4096, 0);
	printf("get_same_id: %s\n", id2 == id ? "yes" : "no");
	printf("get_smaller_same_id: %s\n", shmget(base, 100, 0) == id ? "yes" : "no");
	res("get_bigger", shmget(base, 8192, 0));
	res("get_size0", shmget(base, 0, 0));
	res("create_size0", shmget(base + 1, 0, IPC_CREAT | 0600));
	res("create_again_no_excl", shmget(base, 4096, IPC_CREAT | 0600) == id ? 0 : -1);
	p1 = shmget(IPC_PRIVATE, 4096, 0600);
	p2 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
	res("private", p1);
	printf("private_distinct: %s\n", p1 != p2 && p1 != id ? "yes" : "no");
	show_stat("stat_private", p1, t0);
	res("private_rm", shmctl(p1, IPC_RMID, NULL));
	res("private_rm2", shmctl(p2, IPC_RMID, NULL));
	res("create_excl_new", shmget(base + 2, 10000, IPC_CREAT | IPC_EXCL | 0640));
	show_stat("stat_new_excl", shmget(base + 2, 0, 0), t0);
	res("rm_new_excl", shmctl(shmget(base + 2, 0, 0), IPC_RMID, NULL));
	show_stat("stat_fresh", id, t0);
	return id;
}

/* attach, read-only, addresses */
static void cases_attach(int id, time_t t0)
{
	char *p, *q, *r;
	long pg = sysconf(_SC_PAGESIZE);
	char *hole;
	pid_t pid;
	int st;

	resp("shmat", p = shmat(id, NULL, 0));
	strcpy(p, "hello");
	show_stat("stat_attached", id, t0);
	resp("shmat_rdonly", q = shmat(id, NULL, SHM_RDONLY));
	printf("shared_bytes: %s\n", q != (void *)-1 && !strcmp(q, "hello") ? "yes" : "no");
	printf("nattch_two: %lu\n", nattch(id));
	fflush(stdout);
	pid = fork();
	if (!pid) {
		signal(SIGSEGV, SIG_DFL);   /* a sanitizer's handler would exit */
		q[0] = 'X';
		_exit(0);
	}
	st = wait_child(pid);
	printf("rdonly_write: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "no");
	res("shmdt_rdonly", shmdt(q));
	res("shmdt_again", shmdt(q));
	res("shmdt_unaligned", shmdt(p + 1));

	/* a place known to be free */
	hole = mmap(NULL, 4 * (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4 * (size_t)pg);
	r = shmat(id, hole, 0);
	printf("shmat_addr: %s\n", r == hole ? "at" : r == (void *)-1 ? strerrorname_np(errno) : "elsewhere");
	res("shmat_addr_busy", shmat(id, hole, 0) == (void *)-1 ? -1 : 0);
	r = shmat(id, hole, SHM_REMAP);
	printf("shmat_remap: %s\n", r == hole ? "at" : r == (void *)-1 ? strerrorname_np(errno) : "elsewhere");
	printf("remap_bytes: %s\n", r == hole && !strcmp(r, "hello") ? "yes" : "no");
	res("shmdt_addr", shmdt(hole));
	res("shmat_unaligned", shmat(id, hole + 1, 0) == (void *)-1 ? -1 : 0);
	r = shmat(id, hole + 1, SHM_RND);
	printf("shmat_rnd: %s\n", r == hole ? "at" : r == (void *)-1 ? strerrorname_np(errno) : "elsewhere");
	res("shmdt_rnd", shmdt(hole));
	res("shmat_remap_null", shmat(id, NULL, SHM_REMAP) == (void *)-1 ? -1 : 0);
	res("shmat_negative", shmat(-1, NULL, 0) == (void *)-1 ? -1 : 0);
	first = p;
	printf("nattch_one: %lu\n", nattch(id));
	show_stat("stat_after_detach", id, t0);
	fflush(stdout);
}

static int un_id;

/* name: the result of r (errno if < 0) and shm_nattch after it */
static void un(const char *name, long r)
{
	int e = errno;

	printf("%s: %s nattch=%lu\n", name, r < 0 ? strerrorname_np(e) : "ok", nattch(un_id));
	fflush(stdout);
}

static long same(void *a, void *b)
{
	return a == b ? 0 : -1;
}

/* munmap and mremap of attachments, as the kernel counts them (a vma
 * each: a piece split off is one more, an unmapped one a detach) */
static void cases_unmap(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), sz = 4 * pg;
	char *p, *q, *h;
	pid_t pid;

	un_id = shmget(base + 6, sz, IPC_CREAT | 0600);
	/* a free place, of 8 pages */
	h = mmap(NULL, 8 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(h, 8 * pg);
	p = shmat(un_id, NULL, 0);
	un("unmap_whole", munmap(p, sz));
	un("unmap_whole_shmdt", shmdt(p));
	p = shmat(un_id, NULL, 0);
	un("unmap_middle", munmap(p + pg, pg));
	un("unmap_first", munmap(p, pg));
	un("unmap_rest_shmdt", shmdt(p));
	p = shmat(un_id, NULL, 0);
	un("unmap_tail", munmap(p + 3 * pg, pg));
	un("unmap_tail_shmdt", shmdt(p));
	p = shmat(un_id, NULL, 0);
	un("unmap_piece2", munmap(p + 2 * pg, pg));
	un("unmap_piece4", munmap(p + 3 * pg, pg));
	un("unmap_piece1", munmap(p, pg));
	un("unmap_piece3", munmap(p + pg, pg));
	un("unmap_pieces_shmdt", shmdt(p));
	p = shmat(un_id, NULL, 0);
	un("unmap_across_hole", munmap(p + pg, pg));
	un("unmap_across", munmap(p, 3 * pg));
	un("unmap_across_shmdt", shmdt(p));
	p = shmat(un_id, NULL, 0);
	strcpy(p, "moved");
	un("mremap_move", same(mremap(p, sz, sz, MREMAP_MAYMOVE | MREMAP_FIXED, h), h));
	printf("mremap_move_bytes: %s\n", !strcmp(h, "moved") ? "yes" : "no");
	un("mremap_move_shmdt_old", shmdt(p));
	un("mremap_move_shmdt_new", shmdt(h));
	p = shmat(un_id, NULL, 0);
	un("mremap_shrink", same(mremap(p, sz, 2 * pg, 0), p));
	un("mremap_shrink_shmdt", shmdt(p));
	p = shmat(un_id, NULL, 0);
	q = mremap(p, sz, sz, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	un("mremap_dontunmap", q == MAP_FAILED ? -1 : 0);
	un("mremap_dontunmap_shmdt_old", shmdt(p));
	un("mremap_dontunmap_shmdt_new", q == MAP_FAILED ? -1 : shmdt(q));
	p = shmat(un_id, NULL, 0);
	un("mremap_piece", same(mremap(p + pg, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, h), h));
	un("mremap_piece_shmdt", shmdt(p));
	un("mremap_piece_shmdt_moved", shmdt(h));
	un("mremap_piece_shmdt_base", shmdt(h - pg));
	p = shmat(un_id, NULL, 0);
	q = mremap(p, sz, 8 * pg, MREMAP_MAYMOVE);
	un("mremap_grow", q == MAP_FAILED ? -1 : 0);
	un("mremap_grow_shmdt", q == MAP_FAILED ? -1 : shmdt(q));
	p = shmat(un_id, NULL, 0);
	un("unmap_split_fork", munmap(p + pg, pg));
	pid = fork();
	if (!pid) {
		un("unmap_split_child", 0);
		_exit(0);
	}
	wait_child(pid);
	un("unmap_split_child_gone", 0);
	un("unmap_split_shmdt", shmdt(p));
	un("unmap_rm", shmctl(un_id, IPC_RMID, NULL));
}

/* The index of segment id: SHM_STAT_ANY over 0..IPC_INFO's highest
 * index; -1 if not found. */
static int index_of(int id)
{
	struct shmid_ds ds;
	struct shminfo mi;
	int hi = shmctl(0, IPC_INFO, (struct shmid_ds *)&mi);

	for (int i = 0; i <= hi; i++)
		if (shmctl(i, SHM_STAT_ANY, &ds) == id)
			return i;
	return -1;
}

static void as_user(uid_t uid, gid_t gid, long memlock, void (*fn)(int), int id);
static int info_idx;

static void info_other(int id)
{
	struct shmid_ds ds;

	res("info_other_stat", shmctl(info_idx, SHM_STAT, &ds));
	printf("info_other_stat_any_id: %s\n", shmctl(info_idx, SHM_STAT_ANY, &ds) == id ? "yes" : "no");
}

/* IPC_INFO, SHM_INFO, SHM_STAT, SHM_STAT_ANY (only what holds whatever
 * else the machine has: the figures differ between the worlds) */
static void cases_info(int id)
{
	struct shmid_ds ds;
	struct shm_info si;
	struct shminfo mi;
	int hi, idx, r;

	hi = shmctl(id, IPC_INFO, (struct shmid_ds *)&mi);
	res("info_ipc", hi);
	printf("info_ipc_limits: shmmin=%lu shmmax_ok=%s shmmni_ok=%s shmseg_ok=%s shmall_ok=%s\n",
	       mi.shmmin, mi.shmmax >= 4096 ? "yes" : "no", mi.shmmni >= 1 ? "yes" : "no",
	       mi.shmseg >= 1 ? "yes" : "no", mi.shmall >= 1 ? "yes" : "no");
	r = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
	res("info_shm", r);
	printf("info_shm_same_index: %s\n", r == hi ? "yes" : "no");
	printf("info_shm_usage: used_ok=%s tot_ok=%s\n", si.used_ids >= 1 ? "yes" : "no",
	       si.shm_tot >= 1 ? "yes" : "no");
	res("info_ipc_null", shmctl(0, IPC_INFO, NULL));
	res("info_shm_null", shmctl(0, SHM_INFO, NULL));
	idx = index_of(id);
	printf("info_index_found: %s\n", idx >= 0 && idx <= hi ? "yes" : "no");
	r = shmctl(idx, SHM_STAT, &ds);
	printf("shm_stat_id: %s\n", r == id ? "yes" : r < 0 ? strerrorname_np(errno) : "other");
	printf("shm_stat_fields: key=%s segsz=%zu nattch=%lu cpid=%s\n",
	       ds.shm_perm.__key >= base && ds.shm_perm.__key < base + 10 ? "KEY+n" : "other",
	       (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch,
	       ds.shm_cpid == getpid() ? "self" : "other");
	printf("shm_stat_any_id: %s\n", shmctl(idx, SHM_STAT_ANY, &ds) == id ? "yes" : "no");
	res("shm_stat_null", shmctl(idx, SHM_STAT, NULL));
	res("shm_stat_free_index", shmctl(32767, SHM_STAT, &ds));
	res("shm_stat_negative", shmctl(-1, SHM_STAT, &ds));
	fflush(stdout);
	if (geteuid() != 0) {
		printf("info_other: skipped (not root)\n");
		return;
	}
	info_idx = idx;
	as_user(65534, 65534, -1, info_other, id);
}

/* A child attaches (how 0, 1) or inherits the attachments (2) and
 * _exits (0, 2) or is killed (1): its exit is the last detach. */
static void dead_child_stat(const char *name, int id, int how)
{
	struct shmid_ds ds;
	time_t t0 = time(NULL);
	pid_t pid;

	pid = fork();
	if (!pid) {
		if (how != 2 && shmat(id, NULL, 0) == (void *)-1)
			_exit(1);
		if (how == 1)
			raise(SIGKILL);
		_exit(0);
	}
	wait_child(pid);
	if (shmctl(id, IPC_STAT, &ds)) {
		res(name, -1);
		return;
	}
	printf("%s: nattch=%lu lpid=%s dtime=%s\n", name, (unsigned long)ds.shm_nattch,
	       ds.shm_lpid == pid ? "child" : ds.shm_lpid == getpid() ? "self" : "other",
	       ds.shm_dtime >= t0 && ds.shm_dtime <= time(NULL) ? "now" : "bad");
	fflush(stdout);
}

/* fork, exit, crash, exec */
static void cases_procs(int id)
{
	int ready[2], hold[2], st;
	pid_t pid;
	char c, fdbuf[16];

	pid = fork();
	if (!pid) {
		printf("fork_child_nattch: %lu\n", nattch(id));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("after_child_exit_nattch: %lu\n", nattch(id));
	fflush(stdout);

	pid = fork();
	if (!pid) {
		shmat(id, NULL, 0);
		shmat(id, NULL, 0);
		raise(SIGKILL);
		_exit(1);
	}
	st = wait_child(pid);
	printf("crash_child: %s nattch=%lu\n", WIFSIGNALED(st) ? "killed" : "exited", nattch(id));
	dead_child_stat("exit_child", id, 0);
	dead_child_stat("killed_child", id, 1);
	dead_child_stat("exit_inherited_child", id, 2);

	if (pipe(ready) || pipe(hold))
		return;
	pid = fork();
	if (!pid) {
		shmat(id, NULL, 0);
		close(ready[0]);
		close(hold[1]);
		dup2(ready[1], 3);
		dup2(hold[0], 4);
		snprintf(fdbuf, sizeof fdbuf, "3");
		execl(self, self, "exec-child", fdbuf, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	printf("exec_child_nattch: %lu\n", nattch(id));
	fflush(stdout);
	close(hold[1]);
	close(ready[0]);
	wait_child(pid);
}

/* Runs fn in a child with only uid and gid (root only), its memlock
 * limit memlock bytes when >= 0. */
static void as_user(uid_t uid, gid_t gid, long memlock, void (*fn)(int), int id)
{
	struct rlimit rl;
	pid_t pid = fork();

	if (!pid) {
		getrlimit(RLIMIT_MEMLOCK, &rl);
		rl.rlim_cur = memlock >= 0 ? (rlim_t)memlock : rl.rlim_cur;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
		    setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(1);
		fn(id);
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
}

/* The group that shares the emulation's namespace between users: its
 * registry is given to it (nothing to do on the kernel). */
#define SHARE_GID 65531

static void share_registry(void)
{
	const char *ns = getenv("NIPC_NAMESPACE");
	char path[256];

	snprintf(path, sizeof path, "/dev/shm/nipc.sysv.%s.reg", ns ? ns : "");
	if (ns && !access(path, F_OK) && chown(path, (uid_t)-1, SHARE_GID))
		printf("share_registry: %s\n", strerrorname_np(errno));
}

/* Runs "self what ID" as uid and gid in a new program image, which
 * inherits no descriptor of the segment (root only). */
static void exec_as(uid_t uid, gid_t gid, const char *what, int id)
{
	gid_t share = SHARE_GID;
	char idbuf[16];
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		snprintf(idbuf, sizeof idbuf, "%d", id);
		if (setgroups(1, &share) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(1);
		execl(self, self, what, idbuf, (char *)NULL);
		_exit(127);
	}
	wait_child(pid);
}

static void show_mode(const char *name, int id)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds))
		res(name, -1);
	else
		printf("%s: %#o\n", name, (unsigned)ds.shm_perm.mode);
	fflush(stdout);
}

static void set_owner(const char *name, int id, uid_t uid, gid_t gid, unsigned mode)
{
	struct shmid_ds ds;

	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.uid = uid;
	ds.shm_perm.gid = gid;
	ds.shm_perm.mode = mode;
	res(name, shmctl(id, IPC_SET, &ds));
}

static int lock_a, lock_b;

static void lock_other(int id)
{
	res("lock_other", shmctl(id, SHM_LOCK, NULL));
	res("unlock_other", shmctl(id, SHM_UNLOCK, NULL));
}

static void lock_rlimit0(int id)
{
	(void)id;
	res("lock_owner_rlimit0", shmctl(lock_a, SHM_LOCK, NULL));
	res("unlock_owner_rlimit0", shmctl(lock_a, SHM_UNLOCK, NULL));
}

/* memlock 2 pages: a is 1 page, b 2 */
static void lock_2pages(int id)
{
	(void)id;
	res("lock_owner_a", shmctl(lock_a, SHM_LOCK, NULL));
	res("lock_owner_b_over", shmctl(lock_b, SHM_LOCK, NULL));
	res("unlock_owner_a", shmctl(lock_a, SHM_UNLOCK, NULL));
	res("lock_owner_b", shmctl(lock_b, SHM_LOCK, NULL));
	res("lock_owner_a_over", shmctl(lock_a, SHM_LOCK, NULL));
	res("lock_owner_b_again", shmctl(lock_b, SHM_LOCK, NULL));
	res("unlock_owner_b", shmctl(lock_b, SHM_UNLOCK, NULL));
}

/* root's lock is charged to root: b fits beside it */
static void lock_beside_root(int id)
{
	(void)id;
	res("lock_owner_b_beside_root", shmctl(lock_b, SHM_LOCK, NULL));
	res("unlock_owner_a_root_locked", shmctl(lock_a, SHM_UNLOCK, NULL));
}

/* SHM_LOCK, SHM_UNLOCK: who may, RLIMIT_MEMLOCK, SHM_LOCKED */
static void cases_lock(int id)
{
	long pg = sysconf(_SC_PAGESIZE);

	res("lock", shmctl(id, SHM_LOCK, NULL));
	show_mode("lock_mode", id);
	res("lock_again", shmctl(id, SHM_LOCK, NULL));
	res("unlock", shmctl(id, SHM_UNLOCK, NULL));
	show_mode("unlock_mode", id);
	res("unlock_again", shmctl(id, SHM_UNLOCK, NULL));
	res("lock_negative_id", shmctl(-1, SHM_LOCK, NULL));
	if (geteuid() != 0) {
		printf("lock_users: skipped (not root)\n");
		return;
	}
	as_user(65534, 65534, -1, lock_other, id);
	lock_a = shmget(base + 3, (size_t)pg, IPC_CREAT | 0600);
	lock_b = shmget(base + 4, 2 * (size_t)pg, IPC_CREAT | 0600);
	set_owner("lock_give_a", lock_a, 65534, 65534, 0600);
	set_owner("lock_give_b", lock_b, 65534, 65534, 0600);
	as_user(65534, 65534, 0, lock_rlimit0, 0);
	as_user(65534, 65534, 2 * pg, lock_2pages, 0);
	show_mode("lock_owner_mode_a", lock_a);
	show_mode("lock_owner_mode_b", lock_b);
	res("lock_root_a", shmctl(lock_a, SHM_LOCK, NULL));
	as_user(65534, 65534, 2 * pg, lock_beside_root, 0);
	show_mode("lock_beside_mode_a", lock_a);
	show_mode("lock_beside_mode_b", lock_b);
	res("lock_rm_a", shmctl(lock_a, IPC_RMID, NULL));
	res("lock_rm_b", shmctl(lock_b, IPC_RMID, NULL));
}

static void owner_uses(int id)
{
	struct shmid_ds ds;
	char *p = shmat(id, NULL, 0);

	res("owner_shmat_rw", p == (void *)-1 ? -1 : 0);
	printf("owner_reads: %s\n", p != (void *)-1 && !strcmp(p, "owned") ? "yes" : "no");
	if (p != (void *)-1) {
		p[0] = 'O';
		shmdt(p);
	}
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0640;
	res("owner_set_mode", shmctl(id, IPC_SET, &ds));
}

static void attach_rw(const char *name, int id)
{
	char *p = shmat(id, NULL, 0);

	res(name, p == (void *)-1 ? -1 : 0);
	if (p != (void *)-1) {
		printf("%s_reads: %s\n", name, !strcmp(p + 1, "wned") ? "yes" : "no");
		shmdt(p);
	}
}

static void group_uses(int id)
{
	attach_rw("group_shmat_rw", id);
}

static void old_owner_uses(int id)
{
	attach_rw("old_owner_shmat_rw", id);
}

static void nongroup_uses(int id)
{
	attach_rw("nongroup_shmat_rw", id);
	res("nongroup_shmat_ro", shmat(id, NULL, SHM_RDONLY) == (void *)-1 ? -1 : 0);
}

/* the users of cases_owner, each in a program of its own */
static const struct {
	const char *what;
	void (*fn)(int);
} user_cases[] = {
	{"owner-uses", owner_uses},
	{"group-uses", group_uses},
	{"nongroup-uses", nongroup_uses},
	{"old-owner-uses", old_owner_uses},
};

static int user_case(const char *what, int id)
{
	for (size_t i = 0; i < sizeof user_cases / sizeof *user_cases; i++)
		if (!strcmp(what, user_cases[i].what)) {
			user_cases[i].fn(id);
			return 1;
		}
	return 0;
}

/* IPC_SET gives the segment to another user and group: they reach the
 * data as the kernel lets them, the former owner no more */
static void cases_owner(time_t t0)
{
	char *p;
	int owned;

	if (geteuid() != 0) {
		printf("owner_users: skipped (not root)\n");
		return;
	}
	owned = shmget(base + 5, 4096, IPC_CREAT | 0600);
	share_registry();
	p = shmat(owned, NULL, 0);
	if (p == (void *)-1) {
		res("owner_setup", -1);
		return;
	}
	strcpy(p, "owned");
	set_owner("give_owner", owned, 65534, 65534, 0600);
	show_stat("stat_given", owned, t0);
	exec_as(65534, 65534, "owner-uses", owned);
	printf("owner_wrote: %s\n", p[0] == 'O' ? "yes" : "no");
	show_mode("owner_mode", owned);
	set_owner("give_group", owned, 0, 65533, 0060);
	exec_as(65532, 65533, "group-uses", owned);
	exec_as(65532, 65532, "nongroup-uses", owned);
	exec_as(65534, 65534, "old-owner-uses", owned);
	shmdt(p);
	res("owner_rm", shmctl(owned, IPC_RMID, NULL));
}

/* owner, mode, removal */
static void cases_ctl(int id, time_t t0)
{
	struct shmid_ds ds;
	char *p;
	int id2;

	res("stat_null_buf", shmctl(id, IPC_STAT, NULL));
	res("set_null_buf", shmctl(id, IPC_SET, NULL));
	res("ctl_bad_cmd", shmctl(id, 12345, &ds));
	res("ctl_negative_id", shmctl(-1, IPC_STAT, &ds));
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0644 | 01000;
	res("set_mode", shmctl(id, IPC_SET, &ds));
	show_stat("stat_after_set", id, t0);

	if (geteuid() == 0) {
		pid_t pid = fork();

		if (!pid) {
			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(1);
			res("other_get_r", shmget(base, 0, 0444));
			res("other_get_rw", shmget(base, 0, 0666));
			res("other_get_0", shmget(base, 0, 0));
			p = shmat(id, NULL, SHM_RDONLY);
			res("other_shmat_rdonly", p == (void *)-1 ? -1 : 0);
			printf("other_reads: %s\n", p != (void *)-1 && !strcmp(p, "hello") ? "yes" : "no");
			if (p != (void *)-1)
				shmdt(p);
			res("other_shmat_rw", shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
			res("other_stat", shmctl(id, IPC_STAT, &ds));
			res("other_set", shmctl(id, IPC_SET, &ds));
			res("other_rmid", shmctl(id, IPC_RMID, NULL));
			fflush(stdout);
			_exit(0);
		}
		wait_child(pid);
		ds.shm_perm.mode = 0600;
		shmctl(id, IPC_SET, &ds);
		pid = fork();
		if (!pid) {
			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(1);
			res("other_get_r_0600", shmget(base, 0, 0444));
			res("other_stat_0600", shmctl(id, IPC_STAT, &ds));
			res("other_shmat_0600", shmat(id, NULL, SHM_RDONLY) == (void *)-1 ? -1 : 0);
			fflush(stdout);
			_exit(0);
		}
		wait_child(pid);
	} else {
		printf("other: skipped (not root)\n");
	}

	res("shmdt_first", shmdt(first));
	p = shmat(id, NULL, 0);
	res("rmid_attached", shmctl(id, IPC_RMID, NULL));
	show_stat("stat_removed", id, t0);
	res("lock_removed", shmctl(id, SHM_LOCK, NULL));
	show_mode("lock_removed_mode", id);
	res("unlock_removed", shmctl(id, SHM_UNLOCK, NULL));
	res("get_removed_key", shmget(base, 4096, 0600));
	res("create_removed_key", id2 = shmget(base, 4096, IPC_CREAT | IPC_EXCL | 0600));
	printf("new_id_differs: %s\n", id2 != id ? "yes" : "no");
	printf("removed_bytes: %s\n", p != (void *)-1 && !strcmp(p, "hello") ? "yes" : "no");
	res("rmid_again", shmctl(id, IPC_RMID, NULL));
	res("shmdt_last", shmdt(p));
	res("stat_gone", shmctl(id, IPC_STAT, &ds));
	res("shmat_gone", shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
	res("rmid_gone", shmctl(id, IPC_RMID, NULL));
	res("rmid_unattached", shmctl(id2, IPC_RMID, NULL));
	res("stat_unattached_gone", shmctl(id2, IPC_STAT, &ds));
}

/* A POSIX peer (python3's multiprocessing.shared_memory) unlinks the
 * backing name of KEY's segment: */
static int py_unlink(const char *prefix, key_t key)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd,
		 "/usr/bin/python3 -c 'from multiprocessing import shared_memory as s; "
		 "s.SharedMemory(name=\"%s%08x\", create=False).unlink()'",
		 prefix + 1, (unsigned)key);
	return system(cmd) == 0 ? 0 : -1;
}

/* the peer's unlink is IPC_RMID: with an attachment (the segment lives
 * on, removed) and without (gone) */
static int peer_unlink(const char *prefix)
{
	struct shmid_ds ds;
	int id, id2, idb;
	char *p;

	id = shmget(base, 4096, IPC_CREAT | 0600);
	p = shmat(id, NULL, 0);
	if (id < 0 || p == (void *)-1) {
		res("peer_setup", -1);
		return 1;
	}
	strcpy(p, "kept");
	res("peer_unlink", py_unlink(prefix, base));
	if (shmctl(id, IPC_STAT, &ds))
		res("peer_stat", -1);
	else
		printf("peer_stat: key=%s dest=%s nattch=%lu\n",
		       ds.shm_perm.__key == IPC_PRIVATE ? "IPC_PRIVATE" : "other",
		       ds.shm_perm.mode & SHM_DEST ? "yes" : "no", (unsigned long)ds.shm_nattch);
	res("peer_get", shmget(base, 0, 0));
	res("peer_create", id2 = shmget(base, 4096, IPC_CREAT | IPC_EXCL | 0600));
	printf("peer_new_id_differs: %s\n", id2 != id ? "yes" : "no");
	printf("peer_bytes_kept: %s\n", !strcmp(p, "kept") ? "yes" : "no");
	res("peer_shmdt", shmdt(p));
	res("peer_stat_gone", shmctl(id, IPC_STAT, &ds));
	res("peer_rm_new", shmctl(id2, IPC_RMID, NULL));

	idb = shmget(base + 1, 4096, IPC_CREAT | 0600);
	res("peer_unlink_unattached", idb < 0 ? -1 : py_unlink(prefix, base + 1));
	res("peer_unattached_shmat", shmat(idb, NULL, 0) == (void *)-1 ? -1 : 0);
	res("peer_unattached_stat", shmctl(idb, IPC_STAT, &ds));
	res("peer_unattached_get", shmget(base + 1, 0, 0));
	return 0;
}

static int cases(void)
{
	time_t t0 = time(NULL);
	int id = cases_get(t0);

	if (id < 0)
		return 1;
	cases_attach(id, t0);
	cases_info(id);
	cases_unmap();
	cases_procs(id);
	cases_lock(id);
	cases_owner(t0);
	cases_ctl(id, t0);
	return 0;
}

/* An attachment kept for another program to see (its start-up checks). */
static int hold(int id)
{
	char c = 0;
	void *p;

	alarm(600);
	p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		res("hold", -1);
		return 1;
	}
	do {
		printf("held: %lu\n", nattch(id));
		fflush(stdout);
		while (read(0, &c, 1) > 0 && c != '\n')
			;
	} while (c == '\n' && (c = 0, 1));
	if (shmdt(p)) {
		res("release", -1);
		return 1;
	}
	printf("released\n");
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	alarm(30);
	if (argc == 3 && !strcmp(argv[1], "exec-child")) {
		char c = 1;

		if (write(atoi(argv[2]), &c, 1) != 1)
			return 1;
		while (read(4, &c, 1) > 0)
			;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "peer-unlink")) {
		base = (key_t)strtol(argv[2], NULL, 0);
		return peer_unlink(argv[3]);
	}
	if (argc != 3)
		return 2;
	base = (key_t)strtol(argv[2], NULL, 0);
	if (user_case(argv[1], (int)base))
		return 0;
	if (!strcmp(argv[1], "cases"))
		return cases();
	if (!strcmp(argv[1], "create"))
		res("create", shmget(base, 4096, IPC_CREAT | 0600));
	else if (!strcmp(argv[1], "get"))
		res("get", shmget(base, 0, 0));
	else if (!strcmp(argv[1], "loop")) {
		for (int i = 0; i < 200; i++) {
			volatile int *p = shmat(shmget(base, 0, 0), NULL, 0);

			if (p == (void *)-1) {
				res("loop", -1);
				return 1;
			}
			__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
			if (shmdt((void *)p)) {
				res("loop_shmdt", -1);
				return 1;
			}
		}
	} else if (!strcmp(argv[1], "count")) {
		int *p = shmat(shmget(base, 0, 0), NULL, SHM_RDONLY);

		if (p == (void *)-1)
			res("count", -1);
		else
			printf("count: %d\n", *p);
	} else if (!strcmp(argv[1], "info")) {
		struct shm_info si;
		struct shminfo mi;
		struct shmid_ds ds;
		int hi = shmctl(0, IPC_INFO, (struct shmid_ds *)&mi);
		int hs = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
		int st = shmctl(hi, SHM_STAT, &ds);

		printf("ipc_info=%d shm_info=%d shmmin=%lu shmmni=%lu shmseg=%lu used=%d tot=%lu rss=%lu "
		       "stat_is_id=%s\n", hi, hs, mi.shmmin, mi.shmmni, mi.shmseg, si.used_ids,
		       si.shm_tot, si.shm_rss, st >= 0 && st == shmget(base, 0, 0) ? "yes" : "no");
	} else if (!strcmp(argv[1], "put")) {
		char *p = shmat(shmget(base, 4096, IPC_CREAT | 0600), NULL, 0);

		if (p != (void *)-1)
			strcpy(p, "from-sysv");
		res("put", p == (void *)-1 || shmdt(p) ? -1 : 0);
	} else if (!strcmp(argv[1], "peek")) {
		char *p = shmat(shmget(base, 0, 0), NULL, SHM_RDONLY);

		if (p == (void *)-1)
			res("peek", -1);
		else
			printf("peek: %.64s\n", p);
	} else if (!strcmp(argv[1], "nattch"))
		printf("nattch: %lu\n", nattch(shmget(base, 0, 0)));
	else if (!strcmp(argv[1], "give"))
		set_owner("give", shmget(base, 0, 0), 65534, 65533, 0640);
	else if (!strcmp(argv[1], "private")) {
		int id = shmget(IPC_PRIVATE, 4096, 0600);
		void *p = shmat(id, NULL, 0);

		res("private", p == (void *)-1 || shmdt(p) || shmctl(id, IPC_RMID, NULL) ? -1 : 0);
	} else if (!strcmp(argv[1], "rm"))
		res("rm", shmctl(shmget(base, 0, 0), IPC_RMID, NULL));
	else
		return 2;
	return 0;
}
