/* SPDX-License-Identifier: MIT */
/* Internal interfaces of libnipc-preload.so. Everything here is hidden; the
 * only exported symbols are the interposed libc functions in hooks.c. */
#ifndef NIPC_SHIM_H
#define NIPC_SHIM_H

#include <errno.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <time.h>

#define SHIM_HIDDEN __attribute__((visibility("hidden")))
/* The traced call's path, code and data, kept together. After a system
 * call the path runs cold: where page-table isolation has no PCID, the
 * call empties the TLB, and the kernel's work evicts much of the caches;
 * what the path costs then grows with the pages and lines it touches. The
 * linker sorts .text.sorted.* by name: what runs before the real call
 * (SHIM_HOT_PRE: one page), the naming of System V ids and keys and the
 * loss counts, what runs after it (SHIM_HOT: two pages), each part from a
 * page boundary (hot.c, linked first, starts them), then each hook with
 * its interposed function right after it, from a page boundary (one page
 * for both: test_trace_ring checks; a call that succeeds takes the hook's
 * lean path after the real call, in that page, see hooks.c). The
 * descriptors' table's calls from shm_open and close (SHIM_FD_PAGE) follow
 * close in its page.
 * The data a traced call reads or writes is in nipc_hot, which hot.c
 * starts on a page of its own; test_trace_ring checks that it fits one. */
#define SHIM_HOT_PRE __attribute__((section(".text.sorted.nipc1a")))
#define SHIM_HOT_AUX __attribute__((section(".text.sorted.nipc1b")))
#define SHIM_HOT __attribute__((section(".text.sorted.nipc1c")))
#define SHIM_HOT_HOOK(fn) __attribute__((noinline, aligned(4096), section(".text.sorted.nipc2." #fn ".0")))
#define SHIM_HOT_ENTRY(fn) __attribute__((section(".text.sorted.nipc2." #fn ".1")))
#define SHIM_FD_PAGE __attribute__((section(".text.sorted.nipc2.close.2")))
#define SHIM_HOT_DATA __attribute__((section("nipc_hot")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#include "format.h"
#include "ops.def"

/* The event ops, one per primary row of SHIM_FNS: the bit numbers of the
 * intercept and trace masks. */
#define SHIM_OPDEF_1(op) OP_##op,
#define SHIM_OPDEF_0(op)
enum shim_op {
#define X(fn, op, primary, ...) SHIM_OPDEF_##primary(op)
	SHIM_FNS(X)
#undef X
	OP_COUNT
};

enum shim_family {
#define F(fam, name) FAM_##fam,
	SHIM_FAMILIES(F)
#undef F
	FAM_COUNT
};

_Static_assert(OP_COUNT < 64, "an op is a bit of a 64-bit mask");

#ifndef IPC_64
#define IPC_64 0x0100 /* the kernel's flag for the 64-bit ipc structures */
#endif

#define OPBIT(op) (UINT64_C(1) << OP_##op)
#define SHIM_ALL_OPS ((UINT64_C(1) << OP_COUNT) - 1)
/* The ops that name their objects by shm_open's descriptors (and so need
 * them tracked), and by sem_open's semaphores: from the nm column. */
#define FD_OPS shim_fd_ops
#define SEM_OPS shim_sem_ops
/* The ops that name their queue by msgget's id, by mq_open's descriptor. */
#define MSG_OPS (OPBIT(MSGSND) | OPBIT(MSGRCV) | OPBIT(MSGCTL))
#define MQ_OPS (OPBIT(MQ_SEND) | OPBIT(MQ_TIMEDSEND) | OPBIT(MQ_RECEIVE) | \
		OPBIT(MQ_TIMEDRECEIVE) | OPBIT(MQ_NOTIFY) | OPBIT(MQ_CLOSE))

/* ---------------------------------------------------------------- next.c */

union nipc_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

enum shim_real {
#define X(fn, ...) REAL_##fn,
	SHIM_FNS(X)
#undef X
	REAL_COUNT
};

/* libc's functions: the call table of every object today. */
struct shim_next {
#define X(fn, op, primary, fam, ver, path, rd, ret, proto, ...) ret (*fn) proto;
	SHIM_FNS(X)
#undef X
};

SHIM_HIDDEN extern struct shim_next shim_next;

/* Resolves one real function for a hook called before the constructor
 * (another library's constructor may call it first): no allocation. */
SHIM_HIDDEN void *shim_next_early(enum shim_real r);
/* Resolves every real function; returns the name of a missing required one
 * or NULL. */
SHIM_HIDDEN const char *shim_next_init(void);
/* Writes the resolution table (and versions) to stderr, for NIPC_TRACE_DEBUG. */
SHIM_HIDDEN void shim_next_dump(void);

#define REAL(name) __extension__ ({ \
	__typeof__(shim_next.name) f_ = __atomic_load_n(&shim_next.name, __ATOMIC_RELAXED); \
	LIKELY(f_ != NULL) ? f_ : (__typeof__(shim_next.name))shim_next_early(REAL_##name); })

/* ------------------------------------------------------ init.c, policy.c */

enum shim_sink { SINK_NONE, SINK_FD, SINK_SYSLOG, SINK_RING };

/* How a descriptor is written (sink.c): a pipe or FIFO with SIGPIPE held
 * back, a socket with MSG_NOSIGNAL, a regular file under a file size limit
 * with SIGXFSZ held back, anything else plainly. */
enum out_kind { OUT_PLAIN, OUT_PIPE, OUT_SOCKET, OUT_LIMITED };

struct shim_policy {
	uint64_t trace;         /* OPBIT()s of traced ops; 0 = pass-through */
	int json;
	int children;           /* NIPC_TRACE_CHILDREN */
	int tid;                /* NIPC_TRACE_TID: show the thread id in text */
	int unnamed;            /* the word "unnamed": trace unnamed semaphores too */
	enum shim_sink sink;
	int fd;                 /* SINK_FD: the shim's own descriptor */
	enum out_kind kind;     /* of fd */
	pid_t root_pid;         /* the process that loaded the shim */
	long utc_offset;        /* text lines: local time minus UTC, s, at start-up */
};

SHIM_HIDDEN extern struct shim_policy shim_policy;
/* (hooks.c) The ops the hooks intercept (the fast path tests this), and the ops that
 * make events; set together by shim_masks_set. */
SHIM_HIDDEN extern uint64_t shim_intercept;
SHIM_HIDDEN extern uint64_t shim_trace;
SHIM_HIDDEN extern const uint64_t shim_fd_ops, shim_sem_ops;
/* Sets the trace mask and the intercept mask it implies, and rearms the
 * hooks. */
SHIM_HIDDEN void shim_masks_set(uint64_t trace);

/* NIPC_RULES (a file) then NIPC_RULES_TEXT (lines, as nipc run passes
 * them) compiled at start-up (rules.h), NULL if unset or bad: bad rules
 * warn once; tracing-only ones pass through, the families that acting ones
 * name fail closed (shim_deny_ops). */
struct rules;
SHIM_HIDDEN extern struct rules *shim_rules;
SHIM_HIDDEN void shim_rules_init(void);
/* Fail closed: ops that bad acting rules deny, with ENOSYS, through
 * shim_deny_calls (always intercepted; 0: none). */
SHIM_HIDDEN extern uint64_t shim_deny_ops;
SHIM_HIDDEN extern struct shim_next shim_deny_calls;
/* (cleanup.c) cleanup= rules: the creations recorded in the ledger, through
 * shim_ledger_calls (0: no cleanup rule). */
SHIM_HIDDEN extern uint64_t shim_ledger_ops;
SHIM_HIDDEN extern struct shim_next shim_ledger_calls;
SHIM_HIDDEN void cleanup_init(void);
/* (guard.c) The shim's own descriptors of the objects cleanup.c watches
 * for their last detach, which the program's close and close_range leave.
 * take: a high close-on-exec duplicate of fd, registered (-1: none); drop:
 * closed if it is still the shim's, forgotten; is: fd is one now; in:
 * [first, last] may hold one (a fast test); close_range: the range closed
 * around them. */
SHIM_HIDDEN int shim_guard_take(int fd);
SHIM_HIDDEN void shim_guard_drop(int fd);
SHIM_HIDDEN int shim_guard_is(int fd);
SHIM_HIDDEN int shim_guard_in(unsigned first, unsigned last);
SHIM_HIDDEN int shim_guard_close_range(unsigned first, unsigned last, int flags);
/* (counters.c) NIPC_COUNTERS: the waits and posts of named semaphores
 * counted, through shim_count_calls (0: not counting). The hot hooks jump
 * to the counted calls when the op is not intercepted; an intercepted call
 * reaches them through decide(). sem_open and sem_close feed the map. */
SHIM_HIDDEN extern uint64_t shim_count_ops;
SHIM_HIDDEN extern struct shim_next shim_count_calls;
SHIM_HIDDEN void counters_init(void);
SHIM_HIDDEN void counters_sem_open(const sem_t *s, const char *name);
SHIM_HIDDEN void counters_sem_forget(const sem_t *s);
/* Reads the environment; the trace mask to start with (0: none), with the
 * sink open. */
SHIM_HIDDEN uint64_t shim_policy_init(void);
/* The configuration in a fork child: the sink reopened per pid, or closed
 * when children are not traced; -1 when tracing stops. */
SHIM_HIDDEN int shim_policy_child(void);
/* Points the hottest hooks at the real functions or their slow paths, after
 * the mask or the real functions change. */
SHIM_HIDDEN void shim_hooks_arm(void);

/* ----------------------------------------------------------------- ops.c */

SHIM_HIDDEN const char *shim_op_name(enum shim_op op);
SHIM_HIDDEN enum shim_family shim_op_family(enum shim_op op);
SHIM_HIDDEN const char *shim_family_name(enum shim_family f);

/* -------------------------------------------------------------- filter.c */

/* The ops a filter selects: "all,-sem_wait" or "sysv-shm,ftok"; a list
 * that starts with an exclusion starts from everything. "unnamed" (or
 * "-unnamed", the default) selects no operation but says whether unnamed
 * semaphores are traced; a list of only that word starts from everything.
 * Unknown words go to unknown, space-separated (nipc trace refuses them,
 * the shim warns). No side effect: the shim and nipc share it. */
SHIM_HIDDEN uint64_t shim_filter_parse(const char *s, int *unnamed, struct out *unknown);

/* ---------------------------------------------------------------- sink.c */

struct stat;

/* fd duplicated, close-on-exec, at 512 or above (above 2 if the descriptor
 * limit is lower); -1 if that fails. */
SHIM_HIDDEN int out_dup_high(int fd);
SHIM_HIDDEN enum out_kind out_kind_of(const struct stat *st);
/* Writes all n bytes; 0, or -1 with errno. Raises no signal. */
SHIM_HIDDEN int out_write(int fd, enum out_kind k, const char *p, size_t n);
/* Remembers which file descriptor 2 is (once; the first call wins). */
SHIM_HIDDEN void out_note_stderr(void);
/* Writes to descriptor 2 if it is still that file, else nowhere; keeps
 * errno. */
SHIM_HIDDEN void out_stderr(const char *p, size_t n);
/* Writes "nipc-preload: " msg "\n" to stderr (see out_stderr). */
SHIM_HIDDEN void shim_warn(const char *msg, const char *arg);
/* One line to the configured descriptor sink; -1 when the sink is lost for
 * good (no reader, descriptor closed) and tracing must stop. */
SHIM_HIDDEN int sink_line(const char *p, size_t n);
SHIM_HIDDEN void sink_syslog(const char *line);

/* --------------------------------------------------------------- trace_guard.c */

/* Guards fd, the line-mode sink, from the program's close, close_range,
 * dup2 and dup3 (-1: nothing guarded). */
SHIM_HIDDEN void guard_set(int fd);
/* Closes the shim's own descriptor past the guard. */
SHIM_HIDDEN int guard_close_own(int fd);
/* Around a line's write: the sink's descriptor, held where a dup2 over it
 * waits for the write to end. */
SHIM_HIDDEN int guard_write_begin(void);
SHIM_HIDDEN void guard_write_end(void);

/* --------------------------------------------------------------- names.c */

#define SHIM_NAME_CAP 512  /* names and paths kept for keys, with the NUL */
#define SHIM_FD_MAX 4096   /* shm_open descriptors tracked below this */
#define SHIM_SLOTS 64      /* ftok paths, shm descriptors */
#define SHIM_SEM_SLOTS 256 /* named semaphores: their waits and posts are traced */
#define SHIM_MAP_SLOTS 128 /* mappings of shm descriptors, shmat addresses */
_Static_assert(!(SHIM_SLOTS & (SHIM_SLOTS - 1)) && !(SHIM_SEM_SLOTS & (SHIM_SEM_SLOTS - 1)) &&
	       !(SHIM_MAP_SLOTS & (SHIM_MAP_SLOTS - 1)), "the names tables' sizes are powers of two");
#define SHIM_ID_SLOTS 256  /* System V ids per kind */

enum names_kind { NK_FTOK, NK_SEM, NK_FD, NK_MAP, NK_SHMAT, NK_MQ, NK_COUNT };

/* How an op names its object (the nm column of ops.def). */
enum shim_nm {
	N_PNAME,        /* a POSIX name argument */
	N_SHM_OPEN,     /* a POSIX name; the descriptor is remembered */
	N_SEM_OPEN,     /* a POSIX name; the semaphore is remembered */
	N_FD,           /* a descriptor from shm_open, else straight through */
	N_CLOSE,        /* N_FD, forgotten before the call */
	N_FD_RANGE,     /* shm_open descriptors from obj to aux, forgotten before the call */
	N_MMAP,         /* N_FD; the mapping is remembered */
	N_MUNMAP,       /* a mapping of such a descriptor, else straight through */
	N_MREMAP,       /* N_MUNMAP; the mapping is remembered at its new place */
	N_SEM,          /* a semaphore from sem_open (or any, with "unnamed") */
	N_SEM_CLOSE,    /* a semaphore, forgotten at its last close */
	N_SHMGET,       /* a key_t; the segment id is remembered */
	N_SEMGET,       /* a key_t; the set id is remembered */
	N_SHMID,        /* a segment id */
	N_SEMID,        /* a semaphore set id */
	N_SHMAT,        /* a segment id; the address is remembered */
	N_SHMDT,        /* an address from shmat, forgotten */
	N_FTOK,         /* the path is remembered for the key */
	N_MSGGET,       /* a key_t; the queue id is remembered */
	N_MSQID,        /* a message queue id */
	N_MQ_OPEN,      /* a POSIX name; the queue descriptor is remembered */
	N_MQD,          /* a queue descriptor from mq_open (unknown: no key) */
	N_MQ_CLOSE,     /* N_MQD, forgotten before the call */
};

/* A name's length not known yet: measured where it is needed. */
#define SHIM_LEN_UNKNOWN ((size_t)-1)

/* Remembers tag → (aux, name) in the table of kind; name may be NULL; len
 * is its length if the caller measured it (with a cap of SHIM_NAME_CAP),
 * else SHIM_LEN_UNKNOWN. NK_SEM: aux counts the sem_open calls that
 * returned the semaphore. Lock-free; the oldest entry gives way when the
 * table is full. */
SHIM_HIDDEN void names_put_len(enum names_kind k, uintptr_t tag, uintptr_t aux, const char *name,
			       size_t len);
static inline void names_put(enum names_kind k, uintptr_t tag, uintptr_t aux, const char *name)
{
	names_put_len(k, tag, aux, name, SHIM_LEN_UNKNOWN);
}
/* Copies the name (cap SHIM_NAME_CAP) and aux for tag: 0 if not found,
 * else 1 + the name's length (kept with it: the copy measures nothing). */
SHIM_HIDDEN int names_get(enum names_kind k, uintptr_t tag, uintptr_t *aux, char *name);
SHIM_HIDDEN void names_del(enum names_kind k, uintptr_t tag);
/* Forgets every shm_open descriptor in [first, last]; copies the name of
 * the lowest; returns how many there were. */
SHIM_HIDDEN int names_fd_del_range(unsigned first, unsigned last, char *name);
/* Cheap test for close/ftruncate/mmap: was fd returned by shm_open? */
SHIM_HIDDEN int names_fd_is_shm(int fd);
/* names_put_len(NK_FD, fd, 0, name, len) for a measured len (not
 * SHIM_LEN_UNKNOWN), in t_close's page (SHIM_FD_PAGE). */
SHIM_HIDDEN void names_fd_put(int fd, const char *name, size_t len);
/* close's naming, in its page: fd's name if shm_open returned it (as
 * names_get), and the descriptor forgotten; 0 if it has none. */
SHIM_HIDDEN int names_fd_take(int fd, char *name);

/* System V id → key_t (kind 0 shm, 1 sem, 2 msg). */
SHIM_HIDDEN void names_id_put(int kind, int id, key_t key);
SHIM_HIDDEN int names_id_get(int kind, int id, key_t *key);
SHIM_HIDDEN void names_id_del(int kind, int id);

/* ------------------------------------------------ event.c, format.c */

enum arg_kind {
	A_STR, A_INT, A_UINT, A_PTR, A_OFLAG, A_MODE, A_IPCFLG, A_SHMATFLG, A_KEYT,
	A_SHMCMD, A_SEMCMD, A_SOPS, A_TS, A_PROT, A_MAPFLAGS, A_CLOCK, A_SIZE, A_CRFLAGS,
	A_MSGCMD, A_MSGFLG,
	A_BUF,          /* n bytes at p, a message the call read or wrote */
	A_MSGBUF,       /* a struct msgbuf at p: mtype and n bytes of mtext */
	A_MQATTR,       /* a struct mq_attr * */
	A_SIGEV,        /* a struct sigevent * */
	A_UINTP,        /* an unsigned int * the call filled in */
	A_NONE
};

/* kind and namelen apart: stored together they would make a 64-bit
 * constant, which the compiler loads from .rodata on the traced path. */
struct shim_arg {
	const char *name;
	enum arg_kind kind;
	union {
		const char *s;
		long long i;
		unsigned long long u;
		const void *p;
		const struct timespec *ts;
		const struct sembuf *sops;
	};
	size_t n;               /* A_SOPS: count; A_BUF, A_MSGBUF: bytes */
	unsigned namelen;
};

enum ret_kind { R_INT, R_KEYT, R_SEM, R_MAP, R_SHMAT };

#define SHIM_MAX_ARGS 6
#define SHIM_LINE_MAX 4096
#define SHIM_SOPS_SHOWN 16  /* semop operations shown */

/* Small fields first, then the arguments, then the buffers, of which a
 * traced call touches the start only: the call's frame spans as few
 * stack pages as can be. */
struct shim_event {
	enum shim_op op;
	pid_t pid, tid;
	struct timespec ts;     /* CLOCK_REALTIME at the start */
	uint64_t t0;            /* CLOCK_MONOTONIC ns at the start (ring: the pool's clock) */
	uint64_t dur;
	int nargs;
	enum ret_kind rk;
	union { long long i; const void *p; } ret;
	int failed;
	int key_type;           /* -1: key is text; else key is the native name of a
				 * key of this type, formatted later (key_fmt.h); not
				 * next to a field ev_begin zeroes (a 64-bit constant
				 * from .rodata) */
	int err;
	int emulated;           /* the System V emulation handled the call itself */
	int key_searched;       /* key's file was found by a search, not seen
				 * (keyfind.h): text marks it "?", JSON
				 * "key_from":"search" */
	size_t scratch_used;
	/* ring mode: the key's native name where it stays readable until
	 * ev_end (the caller's argument, the hook's copy), not copied into
	 * key; ring_put writes it once, or marks it as the string argument
	 * it is. ev_key_finish and line mode copy it first. */
	const char *key_src;
	size_t key_len;         /* key_src's length if known, else SHIM_LEN_UNKNOWN */
	struct shim_arg arg[SHIM_MAX_ARGS];
	char key[SHIM_NAME_CAP + 32]; /* "" = null */
	/* Copies of the caller's memory made without trusting the pointers. */
	unsigned char scratch[SHIM_STR_MAX + 32 + 16 * sizeof(struct sembuf) + sizeof(struct timespec)]
		__attribute__((aligned(16)));
};

/* The process's and the thread's ids, cached (event.c). */
SHIM_HIDDEN extern pid_t shim_pid_cache;
SHIM_HIDDEN pid_t event_pid_slow(void);
SHIM_HIDDEN pid_t event_tid_slow(void);
/* The event begins: its fields, its thread's ring (claimed if it has none)
 * and its start time. Inline: the hook's own page. */
static inline __attribute__((always_inline)) void ev_begin(struct shim_event *e, enum shim_op op);
/* The call's end: its duration, before the naming (which may search). */
SHIM_HIDDEN void ev_stop(struct shim_event *e);
/* The duration, the errno and the line; restores errno. -1: the sink is
 * lost and tracing must stop. */
SHIM_HIDDEN int ev_end(struct shim_event *e, int failed, int err);
/* The key as text, if it was left as a native name or only referred to
 * (key_src; ring mode leaves both to the reader). */
SHIM_HIDDEN void ev_key_finish(struct shim_event *e);

/* No key: how an event starts. */
static inline void ev_key_none(struct shim_event *e)
{
	e->key[0] = 0;
	e->key_type = -1;
	e->key_src = NULL;
	e->key_len = SHIM_LEN_UNKNOWN;
}
/* The event's next argument, as the hooks name it (namelen: the name's
 * length, known when the hook is compiled; hooks.c's ev_args fills in its
 * value and count). Inline: the hook's own page. */
static inline struct shim_arg *ev_next_arg(struct shim_event *e, const char *name, unsigned namelen,
					   enum arg_kind k)
{
	struct shim_arg *a = &e->arg[e->nargs < SHIM_MAX_ARGS ? e->nargs++ : SHIM_MAX_ARGS - 1];

	a->name = name;
	a->namelen = namelen;
	a->kind = k;
	a->n = 0;
	return a;
}

/* key = "posix:<name>" (as QNativeIpcKey::toString prints it); len: the
 * name's length if known, else SHIM_LEN_UNKNOWN. */
SHIM_HIDDEN void ev_key_posix(struct shim_event *e, const char *name, size_t len);
/* key of a System V key_t: ftok path if known, else "0x%08x"/"IPC_PRIVATE". */
SHIM_HIDDEN void ev_key_sysv(struct shim_event *e, key_t key);
/* key of an id: its key_t's if known, else "shmid:N"/"semid:N". */
SHIM_HIDDEN void ev_key_id(struct shim_event *e, int kind, int id);
SHIM_HIDDEN void ev_key_ftok(struct shim_event *e, const char *path, int id);

/* ---------------------------------------------------------------- ring.c */

/* Maps the pool NIPC_TRACE_RING names (no descriptor stays open); -1 if
 * it is gone or not a pool. */
SHIM_HIDDEN int ring_init(const char *name);
SHIM_HIDDEN int ring_on(void);
/* Events time themselves with the TSC (the ring's reader converts). */
SHIM_HIDDEN extern int shim_clock_tsc;
SHIM_HIDDEN uint64_t shim_mono_ns(void);
/* The events' clock: TSC ticks when the ring's reader asked for them,
 * else CLOCK_MONOTONIC ns. */
static inline uint64_t ev_clock(void)
{
#if defined(__x86_64__)
	if (shim_clock_tsc)
		return __builtin_ia32_rdtsc();
#endif
	return shim_mono_ns();
}
/* The thread's ring, claimed from the pool (NULL: none is free). */
SHIM_HIDDEN struct ring_hdr *ring_claim(pid_t pid, pid_t tid);
/* The event that began at start is ending: the reader holds back events
 * that ended after start until its record is in. */
SHIM_HIDDEN void ring_end(uint64_t start);
/* The event as a record in this thread's ring (claimed on first use). */
SHIM_HIDDEN void ring_put(const struct shim_event *e);
/* A fork child claims rings of its own. */
SHIM_HIDDEN void ring_after_fork(void);
/* A traced op's hook entered while the thread (of process pid) is inside
 * the shim, from caller: lost unless the caller is the shim itself. */
SHIM_HIDDEN void ring_nested(enum shim_op op, const void *caller, pid_t pid);

/* pid/tid caches, reset in a fork child. */
SHIM_HIDDEN void event_after_fork(void);
/* This process's pid (cached); event_pid has it as a function. */
SHIM_HIDDEN pid_t event_pid(void);
/* Caches the pid at start-up. */
SHIM_HIDDEN void event_note_pid(void);
/* 1 in a child of vfork (it shares the parent's memory, names included,
 * until it execs). */
SHIM_HIDDEN int event_in_vfork_child(void);

SHIM_HIDDEN void fmt_put_keyt(struct out *o, key_t k);
/* How a text line starts: local time from utc_offset, and the tid if tid.
 * strace 0: nipc's own line (HH:MM:SS.uuuuuu, and the duration in us or ms
 * before the key); else strace's: 1 -t, 2 -tt, 3 -ttt, 4 no time, with
 * rel_ns since the previous event if rel (-r), and the duration as
 * <S.uuuuuu> at the end if dur (-T). */
struct fmt_prefix {
	long utc_offset;
	int tid;
	int strace, rel, dur;
	unsigned long long rel_ns;
};
/* The event as a JSON record or a text line (pfx NULL: no pid and time). */
SHIM_HIDDEN void format_event(struct out *o, const struct shim_event *e, int json,
			      const struct fmt_prefix *pfx);

/* The traced path's per-thread state, in one block. On x86-64 it is
 * addressed from the thread pointer with its offset kept in nipc_hot
 * (shim_tls_off), not through the GOT: the GOT's page is one the path
 * touches for nothing else, a TLB miss after each system call where page-
 * table isolation has no PCID. Under the sanitizers, and elsewhere, it is
 * the plain thread-local variable. */
struct ring_hdr;
struct shim_tls {
	int busy;               /* reentrancy guard: the shim's own libc calls are
				 * never traced, nor a hook entered from a signal
				 * handler while this thread is tracing */
	int emul_took;          /* the emulation handled the current call (emul_sysv.h) */
	int *errno_p;           /* &errno, taken once */
	pid_t tid;              /* gettid(), once; 0 again in a fork child */
	struct ring_hdr *ring;  /* the thread's ring and where it stands (ring.c) */
	uint64_t head, room, dropped;
};
SHIM_HIDDEN extern __thread struct shim_tls shim_tls_block __attribute__((tls_model("initial-exec")));

#if defined(__x86_64__) && defined(__SEG_FS) && !defined(__SANITIZE_ADDRESS__)
typedef __seg_fs struct shim_tls shim_tls_t;
SHIM_HIDDEN extern intptr_t shim_tls_off;
/* shim_tls_block's offset from the thread pointer, stored (the same for
 * every thread: static TLS). */
SHIM_HIDDEN intptr_t shim_tls_locate(void);
static inline shim_tls_t *shim_tls(void)
{
	intptr_t off = __atomic_load_n(&shim_tls_off, __ATOMIC_RELAXED);

	if (UNLIKELY(!off))
		off = shim_tls_locate();
	return (shim_tls_t *)off;
}
#else
typedef struct shim_tls shim_tls_t;
static inline shim_tls_t *shim_tls(void)
{
	return &shim_tls_block;
}
#endif

/* The thread's errno, its address taken once: the tracing path calls no
 * libc function to read or restore it. */
static inline int *shim_errno(void)
{
	shim_tls_t *t = shim_tls();
	int *p = t->errno_p;

	if (UNLIKELY(!p))
		p = t->errno_p = &errno;
	return p;
}

/* A string's length up to max, and a copy, without a call into libc (a
 * page the traced call may not have touched), a word at a time. The
 * length reads aligned words only, which never cross into another page;
 * bytes past the string's end are read, never used. */
typedef uint64_t __attribute__((may_alias)) shim_word;

__attribute__((no_sanitize_address)) static inline size_t shim_strnlen(const char *s, size_t max)
{
	const shim_word *w = (const shim_word *)((uintptr_t)s & ~(uintptr_t)7);
	unsigned skip = (uintptr_t)s & 7;
	uint64_t v = *w | ((UINT64_C(1) << (skip * 8)) - 1);
	size_t n = 0;

	for (;;) {
		uint64_t z = (v - UINT64_C(0x0101010101010101)) & ~v & UINT64_C(0x8080808080808080);

		if (z) {
			n += (size_t)(__builtin_ctzll(z) >> 3) - skip;
			return n < max ? n : max;
		}
		n += 8 - skip;
		skip = 0;
		if (n >= max)
			return max;
		v = *++w;
	}
}

static inline void shim_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *p = src;

	/* whole words, then the last word again, overlapping; short copies
	 * as two overlapping halves */
	if (n >= 8) {
		uint64_t w;
		size_t i;

		for (i = 0; i + 8 <= n; i += 8) {
			__builtin_memcpy(&w, p + i, 8);
			__builtin_memcpy(d + i, &w, 8);
		}
		if (i < n) {
			__builtin_memcpy(&w, p + n - 8, 8);
			__builtin_memcpy(d + n - 8, &w, 8);
		}
	} else if (n >= 4) {
		uint32_t a, b;

		__builtin_memcpy(&a, p, 4);
		__builtin_memcpy(&b, p + n - 4, 4);
		__builtin_memcpy(d, &a, 4);
		__builtin_memcpy(d + n - 4, &b, 4);
	} else if (n >= 2) {
		uint16_t a, b;

		__builtin_memcpy(&a, p, 2);
		__builtin_memcpy(&b, p + n - 2, 2);
		__builtin_memcpy(d, &a, 2);
		__builtin_memcpy(d + n - 2, &b, 2);
	} else if (n) {
		*d = *p;
	}
}

/* ------------------------------------------------- an event's beginning */

static inline __attribute__((always_inline)) pid_t ev_pid(void)
{
	pid_t p = __atomic_load_n(&shim_pid_cache, __ATOMIC_RELAXED);

	return LIKELY(p) ? p : event_pid_slow();
}

static inline __attribute__((always_inline)) pid_t ev_tid(void)
{
	pid_t p = shim_tls()->tid;

	return LIKELY(p) ? p : event_tid_slow();
}

static inline __attribute__((always_inline)) void ev_begin(struct shim_event *e, enum shim_op op)
{
	e->op = op;
	e->nargs = 0;
	ev_key_none(e);
	e->key_searched = 0;
	e->dur = 0;
	e->emulated = 0;
	e->rk = R_INT;
	e->pid = ev_pid();
	e->tid = ev_tid();
	/* the reader dates ring records from the monotonic clock */
	if (shim_policy.sink != SINK_RING) {
		clock_gettime(CLOCK_REALTIME, &e->ts);
	} else {
		shim_tls_t *t = shim_tls();

		if (UNLIKELY(!t->ring))
			t->ring = ring_claim(e->pid, e->tid);
	}
	e->t0 = ev_clock();
}

#endif
