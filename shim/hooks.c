/* SPDX-License-Identifier: MIT */
/* The interposed libc functions: the only symbols the shim exports.
 *
 * Each hook tests the trace mask first and calls straight through when its
 * operation is not traced (or the thread is already inside the shim); the
 * traced path lives in a separate function so the untraced one keeps a
 * small frame. Names and ids are remembered (track.c) whenever tracing is
 * on at all, so that later events can name their objects. Waits and posts
 * are traced only on semaphores from sem_open unless the filter says
 * "unnamed": a process's own thread locks would drown its IPC. */
#include "config.h"

#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define COLD __attribute__((noinline, cold))

static inline unsigned mask(void)
{
	return __atomic_load_n(&shim_mask, __ATOMIC_RELAXED);
}

/* Untraced: the op is filtered out, or the shim itself is calling. */
#define QUIET(bits) (LIKELY(!(mask() & (bits))) || shim_busy)

/* The pass-through of the hot hooks: two predictable branches and a tail
 * jump, with no frame; everything else (tracing, resolving before the
 * constructor) is out of line. */
#define FAST(name, bits, ...) do { \
	__typeof__(shim_next.name) f_ = __atomic_load_n(&shim_next.name, __ATOMIC_RELAXED); \
	if (LIKELY(!(mask() & (bits)) && f_ != NULL)) \
		return f_(__VA_ARGS__); \
} while (0)

/* ------------------------------------------------------------ posix shm */

COLD static int t_shm_open(const char *name, int oflag, mode_t mode)
{
	struct shim_event e;
	unsigned m = mask();
	int r, err;

	shim_busy++;
	ev_begin(&e, OP_SHM_OPEN);
	r = REAL(shm_open)(name, oflag, mode);
	err = errno;
	if (r >= 0 && (m & FD_OPS))
		track_put(TK_FD, (uintptr_t)r, 0, name);
	if (m & OPBIT(SHM_OPEN)) {
		ev_str(&e, "name", name);
		ev_arg(&e, "oflag", A_OFLAG, oflag);
		ev_arg(&e, "mode", A_MODE, mode);
		ev_key_posix(&e, name);
		e.ret.i = r;
		ev_end(&e, r < 0, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

EXPORT int shm_open(const char *name, int oflag, mode_t mode)
{
	if (QUIET(OPBIT(SHM_OPEN) | FD_OPS))
		return REAL(shm_open)(name, oflag, mode);
	return t_shm_open(name, oflag, mode);
}

/* shm_unlink and sem_unlink: a POSIX name in, an int out. */
COLD static int t_unlink(enum shim_op op, int (*real)(const char *), const char *name)
{
	struct shim_event e;
	int r, err;

	shim_busy++;
	ev_begin(&e, op);
	r = real(name);
	err = errno;
	ev_str(&e, "name", name);
	ev_key_posix(&e, name);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

EXPORT int shm_unlink(const char *name)
{
	if (QUIET(OPBIT(SHM_UNLINK)))
		return REAL(shm_unlink)(name);
	return t_unlink(OP_SHM_UNLINK, REAL(shm_unlink), name);
}

/* ------------------------------------- descriptors that came from shm_open */

static int shm_fd_name(int fd, char *name)
{
	return track_fd_is_shm(fd) && track_get(TK_FD, (uintptr_t)fd, NULL, name);
}

COLD static int t_ftruncate(int fd, off64_t len, int is64)
{
	char name[SHIM_NAME_CAP];
	struct shim_event e;
	int r, err;

	if (!shm_fd_name(fd, name))
		return is64 ? REAL(ftruncate64)(fd, len) : REAL(ftruncate)(fd, (off_t)len);
	shim_busy++;
	ev_begin(&e, OP_FTRUNCATE);
	r = is64 ? REAL(ftruncate64)(fd, len) : REAL(ftruncate)(fd, (off_t)len);
	err = errno;
	ev_arg(&e, "fd", A_INT, fd);
	ev_arg(&e, "length", A_INT, len);
	ev_key_posix(&e, name);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

COLD static int ftruncate_slow(int fd, off_t len)
{
	if (QUIET(OPBIT(FTRUNCATE)))
		return REAL(ftruncate)(fd, len);
	return t_ftruncate(fd, len, 0);
}

EXPORT int ftruncate(int fd, off_t len)
{
	FAST(ftruncate, OPBIT(FTRUNCATE), fd, len);
	return ftruncate_slow(fd, len);
}

COLD static int ftruncate64_slow(int fd, off64_t len)
{
	if (QUIET(OPBIT(FTRUNCATE)))
		return REAL(ftruncate64)(fd, len);
	return t_ftruncate(fd, len, 1);
}

EXPORT int ftruncate64(int fd, off64_t len)
{
	FAST(ftruncate64, OPBIT(FTRUNCATE), fd, len);
	return ftruncate64_slow(fd, len);
}

COLD static void *t_mmap(void *addr, size_t len, int prot, int flags, int fd, off64_t off, int is64)
{
	char name[SHIM_NAME_CAP];
	struct shim_event e;
	void *r;
	int err;

	if (!shm_fd_name(fd, name))
		return is64 ? REAL(mmap64)(addr, len, prot, flags, fd, off)
			    : REAL(mmap)(addr, len, prot, flags, fd, (off_t)off);
	shim_busy++;
	ev_begin(&e, OP_MMAP);
	r = is64 ? REAL(mmap64)(addr, len, prot, flags, fd, off)
		 : REAL(mmap)(addr, len, prot, flags, fd, (off_t)off);
	err = errno;
	if (r != MAP_FAILED && (mask() & OPBIT(MUNMAP)))
		track_put(TK_MAP, (uintptr_t)r, len, name);
	if (!(mask() & OPBIT(MMAP))) {
		shim_busy--;
		errno = err;
		return r;
	}
	ev_ptr(&e, "addr", A_PTR, addr);
	ev_arg(&e, "length", A_SIZE, (long long)len);
	ev_arg(&e, "prot", A_PROT, prot);
	ev_arg(&e, "flags", A_MAPFLAGS, flags);
	ev_arg(&e, "fd", A_INT, fd);
	ev_arg(&e, "offset", A_INT, off);
	ev_key_posix(&e, name);
	e.rk = R_MAP;
	e.ret.p = r;
	ev_end(&e, r == MAP_FAILED, err);
	shim_busy--;
	return r;
}

COLD static void *mmap_slow(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (QUIET(OPBIT(MMAP) | OPBIT(MUNMAP)) || fd < 0)
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	return t_mmap(addr, len, prot, flags, fd, off, 0);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	FAST(mmap, OPBIT(MMAP) | OPBIT(MUNMAP), addr, len, prot, flags, fd, off);
	return mmap_slow(addr, len, prot, flags, fd, off);
}

COLD static void *mmap64_slow(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	if (QUIET(OPBIT(MMAP) | OPBIT(MUNMAP)) || fd < 0)
		return REAL(mmap64)(addr, len, prot, flags, fd, off);
	return t_mmap(addr, len, prot, flags, fd, off, 1);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	FAST(mmap64, OPBIT(MMAP) | OPBIT(MUNMAP), addr, len, prot, flags, fd, off);
	return mmap64_slow(addr, len, prot, flags, fd, off);
}

COLD static int t_munmap(void *addr, size_t len)
{
	char name[SHIM_NAME_CAP];
	struct shim_event e;
	int r, err;

	if (!track_get(TK_MAP, (uintptr_t)addr, NULL, name))
		return REAL(munmap)(addr, len);
	shim_busy++;
	ev_begin(&e, OP_MUNMAP);
	r = REAL(munmap)(addr, len);
	err = errno;
	if (r == 0)
		track_del(TK_MAP, (uintptr_t)addr);
	ev_ptr(&e, "addr", A_PTR, addr);
	ev_arg(&e, "length", A_SIZE, (long long)len);
	ev_key_posix(&e, name);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

COLD static int munmap_slow(void *addr, size_t len)
{
	if (QUIET(OPBIT(MUNMAP)))
		return REAL(munmap)(addr, len);
	return t_munmap(addr, len);
}

EXPORT int munmap(void *addr, size_t len)
{
	FAST(munmap, OPBIT(MUNMAP), addr, len);
	return munmap_slow(addr, len);
}

COLD static int t_close(int fd)
{
	char name[SHIM_NAME_CAP];
	struct shim_event e;
	int r, err;

	if (!track_get(TK_FD, (uintptr_t)fd, NULL, name))
		return REAL(close)(fd);
	/* Forget the descriptor before it can be reused by another thread. */
	track_del(TK_FD, (uintptr_t)fd);
	shim_busy++;
	ev_begin(&e, OP_CLOSE);
	r = REAL(close)(fd);
	err = errno;
	ev_arg(&e, "fd", A_INT, fd);
	ev_key_posix(&e, name);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

COLD static int close_slow(int fd)
{
	if (QUIET(OPBIT(CLOSE)) || !track_fd_is_shm(fd))
		return REAL(close)(fd);
	return t_close(fd);
}

EXPORT int close(int fd)
{
	FAST(close, OPBIT(CLOSE), fd);
	return close_slow(fd);
}

/* ----------------------------------------------------------- posix sem */

COLD static sem_t *t_sem_open(const char *name, int oflag, int creat, mode_t mode, unsigned value)
{
	struct shim_event e;
	sem_t *r;
	int err;

	shim_busy++;
	ev_begin(&e, OP_SEM_OPEN);
	r = creat ? REAL(sem_open)(name, oflag, mode, value) : REAL(sem_open)(name, oflag);
	err = errno;
	if (r != SEM_FAILED) {
		/* libc hands out the same sem_t for every open of one
		 * semaphore, to be closed as many times */
		uintptr_t opens = 0;

		track_get(TK_SEM, (uintptr_t)r, &opens, NULL);
		track_put(TK_SEM, (uintptr_t)r, opens + 1, name);
	}
	if (mask() & OPBIT(SEM_OPEN)) {
		ev_str(&e, "name", name);
		ev_arg(&e, "oflag", A_OFLAG, oflag);
		if (creat) {
			ev_arg(&e, "mode", A_MODE, mode);
			ev_arg(&e, "value", A_UINT, value);
		}
		ev_key_posix(&e, name);
		e.rk = R_SEM;
		e.ret.p = r;
		ev_end(&e, r == SEM_FAILED, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

#define SEM_OPS (OPBIT(SEM_OPEN) | OPBIT(SEM_CLOSE) | OPBIT(SEM_WAIT) | OPBIT(SEM_TRYWAIT) | \
		 OPBIT(SEM_TIMEDWAIT) | OPBIT(SEM_CLOCKWAIT) | OPBIT(SEM_POST))

/* mode and value are read only with O_CREAT, as libc does. */
EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
	mode_t mode = 0;
	unsigned value = 0;
	int creat = (oflag & O_CREAT) != 0;

	if (creat) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	if (QUIET(SEM_OPS))
		return creat ? REAL(sem_open)(name, oflag, mode, value) : REAL(sem_open)(name, oflag);
	return t_sem_open(name, oflag, creat, mode, value);
}

/* The name of a semaphore from sem_open; 0 if it is not one and unnamed
 * semaphores are not traced: then the call goes straight through. */
static int sem_traced(sem_t *sem, char *name)
{
	if (track_get(TK_SEM, (uintptr_t)sem, NULL, name))
		return 1;
	name[0] = 0;
	return shim_policy.unnamed;
}

/* sem_wait, sem_trywait, sem_post: one sem_t * argument. */
COLD static int t_sem1(enum shim_op op, int (*real)(sem_t *), sem_t *sem)
{
	struct shim_event e;
	char name[SHIM_NAME_CAP];
	int r, err;

	if (!sem_traced(sem, name))
		return real(sem);
	shim_busy++;
	ev_begin(&e, op);
	r = real(sem);
	err = errno;
	ev_ptr(&e, "sem", A_PTR, sem);
	if (name[0])
		ev_key_posix(&e, name);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

/* Traced whenever sem_open is, so that the table forgets closed
 * semaphores; an event for every semaphore (it takes only named ones, and
 * is never hot). */
COLD static int t_sem_close(sem_t *sem)
{
	struct shim_event e;
	char name[SHIM_NAME_CAP];
	uintptr_t opens = 0;
	int event = (mask() & OPBIT(SEM_CLOSE)) != 0, named, r, err;

	shim_busy++;
	named = track_get(TK_SEM, (uintptr_t)sem, &opens, name);
	if (event)
		ev_begin(&e, OP_SEM_CLOSE);
	r = REAL(sem_close)(sem);
	err = errno;
	if (r == 0 && named) {
		if (opens > 1)
			track_put(TK_SEM, (uintptr_t)sem, opens - 1, name);
		else
			track_del(TK_SEM, (uintptr_t)sem);
	}
	if (event) {
		ev_ptr(&e, "sem", A_PTR, sem);
		if (named)
			ev_key_posix(&e, name);
		e.ret.i = r;
		ev_end(&e, r < 0, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

EXPORT int sem_close(sem_t *sem)
{
	if (QUIET(SEM_OPS))
		return REAL(sem_close)(sem);
	return t_sem_close(sem);
}

static int sem_wait_slow(sem_t *sem);
static int sem_trywait_slow(sem_t *sem);
static int sem_post_slow(sem_t *sem);

/* The hottest calls jump through one pointer: the real function while
 * they are not traced, else (and before the constructor) the slow path. */
static struct {
	int (*sem_wait)(sem_t *);
	int (*sem_trywait)(sem_t *);
	int (*sem_post)(sem_t *);
} hot = {sem_wait_slow, sem_trywait_slow, sem_post_slow};

#define ARM(name, bit, slow) \
	__atomic_store_n(&hot.name, (m & OPBIT(bit)) || !shim_next.name ? slow : shim_next.name, \
			 __ATOMIC_RELAXED)

void shim_hooks_arm(void)
{
	unsigned m = mask();

	ARM(sem_wait, SEM_WAIT, sem_wait_slow);
	ARM(sem_trywait, SEM_TRYWAIT, sem_trywait_slow);
	ARM(sem_post, SEM_POST, sem_post_slow);
}

COLD static int sem_wait_slow(sem_t *sem)
{
	if (QUIET(OPBIT(SEM_WAIT)))
		return REAL(sem_wait)(sem);
	return t_sem1(OP_SEM_WAIT, REAL(sem_wait), sem);
}

EXPORT int sem_wait(sem_t *sem)
{
	return __atomic_load_n(&hot.sem_wait, __ATOMIC_RELAXED)(sem);
}

COLD static int sem_trywait_slow(sem_t *sem)
{
	if (QUIET(OPBIT(SEM_TRYWAIT)))
		return REAL(sem_trywait)(sem);
	return t_sem1(OP_SEM_TRYWAIT, REAL(sem_trywait), sem);
}

EXPORT int sem_trywait(sem_t *sem)
{
	return __atomic_load_n(&hot.sem_trywait, __ATOMIC_RELAXED)(sem);
}

COLD static int sem_post_slow(sem_t *sem)
{
	if (QUIET(OPBIT(SEM_POST)))
		return REAL(sem_post)(sem);
	return t_sem1(OP_SEM_POST, REAL(sem_post), sem);
}

EXPORT int sem_post(sem_t *sem)
{
	return __atomic_load_n(&hot.sem_post, __ATOMIC_RELAXED)(sem);
}

EXPORT int sem_unlink(const char *name)
{
	if (QUIET(OPBIT(SEM_UNLINK)))
		return REAL(sem_unlink)(name);
	return t_unlink(OP_SEM_UNLINK, REAL(sem_unlink), name);
}

/* sem_timedwait and sem_clockwait (clock < 0: no clock argument). */
COLD static int t_sem_timed(sem_t *sem, int clock, const struct timespec *abs)
{
	struct shim_event e;
	char name[SHIM_NAME_CAP];
	int r, err;

	if (!sem_traced(sem, name))
		return clock < 0 ? REAL(sem_timedwait)(sem, abs) : REAL(sem_clockwait)(sem, clock, abs);
	shim_busy++;
	ev_begin(&e, clock < 0 ? OP_SEM_TIMEDWAIT : OP_SEM_CLOCKWAIT);
	r = clock < 0 ? REAL(sem_timedwait)(sem, abs) : REAL(sem_clockwait)(sem, clock, abs);
	err = errno;
	ev_ptr(&e, "sem", A_PTR, sem);
	if (clock >= 0)
		ev_arg(&e, "clock", A_CLOCK, clock);
	ev_ptr(&e, "abstime", A_TS, abs);
	if (name[0])
		ev_key_posix(&e, name);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

EXPORT int sem_timedwait(sem_t *sem, const struct timespec *abs)
{
	if (QUIET(OPBIT(SEM_TIMEDWAIT)))
		return REAL(sem_timedwait)(sem, abs);
	return t_sem_timed(sem, -1, abs);
}

EXPORT int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abs)
{
	if (UNLIKELY(!REAL(sem_clockwait))) {
		errno = ENOSYS;
		return -1;
	}
	if (QUIET(OPBIT(SEM_CLOCKWAIT)) || clock < 0)
		return REAL(sem_clockwait)(sem, clock, abs);
	return t_sem_timed(sem, clock, abs);
}

/* ------------------------------------------------------------ System V shm */

/* Any tracing at all: keys and ids are remembered for later events. */
#define ANY ((1u << OP_COUNT) - 1)

COLD static int t_shmget(key_t key, size_t size, int flg)
{
	struct shim_event e;
	int r, err;

	shim_busy++;
	ev_begin(&e, OP_SHMGET);
	r = REAL(shmget)(key, size, flg);
	err = errno;
	if (r >= 0)
		track_id_put(0, r, key);
	if (mask() & OPBIT(SHMGET)) {
		ev_arg(&e, "key", A_KEYT, key);
		ev_arg(&e, "size", A_SIZE, (long long)size);
		ev_arg(&e, "shmflg", A_IPCFLG, flg);
		ev_key_sysv(&e, key);
		e.ret.i = r;
		ev_end(&e, r < 0, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

EXPORT int shmget(key_t key, size_t size, int flg)
{
	if (QUIET(ANY))
		return REAL(shmget)(key, size, flg);
	return t_shmget(key, size, flg);
}

COLD static void *t_shmat(int id, const void *addr, int flg)
{
	struct shim_event e;
	void *r;
	int err;

	shim_busy++;
	ev_begin(&e, OP_SHMAT);
	r = REAL(shmat)(id, addr, flg);
	err = errno;
	if (r != (void *)-1)
		track_put(TK_SHMAT, (uintptr_t)r, (uintptr_t)id, NULL);
	if (mask() & OPBIT(SHMAT)) {
		ev_arg(&e, "shmid", A_INT, id);
		ev_ptr(&e, "shmaddr", A_PTR, addr);
		ev_arg(&e, "shmflg", A_SHMATFLG, flg);
		ev_key_id(&e, 0, id);
		e.rk = R_SHMAT;
		e.ret.p = r;
		ev_end(&e, r == (void *)-1, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

EXPORT void *shmat(int id, const void *addr, int flg)
{
	if (QUIET(ANY))
		return REAL(shmat)(id, addr, flg);
	return t_shmat(id, addr, flg);
}

COLD static int t_shmdt(const void *addr)
{
	struct shim_event e;
	uintptr_t id;
	int r, err, known;

	shim_busy++;
	ev_begin(&e, OP_SHMDT);
	known = track_get(TK_SHMAT, (uintptr_t)addr, &id, NULL);
	r = REAL(shmdt)(addr);
	err = errno;
	if (r == 0 && known)
		track_del(TK_SHMAT, (uintptr_t)addr);
	ev_ptr(&e, "shmaddr", A_PTR, addr);
	if (known)
		ev_key_id(&e, 0, (int)id);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

EXPORT int shmdt(const void *addr)
{
	if (QUIET(OPBIT(SHMDT)))
		return REAL(shmdt)(addr);
	return t_shmdt(addr);
}

COLD static int t_shmctl(int id, int cmd, struct shmid_ds *buf)
{
	struct shim_event e;
	int r, err;

	shim_busy++;
	ev_begin(&e, OP_SHMCTL);
	r = REAL(shmctl)(id, cmd, buf);
	err = errno;
	ev_arg(&e, "shmid", A_INT, id);
	ev_arg(&e, "cmd", A_SHMCMD, cmd);
	ev_ptr(&e, "buf", A_PTR, buf);
	ev_key_id(&e, 0, id);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

EXPORT int shmctl(int id, int cmd, struct shmid_ds *buf)
{
	if (QUIET(OPBIT(SHMCTL)))
		return REAL(shmctl)(id, cmd, buf);
	return t_shmctl(id, cmd, buf);
}

/* ------------------------------------------------------------ System V sem */

COLD static int t_semget(key_t key, int nsems, int flg)
{
	struct shim_event e;
	int r, err;

	shim_busy++;
	ev_begin(&e, OP_SEMGET);
	r = REAL(semget)(key, nsems, flg);
	err = errno;
	if (r >= 0)
		track_id_put(1, r, key);
	if (mask() & OPBIT(SEMGET)) {
		ev_arg(&e, "key", A_KEYT, key);
		ev_arg(&e, "nsems", A_INT, nsems);
		ev_arg(&e, "semflg", A_IPCFLG, flg);
		ev_key_sysv(&e, key);
		e.ret.i = r;
		ev_end(&e, r < 0, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

EXPORT int semget(key_t key, int nsems, int flg)
{
	if (QUIET(ANY))
		return REAL(semget)(key, nsems, flg);
	return t_semget(key, nsems, flg);
}

/* semop and semtimedop (timed < 0: semop). glibc's semop reaches its own
 * semtimedop without the PLT; the guard would hide it anyway. */
COLD static int t_semop(int id, struct sembuf *sops, size_t n, int timed, const struct timespec *ts)
{
	struct shim_event e;
	int r, err;

	shim_busy++;
	ev_begin(&e, timed ? OP_SEMTIMEDOP : OP_SEMOP);
	r = timed ? REAL(semtimedop)(id, sops, n, ts) : REAL(semop)(id, sops, n);
	err = errno;
	ev_arg(&e, "semid", A_INT, id);
	ev_sops(&e, sops, n);
	ev_arg(&e, "nsops", A_SIZE, (long long)n);
	if (timed)
		ev_ptr(&e, "timeout", A_TS, ts);
	ev_key_id(&e, 1, id);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

EXPORT int semop(int id, struct sembuf *sops, size_t n)
{
	if (QUIET(OPBIT(SEMOP)))
		return REAL(semop)(id, sops, n);
	return t_semop(id, sops, n, 0, NULL);
}

EXPORT int semtimedop(int id, struct sembuf *sops, size_t n, const struct timespec *ts)
{
	if (QUIET(OPBIT(SEMTIMEDOP)))
		return REAL(semtimedop)(id, sops, n, ts);
	return t_semop(id, sops, n, 1, ts);
}

/* The commands whose fourth argument libc reads. */
static int semctl_has_arg(int cmd)
{
	switch (cmd & ~IPC_64) {
	case SETVAL: case GETALL: case SETALL: case IPC_STAT: case IPC_SET:
	case IPC_INFO: case SEM_INFO: case SEM_STAT: case SEM_STAT_ANY:
		return 1;
	default:
		return 0;
	}
}

COLD static int t_semctl(int id, int num, int cmd, int has, union nipc_semun arg)
{
	struct shim_event e;
	int r, err;

	shim_busy++;
	ev_begin(&e, OP_SEMCTL);
	r = has ? REAL(semctl)(id, num, cmd, arg) : REAL(semctl)(id, num, cmd);
	err = errno;
	ev_arg(&e, "semid", A_INT, id);
	ev_arg(&e, "semnum", A_INT, num);
	ev_arg(&e, "cmd", A_SEMCMD, cmd);
	if ((cmd & ~IPC_64) == SETVAL)
		ev_arg(&e, "val", A_INT, arg.val);
	else if (has)
		ev_ptr(&e, "arg", A_PTR, arg.buf);
	ev_key_id(&e, 1, id);
	e.ret.i = r;
	ev_end(&e, r < 0, err);
	shim_busy--;
	return r;
}

EXPORT int semctl(int id, int num, int cmd, ...)
{
	union nipc_semun arg = {0};
	int has = semctl_has_arg(cmd);

	if (has) {
		va_list ap;

		va_start(ap, cmd);
		arg = va_arg(ap, union nipc_semun);
		va_end(ap);
	}
	if (QUIET(OPBIT(SEMCTL)))
		return has ? REAL(semctl)(id, num, cmd, arg) : REAL(semctl)(id, num, cmd);
	return t_semctl(id, num, cmd, has, arg);
}

/* ------------------------------------------------------------------ ftok */

COLD static key_t t_ftok(const char *path, int id)
{
	struct shim_event e;
	key_t r;
	int err;

	shim_busy++;
	ev_begin(&e, OP_FTOK);
	r = REAL(ftok)(path, id);
	err = errno;
	if (r != -1 && (id & 0xff))
		track_put(TK_FTOK, (uint32_t)r, (uintptr_t)(id & 0xff), path);
	if (mask() & OPBIT(FTOK)) {
		ev_str(&e, "path", path);
		ev_arg(&e, "id", A_INT, id);
		if (r != -1)
			ev_key_ftok(&e, path, id);
		e.rk = R_KEYT;
		e.ret.i = r;
		ev_end(&e, r == -1, err);
	}
	shim_busy--;
	errno = err;
	return r;
}

EXPORT key_t ftok(const char *path, int id)
{
	if (QUIET(ANY))
		return REAL(ftok)(path, id);
	return t_ftok(path, id);
}
