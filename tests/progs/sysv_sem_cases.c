/* SPDX-License-Identifier: MIT */
/* System V semaphore set cases, one result line each, for differential
 * runs: the same output against the kernel and under the emulation (ids
 * are never printed, only compared; limits are only checked for sanity).
 *
 *   sysv_sem_cases cases KEY   every case, with keys KEY..KEY+9; every set
 *                              it makes is removed, also when it fails
 *   sysv_sem_cases create KEY | get KEY | rm KEY   one call each
 *   sysv_sem_cases exec-child FD   (internal) says it runs, waits for EOF
 *                                  on fd 4, exits: the undo it inherited
 *                                  across exec is applied then
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEMVMX 32767
#define OTHER_UID 65534
#define OTHER_UID2 65533
#define OTHER_GID 65534

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static key_t base;
static char self[4096];
static pid_t main_pid;
static int made[64];      /* every set made, removed at the end */
static int nmade;

/* ------------------------------------------------------------ output */

static void res(const char *name, long r)
{
	if (r < 0)
		printf("%s: %s\n", name, strerrorname_np(errno));
	else
		printf("%s: ok\n", name);
	fflush(stdout);
}

static void say(const char *name, const char *what)
{
	printf("%s: %s\n", name, what);
	fflush(stdout);
}

static void num(const char *name, long n)
{
	printf("%s: %ld\n", name, n);
	fflush(stdout);
}

/* ------------------------------------------------------------ helpers */

static int keep(int id)
{
	if (id >= 0 && nmade < (int)(sizeof made / sizeof made[0]))
		made[nmade++] = id;
	return id;
}

static void remove_all(void)
{
	if (getpid() != main_pid)
		return;
	for (int i = 0; i < nmade; i++)
		semctl(made[i], 0, IPC_RMID);
	nmade = 0;
}

static int op1(int id, unsigned short n, short v, short flg)
{
	struct sembuf b = {.sem_num = n, .sem_op = v, .sem_flg = flg};

	return semop(id, &b, 1);
}

static int getval(int id, int n)
{
	return semctl(id, n, GETVAL);
}

static int setval(int id, int n, int v)
{
	union semun u = {.val = v};

	return semctl(id, n, SETVAL, u);
}

static int setall(int id, const unsigned short *v)
{
	union semun u = {.array = (unsigned short *)v};

	return semctl(id, 0, SETALL, u);
}

/* "NAME: v0 v1 ..." of GETALL of a set of n (n <= 8). */
static void show_all(const char *name, int id, int n)
{
	unsigned short v[8];
	union semun u = {.array = v};

	if (semctl(id, 0, GETALL, u) < 0) {
		res(name, -1);
		return;
	}
	printf("%s:", name);
	for (int i = 0; i < n; i++)
		printf(" %u", v[i]);
	printf("\n");
	fflush(stdout);
}

static void show_val(const char *name, int id, int n)
{
	int v = getval(id, n);

	if (v < 0)
		res(name, -1);
	else
		num(name, v);
}

static const char *who(pid_t p, pid_t child)
{
	return p == 0 ? "0" : p == getpid() ? "self" : p == child ? "child" :
	       p < 0 ? strerrorname_np(errno) : "other";
}

static const char *when(time_t t, time_t t0)
{
	return !t ? "0" : t >= t0 && t <= time(NULL) ? "now" : "bad";
}

static void show_ds(const char *name, const struct semid_ds *ds, time_t t0)
{
	key_t k = ds->sem_perm.__key;

	printf("%s: key=%s uid=%u gid=%u cuid=%u cgid=%u mode=%#o nsems=%lu otime=%s ctime=%s\n",
	       name, k == IPC_PRIVATE ? "IPC_PRIVATE" : k >= base && k < base + 10 ? "KEY+n" : "other",
	       ds->sem_perm.uid, ds->sem_perm.gid, ds->sem_perm.cuid, ds->sem_perm.cgid,
	       (unsigned)ds->sem_perm.mode, (unsigned long)ds->sem_nsems, when(ds->sem_otime, t0),
	       when(ds->sem_ctime, t0));
	fflush(stdout);
}

static void show_stat(const char *name, int id, time_t t0)
{
	struct semid_ds ds;
	union semun u = {.buf = &ds};

	if (semctl(id, 0, IPC_STAT, u) < 0)
		res(name, -1);
	else
		show_ds(name, &ds, t0);
}

static int set_mode(int id, unsigned mode)
{
	struct semid_ds ds;
	union semun u = {.buf = &ds};

	if (semctl(id, 0, IPC_STAT, u) < 0)
		return -1;
	ds.sem_perm.mode = mode;
	return semctl(id, 0, IPC_SET, u);
}

static int set_owner(int id, uid_t uid, gid_t gid)
{
	struct semid_ds ds;
	union semun u = {.buf = &ds};

	if (semctl(id, 0, IPC_STAT, u) < 0)
		return -1;
	ds.sem_perm.uid = uid;
	ds.sem_perm.gid = gid;
	return semctl(id, 0, IPC_SET, u);
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static const char *status(int st)
{
	static char buf[32];

	if (st < 0)
		return "lost";
	if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
	return buf;
}

/* "NAME: ok" or "NAME: ERRNO" of a child that exits with 0 or errno. */
static void child_res(const char *name, int st)
{
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) < 128) {
		errno = WEXITSTATUS(st);
		res(name, errno ? -1 : 0);
	} else {
		say(name, status(st));
	}
}

/* The end of a child that made one call: its result as exit status. */
static _Noreturn void end_with(int r)
{
	_exit(r < 0 ? errno & 0x7f : 0);
}

/* fork with stdout flushed; the child is bounded in time. */
static pid_t child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid)
		alarm(20);
	return pid;
}

/* Polls GETNCNT/GETZCNT of sem n until it is want (5 s at most): the
 * last count. */
static int poll_count(int id, int n, int cmd, int want)
{
	int c = -1;

	for (int i = 0; i < 5000; i++) {
		c = semctl(id, n, cmd);
		if (c == want || c < 0)
			break;
		usleep(1000);
	}
	return c;
}

static void drop_privileges(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(OTHER_GID, OTHER_GID, OTHER_GID) || setresuid(uid, uid, uid))
		_exit(99);
}

static struct seminfo limits;

/* ------------------------------------------------------------ semget */

static int cases_get(time_t t0)
{
	int id, p1, p2;

	res("get_missing", semget(base, 1, 0600));
	res("create", id = keep(semget(base, 3, IPC_CREAT | 0600)));
	if (id < 0)
		return -1;
	res("create_excl_exists", semget(base, 3, IPC_CREAT | IPC_EXCL | 0600));
	say("get_same_id", semget(base, 3, 0) == id ? "yes" : "no");
	say("get_nsems0_same_id", semget(base, 0, 0) == id ? "yes" : "no");
	say("get_fewer_same_id", semget(base, 1, 0) == id ? "yes" : "no");
	res("get_more_nsems", semget(base, 4, 0));
	res("create_again_no_excl", semget(base, 3, IPC_CREAT | 0600) == id ? 0 : -1);
	res("create_nsems0", keep(semget(base + 1, 0, IPC_CREAT | 0600)));
	res("create_nsems_negative", keep(semget(base + 1, -1, IPC_CREAT | 0600)));
	res("create_over_semmsl", keep(semget(base + 1, limits.semmsl + 1, IPC_CREAT | 0600)));
	res("get_after_failed_creates", semget(base + 1, 0, 0));
	p1 = keep(semget(IPC_PRIVATE, 2, 0600));
	p2 = keep(semget(IPC_PRIVATE, 2, IPC_CREAT | IPC_EXCL | 0600));
	res("private", p1);
	res("private_excl", p2);
	say("private_distinct", p1 != p2 && p1 != id ? "yes" : "no");
	show_stat("stat_private", p1, t0);
	show_all("private_values", p1, 2);
	res("private_rm", semctl(p1, 0, IPC_RMID));
	res("private_rm2", semctl(p2, 0, IPC_RMID));
	res("create_excl_new", keep(semget(base + 2, 5, IPC_CREAT | IPC_EXCL | 0640)));
	show_stat("stat_new_excl", semget(base + 2, 0, 0), t0);
	res("rm_new_excl", semctl(semget(base + 2, 0, 0), 0, IPC_RMID));
	res("get_removed_new", semget(base + 2, 0, 0));
	show_stat("stat_fresh", id, t0);
	show_all("fresh_values", id, 3);
	say("getpid_fresh", who(semctl(id, 0, GETPID), 0));
	return id;
}

/* ------------------------------------------------------------ semop */

static void cases_op(int id, time_t t0)
{
	static const unsigned short v100[3] = {1, 0, 0};
	struct sembuf b[3];
	struct timespec ts;
	struct sembuf *big;
	int r;

	res("setall", setall(id, v100));
	show_all("setall_values", id, 3);
	show_stat("stat_after_setall", id, t0);
	res("op_negative", op1(id, 0, -1, 0));
	show_stat("stat_after_op", id, t0);
	say("getpid_after_op", who(semctl(id, 0, GETPID), 0));
	res("op_negative_nowait", op1(id, 0, -1, IPC_NOWAIT));
	res("op_positive", op1(id, 1, 2, 0));
	res("op_zero_nowait_zero", op1(id, 0, 0, IPC_NOWAIT));
	res("op_zero_nowait_nonzero", op1(id, 1, 0, IPC_NOWAIT));
	show_all("values_0_2_0", id, 3);

	b[0] = (struct sembuf){0, 1, 0};
	b[1] = (struct sembuf){1, -2, 0};
	b[2] = (struct sembuf){2, 3, 0};
	res("op_array", semop(id, b, 3));
	show_all("array_values", id, 3);
	b[0] = (struct sembuf){0, 5, 0};
	b[1] = (struct sembuf){2, -1, 0};
	b[2] = (struct sembuf){1, -1, IPC_NOWAIT};
	res("op_array_nowait_blocked", semop(id, b, 3));
	show_all("array_unchanged", id, 3);
	b[0] = (struct sembuf){0, 1, 0};
	b[1] = (struct sembuf){2, 0, IPC_NOWAIT};
	res("op_array_zero_blocked", semop(id, b, 2));
	show_all("array_zero_unchanged", id, 3);
	b[0] = (struct sembuf){0, 1, 0};
	b[1] = (struct sembuf){0, -2, 0};
	res("op_same_sem_sequence", semop(id, b, 2));
	b[0] = (struct sembuf){0, SEMVMX, 0};
	b[1] = (struct sembuf){0, -SEMVMX, 0};
	res("op_same_sem_to_vmx", semop(id, b, 2));
	b[0] = (struct sembuf){0, SEMVMX, 0};
	b[1] = (struct sembuf){0, 1, 0};
	b[2] = (struct sembuf){0, -2, 0};
	res("op_same_sem_over_vmx_between", semop(id, b, 3));
	show_all("same_sem_values", id, 3);

	ts = (struct timespec){0, 50 * 1000 * 1000};
	b[0] = (struct sembuf){1, -1, 0};
	res("timedop_timeout", semtimedop(id, b, 1, &ts));
	ts = (struct timespec){0, 0};
	res("timedop_zero_timeout", semtimedop(id, b, 1, &ts));
	ts = (struct timespec){0, 2000000000L};
	res("timedop_bad_timeout", semtimedop(id, b, 1, &ts));
	ts = (struct timespec){-1, 0};
	res("timedop_negative_timeout", semtimedop(id, b, 1, &ts));
	b[0] = (struct sembuf){2, -1, 0};
	ts = (struct timespec){1, 0};
	res("timedop_no_wait_needed", semtimedop(id, b, 1, &ts));
	res("timedop_null_timeout", semtimedop(id, b, 1, NULL));
	show_all("timedop_values", id, 3);
	num("ncnt_after_timeout", semctl(id, 1, GETNCNT));

	res("op_nsops0", semop(id, b, 0));
	big = calloc((size_t)limits.semopm + 1, sizeof *big);
	if (big) {
		for (int i = 0; i <= limits.semopm; i++)
			big[i].sem_flg = IPC_NOWAIT;
		res("op_semopm", semop(id, big, (size_t)limits.semopm));
		res("op_over_semopm", semop(id, big, (size_t)limits.semopm + 1));
		free(big);
	}
	res("op_sem_num_eq_nsems", op1(id, 3, 1, 0));
	res("op_sem_num_big", op1(id, 65535, 1, 0));
	b[0] = (struct sembuf){0, 1, 0};
	b[1] = (struct sembuf){7, 1, 0};
	res("op_array_efbig", semop(id, b, 2));
	show_all("efbig_unchanged", id, 3);
	res("setval_vmx", setval(id, 0, SEMVMX - 1));
	res("op_to_vmx", op1(id, 0, 1, 0));
	res("op_over_vmx", op1(id, 0, 1, 0));
	res("op_over_vmx_nowait", op1(id, 0, 1, IPC_NOWAIT));
	b[0] = (struct sembuf){1, 1, 0};
	b[1] = (struct sembuf){0, 1, 0};
	res("op_array_erange", semop(id, b, 2));
	show_all("erange_unchanged", id, 3);
	res("op_bad_id", op1(-1, 0, 1, 0));
	res("op_unknown_id", op1(id + 100 * 32768, 0, 1, 0));

	/* undo adjustments beyond SEMAEM */
	res("setval_undo", setval(id, 2, SEMVMX));
	res("op_undo_full", op1(id, 2, -SEMVMX, SEM_UNDO));
	res("op_plain_up", op1(id, 2, 1, 0));
	res("op_undo_over_semaem", op1(id, 2, -1, SEM_UNDO));
	show_val("undo_over_value", id, 2);
	r = setval(id, 2, 0);          /* clears this process's adjustment */
	res("setval_clears_own", r);
	(void)t0;
}

/* ------------------------------------------------------------ waiters */

static int semop_flag;

static void on_usr1(int sig)
{
	(void)sig;
	semop_flag = 1;
}

/* A child blocked in semop (timed if timed) on sem 1, interrupted by a
 * handler installed with SA_RESTART. */
static void case_eintr(int id, const char *name, int timed)
{
	char nm[64];
	pid_t pid;
	int c;

	pid = child();
	if (!pid) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
		struct timespec ts = {15, 0};
		struct sembuf b = {1, -1, 0};
		int r;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		r = timed ? semtimedop(id, &b, 1, &ts) : semop(id, &b, 1);
		res(name, r);
		snprintf(nm, sizeof nm, "%s_handler_ran", name);
		say(nm, semop_flag ? "yes" : "no");
		_exit(0);
	}
	c = poll_count(id, 1, GETNCNT, 1);
	snprintf(nm, sizeof nm, "%s_ncnt", name);
	num(nm, c);
	kill(pid, SIGUSR1);
	wait_child(pid);
	snprintf(nm, sizeof nm, "%s_ncnt_after", name);
	num(nm, semctl(id, 1, GETNCNT));
}

static void cases_wait(int id)
{
	static const unsigned short v[3] = {0, 0, 3};
	pid_t pid, pid2;
	int eid;

	res("setall_for_waiters", setall(id, v));
	/* a blocked array changes nothing until it can all be done */
	pid = child();
	if (!pid) {
		struct sembuf b[2] = {{0, 1, 0}, {1, -1, 0}};

		end_with(semop(id, b, 2));
	}
	num("array_waiter_ncnt", poll_count(id, 1, GETNCNT, 1));
	num("array_waiter_ncnt_other", semctl(id, 0, GETNCNT));
	show_all("array_waiter_values", id, 3);
	res("release_array_waiter", op1(id, 1, 1, 0));
	child_res("array_waiter", wait_child(pid));
	show_all("array_waiter_done", id, 3);
	say("getpid_after_waiter", who(semctl(id, 0, GETPID), pid));
	say("getpid_other_sem", who(semctl(id, 2, GETPID), pid));

	/* two waiters for a decrement, one for zero */
	pid = child();
	if (!pid) {
		end_with(op1(id, 1, -1, 0));
	}
	num("ncnt_one", poll_count(id, 1, GETNCNT, 1));
	pid2 = child();
	if (!pid2) {
		end_with(op1(id, 1, -1, 0));
	}
	num("ncnt_two", poll_count(id, 1, GETNCNT, 2));
	res("release_two", op1(id, 1, 2, 0));
	child_res("waiter_dec1", wait_child(pid));
	child_res("waiter_dec2", wait_child(pid2));
	num("ncnt_released", semctl(id, 1, GETNCNT));
	show_val("released_value", id, 1);
	pid = child();
	if (!pid) {
		end_with(op1(id, 2, 0, 0));
	}
	num("zcnt_one", poll_count(id, 2, GETZCNT, 1));
	num("zcnt_ncnt", semctl(id, 2, GETNCNT));
	res("op_partial_down", op1(id, 2, -2, 0));
	num("zcnt_still", semctl(id, 2, GETZCNT));
	res("op_to_zero", op1(id, 2, -1, 0));
	child_res("waiter_zero", wait_child(pid));
	num("zcnt_released", semctl(id, 2, GETZCNT));

	case_eintr(id, "eintr_semop", 0);
	case_eintr(id, "eintr_timedop", 1);

	/* removal wakes every waiter with EIDRM */
	res("private_for_rmid", eid = keep(semget(IPC_PRIVATE, 2, 0600)));
	setval(eid, 1, 1);
	pid = child();
	if (!pid) {
		end_with(op1(eid, 0, -1, 0));
	}
	num("rmid_ncnt", poll_count(eid, 0, GETNCNT, 1));
	pid2 = child();
	if (!pid2) {
		end_with(op1(eid, 1, 0, 0));
	}
	num("rmid_zcnt", poll_count(eid, 1, GETZCNT, 1));
	res("rmid_with_waiters", semctl(eid, 0, IPC_RMID));
	child_res("waiter_rmid_dec", wait_child(pid));
	child_res("waiter_rmid_zero", wait_child(pid2));
	res("op_after_rmid", op1(eid, 0, 1, IPC_NOWAIT));
	res("getval_after_rmid", semctl(eid, 0, GETVAL));
}

/* ------------------------------------------------------------ SEM_UNDO */

/* A child that does op with SEM_UNDO on sem n of id then ends by how:
 * 'e' exit, '_' _exit, 'k' SIGKILL. */
static void undo_child(int id, int n, short op, int how, const char *name)
{
	pid_t pid = child();

	if (!pid) {
		if (op1(id, (unsigned short)n, op, SEM_UNDO) < 0)
			_exit(3);
		if (how == 'k')
			raise(SIGKILL);
		if (how == 'e')
			exit(0);
		_exit(0);
	}
	printf("%s: %s ", name, status(wait_child(pid)));
	fflush(stdout);
	show_all("values", id, 2);
}

/* A child that does ops with SEM_UNDO, tells the parent, and exits once
 * the parent has done what it does in between (fd pair). */
static pid_t undo_hold(int id, struct sembuf *b, int n, int *go)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(hold))
		return -1;
	pid = child();
	if (!pid) {
		close(ready[0]);
		close(hold[1]);
		c = semop(id, b, (size_t)n) < 0 ? 'f' : 'o';
		if (write(ready[1], &c, 1) != 1)
			_exit(4);
		while (read(hold[0], &c, 1) > 0)
			;
		exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		c = 'x';
	close(ready[0]);
	*go = hold[1];
	return c == 'o' ? pid : -1;
}

static void undo_release(pid_t pid, int go, const char *name)
{
	close(go);
	say(name, status(pid < 0 ? -1 : wait_child(pid)));
}

static void cases_undo(void)
{
	static const unsigned short v55[2] = {5, 5};
	int id, rid, go, ready[2], hold[2];
	struct sembuf b[2];
	pid_t pid, waiter;
	char c;

	res("undo_create", id = keep(semget(base + 3, 2, IPC_CREAT | 0600)));
	if (id < 0)
		return;
	undo_child(id, 0, 1, 'e', "undo_exit");
	undo_child(id, 0, 1, '_', "undo__exit");
	undo_child(id, 0, 1, 'k', "undo_sigkill");
	setval(id, 1, 2);
	undo_child(id, 1, -1, 'e', "undo_negative_exit");
	undo_child(id, 1, -2, 'k', "undo_negative_sigkill");

	/* a fork child does not inherit its parent's undo */
	pid = child();
	if (!pid) {
		pid_t g;

		if (op1(id, 0, 1, SEM_UNDO) < 0)
			_exit(3);
		g = child();
		if (!g)
			_exit(0);
		wait_child(g);
		show_val("fork_grandchild_gone", id, 0);
		g = child();
		if (!g) {
			op1(id, 0, 1, SEM_UNDO);
			_exit(0);
		}
		wait_child(g);
		show_val("fork_grandchild_own_undo", id, 0);
		exit(0);
	}
	say("fork_parent_exit", status(wait_child(pid)));
	show_val("fork_all_undone", id, 0);

	/* kept across exec: applied when the new program exits */
	if (pipe(ready) || pipe(hold))
		return;
	pid = child();
	if (!pid) {
		if (op1(id, 0, 2, SEM_UNDO) < 0)
			_exit(3);
		close(ready[0]);
		close(hold[1]);
		dup2(ready[1], 3);
		dup2(hold[0], 4);
		execl(self, self, "exec-child", "3", (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	show_val("exec_child_running", id, 0);
	close(hold[1]);
	close(ready[0]);
	say("exec_child_exit", status(wait_child(pid)));
	show_val("exec_undone", id, 0);

	/* clamped to 0 and to SEMVMX */
	b[0] = (struct sembuf){0, 3, SEM_UNDO};
	pid = undo_hold(id, b, 1, &go);
	res("clamp_low_take", op1(id, 0, -2, 0));
	undo_release(pid, go, "clamp_low_exit");
	show_val("clamp_low_value", id, 0);
	setval(id, 0, 1);
	b[0] = (struct sembuf){0, -1, SEM_UNDO};
	pid = undo_hold(id, b, 1, &go);
	res("clamp_high_fill", op1(id, 0, SEMVMX, 0));
	undo_release(pid, go, "clamp_high_exit");
	show_val("clamp_high_value", id, 0);

	/* SETVAL and SETALL clear the undo entries of the semaphores they set */
	setval(id, 0, 1);
	setval(id, 1, 1);
	b[0] = (struct sembuf){0, -1, SEM_UNDO};
	pid = undo_hold(id, b, 1, &go);
	res("setval_over_undo", setval(id, 0, 5));
	undo_release(pid, go, "setval_undo_exit");
	show_val("setval_clears_undo", id, 0);
	setval(id, 0, 1);
	b[0] = (struct sembuf){0, -1, SEM_UNDO};
	b[1] = (struct sembuf){1, -1, SEM_UNDO};
	pid = undo_hold(id, b, 2, &go);
	res("setval_one_of_two", setval(id, 1, 5));
	undo_release(pid, go, "setval_one_exit");
	show_all("setval_clears_only_its_sem", id, 2);
	setval(id, 0, 1);
	setval(id, 1, 1);
	pid = undo_hold(id, b, 2, &go);
	res("setall_over_undo", setall(id, v55));
	undo_release(pid, go, "setall_undo_exit");
	show_all("setall_clears_undo", id, 2);

	/* a holder killed with an undo releases the waiter it blocked */
	setval(id, 0, 1);
	b[0] = (struct sembuf){0, -1, SEM_UNDO};
	pid = undo_hold(id, b, 1, &go);
	waiter = child();
	if (!waiter)
		end_with(op1(id, 0, -1, 0));
	num("dead_holder_ncnt", poll_count(id, 0, GETNCNT, 1));
	kill(pid, SIGKILL);
	say("dead_holder_exit", status(wait_child(pid)));
	close(go);
	child_res("dead_holder_waiter", wait_child(waiter));
	show_val("dead_holder_value", id, 0);

	/* undo of a set removed before the exit: nothing to do, no harm */
	res("undo_rm_create", rid = keep(semget(base + 4, 1, IPC_CREAT | 0600)));
	b[0] = (struct sembuf){0, 1, SEM_UNDO};
	pid = undo_hold(rid, b, 1, &go);
	res("undo_rm_rmid", semctl(semget(base + 4, 0, 0), 0, IPC_RMID));
	undo_release(pid, go, "undo_rm_exit");
	res("undo_rm_recreate", keep(semget(base + 4, 1, IPC_CREAT | IPC_EXCL | 0600)));
	show_val("undo_rm_fresh_value", semget(base + 4, 0, 0), 0);
	res("undo_rm_rm", semctl(semget(base + 4, 0, 0), 0, IPC_RMID));

	res("undo_rm", semctl(id, 0, IPC_RMID));
}

/* ------------------------------------------------------------ semctl */

static void cases_ctl_values(int id)
{
	static const unsigned short bad[3] = {1, SEMVMX + 1, 2};
	static const unsigned short vmx[3] = {SEMVMX, 0, 7};
	union semun u = {.val = 0};

	res("setval", setval(id, 1, 9));
	show_val("getval", id, 1);
	res("setval_vmx_ok", setval(id, 1, SEMVMX));
	res("setval_over_vmx", setval(id, 1, SEMVMX + 1));
	res("setval_negative", setval(id, 1, -1));
	show_val("getval_unchanged", id, 1);
	res("getval_bad_num", getval(id, 3));
	res("getval_negative_num", getval(id, -1));
	res("setval_bad_num", setval(id, 3, 1));
	res("setall_over_vmx", setall(id, bad));
	show_all("setall_unchanged", id, 3);
	res("setall_vmx", setall(id, vmx));
	show_all("getall", id, 3);
	say("getpid_after_setall", who(semctl(id, 0, GETPID), 0));
	res("setval_pid", setval(id, 1, 0));
	say("getpid_after_setval", who(semctl(id, 1, GETPID), 0));
	res("getncnt_bad_num", semctl(id, 3, GETNCNT));
	res("getzcnt_bad_num", semctl(id, 3, GETZCNT));
	res("getpid_bad_num", semctl(id, 3, GETPID));
	res("ctl_bad_cmd", semctl(id, 0, 12345, u));
	res("ctl_negative_id", semctl(-1, 0, GETVAL));
	res("ctl_unknown_id", semctl(id + 100 * 32768, 0, GETVAL));
	res("stat_null_buf", semctl(id, 0, IPC_STAT, (union semun){.buf = NULL}));
	res("set_null_buf", semctl(id, 0, IPC_SET, (union semun){.buf = NULL}));
	res("getall_null_buf", semctl(id, 0, GETALL, (union semun){.array = NULL}));
}

static void cases_ctl_info(int id, time_t t0)
{
	struct seminfo si;
	struct semid_ds ds;
	union semun u = {.__buf = &si};
	int max, found = -1, r;

	max = semctl(0, 0, IPC_INFO, u);
	res("ipc_info", max);
	say("ipc_info_sane", max >= 0 && si.semmsl >= 5 && si.semopm >= 1 && si.semmni >= 1 &&
	    si.semmns >= si.semmsl && si.semvmx == SEMVMX ? "yes" : "no");
	num("ipc_info_semvmx", si.semvmx);
	max = semctl(0, 0, SEM_INFO, u);
	res("sem_info", max);
	say("sem_info_sane", max >= 0 && si.semusz >= 1 && si.semaem >= 3 && si.semvmx == SEMVMX ?
	    "yes" : "no");
	/* SEM_STAT by index: the index space is the world's own; the set is
	 * found at some index not above the highest SEM_INFO reports */
	u.buf = &ds;
	for (int i = 0; i <= max && found < 0; i++) {
		r = semctl(i, 0, SEM_STAT, u);
		if (r == id)
			found = i;
	}
	say("sem_stat_finds_own", found >= 0 ? "yes" : "no");
	if (found >= 0) {
		r = semctl(found, 0, SEM_STAT, u);
		say("sem_stat_returns_id", r == id ? "yes" : "no");
		show_ds("sem_stat_own", &ds, t0);
	}
	res("sem_stat_past_max", semctl(max + 1, 0, SEM_STAT, u));
	res("sem_stat_negative", semctl(-1, 0, SEM_STAT, u));
}

/* A child as a non-root uid: each line NAME_SUFFIX of what it tries. */
static void as_other(int id, const char *sfx, uid_t uid, void (*fn)(int, const char *))
{
	pid_t pid = child();

	if (!pid) {
		drop_privileges(uid);
		fn(id, sfx);
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
}

static void nm(char *buf, size_t len, const char *what, const char *sfx)
{
	snprintf(buf, len, "other_%s_%s", what, sfx);
}

static void other_tries(int id, const char *sfx)
{
	struct semid_ds ds = {0};
	union semun u = {.buf = &ds};
	unsigned short v[3];
	char n[64];

	nm(n, sizeof n, "get_0", sfx);
	res(n, semget(base, 0, 0));
	nm(n, sizeof n, "get_r", sfx);
	res(n, semget(base, 0, 0444));
	nm(n, sizeof n, "get_w", sfx);
	res(n, semget(base, 0, 0222));
	nm(n, sizeof n, "get_rw", sfx);
	res(n, semget(base, 0, 0666));
	nm(n, sizeof n, "getval", sfx);
	res(n, getval(id, 0));
	nm(n, sizeof n, "getncnt", sfx);
	res(n, semctl(id, 0, GETNCNT));
	nm(n, sizeof n, "stat", sfx);
	res(n, semctl(id, 0, IPC_STAT, u));
	u.array = v;
	nm(n, sizeof n, "getall", sfx);
	res(n, semctl(id, 0, GETALL, u));
	nm(n, sizeof n, "op_zero", sfx);
	res(n, op1(id, 1, 0, IPC_NOWAIT));
	nm(n, sizeof n, "op_alter", sfx);
	res(n, op1(id, 2, 1, IPC_NOWAIT));
	nm(n, sizeof n, "op_alter_undo", sfx);
	res(n, op1(id, 2, -1, IPC_NOWAIT | SEM_UNDO));
	nm(n, sizeof n, "op_efbig", sfx);
	res(n, op1(id, 9, 1, IPC_NOWAIT));
	nm(n, sizeof n, "setval", sfx);
	res(n, setval(id, 1, 0));
	u.buf = &ds;
	nm(n, sizeof n, "set", sfx);
	res(n, semctl(id, 0, IPC_SET, u));
	nm(n, sizeof n, "rmid", sfx);
	res(n, semctl(id, 0, IPC_RMID));
}

/* As the owner given by IPC_SET: IPC_SET works whatever the mode, and
 * the mode it sets is the one checked. */
static void owner_tries(int id, const char *sfx)
{
	struct semid_ds ds = {0};
	union semun u = {.buf = &ds};
	char n[64];

	nm(n, sizeof n, "owner_stat", sfx);
	res(n, semctl(id, 0, IPC_STAT, u));
	nm(n, sizeof n, "owner_set", sfx);
	res(n, set_mode(id, 0600));
	nm(n, sizeof n, "owner_getval", sfx);
	res(n, getval(id, 0));
	nm(n, sizeof n, "owner_set_000", sfx);
	ds.sem_perm.mode = 0;
	res(n, semctl(id, 0, IPC_SET, u));
	nm(n, sizeof n, "owner_getval_000", sfx);
	res(n, getval(id, 0));
	nm(n, sizeof n, "owner_stat_000", sfx);
	res(n, semctl(id, 0, IPC_STAT, u));
	nm(n, sizeof n, "owner_set_again", sfx);
	ds.sem_perm.mode = 0660;
	res(n, semctl(id, 0, IPC_SET, u));
	nm(n, sizeof n, "owner_getval_again", sfx);
	res(n, getval(id, 0));
}

static void cases_ctl_perm(int id, time_t t0)
{
	static const unsigned short v[3] = {1, 0, 1};

	setall(id, v);
	res("set_mode", set_mode(id, 0644 | 01000));
	show_stat("stat_after_set", id, t0);
	if (geteuid() != 0) {
		say("other", "skipped (not root)");
		return;
	}
	as_other(id, "0644", OTHER_UID, other_tries);
	set_mode(id, 0600);
	as_other(id, "0600", OTHER_UID, other_tries);
	set_mode(id, 0602);
	as_other(id, "0602", OTHER_UID, other_tries);
	show_all("values_after_others", id, 3);
	/* the group's bits for a process of the set's group */
	res("set_group", set_owner(id, 0, OTHER_GID));
	res("set_mode_group", set_mode(id, 0640));
	show_stat("stat_group", id, t0);
	as_other(id, "group_0640", OTHER_UID, other_tries);
	res("set_owner", set_owner(id, OTHER_UID, 0));
	show_stat("stat_owner_other", id, t0);
	as_other(id, "new", OTHER_UID, owner_tries);
	show_stat("stat_owner_set_mode", id, t0);
	as_other(id, "third", OTHER_UID2, other_tries);
	res("set_owner_back", set_owner(id, 0, 0));
	res("set_mode_back", set_mode(id, 0600));
	show_stat("stat_owner_back", id, t0);
}

static void cases_rmid(int id)
{
	struct semid_ds ds;
	int id2;

	res("rmid", semctl(id, 0, IPC_RMID));
	res("getval_removed", getval(id, 0));
	res("stat_removed", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	res("op_removed", op1(id, 0, 1, IPC_NOWAIT));
	res("rmid_again", semctl(id, 0, IPC_RMID));
	res("get_removed_key", semget(base, 0, 0));
	res("create_removed_key", id2 = keep(semget(base, 1, IPC_CREAT | IPC_EXCL | 0600)));
	say("new_id_differs", id2 != id ? "yes" : "no");
	show_val("new_value", id2, 0);
	res("rmid_new", semctl(id2, 0, IPC_RMID));
}

/* A run that takes too long still removes its sets. */
static void on_alarm(int sig)
{
	(void)sig;
	remove_all();
	_exit(124);
}

static int cases(void)
{
	time_t t0 = time(NULL);
	union semun u = {.__buf = &limits};
	int id;

	if (semctl(0, 0, IPC_INFO, u) < 0) {
		res("limits", -1);
		return 1;
	}
	atexit(remove_all);
	signal(SIGALRM, on_alarm);
	id = cases_get(t0);
	if (id < 0)
		return 1;
	cases_op(id, t0);
	cases_wait(id);
	cases_undo();
	cases_ctl_values(id);
	cases_ctl_info(id, t0);
	cases_ctl_perm(id, t0);
	cases_rmid(id);
	say("end", "ok");
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	main_pid = getpid();
	alarm(60);
	if (argc == 3 && !strcmp(argv[1], "exec-child")) {
		char c = 1;

		if (write(atoi(argv[2]), &c, 1) != 1)
			return 1;
		while (read(4, &c, 1) > 0)
			;
		return 0;
	}
	if (argc != 3)
		return 2;
	base = (key_t)strtol(argv[2], NULL, 0);
	if (!strcmp(argv[1], "cases"))
		return cases();
	if (!strcmp(argv[1], "create"))
		res("create", semget(base, 1, IPC_CREAT | 0600));
	else if (!strcmp(argv[1], "get"))
		res("get", semget(base, 0, 0));
	else if (!strcmp(argv[1], "rm"))
		res("rm", semctl(semget(base, 0, 0), 0, IPC_RMID));
	else
		return 2;
	return 0;
}
