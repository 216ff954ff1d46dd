/* SPDX-License-Identifier: MIT */
/* The interposed libc functions (the only symbols the shim exports), made
 * from the table in ops.def, and the one dispatcher they all go through.
 *
 * Every wrapper is a fast check, then the dispatcher. The fast check tests
 * the intercept mask and jumps to libc when the op is not intercepted (the
 * hottest calls jump through one pointer armed from that mask). An
 * intercepted call goes through dispatch_enter / dispatch_leave: name the
 * object (names known from earlier calls; an object the shim knows nothing
 * to do with goes straight through), decide, call through the call table
 * chosen for the object, record the object, and make an event when the
 * trace mask says so; a call that succeeded under nipc trace writes its
 * record from the hook itself (the lean path), the others through
 * dispatch_leave. Waits and posts are traced only on semaphores from
 * sem_open unless the filter says "unnamed": a process's own thread locks
 * would drown its IPC. */
#include "config.h"

#include "shim.h"
#include "emul_sysv.h"
#include "ring_write.h"
#include "nipc.h"
#include "keyfind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* The intercept mask on a cache line of its own: the fast path reads
 * nothing else. The trace mask is read only by intercepted calls. */
SHIM_HOT_DATA uint64_t shim_intercept __attribute__((aligned(64)));
SHIM_HOT_DATA uint64_t shim_trace __attribute__((aligned(64)));

#define NM_FD(nm) ((nm) == N_FD || (nm) == N_CLOSE || (nm) == N_FD_RANGE || (nm) == N_MMAP || \
		   (nm) == N_MUNMAP || (nm) == N_MREMAP)
#define NM_SEM(nm) ((nm) == N_SEM_OPEN || (nm) == N_SEM_CLOSE || (nm) == N_SEM)
#define NM_ID(nm) ((nm) == N_SHMID || (nm) == N_SEMID || (nm) == N_MSQID || (nm) == N_SHMAT)

const uint64_t shim_fd_ops = 0
#define X(fn, op, primary, fam, ver, path, rd, ret, proto, args, skip, nm, ...) \
	| (NM_FD(nm) ? OPBIT(op) : 0)
	SHIM_FNS(X)
#undef X
	;

const uint64_t shim_sem_ops = 0
#define X(fn, op, primary, fam, ver, path, rd, ret, proto, args, skip, nm, ...) \
	| (NM_SEM(nm) ? OPBIT(op) : 0)
	SHIM_FNS(X)
#undef X
	;

/* An op is intercepted when it is traced or names objects for a traced op. */
static uint64_t intercept_of(uint64_t trace)
{
	uint64_t m = 0;

#define X(fn, op, primary, fam, ver, path, rd, ret, proto, args, skip, nm, obj, aux, rk, feeds, ...) \
	if (trace & (OPBIT(op) | (feeds))) \
		m |= OPBIT(op);
	SHIM_FNS(X)
#undef X
	return m;
}

void shim_masks_set(uint64_t trace)
{
	__atomic_store_n(&shim_trace, trace, __ATOMIC_RELAXED);
	/* the emulation's ops are always intercepted while it is on */
	/* counting needs sem_open's names (and sem_clockwait, a FAST hook,
	 * goes through the dispatcher to be counted) */
	__atomic_store_n(&shim_intercept, intercept_of(trace | shim_emul_ops | shim_deny_ops | shim_ledger_ops) |
			 (shim_count_ops ? OPBIT(SEM_OPEN) | OPBIT(SEM_CLOSE) | OPBIT(SEM_CLOCKWAIT) : 0),
			 __ATOMIC_RELEASE);
	shim_hooks_arm();
}

static inline uint64_t intercept(void)
{
	return __atomic_load_n(&shim_intercept, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ dispatcher */

/* One intercepted call on its way through the dispatcher. */
struct shim_call {
	enum shim_op op;
	enum shim_nm nm;
	uintptr_t obj, aux;     /* the object's arguments (ops.def) */
	int event;              /* the trace mask wants an event */
	int known;              /* names.c knew the object */
	uintptr_t had;          /* what names.c had: sem_open count, shmat id */
	const struct shim_next *calls;
	size_t namelen;         /* name's length, or SHIM_LEN_UNKNOWN */
	size_t objlen;          /* an open's name: its length once measured (obj_len) */
	char name[SHIM_NAME_CAP];
	struct shim_event e;    /* the result is kept here even without an event */
};

/* names_get's answer for c->name: its length kept. */
SHIM_HOT_PRE static int named(struct shim_call *c, int got)
{
	c->namelen = got ? (size_t)got - 1 : 0;
	return got;
}

/* A name argument's (c->obj) length, measured once (cap SHIM_NAME_CAP:
 * a length there is not the name's); 0 for none. */
SHIM_HOT static inline size_t obj_len(struct shim_call *c)
{
	if (LIKELY(c->objlen == SHIM_LEN_UNKNOWN)) /* the first call is the usual one */
		c->objlen = LIKELY(c->obj != 0) ? shim_strnlen((const char *)c->obj, SHIM_NAME_CAP) : 0;
	return c->objlen;
}

SHIM_HOT_PRE static int fd_name(struct shim_call *c, int fd)
{
	return names_fd_is_shm(fd) ? named(c, names_get(NK_FD, (uintptr_t)fd, NULL, c->name)) : 0;
}

/* close's descriptor: its name, forgotten before another thread can get
 * the descriptor again; or one of the shim's own (guard.c). 0: neither. */
static inline __attribute__((always_inline)) int close_name(struct shim_call *c)
{
	return named(c, names_fd_take((int)c->obj, c->name)) ||
	       (UNLIKELY(shim_ledger_ops) && shim_guard_is((int)c->obj));
}

/* Before the call: what the shim knows of the object. 0: nothing to do with
 * it, the call goes straight through. */
SHIM_HOT_PRE static int name_before(struct shim_call *c)
{
	switch (c->nm) {
	case N_FD:
	case N_MMAP:
		return fd_name(c, (int)c->obj);
	/* N_CLOSE: named by enter(), in close's page */
	case N_FD_RANGE:
		/* A vfork child (Python's subprocess closes its descriptors so)
		 * must not make its parent forget its own. Otherwise forgotten
		 * before the call, as by N_CLOSE. */
		if (event_in_vfork_child())
			return 0;
		c->namelen = SHIM_LEN_UNKNOWN;
		return (names_fd_del_range((unsigned)c->obj, (unsigned)c->aux, c->name) > 0) |
		       (UNLIKELY(shim_ledger_ops) && shim_guard_in((unsigned)c->obj, (unsigned)c->aux));
	case N_MUNMAP:
	case N_MREMAP:
		if (named(c, names_get(NK_MAP, c->obj, &c->had, c->name)))
			return 1;
		/* maybe an emulated attachment: for the emulation (which
		 * passes the others on), without an event */
		return shim_emul_ops && c->obj < __atomic_load_n(&emul_map_hi, __ATOMIC_RELAXED) &&
		       c->obj + (c->aux ? c->aux : 1) > __atomic_load_n(&emul_map_lo, __ATOMIC_RELAXED);
	case N_SEM:
		if (named(c, names_get(NK_SEM, c->obj, NULL, c->name)))
			return 1;
		c->name[0] = 0;
		return shim_policy.unnamed;
	case N_SEM_CLOSE:
		c->known = named(c, names_get(NK_SEM, c->obj, &c->had, c->name));
		return 1;
	case N_SHMDT:
		c->known = names_get(NK_SHMAT, c->obj, &c->had, NULL);
		return 1;
	case N_MQD:
		c->known = named(c, names_get(NK_MQ, c->obj, NULL, c->name));
		return 1;
	case N_MQ_CLOSE:
		/* forgotten before another thread can get the descriptor again */
		if ((c->known = named(c, names_get(NK_MQ, c->obj, NULL, c->name))))
			names_del(NK_MQ, c->obj);
		return 1;
	default:
		return 1;
	}
}

/* An id this process did not get from shmget/semget/msgget (ipcrm -s ID,
 * a child given the id): its key from /proc/sysvipc, before the call (an
 * IPC_RMID takes it out), and only for an event; then remembered. */
SHIM_HOT_AUX static void name_foreign_id(struct shim_call *c)
{
	int kind = c->nm == N_SEMID ? 1 : c->nm == N_MSQID ? 2 : 0;
	key_t key;

	if (!names_id_get(kind, (int)c->obj, &key) &&
	    names_resolve_sysv_id(kind, (int)c->obj, &key) > 0)
		names_id_put(kind, (int)c->obj, key);
}

/* After the call: what the shim remembers of the object. */
SHIM_HOT static void name_after(struct shim_call *c)
{
	const struct shim_event *e = &c->e;
	uintptr_t opens = 0;

	if (e->failed)
		return;
	switch (c->nm) {
	case N_SHM_OPEN:
		if (intercept() & FD_OPS)
			names_fd_put((int)e->ret.i, (const char *)c->obj, obj_len(c));
		break;
	case N_SEM_OPEN:
		/* libc hands out the same sem_t for every open of one
		 * semaphore, to be closed as many times */
		names_get(NK_SEM, (uintptr_t)e->ret.p, &opens, NULL);
		names_put_len(NK_SEM, (uintptr_t)e->ret.p, opens + 1, (const char *)c->obj, obj_len(c));
		if (shim_count_ops)
			counters_sem_open(e->ret.p, (const char *)c->obj);
		break;
	case N_SEM_CLOSE:
		if (!c->known)
			break;
		if (c->had > 1) {
			names_put_len(NK_SEM, c->obj, c->had - 1, c->name, c->namelen);
		} else {
			names_del(NK_SEM, c->obj);
			if (shim_count_ops)
				counters_sem_forget((const sem_t *)c->obj);
		}
		break;
	case N_MMAP:
		if (intercept() & (OPBIT(MUNMAP) | OPBIT(MREMAP)))
			names_put_len(NK_MAP, (uintptr_t)e->ret.p, c->aux, c->name, c->namelen);
		break;
	case N_MUNMAP:
		if (c->name[0])
			names_del(NK_MAP, c->obj);
		break;
	case N_MREMAP:
		if (c->name[0] && e->ret.p != (void *)c->obj) {
			names_del(NK_MAP, c->obj);
			names_put_len(NK_MAP, (uintptr_t)e->ret.p, c->had, c->name, c->namelen);
		}
		break;
	case N_SHMGET:
		names_id_put(0, (int)e->ret.i, (key_t)c->obj);
		break;
	case N_SEMGET:
		names_id_put(1, (int)e->ret.i, (key_t)c->obj);
		break;
	case N_MSGGET:
		names_id_put(2, (int)e->ret.i, (key_t)c->obj);
		break;
	case N_MQ_OPEN:
		if (intercept() & MQ_OPS)
			names_put_len(NK_MQ, (uintptr_t)e->ret.i, 0, (const char *)c->obj, obj_len(c));
		break;
	case N_SHMAT:
		names_put(NK_SHMAT, (uintptr_t)e->ret.p, c->obj, NULL);
		break;
	case N_SHMDT:
		if (c->known)
			names_del(NK_SHMAT, c->obj);
		break;
	case N_FTOK:
		if (c->aux & 0xff)
			names_put(NK_FTOK, (uint32_t)e->ret.i, c->aux & 0xff, (const char *)c->obj);
		break;
	default:
		break;
	}
}

/* The event's key: the object's name as QNativeIpcKey::toString prints it. */
SHIM_HOT static void name_key(struct shim_call *c)
{
	struct shim_event *e = &c->e;

	switch (c->nm) {
	case N_PNAME:
	case N_SHM_OPEN:
	case N_SEM_OPEN:
	case N_MQ_OPEN:
		/* a length measured at the cap is not the name's */
		ev_key_posix(e, (const char *)c->obj, obj_len(c) < SHIM_NAME_CAP ? c->objlen : SHIM_LEN_UNKNOWN);
		break;
	case N_MQD:
	case N_MQ_CLOSE:
		if (c->known)
			ev_key_posix(e, c->name, c->namelen);
		break;
	case N_FD:
	case N_CLOSE:
	case N_FD_RANGE:
	case N_MMAP:
	case N_MUNMAP:
	case N_MREMAP:
		ev_key_posix(e, c->name, c->namelen);
		break;
	case N_SEM:
		if (c->name[0])
			ev_key_posix(e, c->name, c->namelen);
		break;
	case N_SEM_CLOSE:
		if (c->known)
			ev_key_posix(e, c->name, c->namelen);
		break;
	case N_SHMGET:
	case N_SEMGET:
	case N_MSGGET:
		ev_key_sysv(e, (key_t)c->obj);
		break;
	case N_MSQID:
		ev_key_id(e, 2, (int)c->obj);
		break;
	case N_SHMAT:
	case N_SHMID:
		ev_key_id(e, 0, (int)c->obj);
		break;
	case N_SEMID:
		ev_key_id(e, 1, (int)c->obj);
		break;
	case N_SHMDT:
		if (c->known)
			ev_key_id(e, 0, (int)c->had);
		break;
	case N_FTOK:
		if (!e->failed)
			ev_key_ftok(e, (const char *)c->obj, (int)c->aux);
		break;
	}
}

/* The decision for the object: the call table its calls go through. The
 * choices are pass (made in name_before), trace, fail closed (bad acting
 * rules: shim_deny_calls), and the System V
 * emulation, which decides per key (once, at shmget), id and address
 * itself (emul_sysv.c). Rewriting a name and recording ownership will be
 * decided here too, once per object when it is created or opened, and
 * cached with its name (names.c): never by matching text on a hot call. */
static inline __attribute__((always_inline)) const struct shim_next *decide(struct shim_call *c)
{
	if (UNLIKELY(shim_deny_ops & (UINT64_C(1) << c->op)))
		return &shim_deny_calls;
	if (UNLIKELY(shim_emul_ops & (UINT64_C(1) << c->op)))
		return &shim_emul_calls;
	if (UNLIKELY(shim_ledger_ops & (UINT64_C(1) << c->op)))
		return &shim_ledger_calls;
	if (UNLIKELY(shim_count_ops & (UINT64_C(1) << c->op)))
		return &shim_count_calls;
	return &shim_next;
}

/* The call's object, nothing known of it yet. */
static inline __attribute__((always_inline)) void call_init(struct shim_call *c, enum shim_op op,
							    enum shim_nm nm, uintptr_t obj,
							    uintptr_t aux)
{
	c->op = op;
	c->nm = nm;
	c->obj = obj;
	c->aux = aux;
	c->known = 0;
	c->had = 0;
	c->name[0] = 0;
	c->namelen = 0;
	c->objlen = SHIM_LEN_UNKNOWN;
}

/* 0: the call goes straight to libc. */
SHIM_HOT_PRE static int dispatch_enter(struct shim_call *c, enum shim_op op, enum shim_nm nm,
			  enum ret_kind rk, uintptr_t obj, uintptr_t aux)
{
	call_init(c, op, nm, obj, aux);
	if (!name_before(c))
		return 0;
	c->calls = decide(c);
	c->event = (__atomic_load_n(&shim_trace, __ATOMIC_RELAXED) & (UINT64_C(1) << op)) != 0;
	/* an unmapping of an emulated attachment only, or a close_range that
	 * only reaches the shim's own descriptors (guard.c): no POSIX object
	 * to name (a close's: enter()) */
	if ((nm == N_MUNMAP || nm == N_MREMAP || nm == N_FD_RANGE) && !c->name[0])
		c->event = 0;
	shim_tls()->busy++;
	/* the kernel's ids: while the emulation takes the op, an id may be
	 * one of its own, and is looked up after the call if it was not */
	if (c->event && NM_ID(nm) && !(shim_emul_ops & (UINT64_C(1) << op)))
		name_foreign_id(c);
	/* a queue descriptor not from this process's mq_open (inherited
	 * across exec): named by /proc once, then remembered */
	if (c->event && nm == N_MQD && !c->known &&
	    (c->known = names_mqd_name(0, (int)obj, c->name, sizeof c->name))) {
		c->namelen = SHIM_LEN_UNKNOWN;
		names_put(NK_MQ, obj, 0, c->name);
	}
	if (c->event)
		ev_begin(&c->e, op);
	c->e.rk = rk;
	return 1;
}

/* dispatch_enter, inline in the hooks of the ops that name their object by
 * a name argument (nothing to look up before the call) and in close's
 * (whose lookup is in its page): the path before the call runs in the
 * hook's page. */
static inline __attribute__((always_inline)) int enter(struct shim_call *c, enum shim_op op,
						       enum shim_nm nm, enum ret_kind rk,
						       uintptr_t obj, uintptr_t aux)
{
	if (nm != N_PNAME && nm != N_SHM_OPEN && nm != N_CLOSE)
		return dispatch_enter(c, op, nm, rk, obj, aux);
	call_init(c, op, nm, obj, aux);
	if (nm == N_CLOSE && !close_name(c))
		return 0;
	c->calls = decide(c);
	c->event = (__atomic_load_n(&shim_trace, __ATOMIC_RELAXED) & (UINT64_C(1) << op)) != 0;
	/* a close that only reaches the shim's own descriptors (guard.c): no
	 * POSIX object to name */
	if (nm == N_CLOSE && !c->name[0])
		c->event = 0;
	shim_tls()->busy++;
	if (c->event)
		ev_begin(&c->e, op);
	c->e.rk = rk;
	return 1;
}

/* Records the object, emits the event; restores errno. */
SHIM_HOT static void dispatch_leave(struct shim_call *c, int failed, int err)
{
	c->e.failed = failed;
	if (c->event)
		ev_stop(&c->e);
	if (c->event && NM_ID(c->nm) && (shim_emul_ops & (UINT64_C(1) << c->op)) && !c->e.emulated)
		name_foreign_id(c);
	name_after(c);
	if (c->event) {
		name_key(c);
		/* a sink without a reader, or closed by the program, stops tracing */
		if (ev_end(&c->e, failed, err))
			shim_masks_set(0);
	}
	shim_tls()->busy--;
	*shim_errno() = err;
}

/* ------------------------------------------------- reading the arguments */

/* rd PLAIN: the parameters as declared. */
#define RD_PLAIN_PRO(fn)
#define RD_PLAIN_CALL(f, args) f args
#define RD_PLAIN_XPROTO(proto) proto
#define RD_PLAIN_XARGS(args) args

/* rd OPTIONAL: libc may lack the function. */
#define RD_OPTIONAL_PRO(fn) \
	if (UNLIKELY(!REAL(fn))) { \
		errno = ENOSYS; \
		return -1; \
	}
#define RD_OPTIONAL_CALL RD_PLAIN_CALL
#define RD_OPTIONAL_XPROTO RD_PLAIN_XPROTO
#define RD_OPTIONAL_XARGS RD_PLAIN_XARGS

/* rd SEM_OPEN: mode and value are read only with O_CREAT, as libc does. */
#define RD_SEM_OPEN_PRO(fn) \
	mode_t mode = 0; \
	unsigned value = 0; \
	int creat = (oflag & O_CREAT) != 0; \
	if (creat) { \
		va_list ap; \
		va_start(ap, oflag); \
		mode = va_arg(ap, mode_t); \
		value = va_arg(ap, unsigned); \
		va_end(ap); \
	}
#define RD_SEM_OPEN_CALL(f, args) (creat ? f(name, oflag, mode, value) : f(name, oflag))
#define RD_SEM_OPEN_XPROTO(proto) \
	(const char *name, int oflag, int creat, mode_t mode, unsigned value)
#define RD_SEM_OPEN_XARGS(args) (name, oflag, creat, mode, value)

/* rd MREMAP: the new address only with MREMAP_FIXED, as libc reads it. */
#define RD_MREMAP_PRO(fn) \
	void *new_address = NULL; \
	if (flags & MREMAP_FIXED) { \
		va_list ap; \
		va_start(ap, flags); \
		new_address = va_arg(ap, void *); \
		va_end(ap); \
	}
#define RD_MREMAP_CALL(f, args) f(old_address, old_size, new_size, flags, new_address)
#define RD_MREMAP_XPROTO(proto) \
	(void *old_address, size_t old_size, size_t new_size, int flags, void *new_address)
#define RD_MREMAP_XARGS(args) (old_address, old_size, new_size, flags, new_address)

/* rd MQ_OPEN: mode and attributes only with O_CREAT, as libc reads them. */
#define RD_MQ_OPEN_PRO(fn) \
	mode_t mode = 0; \
	struct mq_attr *attr = NULL; \
	int creat = (oflag & O_CREAT) != 0; \
	if (creat) { \
		va_list ap; \
		va_start(ap, oflag); \
		mode = va_arg(ap, mode_t); \
		attr = va_arg(ap, struct mq_attr *); \
		va_end(ap); \
	}
#define RD_MQ_OPEN_CALL(f, args) (creat ? f(name, oflag, mode, attr) : f(name, oflag))
#define RD_MQ_OPEN_XPROTO(proto) \
	(const char *name, int oflag, int creat, mode_t mode, struct mq_attr *attr)
#define RD_MQ_OPEN_XARGS(args) (name, oflag, creat, mode, attr)

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

/* rd SEMCTL: the fourth argument only for the commands that take one. */
#define RD_SEMCTL_PRO(fn) \
	union nipc_semun arg = {0}; \
	int has = semctl_has_arg(cmd); \
	if (has) { \
		va_list ap; \
		va_start(ap, cmd); \
		arg = va_arg(ap, union nipc_semun); \
		va_end(ap); \
	}
#define RD_SEMCTL_CALL(f, args) (has ? f(semid, semnum, cmd, arg) : f(semid, semnum, cmd))
#define RD_SEMCTL_XPROTO(proto) (int semid, int semnum, int cmd, int has, union nipc_semun arg)
#define RD_SEMCTL_XARGS(args) (semid, semnum, cmd, has, arg)

/* ------------------------------------------------- the event's arguments */

/* An argument's name, kept in nipc_hot: the record's copy reads it there,
 * not from a page of .rodata the traced path touches for nothing else. */
#define ARGN(str) __extension__({ SHIM_HOT_DATA static char n_[] = str; (const char *)n_; })
/* Each argument goes into the hook's own list (lean_, ln_ of them), whose
 * kinds, names and count the compiler knows: the lean path (below) writes
 * its record from there, the general path makes the event's arguments from
 * it (ev_args). An argument of another kind than the lean path writes
 * (data other than a string), or one recorded on a condition, rules the
 * lean path out (lean_bad_, a constant of the hook too). */
#define LEAN_ARG(k, nm, nl, val, count) \
	if (ln_ < SHIM_MAX_ARGS) { \
		lean_[ln_].kind = (k); \
		lean_[ln_].namelen = (nl); \
		lean_[ln_].name = (nm); \
		lean_[ln_].v = (val); \
		lean_[ln_++].cnt = (count); \
	}
#define S(x) { LEAN_ARG(A_STR, ARGN(#x), sizeof #x - 1, (uint64_t)(uintptr_t)(x), 0) }
#define P(k, x) { lean_bad_ |= (k) != A_PTR; \
	LEAN_ARG(k, ARGN(#x), sizeof #x - 1, (uint64_t)(uintptr_t)(x), 0) }
#define I(k, x) { LEAN_ARG(k, ARGN(#x), sizeof #x - 1, (uint64_t)(long long)(x), 0) }
#define A(k, name, x) { LEAN_ARG(k, ARGN(name), sizeof name - 1, (uint64_t)(long long)(x), 0) }
#define AP(k, name, x) { lean_bad_ |= (k) != A_PTR; \
	LEAN_ARG(k, ARGN(name), sizeof name - 1, (uint64_t)(uintptr_t)(x), 0) }
#define SOPS(s, n) { lean_bad_ = 1; \
	LEAN_ARG(A_SOPS, ARGN("sops"), sizeof "sops" - 1, (uint64_t)(uintptr_t)(s), (size_t)(n)) }
#define B(k, x, n) { lean_bad_ = 1; \
	LEAN_ARG(k, ARGN(#x), sizeof #x - 1, (uint64_t)(uintptr_t)(x), (size_t)(n)) }
#define IF(cond, ...) lean_bad_ = 1; if (cond) { __VA_ARGS__ }

/* How a result is kept and when it is a failure. */
#define RK_R_INT(r) c.e.ret.i = (r), (r) < 0
#define RK_R_KEYT(r) c.e.ret.i = (r), (r) == -1
#define RK_R_SEM(r) c.e.ret.p = (r), (r) == SEM_FAILED
#define RK_R_MAP(r) c.e.ret.p = (r), (r) == MAP_FAILED
#define RK_R_SHMAT(r) c.e.ret.p = (r), (r) == (void *)-1

/* The event's arguments, from the hook's list, for the general path:
 * inline, so that the list stays the compiler's constants (its address
 * taken by a call, the lean path's writer would read it from memory). */
static inline __attribute__((always_inline)) void ev_args(struct shim_event *e, const struct rec_arg *a,
							  int n)
{
#pragma GCC unroll 8
	for (int i = 0; i < n; i++) {
		struct shim_arg *x = ev_next_arg(e, a[i].name, a[i].namelen, a[i].kind);

		x->u = a[i].v;
		x->n = a[i].cnt;
	}
}

/* ------------------------------------------------------ the lean path */

/* The objects the lean path names: a POSIX name argument, or the name
 * names.c gave a descriptor, a mapping or a semaphore. */
#define LEAN_NM(nm) ((nm) == N_PNAME || (nm) == N_SHM_OPEN || (nm) == N_FD || (nm) == N_CLOSE || \
		     (nm) == N_MMAP || (nm) == N_MUNMAP || (nm) == N_SEM)

/* dispatch_leave for a call that succeeded, was not emulated, and whose
 * thread has a ring: its record written straight from the hook's
 * arguments (a, n of them), the record that ring_put would write from
 * the event. Inline in each hook, with op, nm, rk and the arguments'
 * kinds and names constants there. */
static inline __attribute__((always_inline)) void
lean_leave(struct shim_call *c, shim_tls_t *t, enum shim_op op, enum shim_nm nm, enum ret_kind rk,
	   struct rec_arg *a, int n, int err)
{
	const char *key = NULL;
	size_t known = SHIM_LEN_UNKNOWN, keylen = 0;
	struct rec_head hd;

	c->e.failed = 0;
	if (nm == N_MMAP || nm == N_MUNMAP)
		name_after(c);
	if (nm == N_PNAME || nm == N_SHM_OPEN) {
		key = (const char *)c->obj;
		if (LIKELY(key != NULL))
			known = LIKELY(obj_len(c) < SHIM_NAME_CAP) ? c->objlen : SHIM_LEN_UNKNOWN;
	} else if (nm != N_SEM || c->name[0]) {
		key = c->name;
		known = c->namelen;
	}
	/* name_after's: the descriptor's name, its length measured above */
	if (nm == N_SHM_OPEN && (intercept() & FD_OPS))
		names_fd_put((int)c->e.ret.i, key, key ? c->objlen : 0);
	/* The naming's locked instructions come before the first store into
	 * the ring: each waits for the stores before it, and a ring line not
	 * in the cache yet would hold it (shm_open: 10 ns at the median).
	 * Then the open mark, then the end's time, as ev_stop does (the
	 * reader counts on the mark being there before the end is timed). */
	ring_open_mark(t, c->e.t0);
	hd.dur = ev_clock() - c->e.t0 + 1;
	hd.key_arg = -1;
#pragma GCC unroll 8
	for (int i = 0; i < n; i++) {
		const char *s = (const char *)(uintptr_t)a[i].v;

		a[i].data = s;
		a[i].n = 0;
		a[i].dl = a[i].kind == A_STR ? rec_str_bytes(s, i, key && s == key, known, &hd.key_arg) : 0;
	}
	if (key)
		keylen = rec_key_bytes(key, known, hd.key_arg);
	hd.op = (uint16_t)op;
	hd.flags = 0;
	hd.rk = (uint8_t)rk;
	hd.err = err;
	hd.key_type = key ? NIPC_KEY_POSIX : -1;
	hd.ret = rk == R_INT || rk == R_KEYT ? (uint64_t)c->e.ret.i : (uint64_t)(uintptr_t)c->e.ret.p;
	ring_write(t, t->ring, &hd, a, n, key, keylen, c->e.t0, c->e.pid);
	t->busy--;
	*shim_errno() = err;
}

/* ------------------------------------------------------------ the hooks */

/* The shim's own time in each traced call, for bench_ring only (a build
 * with NIPC_SELF_TIMING, never the installed library): the TSC at the
 * hook's start, around the real call and at its end; what is not the
 * real call goes into the op's histogram, written at exit ("op ticks
 * count" lines) to the file NIPC_SELF_TIMING_FILE names. One thread's
 * counts (the bench's loop). */
#if defined(NIPC_SELF_TIMING) && defined(__x86_64__)
#include <stdio.h>
#include <stdlib.h>
#define SELF_BUCKETS 2048     /* 4 TSC ticks each; the last: beyond */
static uint32_t self_hist[OP_COUNT][SELF_BUCKETS + 1];
#define SELF_T(i) uint64_t st##i##_ = __builtin_ia32_rdtsc();
#define SELF_END(ev) \
	if (ev) { \
		uint64_t t_ = __builtin_ia32_rdtsc() - st2_ + (st1_ - st0_); \
		self_hist[c.op][t_ / 4 < SELF_BUCKETS ? t_ / 4 : SELF_BUCKETS]++; \
	}
__attribute__((destructor)) static void self_dump(void)
{
	const char *path = getenv("NIPC_SELF_TIMING_FILE");
	FILE *f = path ? fopen(path, "we") : NULL;

	if (!f)
		return;
	for (int op = 0; op < OP_COUNT; op++)
		for (size_t i = 0; i <= SELF_BUCKETS; i++)
			if (self_hist[op][i])
				fprintf(f, "%s %zu %u\n", shim_op_name((enum shim_op)op), i * 4,
					self_hist[op][i]);
	fclose(f);
}
#else
#define SELF_T(i)
#define SELF_END(ev)
#endif

/* t_fn: intercepted or not, and not from inside the shim, then through
 * the dispatcher. One function, which the interposed one jumps to: after
 * the system call, each return to a frame made before it is mispredicted
 * (the kernel's own calls and returns overwrote the return predictor). */
#define X(fn, op, primary, fam, ver, path, rd, ret, proto, args, skip, nm, obj, aux, rk, feeds, ...) \
	SHIM_HOT_HOOK(fn) static ret t_##fn RD_##rd##_XPROTO(proto);
SHIM_FNS(X)
#undef X

/* The HOT hooks jump through these: libc's function while the op is not
 * intercepted, else (and before the constructor) t_fn. */
#define HOT_DECL_HOT(fn, ret, proto) ret (*fn) proto;
#define HOT_DECL_FAST(fn, ret, proto)
#define HOT_INIT_HOT(fn) .fn = t_##fn,
#define HOT_INIT_FAST(fn)
SHIM_HOT_DATA static struct {
#define X(fn, op, primary, fam, ver, path, rd, ret, proto, ...) HOT_DECL_##path(fn, ret, proto)
	SHIM_FNS(X)
#undef X
	char end_;
} hot = {
#define X(fn, op, primary, fam, ver, path, ...) HOT_INIT_##path(fn)
	SHIM_FNS(X)
#undef X
};

#define HOT_ARM_HOT(fn, op) \
	__atomic_store_n(&hot.fn, (m & OPBIT(op)) || !shim_next.fn ? t_##fn : \
			 (shim_count_ops & OPBIT(op)) ? shim_count_calls.fn : shim_next.fn, \
			 __ATOMIC_RELAXED);
#define HOT_ARM_FAST(fn, op)

void shim_hooks_arm(void)
{
	uint64_t m = intercept();

#define X(fn, op, primary, fam, ver, path, ...) HOT_ARM_##path(fn, op)
	SHIM_FNS(X)
#undef X
}

/* HOT: one indirect jump. */
#define WRAP_HOT(fn, op, rd, proto, args) \
	return __atomic_load_n(&hot.fn, __ATOMIC_RELAXED) args;

/* FAST: two predictable branches and a tail jump, with no frame. */
#define WRAP_FAST(fn, op, rd, proto, args) \
	RD_##rd##_PRO(fn) \
	__typeof__(shim_next.fn) f_ = __atomic_load_n(&shim_next.fn, __ATOMIC_RELAXED); \
	if (LIKELY(!(intercept() & OPBIT(op)) && f_ != NULL)) \
		return RD_##rd##_CALL(f_, args); \
	return t_##fn RD_##rd##_XARGS(args);

#define X(fn, op, primary, fam, ver, path, rd, ret, proto, args, skip, nm, obj, aux, rk, feeds, ...) \
	SHIM_HOT_HOOK(fn) static ret t_##fn RD_##rd##_XPROTO(proto) \
	{ \
		struct shim_call c; \
		shim_tls_t *tls_; \
		ret r_; \
		int failed_, err_, ln_ = 0, lean_bad_ = 0; \
		struct rec_arg lean_[SHIM_MAX_ARGS]; \
		SELF_T(0) \
		\
		if (!(intercept() & OPBIT(op))) \
			return RD_##rd##_CALL(REAL(fn), args); \
		tls_ = shim_tls(); \
		if (UNLIKELY(tls_->busy)) { \
			ring_nested(OP_##op, __builtin_return_address(0), event_pid()); \
			return RD_##rd##_CALL(REAL(fn), args); \
		} \
		if ((skip) || !enter(&c, OP_##op, nm, rk, (uintptr_t)(obj), (uintptr_t)(aux))) \
			return RD_##rd##_CALL(REAL(fn), args); \
		tls_->emul_took = 0; \
		SELF_T(1) \
		r_ = RD_##rd##_CALL(c.calls->fn, args); \
		SELF_T(2) \
		err_ = *shim_errno(); \
		failed_ = (RK_##rk(r_)); \
		if (LIKELY(c.event)) { \
			c.e.emulated = tls_->emul_took; \
			__VA_ARGS__ \
		} \
		if (!lean_bad_ && LEAN_NM(nm) && LIKELY(c.event && !failed_ && !c.e.emulated && \
		    shim_policy.sink == SINK_RING && tls_->ring)) \
			lean_leave(&c, tls_, OP_##op, nm, rk, lean_, ln_, err_); \
		else { \
			if (c.event) \
				ev_args(&c.e, lean_, ln_); \
			dispatch_leave(&c, failed_, err_); \
		} \
		SELF_END(c.event) \
		return r_; \
	} \
	\
	EXPORT SHIM_HOT_ENTRY(fn) ret fn proto \
	{ \
		WRAP_##path(fn, op, rd, proto, args) \
	}
SHIM_FNS(X)
#undef X
