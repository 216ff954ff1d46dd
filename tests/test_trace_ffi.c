/* SPDX-License-Identifier: MIT */
/* Transparency of the shim: every interposed function, called through the
 * shim's exported symbol (dlopen + dlsym) and directly from libc (dlvsym
 * with the symbol version), both via libffi's ffi_call, with success and
 * failure argument sets (bad pointers the kernel rejects, closed
 * descriptors, invalid flags), must give the same result and errno and the
 * same side effects. Calls that create or change objects run on twins: one
 * object for the shim's call, an identical one for libc's. Tracing is on
 * (JSON to a scratch file) so the event path runs too. */
#include "config.h"

#include "tlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ffi.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERRNO_SENTINEL 12345
#define MAX_ARGS 6

enum ret_kind { R_INT, R_PTR };

/* How two results must agree: exactly, or (for descriptors, ids and
 * addresses, which differ between twins) both failing the same way or
 * both succeeding. */
enum cmp { SAME, HANDLE };

struct fn {
	const char *name, *version;
	enum ret_kind ret;
	int nfixed, nargs;
	ffi_type *types[MAX_ARGS];
	ffi_cif cif;
	void *shim[2], *real;
};

#define P &ffi_type_pointer
#define I &ffi_type_sint
#define U &ffi_type_uint
#define Z &ffi_type_uint64
#define O &ffi_type_sint64

#define F(n, v, r, nf, na, ...) \
	{.name = n, .version = v, .ret = r, .nfixed = nf, .nargs = na, .types = {__VA_ARGS__}}

static struct fn fns[] = {
	F("shm_open", "GLIBC_2.34", R_INT, 3, 3, P, I, U),
	F("shm_unlink", "GLIBC_2.34", R_INT, 1, 1, P),
	F("sem_open", "GLIBC_2.34", R_PTR, 2, 4, P, I, U, U),
	F("sem_close", "GLIBC_2.34", R_INT, 1, 1, P),
	F("sem_unlink", "GLIBC_2.34", R_INT, 1, 1, P),
	F("sem_wait", "GLIBC_2.34", R_INT, 1, 1, P),
	F("sem_trywait", "GLIBC_2.34", R_INT, 1, 1, P),
	F("sem_timedwait", "GLIBC_2.34", R_INT, 2, 2, P, P),
	F("sem_clockwait", "GLIBC_2.34", R_INT, 3, 3, P, I, P),
	F("sem_post", "GLIBC_2.34", R_INT, 1, 1, P),
	F("shmget", "GLIBC_2.2.5", R_INT, 3, 3, I, Z, I),
	F("shmat", "GLIBC_2.2.5", R_PTR, 3, 3, I, P, I),
	F("shmdt", "GLIBC_2.2.5", R_INT, 1, 1, P),
	F("shmctl", "GLIBC_2.2.5", R_INT, 3, 3, I, I, P),
	F("semget", "GLIBC_2.2.5", R_INT, 3, 3, I, I, I),
	F("semop", "GLIBC_2.2.5", R_INT, 3, 3, I, P, Z),
	F("semtimedop", "GLIBC_2.3.3", R_INT, 4, 4, I, P, Z, P),
	F("semctl", "GLIBC_2.2.5", R_INT, 3, 4, I, I, I, P),
	F("ftok", "GLIBC_2.2.5", R_INT, 2, 2, P, I),
	F("ftruncate", "GLIBC_2.2.5", R_INT, 2, 2, I, O),
	F("ftruncate64", "GLIBC_2.2.5", R_INT, 2, 2, I, O),
	F("mmap", "GLIBC_2.2.5", R_PTR, 6, 6, P, Z, I, I, I, O),
	F("mmap64", "GLIBC_2.2.5", R_PTR, 6, 6, P, Z, I, I, I, O),
	F("munmap", "GLIBC_2.2.5", R_INT, 2, 2, P, Z),
	F("close", "GLIBC_2.2.5", R_INT, 1, 1, I),
};

/* Older versions of the same symbols: they must be the very same code, so
 * comparing with the newer version covers callers bound to either. */
static const struct {
	const char *name, *old, *cur;
} twins_versions[] = {
	{"shm_open", "GLIBC_2.2.5", "GLIBC_2.34"}, {"shm_unlink", "GLIBC_2.2.5", "GLIBC_2.34"},
	{"sem_open", "GLIBC_2.2.5", "GLIBC_2.34"}, {"sem_close", "GLIBC_2.2.5", "GLIBC_2.34"},
	{"sem_unlink", "GLIBC_2.2.5", "GLIBC_2.34"}, {"sem_wait", "GLIBC_2.2.5", "GLIBC_2.34"},
	{"sem_trywait", "GLIBC_2.2.5", "GLIBC_2.34"}, {"sem_post", "GLIBC_2.2.5", "GLIBC_2.34"},
	{"sem_timedwait", "GLIBC_2.2.5", "GLIBC_2.34"}, {"sem_clockwait", "GLIBC_2.30", "GLIBC_2.34"},
};

/* Two instances of the shim: [0] traces every call (JSON to a scratch
 * file), [1] is a copy loaded with tracing off (the pass-through path). */
enum { TRACING, PASS_THROUGH };
static void *shim_handle[2], *libc_handle;
static int inst;
static const char *const inst_name[] = {"tracing", "pass-through"};
static int counter;
static char trace_file[PATH_MAX];


static struct fn *find_fn(const char *name)
{
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (!strcmp(fns[i].name, name))
			return &fns[i];
	fail_msg("no function %s in the table", name);
	return NULL;
}

/* A unique name for side a or b, in the ledger (64 live results). */
static const char *new_name(char side)
{
	static char names[64][64];
	char *b = names[counter++ % 64];

	snprintf(b, 64, "%s%c", tl_unique_name(), side);
	tl_ledger_posix(b);
	return b;
}

static int track_sysv(int id, int kind)
{
	if (id >= 0 && kind == 'm')
		tl_ledger_shmid(id);
	else if (id >= 0)
		tl_ledger_semid(id);
	return id;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return close(out) || n < 0 ? -1 : 0;
}

static int setup(void **state)
{
	char shim[PATH_MAX], copy[PATH_MAX];

	(void)state;
	snprintf(shim, sizeof shim, "%s/shim/.libs/libnipc-preload.so", tl_builddir());
	snprintf(trace_file, sizeof trace_file, "%s/ffi-trace.jsonl", tl_scratch());
	/* The shim reads its configuration once, when it is loaded; a copy
	 * under another name is a second instance with its own. */
	setenv("NIPC_TRACE", "1", 1);
	setenv("NIPC_TRACE_FORMAT", "json", 1);
	setenv("NIPC_TRACE_FILE", trace_file, 1);
	shim_handle[TRACING] = dlopen(shim, RTLD_NOW | RTLD_LOCAL);
	unsetenv("NIPC_TRACE");
	unsetenv("NIPC_TRACE_FORMAT");
	unsetenv("NIPC_TRACE_FILE");
	snprintf(copy, sizeof copy, "%s/pass-through.so", tl_scratch());
	if (copy_file(shim, copy))
		return -1;
	shim_handle[PASS_THROUGH] = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
	if (!shim_handle[TRACING] || !shim_handle[PASS_THROUGH]) {
		fprintf(stderr, "dlopen %s: %s\n", shim, dlerror());
		return -1;
	}
	libc_handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!libc_handle)
		return -1;
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		struct fn *f = &fns[i];
		ffi_type *rt = f->ret == R_PTR ? &ffi_type_pointer : &ffi_type_sint;
		ffi_status st = f->nfixed == f->nargs
			? ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)f->nargs, rt, f->types)
			: ffi_prep_cif_var(&f->cif, FFI_DEFAULT_ABI, (unsigned)f->nfixed,
					   (unsigned)f->nargs, rt, f->types);

		f->shim[TRACING] = dlsym(shim_handle[TRACING], f->name);
		f->shim[PASS_THROUGH] = dlsym(shim_handle[PASS_THROUGH], f->name);
		f->real = dlvsym(libc_handle, f->name, f->version);
		if (st != FFI_OK || !f->shim[0] || !f->shim[1] || !f->real) {
			fprintf(stderr, "%s: shim %p %p, libc %s %p, ffi %d\n", f->name,
				f->shim[0], f->shim[1], f->version, f->real, (int)st);
			return -1;
		}
		if (f->shim[0] == f->real || f->shim[1] == f->real || f->shim[0] == f->shim[1]) {
			fprintf(stderr, "%s: not two instances of the shim's own definition\n", f->name);
			return -1;
		}
	}
	return 0;
}

struct result {
	long ret;     /* int result, or the pointer as an integer */
	int err;
};

/* Calls f (shim's or libc's) with args converted to the declared types. */
static struct result call(const struct fn *f, int via_shim, const long *args)
{
	union {
		int i;
		unsigned u;
		uint64_t z;
		int64_t o;
		void *p;
	} slot[MAX_ARGS];
	void *values[MAX_ARGS];
	union {
		ffi_arg i;
		void *p;
	} rv;
	struct result r;

	for (int i = 0; i < f->nargs; i++) {
		if (f->types[i] == &ffi_type_pointer)
			slot[i].p = (void *)args[i];
		else if (f->types[i] == &ffi_type_sint)
			slot[i].i = (int)args[i];
		else if (f->types[i] == &ffi_type_uint)
			slot[i].u = (unsigned)args[i];
		else if (f->types[i] == &ffi_type_uint64)
			slot[i].z = (uint64_t)args[i];
		else
			slot[i].o = (int64_t)args[i];
		values[i] = &slot[i];
	}
	errno = ERRNO_SENTINEL;
	ffi_call((ffi_cif *)&f->cif, FFI_FN(via_shim ? f->shim[inst] : f->real), &rv, values);
	r.err = errno;
	r.ret = f->ret == R_PTR ? (long)rv.p : (long)(int)rv.i;
	return r;
}

static int failed(const struct fn *f, long ret)
{
	if (f->ret == R_INT)
		return ret == -1;
	/* SEM_FAILED and MAP_FAILED are NULL and (void *)-1; shmat gives -1. */
	return ret == 0 || ret == -1;
}

/* Calls name with a (shim) and b (libc), asserts they agree; returns the
 * shim's result (the libc one in *rb). */
static long same(const char *name, enum cmp how, const long *a, const long *b, long *rb)
{
	const struct fn *f = find_fn(name);
	struct result x = call(f, 1, a), y = call(f, 0, b);

	if (rb)
		*rb = y.ret;
	if (how == SAME || failed(f, x.ret) || failed(f, y.ret)) {
		if (x.ret != y.ret)
			fail_msg("[%s] %s: shim returned %ld, libc %ld (errno %d / %d)",
				 inst_name[inst], name, x.ret, y.ret, x.err, y.err);
	}
	if (x.err != y.err)
		fail_msg("[%s] %s: shim errno %d (%s), libc errno %d (%s)", inst_name[inst], name,
			 x.err, strerror(x.err), y.err, strerror(y.err));
	return x.ret;
}

/* For arguments libc hands to the kernel unread (bad pointers: EFAULT):
 * the shim's call runs in a child, so a shim that dereferences them fails
 * this test with a message instead of taking the test program down. */
static void same_forked(const char *name, const long *args)
{
	const struct fn *f = find_fn(name);
	struct result x, y = call(f, 0, args);
	int p[2], st;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka's handlers would carry on with the next test in here. */
		static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			signal(sigs[i], SIG_DFL);
		x = call(f, 1, args);
		_exit(write(p[1], &x, sizeof x) == (ssize_t)sizeof x ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &x, sizeof x) != (ssize_t)sizeof x) {
		waitpid(pid, &st, 0);
		close(p[0]);
		fail_msg("[%s] %s via the shim %s %d where libc returns %ld (%s)", inst_name[inst], name,
			 WIFSIGNALED(st) ? "crashed with signal" : "exited with",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), y.ret, strerror(y.err));
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	if (x.ret != y.ret || x.err != y.err)
		fail_msg("[%s] %s: shim returned %ld errno %d, libc %ld errno %d", inst_name[inst],
			 name, x.ret, x.err, y.ret, y.err);
}

/* For calls with no side effects: the same arguments on both sides. */
static long same1(const char *name, enum cmp how, const long *args)
{
	return same(name, how, args, args, NULL);
}

#define A(...) ((const long[]){__VA_ARGS__})

static void test_versions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof twins_versions / sizeof twins_versions[0]; i++) {
		void *o = dlvsym(libc_handle, twins_versions[i].name, twins_versions[i].old);
		void *c = dlvsym(libc_handle, twins_versions[i].name, twins_versions[i].cur);

		assert_non_null(o);
		assert_ptr_equal(o, c);
	}
}

static void fstat_same(int fa, int fb)
{
	struct stat sa, sb;

	assert_int_equal(fstat(fa, &sa), 0);
	assert_int_equal(fstat(fb, &sb), 0);
	assert_int_equal(sa.st_mode, sb.st_mode);
	assert_int_equal(sa.st_size, sb.st_size);
}

static void run_posix_shm(void)
{
	const char *na = new_name('a'), *nb = new_name('b');
	char longname[NAME_MAX + 8];
	long fa, fb, ma, mb;

	/* Creation on twins, then the same create again (EEXIST). */
	fa = same("shm_open", HANDLE, A((long)na, O_RDWR | O_CREAT | O_EXCL, 0640),
		  A((long)nb, O_RDWR | O_CREAT | O_EXCL, 0640), &fb);
	assert_true(fa >= 0 && fb >= 0);
	fstat_same((int)fa, (int)fb);
	same("shm_open", SAME, A((long)na, O_RDWR | O_CREAT | O_EXCL, 0600),
	     A((long)nb, O_RDWR | O_CREAT | O_EXCL, 0600), NULL);
	/* Bad names and flags. */
	memset(longname, 'x', sizeof longname - 1);
	longname[0] = '/';
	longname[sizeof longname - 1] = '\0';
	same1("shm_open", SAME, A((long)longname, O_RDWR | O_CREAT, 0600));
	same1("shm_open", SAME, A((long)"/nipc-test-no/such", O_RDWR, 0));
	same1("shm_open", SAME, A((long)"", O_RDWR, 0));
	same1("shm_open", SAME, A((long)"/", O_RDWR, 0));
	same1("shm_open", SAME, A((long)"/nipc-test-never-made", O_RDONLY, 0));
	/* ftruncate: the shm descriptors, a bad length, closed/invalid fds. */
	same("ftruncate", SAME, A(fa, 8192), A(fb, 8192), NULL);
	fstat_same((int)fa, (int)fb);
	same("ftruncate", SAME, A(fa, -1), A(fb, -1), NULL);
	same("ftruncate64", SAME, A(fa, 4096), A(fb, 4096), NULL);
	fstat_same((int)fa, (int)fb);
	same1("ftruncate", SAME, A(-1, 4096));
	same1("ftruncate", SAME, A(999999, 4096));
	/* mmap: both map, bad fd, bad flags, bad length. */
	ma = same("mmap", HANDLE, A(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0),
		  A(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0), &mb);
	assert_true(ma != -1 && mb != -1);
	((char *)ma)[0] = 'a';
	((char *)mb)[0] = 'a';
	same1("mmap", SAME, A(0, 4096, PROT_READ, MAP_SHARED, -1, 0));
	/* MAP_SYNC is refused on shared memory (no DAX): EOPNOTSUPP. */
	same("mmap", SAME, A(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fa, 0),
	     A(0, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fb, 0), NULL);
	same("mmap", SAME, A(0, 4096, PROT_READ, 0, fa, 0), A(0, 4096, PROT_READ, 0, fb, 0), NULL);
	same("mmap", SAME, A(0, 0, PROT_READ, MAP_SHARED, fa, 0),
	     A(0, 0, PROT_READ, MAP_SHARED, fb, 0), NULL);
	same("mmap", SAME, A(0, 4096, PROT_READ, MAP_SHARED, fa, 1),
	     A(0, 4096, PROT_READ, MAP_SHARED, fb, 1), NULL);
	/* munmap: the two mappings, then an unaligned address. */
	same("munmap", SAME, A(ma, 4096), A(mb, 4096), NULL);
	same1("munmap", SAME, A(1, 4096));
	same1("munmap", SAME, A(0, 0));
	ma = same("mmap64", HANDLE, A(0, 4096, PROT_READ, MAP_SHARED, fa, 0),
		  A(0, 4096, PROT_READ, MAP_SHARED, fb, 0), &mb);
	same("munmap", SAME, A(ma, 4096), A(mb, 4096), NULL);
	/* close: the descriptors, then again (EBADF), then -1. */
	same("close", SAME, A(fa), A(fb), NULL);
	same("close", SAME, A(fa), A(fb), NULL);
	same1("close", SAME, A(-1));
	/* shm_unlink: both, again (ENOENT), bad names. */
	same("shm_unlink", SAME, A((long)na), A((long)nb), NULL);
	same("shm_unlink", SAME, A((long)na), A((long)nb), NULL);
	same1("shm_unlink", SAME, A((long)""));
	same1("shm_unlink", SAME, A((long)longname));
}

static int sem_value(long s)
{
	int v = -1;

	assert_int_equal(sem_getvalue((sem_t *)s, &v), 0);
	return v;
}

static void run_posix_sem(void)
{
	const char *na = new_name('a'), *nb = new_name('b');
	struct timespec past = {0, 0}, bad = {0, 2000000000L}, soon;
	long sa, sb;

	sa = same("sem_open", HANDLE, A((long)na, O_CREAT | O_EXCL, 0600, 1),
		  A((long)nb, O_CREAT | O_EXCL, 0600, 1), &sb);
	assert_true(sa != 0 && sb != 0);
	same("sem_open", SAME, A((long)na, O_CREAT | O_EXCL, 0600, 1),
	     A((long)nb, O_CREAT | O_EXCL, 0600, 1), NULL);
	same1("sem_open", SAME, A((long)"/nipc-test-never-made", 0, 0, 0));
	same1("sem_open", SAME, A((long)"/nipc-test-bad-value", O_CREAT | O_EXCL, 0600,
				  (long)SEM_VALUE_MAX + 1));
	same1("sem_open", SAME, A((long)"", 0, 0, 0));
	/* Waits and posts on the twins, values compared after each. */
	same("sem_trywait", SAME, A(sa), A(sb), NULL);
	assert_int_equal(sem_value(sa), sem_value(sb));
	same("sem_trywait", SAME, A(sa), A(sb), NULL);
	same("sem_timedwait", SAME, A(sa, (long)&past), A(sb, (long)&past), NULL);
	same("sem_timedwait", SAME, A(sa, (long)&bad), A(sb, (long)&bad), NULL);
	same("sem_clockwait", SAME, A(sa, CLOCK_MONOTONIC, (long)&past),
	     A(sb, CLOCK_MONOTONIC, (long)&past), NULL);
	same("sem_clockwait", SAME, A(sa, CLOCK_PROCESS_CPUTIME_ID, (long)&past),
	     A(sb, CLOCK_PROCESS_CPUTIME_ID, (long)&past), NULL);
	same("sem_post", SAME, A(sa), A(sb), NULL);
	same("sem_post", SAME, A(sa), A(sb), NULL);
	assert_int_equal(sem_value(sa), 2);
	assert_int_equal(sem_value(sb), 2);
	same("sem_wait", SAME, A(sa), A(sb), NULL);
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_sec += 5;
	same("sem_timedwait", SAME, A(sa, (long)&soon), A(sb, (long)&soon), NULL);
	clock_gettime(CLOCK_MONOTONIC, &soon);
	soon.tv_sec += 5;
	same("sem_post", SAME, A(sa), A(sb), NULL);
	same("sem_clockwait", SAME, A(sa, CLOCK_MONOTONIC, (long)&soon),
	     A(sb, CLOCK_MONOTONIC, (long)&soon), NULL);
	assert_int_equal(sem_value(sa), sem_value(sb));
	same("sem_unlink", SAME, A((long)na), A((long)nb), NULL);
	same("sem_unlink", SAME, A((long)na), A((long)nb), NULL);
	same1("sem_unlink", SAME, A((long)""));
	same("sem_close", SAME, A(sa), A(sb), NULL);

	/* A semaphore at SEM_VALUE_MAX: sem_post overflows. */
	na = new_name('a');
	nb = new_name('b');
	sa = same("sem_open", HANDLE, A((long)na, O_CREAT | O_EXCL, 0600, SEM_VALUE_MAX),
		  A((long)nb, O_CREAT | O_EXCL, 0600, SEM_VALUE_MAX), &sb);
	same("sem_post", SAME, A(sa), A(sb), NULL);
	/* Re-open without O_CREAT: the mode and value are not read. */
	long ra, rb;
	ra = same("sem_open", HANDLE, A((long)na, 0, 0, 0), A((long)nb, 0, 0, 0), &rb);
	assert_ptr_equal((void *)ra, (void *)sa);
	assert_ptr_equal((void *)rb, (void *)sb);
	same("sem_close", SAME, A(ra), A(rb), NULL);
	same("sem_close", SAME, A(sa), A(sb), NULL);
	same("sem_unlink", SAME, A((long)na), A((long)nb), NULL);
}

static void shm_stat_same(int a, int b)
{
	struct shmid_ds sa, sb;

	assert_int_equal(shmctl(a, IPC_STAT, &sa), 0);
	assert_int_equal(shmctl(b, IPC_STAT, &sb), 0);
	assert_int_equal(sa.shm_segsz, sb.shm_segsz);
	assert_int_equal(sa.shm_perm.mode, sb.shm_perm.mode);
	assert_int_equal(sa.shm_nattch, sb.shm_nattch);
}

static void run_sysv_shm(void)
{
	struct shmid_ds ds;
	long ia, ib, aa, ab;

	ia = track_sysv((int)same("shmget", HANDLE, A(IPC_PRIVATE, 4096, IPC_CREAT | 0640),
				  A(IPC_PRIVATE, 4096, IPC_CREAT | 0640), &ib), 'm');
	track_sysv((int)ib, 'm');
	assert_true(ia >= 0 && ib >= 0);
	shm_stat_same((int)ia, (int)ib);
	same1("shmget", SAME, A(IPC_PRIVATE, 0, IPC_CREAT | 0600));
	same1("shmget", SAME, A(0x7ffffff0, 4096, 0600));
	same1("shmget", SAME, A(IPC_PRIVATE, (long)1 << 62, IPC_CREAT | 0600));
	/* Attach twins; attach read-only; bad ids and flags. */
	aa = same("shmat", HANDLE, A(ia, 0, 0), A(ib, 0, 0), &ab);
	assert_true(aa != -1 && ab != -1);
	shm_stat_same((int)ia, (int)ib);
	same1("shmat", SAME, A(-1, 0, 0));
	same("shmat", SAME, A(ia, 1, 0), A(ib, 1, 0), NULL);
	same("shmdt", SAME, A(aa), A(ab), NULL);
	shm_stat_same((int)ia, (int)ib);
	same("shmdt", SAME, A(aa), A(ab), NULL);
	same1("shmdt", SAME, A(1));
	/* shmctl: IPC_STAT into a bad pointer (EFAULT), a bad command, bad id. */
	same("shmctl", SAME, A(ia, IPC_STAT, (long)&ds), A(ib, IPC_STAT, (long)&ds), NULL);
	same_forked("shmctl", A(ia, IPC_STAT, 1));
	same("shmctl", SAME, A(ia, 9999, (long)&ds), A(ib, 9999, (long)&ds), NULL);
	same1("shmctl", SAME, A(-1, IPC_STAT, (long)&ds));
	same_forked("shmctl", A(0, IPC_INFO, 0));
	same_forked("shmctl", A(0, SHM_INFO, 1));
	same("shmctl", SAME, A(ia, IPC_RMID, 0), A(ib, IPC_RMID, 0), NULL);
	same("shmctl", SAME, A(ia, IPC_RMID, 0), A(ib, IPC_RMID, 0), NULL);
}

static int semval(int id)
{
	return semctl(id, 0, GETVAL);
}

static void run_sysv_sem(void)
{
	struct sembuf down = {0, -1, IPC_NOWAIT}, up = {0, 1, SEM_UNDO}, bad = {7, 1, 0};
	struct timespec zero = {0, 0}, badts = {0, -1};
	unsigned short vals[2];
	struct semid_ds ds;
	long ia, ib;

	ia = track_sysv((int)same("semget", HANDLE, A(IPC_PRIVATE, 2, IPC_CREAT | 0600),
				  A(IPC_PRIVATE, 2, IPC_CREAT | 0600), &ib), 's');
	track_sysv((int)ib, 's');
	assert_true(ia >= 0 && ib >= 0);
	same1("semget", SAME, A(IPC_PRIVATE, -1, IPC_CREAT | 0600));
	same1("semget", SAME, A(0x7ffffff1, 1, 0600));
	/* semctl with and without the fourth argument. */
	same("semctl", SAME, A(ia, 0, SETVAL, 3), A(ib, 0, SETVAL, 3), NULL);
	same("semctl", SAME, A(ia, 0, GETVAL, 0), A(ib, 0, GETVAL, 0), NULL);
	same("semctl", SAME, A(ia, 0, GETALL, (long)vals), A(ib, 0, GETALL, (long)vals), NULL);
	same("semctl", SAME, A(ia, 0, IPC_STAT, (long)&ds), A(ib, 0, IPC_STAT, (long)&ds), NULL);
	same_forked("semctl", A(ia, 0, IPC_STAT, 1));
	same("semctl", SAME, A(ia, 0, 9999, 0), A(ib, 0, 9999, 0), NULL);
	same("semctl", SAME, A(ia, 5, GETVAL, 0), A(ib, 5, GETVAL, 0), NULL);
	same1("semctl", SAME, A(-1, 0, GETVAL, 0));
	same("semctl", SAME, A(ia, -1, GETVAL, 0), A(ib, -1, GETVAL, 0), NULL);
	same_forked("semctl", A(0, 0, IPC_INFO, 0));
	same_forked("semctl", A(ia, 0, GETALL, 1));
	same_forked("semctl", A(ia, 0, SETALL, 1));
	/* semop: take, give with SEM_UNDO, bad sem number, EAGAIN, EFAULT. */
	same("semop", SAME, A(ia, (long)&down, 1), A(ib, (long)&down, 1), NULL);
	same("semop", SAME, A(ia, (long)&up, 1), A(ib, (long)&up, 1), NULL);
	assert_int_equal(semval((int)ia), semval((int)ib));
	same("semop", SAME, A(ia, (long)&bad, 1), A(ib, (long)&bad, 1), NULL);
	same_forked("semop", A(ia, 1, 1));
	same_forked("semop", A(ia, 1, 0));
	same("semop", SAME, A(ia, (long)&down, 0), A(ib, (long)&down, 0), NULL);
	same("semctl", SAME, A(ia, 0, SETVAL, 0), A(ib, 0, SETVAL, 0), NULL);
	same("semop", SAME, A(ia, (long)&down, 1), A(ib, (long)&down, 1), NULL);
	/* semtimedop: would block with a zero timeout (EAGAIN), bad timeout. */
	struct sembuf wait0 = {0, -1, 0};
	same("semtimedop", SAME, A(ia, (long)&wait0, 1, (long)&zero),
	     A(ib, (long)&wait0, 1, (long)&zero), NULL);
	same("semtimedop", SAME, A(ia, (long)&wait0, 1, (long)&badts),
	     A(ib, (long)&wait0, 1, (long)&badts), NULL);
	same_forked("semtimedop", A(ia, (long)&wait0, 1, 1));
	same_forked("semtimedop", A(ia, 1, 1, (long)&zero));
	same("semtimedop", SAME, A(ia, (long)&up, 1, 0), A(ib, (long)&up, 1, 0), NULL);
	assert_int_equal(semval((int)ia), semval((int)ib));
	same("semctl", SAME, A(ia, 0, IPC_RMID, 0), A(ib, 0, IPC_RMID, 0), NULL);
	same("semop", SAME, A(ia, (long)&up, 1), A(ib, (long)&up, 1), NULL);
	same("semctl", SAME, A(ia, 0, IPC_RMID, 0), A(ib, 0, IPC_RMID, 0), NULL);
}

static void run_ftok_and_plain_fds(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/ftok-file", tl_scratch());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	same1("ftok", SAME, A((long)path, 'Q'));
	same1("ftok", SAME, A((long)path, 0));
	same1("ftok", SAME, A((long)path, 255));
	same1("ftok", SAME, A((long)"/nonexistent/nipc-ftok", 'Q'));
	same_forked("ftok", A(0, 'Q'));
	same_forked("ftok", A(1, 'Q'));
	/* ftruncate/mmap/close on descriptors that are not shared memory. */
	same1("ftruncate", SAME, A(fd, 100));
	long m = same1("mmap", HANDLE, A(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	assert_int_equal(munmap((void *)m, 4096), 0);
	int fd2 = dup(fd);
	same("close", SAME, A(fd), A(fd2), NULL);
	assert_int_equal(unlink(path), 0);
}

/* The shim wrote one JSON event per call it traced. */
static void test_trace_written(void **state)
{
	struct tl_events e;

	(void)state;
	assert_int_equal(tl_events_load(&e, trace_file), 0);
	assert_true(e.n > 50);
	tl_events_free(&e);
}

/* test_NAME: run_NAME passed through, then traced. */
#define BOTH_INSTANCES(name)                                        \
	static void test_##name(void **state)                       \
	{                                                           \
		(void)state;                                        \
		for (inst = PASS_THROUGH; inst >= TRACING; inst--) \
			run_##name();                               \
	}

BOTH_INSTANCES(posix_shm)
BOTH_INSTANCES(posix_sem)
BOTH_INSTANCES(sysv_shm)
BOTH_INSTANCES(sysv_sem)
BOTH_INSTANCES(ftok_and_plain_fds)

TL_TESTS("trace_ffi", setup, NULL, test_versions, test_posix_shm, test_posix_sem, test_sysv_shm,
	 test_sysv_sem, test_ftok_and_plain_fds, test_trace_written)
