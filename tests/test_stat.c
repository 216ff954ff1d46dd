/* SPDX-License-Identifier: MIT */
/* The backends seen from outside: the run-time probes (which must make no
 * object, and answer 0 where System V IPC is forbidden), and the stat and
 * list of objects, checked field by field against /proc/sysvipc, /dev/shm
 * and processes that attach. */
#include "config.h"

#include "nipc.h"
#include "tlib.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


/* ------------------------------------------------------------------ probes */

/* Makes the listed system calls fail with errno e in this process, for
 * good (a seccomp filter). 0 or -1. */
static int forbid(const long *nrs, int n, int e)
{
	struct sock_filter f[32];
	struct sock_fprog prog = {0};
	int len = 0;

	f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++)
		f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							(unsigned)nrs[i], (unsigned char)(n - i), 0);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						SECCOMP_RET_ERRNO | ((unsigned)e & SECCOMP_RET_DATA));
	prog.len = (unsigned short)len;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The probes' answers (System V shm, sem, POSIX shm, sem: bits 0..3) in a
 * child with the calls nrs failing with errno e; -1 if the filter could
 * not be installed. */
static int probes_without(const long *nrs, int n, int e)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (forbid(nrs, n, e) < 0)
			_exit(255);
		_exit(nipc_shm_key_type_supported(NIPC_KEY_SYSTEMV) |
		      nipc_sem_key_type_supported(NIPC_KEY_SYSTEMV) << 1 |
		      nipc_shm_key_type_supported(NIPC_KEY_POSIX) << 2 |
		      nipc_sem_key_type_supported(NIPC_KEY_POSIX) << 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

/* System V IPC forbidden (seccomp, as in some containers) or compiled out:
 * System V answers 0, POSIX is not concerned. */
static void probe_sysv_forbidden(void **state)
{
	static const long nrs[] = {
		SYS_shmget, SYS_shmctl, SYS_shmat, SYS_semget, SYS_semctl, SYS_semop,
#ifdef SYS_ipc
		SYS_ipc,
#endif
	};
	int n = (int)(sizeof nrs / sizeof nrs[0]);
	int r;

	(void)state;
	if ((r = probes_without(nrs, n, ENOSYS)) < 0)
		skip();
	assert_int_equal(r, 4 | 8);
	assert_int_equal(probes_without(nrs, n, EPERM), 4 | 8);
}

/* The probes make no object: with shmget and semget failing, they still
 * answer 1 (a probe that made a private segment would answer 0). */
static void probe_makes_nothing(void **state)
{
	static const long nrs[] = {SYS_shmget, SYS_semget};
	int r;

	(void)state;
	if ((r = probes_without(nrs, 2, EPERM)) < 0)
		skip();
	assert_int_equal(r, 1 | 2 | 4 | 8);
}

/* --------------------------------------------------------- stat and list */

static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX;
static int private_shm = -1;

#define TYPE (*(int *)*state)
#define IS_SYSV nipc_key_type_is_systemv(TYPE)

/* The row of id in /proc/sysvipc/shm or /sem, as numbers in the kernel's
 * column order (shm: key shmid perms size cpid lpid nattch uid gid cuid
 * cgid atime dtime ctime; sem: key semid perms nsems uid gid cuid cgid
 * otime ctime); perms octal. 0 or -1. */
static int sysvipc_row(int kind, long id, long long *v)
{
	char line[1024];
	FILE *f = fopen(kind == NIPC_KIND_SHM ? "/proc/sysvipc/shm" : "/proc/sysvipc/sem", "re");
	int n = kind == NIPC_KIND_SHM ? 14 : 10, found = -1;

	assert_non_null(f);
	while (found < 0 && fgets(line, sizeof line, f)) {
		char *p = line, *end;
		int i;

		for (i = 0; i < n; i++, p = end) {
			v[i] = strtoll(p, &end, i == 2 ? 8 : 10);
			if (end == p)
				break;
		}
		if (i == n && v[1] == id)
			found = 0;
	}
	fclose(f);
	return found;
}

/* o's numbers match its row in /proc/sysvipc, column by column (want in
 * the kernel's order, as sysvipc_row; the key as a C int, perms 0777). */
static void expect_row(int kind, const long long *want)
{
	long long v[14];
	size_t n = kind == NIPC_KIND_SHM ? 14 : 10;

	assert_int_equal(sysvipc_row(kind, (long)want[1], v), 0);
	v[0] = (int)v[0];
	v[2] &= 0777;
	for (size_t i = 0; i < n; i++)
		if (v[i] != want[i])
			fail_msg("/proc/sysvipc column %zu is %lld, nipc says %lld", i, v[i], want[i]);
}

static int has_pid(const nipc_obj *o, long pid)
{
	for (size_t i = 0; i < nipc_obj_pid_count(o); i++)
		if (nipc_obj_pid(o, i) == pid)
			return 1;
	return 0;
}

/* The path of a POSIX object's file. */
static void posix_file(const nipc_key *k, int kind, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm/%s%s", kind == NIPC_KIND_SEM ? "sem." : "",
		 nipc_key_native(k) + 1);
}

/* o is the segment of k as the OS shows it (System V: /proc/sysvipc; POSIX:
 * its file), with the processes a and b (b may be 0) attached. */
static void check_segment(const nipc_obj *o, const nipc_key *k, size_t size, long a, long b)
{
	long n = b ? 2 : 1;

	assert_int_equal(nipc_obj_kind(o), NIPC_KIND_SHM);
	assert_int_equal(nipc_obj_size(o), size);
	assert_int_equal(nipc_obj_count(o), 0);
	assert_int_equal(nipc_obj_mode(o), 0600);
	assert_int_equal(nipc_obj_uid(o), (long)geteuid());
	assert_int_equal(nipc_obj_gid(o), (long)getegid());
	assert_int_equal(nipc_obj_attachments(o), n);
	assert_int_equal(nipc_obj_pid_count(o), (size_t)n);
	assert_true(has_pid(o, a));
	if (b)
		assert_true(has_pid(o, b));
	if (nipc_key_type_is_systemv(nipc_key_type(k))) {
		long kt;
		long want;

		assert_string_equal(nipc_obj_backend(o), "systemv");
		assert_null(nipc_obj_name(o));
		assert_int_equal(nipc_ftok(&want, nipc_key_native(k), nipc_key_type(k)), 0);
		assert_int_equal(nipc_obj_sysv_key(&kt, o), 0);
		assert_int_equal(kt, (long)want);
		assert_int_equal(shmget(want, 0, 0), nipc_obj_id(o));
		expect_row(NIPC_KIND_SHM, (const long long[]){
			(int)want, nipc_obj_id(o), nipc_obj_mode(o), (long long)nipc_obj_size(o),
			nipc_obj_creator_pid(o), nipc_obj_last_pid(o), nipc_obj_attachments(o),
			nipc_obj_uid(o), nipc_obj_gid(o),
			nipc_obj_creator_uid(o), nipc_obj_creator_gid(o),
			nipc_obj_time(o, NIPC_OBJ_TIME_ATTACH), nipc_obj_time(o, NIPC_OBJ_TIME_DETACH),
			nipc_obj_time(o, NIPC_OBJ_TIME_CHANGE)});
		assert_true(nipc_obj_time(o, NIPC_OBJ_TIME_ATTACH) > 0);
		assert_int_equal(nipc_obj_creator_pid(o), (long)getpid());
		if (b) /* the last shmat */
			assert_int_equal(nipc_obj_last_pid(o), b);
	} else {
		char path[4096];
		struct stat st;
		long kt;

		posix_file(k, NIPC_KIND_SHM, path, sizeof path);
		assert_int_equal(stat(path, &st), 0);
		assert_string_equal(nipc_obj_backend(o), "posix");
		assert_string_equal(nipc_obj_name(o), nipc_key_native(k));
		assert_int_equal(nipc_obj_sysv_key(&kt, o), -NIPC_ENOTSUP);
		assert_int_equal(nipc_obj_id(o), -1);
		assert_int_equal(nipc_obj_size(o), (unsigned long long)st.st_size);
		assert_int_equal(nipc_obj_uid(o), (long)st.st_uid);
		assert_int_equal(nipc_obj_gid(o), (long)st.st_gid);
		assert_int_equal(nipc_obj_creator_uid(o), -1);
		assert_int_equal(nipc_obj_creator_pid(o), -1);
		assert_int_equal(nipc_obj_last_pid(o), -1);
		assert_int_equal(nipc_obj_time(o, NIPC_OBJ_TIME_CHANGE), (long long)st.st_ctime);
		assert_int_equal(nipc_obj_time(o, NIPC_OBJ_TIME_MODIFY), (long long)st.st_mtime);
		assert_int_equal(nipc_obj_time(o, NIPC_OBJ_TIME_ACCESS), (long long)st.st_atime);
		assert_int_equal(nipc_obj_time(o, NIPC_OBJ_TIME_ATTACH), 0);
	}
}

/* A segment attached here and in a child, then only here. */
static void stat_segment(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *shm;
	nipc_obj *o;
	struct tl_proc c;

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 5000, NIPC_SHM_READWRITE), 0);
	TL_OBJHELPER_OK(&c, k, "attach rw");
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SHM), 0);
	check_segment(o, k, 5000, getpid(), c.pid);
	nipc_obj_free(o);
	assert_true(tl_cmd_ok(&c, "detach"));
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SHM), 0);
	check_segment(o, k, 5000, getpid(), 0);
	if (IS_SYSV) { /* the child's shmdt */
		assert_true(nipc_obj_time(o, NIPC_OBJ_TIME_DETACH) > 0);
		assert_int_equal(nipc_obj_last_pid(o), c.pid);
	}
	nipc_obj_free(o);
	tl_end(&c, "exit");
	nipc_shm_free(shm);
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SHM), -NIPC_ENOTFOUND);
	assert_null(o);
	TL_KEY_GONE(k);
}

/* o is the semaphore of k as the OS shows it. */
static void check_semaphore(const nipc_obj *o, const nipc_key *k)
{
	assert_int_equal(nipc_obj_kind(o), NIPC_KIND_SEM);
	assert_int_equal(nipc_obj_count(o), 1);
	assert_int_equal(nipc_obj_size(o), 0);
	assert_int_equal(nipc_obj_mode(o), 0600);
	assert_int_equal(nipc_obj_uid(o), (long)geteuid());
	if (nipc_key_type_is_systemv(nipc_key_type(k))) {
		long want;
		long kt;
		int id;

		assert_int_equal(nipc_ftok(&want, nipc_key_native(k), nipc_key_type(k)), 0);
		assert_true((id = semget(want, 0, 0)) >= 0);
		assert_int_equal(nipc_obj_id(o), id);
		assert_int_equal(nipc_obj_sysv_key(&kt, o), 0);
		assert_int_equal(kt, (long)want);
		expect_row(NIPC_KIND_SEM, (const long long[]){
			(int)want, id, nipc_obj_mode(o), (long long)nipc_obj_count(o),
			nipc_obj_uid(o), nipc_obj_gid(o),
			nipc_obj_creator_uid(o), nipc_obj_creator_gid(o),
			nipc_obj_time(o, NIPC_OBJ_TIME_OP), nipc_obj_time(o, NIPC_OBJ_TIME_CHANGE)});
		assert_int_equal(semctl(id, 0, GETPID), nipc_obj_last_pid(o));
		assert_int_equal(nipc_obj_attachments(o), -1);
		assert_int_equal(nipc_obj_pid_count(o), 0);
	} else {
		char path[4096];
		struct stat st;

		posix_file(k, NIPC_KIND_SEM, path, sizeof path);
		assert_int_equal(stat(path, &st), 0);
		assert_string_equal(nipc_obj_name(o), nipc_key_native(k));
		assert_int_equal(nipc_obj_id(o), -1);
		assert_int_equal(nipc_obj_time(o, NIPC_OBJ_TIME_MODIFY), (long long)st.st_mtime);
		assert_int_equal(nipc_obj_last_pid(o), -1);
		/* sem_open maps the file */
		assert_int_equal(nipc_obj_attachments(o), 1);
		assert_true(has_pid(o, getpid()));
	}
}

static void stat_semaphore(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *sem;
	nipc_obj *o;

	assert_int_equal(nipc_sem_new(&sem, k, 2, NIPC_SEM_CREATE), 0);
	assert_int_equal(nipc_sem_acquire(sem), 0);
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SEM), 0);
	check_semaphore(o, k);
	if (IS_SYSV) {
		assert_int_equal(nipc_obj_last_pid(o), (long)getpid());
		assert_true(nipc_obj_time(o, NIPC_OBJ_TIME_OP) > 0);
	}
	nipc_obj_free(o);
	/* no segment of that key */
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SHM), -NIPC_ENOTFOUND);
	nipc_sem_free(sem);
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SEM), -NIPC_ENOTFOUND);
	TL_KEY_GONE(k);
}

static void stat_bad_args(void **state)
{
	nipc_key *k = tl_key(NIPC_KEY_POSIX), *w, *e;
	nipc_obj *o = (nipc_obj *)1;
	long kt;

	(void)state;
	assert_int_equal(nipc_key_new(&w, NIPC_KEY_WINDOWS, "x"), 0);
	assert_int_equal(nipc_key_new(&e, NIPC_KEY_POSIX, ""), 0);
	assert_int_equal(nipc_obj_stat(&o, NULL, NIPC_KIND_SHM), -NIPC_EINVAL);
	assert_null(o);
	assert_int_equal(nipc_obj_stat(NULL, k, NIPC_KIND_SHM), -NIPC_EINVAL);
	assert_int_equal(nipc_obj_stat(&o, k, (nipc_kind)7), -NIPC_EINVAL);
	assert_int_equal(nipc_obj_stat(&o, w, NIPC_KIND_SHM), -NIPC_ENOTSUP);
	assert_int_equal(nipc_obj_stat(&o, e, NIPC_KIND_SHM), -NIPC_EKEY);
	assert_int_equal(nipc_obj_stat(&o, k, NIPC_KIND_SHM), -NIPC_ENOTFOUND);
	assert_int_equal(nipc_objlist_new(NULL, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_objlist_new((nipc_objlist **)&o, 0x102), -NIPC_EINVAL);
	assert_int_equal(nipc_objlist_new((nipc_objlist **)&o, NIPC_KEY_WINDOWS), -NIPC_ENOTSUP);
	assert_null(nipc_objlist_get(NULL, 0));
	assert_int_equal(nipc_objlist_count(NULL), 0);
	assert_int_equal(nipc_obj_id(NULL), -1);
	assert_int_equal(nipc_obj_sysv_key(&kt, NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_obj_time(NULL, NIPC_OBJ_TIME_CHANGE), 0);
	assert_int_equal(nipc_obj_pid(NULL, 0), -1);
	nipc_obj_free(NULL);
	nipc_objlist_free(NULL);
	nipc_key_free(w);
	nipc_key_free(e);
	nipc_key_free(k);
}

/* The objects of l that are k's of kind (one expected). */
static const nipc_obj *find(const nipc_objlist *l, const nipc_key *k, int kind, int *n)
{
	const nipc_obj *hit = NULL;
	long want = 0;
	long kt;

	*n = 0;
	if (nipc_key_type_is_systemv(nipc_key_type(k)))
		assert_int_equal(nipc_ftok(&want, nipc_key_native(k), nipc_key_type(k)), 0);
	for (size_t i = 0; i < nipc_objlist_count(l); i++) {
		const nipc_obj *o = nipc_objlist_get(l, i);

		if ((int)nipc_obj_kind(o) != kind)
			continue;
		if (nipc_key_type_is_systemv(nipc_key_type(k))
			    ? nipc_obj_sysv_key(&kt, o) == 0 && kt == (long)want
			    : nipc_obj_name(o) && !strcmp(nipc_obj_name(o), nipc_key_native(k))) {
			hit = o;
			++*n;
		}
	}
	return hit;
}

/* Every object of the backend, another user's and private ones too: ours
 * are there once each, with the fields stat gives. */
static void list_sees_all(void **state)
{
	nipc_key *k = tl_key(TYPE), *ks = tl_key(TYPE);
	nipc_objlist *l, *all;
	nipc_shm *shm;
	nipc_sem *sem;
	struct tl_proc c;
	int n, seen_private = 0;

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 300, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_sem_new(&sem, ks, 0, NIPC_SEM_CREATE), 0);
	TL_OBJHELPER_OK(&c, k, "attach ro");
	if (IS_SYSV) {
		assert_true((private_shm = shmget(IPC_PRIVATE, 100, 0600)) >= 0);
		tl_ledger_shmid(private_shm);
	}

	assert_int_equal(nipc_objlist_new(&l, TYPE), 0);
	check_segment(find(l, k, NIPC_KIND_SHM, &n), k, 300, getpid(), c.pid);
	assert_int_equal(n, 1);
	check_semaphore(find(l, ks, NIPC_KIND_SEM, &n), ks);
	assert_int_equal(n, 1);
	/* the segment's lock, made by create */
	assert_non_null(find(l, k, NIPC_KIND_SEM, &n));
	assert_int_equal(n, 1);
	for (size_t i = 0; i < nipc_objlist_count(l); i++) {
		const nipc_obj *o = nipc_objlist_get(l, i);

		assert_string_equal(nipc_obj_backend(o), IS_SYSV ? "systemv" : "posix");
		if (IS_SYSV && nipc_obj_id(o) == private_shm) {
			long kt;

			assert_int_equal(nipc_obj_sysv_key(&kt, o), 0);
			assert_int_equal(kt, 0);
			assert_int_equal(nipc_obj_size(o), 100);
			assert_int_equal(nipc_obj_attachments(o), 0);
			seen_private = 1;
		}
	}
	assert_true(seen_private == IS_SYSV);
	assert_null(nipc_objlist_get(l, nipc_objlist_count(l)));

	/* type 0: both backends, ours among them */
	assert_int_equal(nipc_objlist_new(&all, 0), 0);
	assert_non_null(find(all, k, NIPC_KIND_SHM, &n));
	assert_int_equal(n, 1);
	nipc_objlist_free(all);
	nipc_objlist_free(l);

	if (private_shm >= 0)
		shmctl(private_shm, IPC_RMID, NULL);
	private_shm = -1;
	tl_end(&c, "exit");
	nipc_sem_free(sem);
	nipc_shm_free(shm);
	assert_false(TL_LEFTOVER(k));
	assert_false(TL_LEFTOVER(ks));
	nipc_key_free(k);
	nipc_key_free(ks);
}

/* With "list" as argument, the test program lists every object and exits:
 * what list_one_pass runs under strace. */
static int list_and_exit(void)
{
	nipc_objlist *l;

	if (nipc_objlist_new(&l, 0) < 0)
		return 1;
	nipc_objlist_free(l);
	return 0;
}

/* One pass over /proc per call: listing many objects, some mapped here and
 * by a child, opens each process's maps at most once. */
static void list_one_pass(void **state)
{
	char log[4096], cmd[8192], line[4096];
	nipc_key *k[4];
	nipc_shm *shm[4];
	struct tl_proc c;
	FILE *f;
	int opens = 0, status;

	(void)state;
	if (system("strace -V >/dev/null 2>&1") != 0)
		skip();
	for (int i = 0; i < 4; i++) {
		k[i] = tl_key(i % 2 ? NIPC_KEY_POSIX : NIPC_KEY_SYSTEMV);
		assert_int_equal(nipc_shm_new(&shm[i], k[i]), 0);
		assert_int_equal(nipc_shm_create(shm[i], 100, NIPC_SHM_READWRITE), 0);
	}
	assert_int_equal(TL_OBJHELPER(&c, k[1]), 0);
	assert_true(tl_cmd_ok(&c, "attach rw"));
	snprintf(log, sizeof log, "%s", tl_new_path("strace.log"));
	/* LeakSanitizer cannot run under ptrace */
	snprintf(cmd, sizeof cmd,
		 "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
		 "strace -f -qq -e trace=openat,open -o %s /proc/%d/exe list", log, (int)getpid());
	status = system(cmd);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(f = fopen(log, "re"));
	/* each "/proc/PID/maps" once; sorted list of those seen */
	char seen[4096][24];
	int n = 0;

	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, "\"/proc/"), *q;

		/* by PID: the sanitizers read /proc/self/maps themselves */
		if (!p || !isdigit((unsigned char)p[7]) || !(q = strstr(p, "/maps\"")) || q - p > 20)
			continue;
		*q = '\0';
		for (int i = 0; i < n; i++)
			if (!strcmp(seen[i], p + 1))
				fail_msg("%s/maps opened twice", p + 1);
		if (n < 4096)
			snprintf(seen[n++], sizeof seen[0], "%s", p + 1);
		opens++;
	}
	fclose(f);
	unlink(log);
	assert_true(opens >= 2); /* ours and the child's at least */
	tl_end(&c, "exit");
	for (int i = 0; i < 4; i++) {
		nipc_shm_free(shm[i]);
		TL_KEY_GONE(k[i]);
	}
}

#define BOTH(f) cmocka_unit_test_prestate(f, &SYSV), cmocka_unit_test_prestate(f, &POSIX)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_sysv_forbidden),
		cmocka_unit_test(probe_makes_nothing),
		BOTH(stat_segment),
		BOTH(stat_semaphore),
		cmocka_unit_test(stat_bad_args),
		BOTH(list_sees_all),
		cmocka_unit_test(list_one_pass),
	};

	if (argc > 1 && !strcmp(argv[1], "list"))
		return list_and_exit();

	alarm(300); /* a deadlock fails the run instead of hanging it */
	return TL_MAIN("stat", tests, NULL, NULL);
}
