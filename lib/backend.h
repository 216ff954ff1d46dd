/* SPDX-License-Identifier: MIT */
/* The backend interface of shared memory and system semaphores: shm.c and
 * sem.c hold the state machines and error policy; each backend (sysv.c,
 * posix.c) fills one ops table; backend.c holds the registry and the
 * helpers they share. Tests may install their own table. */
#ifndef NIPC_BACKEND_H
#define NIPC_BACKEND_H

#include "internal.h"

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Why a backend call failed: a negative NIPC_E* code and the reason text
 * that follows "<operation>: " in the object's error string. */
#define NIPC_WHY_MAX 160
struct nipc_why {
	int code;
	char text[NIPC_WHY_MAX];
};

/* Room for a backend's own state in the shared structs, as struct
 * sockaddr_storage is for addresses: each backend casts it to a struct
 * private to its file (sysv.c: ids; posix.c: descriptors and maps; a
 * Windows backend: HANDLEs), so adding a backend changes no shared struct.
 * All zero means "nothing open". */
#define NIPC_PRIV_MAX 64
/* ptr->priv as the backend's type; a type too large does not compile. */
#define NIPC_PRIV(ptr, type) \
	((type *)(void *)((ptr)->priv + 0 * sizeof(char[sizeof(type) <= NIPC_PRIV_MAX ? 1 : -1])))

/* A segment: zeroed before seg_create or seg_attach; create may leave in
 * priv what the attach that follows needs. addr and size while attached. */
struct nipc_seg {
	void *addr;
	size_t size;
	_Alignas(max_align_t) unsigned char priv[NIPC_PRIV_MAX];
};

/* What opening a segment's lock made (struct nipc_bsem.made). */
enum { NIPC_MADE_SEM = 1, NIPC_MADE_FILE = 2 };

/* An open system semaphore: either a nipc_sem (Qt's QSystemSemaphore
 * semantics, with an owner that removes it) or a segment's lock (mutex:
 * nobody owns it; it is removed only by lock_remove, see libnipc(3)). */
struct nipc_bsem {
	const struct nipc_backend *be;
	char *native;  /* copy of the native key, for reopening and removal */
	int type;
	int initial;
	int owner;     /* nipc_sem: removes the OS object on close */
	int mutex;     /* a segment's lock: binary, never owned, never remade by a release */
	int made;      /* mutex: NIPC_MADE_* bits, what this handle's opens made */
	int recovered; /* mutex: the last acquire took the lock over from a dead holder */
	int no_undo;   /* nipc_sem: System V semop without SEM_UNDO (POSIX never undoes) */
	_Alignas(max_align_t) unsigned char priv[NIPC_PRIV_MAX]; /* the backend's own */
};

#define NIPC_OBJ_TIMES 6 /* nipc_obj_time_which values */

/* One object as a backend sees it (the public nipc_obj): filled by the
 * backend's stat and list ops; the attached PIDs are added by obj.c in one
 * pass over /proc for all objects of a call. Unknown numbers are -1, times
 * not recorded 0. */
struct nipc_obj {
	const char *backend; /* the backend's name */
	int kind;            /* NIPC_KIND_SHM or NIPC_KIND_SEM */
	int has_sysv_key;
	long sysv_key;       /* System V key_t */
	char *name;          /* POSIX name ("/x"), NULL for System V */
	long id;             /* System V shmid/semid */
	long uid, gid, cuid, cgid;
	unsigned mode;
	unsigned long long size;
	unsigned long count;
	long long times[NIPC_OBJ_TIMES];
	long cpid, lpid;
	long nattch;         /* the kernel's count of attachments */
	/* what /proc/PID/maps shows for a process that maps it */
	int map_sysv;        /* a "/SYSV%08x (deleted)" line, inode = id */
	dev_t dev;
	ino_t ino;
	int mappable;
	int pids_known;      /* the /proc pass ran */
	long *pids;
	size_t npids, cap;
};

struct nipc_objlist {
	struct nipc_obj *v;
	size_t n, cap;
};

/* A new zeroed object at the end of l (unknown numbers set to -1), or
 * NULL when out of memory. */
NIPC_HIDDEN struct nipc_obj *nipc__obj_add(struct nipc_objlist *l, const char *backend, int kind);
/* Frees what the objects of l own and empties l. */
NIPC_HIDDEN void nipc__objlist_clear(struct nipc_objlist *l);

/* One pass over /proc/PID/maps: for each object of v that is mappable,
 * the PIDs (other than skip, when > 0) of the processes that map it.
 * Processes whose maps may not be read are not seen. 0, -1 without /proc,
 * -NIPC_ENOMEM. */
NIPC_HIDDEN int nipc__maps_scan(struct nipc_obj *v, size_t n, pid_t skip);

struct nipc_backend {
	const char *name;
	/* Makes a segment of size bytes (not attached) and may note in seg
	 * (zeroed by the caller) what the seg_attach that follows needs: System
	 * V keeps the id, which its key still names under the lock, as Qt keeps
	 * its ftok() result. A half-made segment is never visible under its key. */
	int (*seg_create)(const nipc_key *key, size_t size, struct nipc_seg *seg,
			  struct nipc_why *why);
	/* Attaches; fills seg (address and actual size). seg is zeroed by the
	 * caller, or as seg_create left it. */
	int (*seg_attach)(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why);
	/* Detaches; when cleanup is set and nobody else is attached, removes the
	 * segment (not its key file: see lock_remove) and sets *removed. seg is
	 * cleared even on failure. */
	int (*seg_detach)(const nipc_key *key, struct nipc_seg *seg, int cleanup, int *removed,
			  struct nipc_why *why);
	/* Removes a segment nobody is attached to (not its key file). */
	void (*seg_remove)(const nipc_key *key);
	/* 1 if a segment of key exists (or may: one we may not see), else 0.
	 * Creates nothing and opens no IPC object. */
	int (*seg_exists)(const nipc_key *key);
	/* Opens (create: Qt's Create mode, for a nipc_sem). mutex: s is a
	 * segment's lock, opened (made with value 1 when missing) and never
	 * reset or replaced; used with acquire and release(1) only. */
	int (*sem_open)(struct nipc_bsem *s, const nipc_key *key, int initial, int create,
			int mutex, struct nipc_why *why);
	/* Takes one, waiting at most timeout_ms (< 0: for ever; 0: not at
	 * all): 0, or 1 when the time ran out. A mutex waits for a live holder,
	 * takes a provably stale lock over (setting s->recovered when a holder
	 * died holding it) and follows a lock that was removed under it. */
	int (*sem_acquire)(struct nipc_bsem *s, long timeout_ms, struct nipc_why *why);
	/* Gives n. A mutex that fails to give is not held afterwards. */
	int (*sem_release)(struct nipc_bsem *s, int n, struct nipc_why *why);
	/* nipc_sem: its current value into *out. */
	int (*sem_value)(const struct nipc_bsem *s, int *out, struct nipc_why *why);
	/* Closes; a nipc_sem owner removes the OS semaphore (and its key file).
	 * A mutex is only closed. */
	void (*sem_close)(struct nipc_bsem *s);
	/* A mutex held by the caller, whose segment is gone: removes it (its
	 * waiters reopen), then the key files — those of the segment key seg
	 * and of the lock when files is set, else only those this handle
	 * made — and closes it. */
	void (*lock_remove)(struct nipc_bsem *s, const nipc_key *seg, int files);
	/* Appends the object of key and kind (NIPC_KIND_SHM or SEM) to l, with
	 * everything but its attached PIDs; -NIPC_ENOTFOUND when there is none. */
	int (*stat)(struct nipc_objlist *l, const nipc_key *key, int kind);
	/* Appends every object this backend can see (of every user) to l. */
	int (*list)(struct nipc_objlist *l);
};

/* The initializers of a backend whose ops are named P_seg_create ...
 * P_list, so that a new op is one line here and every backend must have it. */
#define NIPC_BACKEND_OPS(P) \
	.seg_create = P##_seg_create, .seg_attach = P##_seg_attach, \
	.seg_detach = P##_seg_detach, .seg_remove = P##_seg_remove, \
	.seg_exists = P##_seg_exists, .sem_open = P##_sem_open, \
	.sem_acquire = P##_sem_acquire, .sem_release = P##_sem_release, \
	.sem_value = P##_sem_value, .sem_close = P##_sem_close, \
	.lock_remove = P##_lock_remove, .stat = P##_stat, .list = P##_list

NIPC_HIDDEN extern const struct nipc_backend nipc__sysv_backend;
NIPC_HIDDEN extern const struct nipc_backend nipc__posix_backend;

/* The table for a key type, or NULL if the type has no backend here. */
NIPC_HIDDEN const struct nipc_backend *nipc__backend_for(int type);
/* The table for a usable key, or NULL with why set: -NIPC_EKEY (no key,
 * an empty key, an invalid type) or -NIPC_ENOTSUP (no backend here). */
NIPC_HIDDEN const struct nipc_backend *nipc__backend_of(const nipc_key *key,
							 struct nipc_why *why);
/* Tests: use be for System V types (sysv != 0) or POSIX; NULL restores. */
NIPC_HIDDEN void nipc__backend_override(int sysv, const struct nipc_backend *be);

/* An object's last error: its Qt error code and "<op>: <reason>". */
#define NIPC_ERRSTR_MAX (64 + NIPC_WHY_MAX + 32)
struct nipc_err {
	int qt;
	size_t reason; /* where the reason starts in text */
	char text[NIPC_ERRSTR_MAX];
};

/* Sets e; returns code. */
NIPC_HIDDEN int nipc__err_set(struct nipc_err *e, int qt, const char *op, int code,
			      const char *reason);
/* No error. */
NIPC_HIDDEN void nipc__err_clear(struct nipc_err *e);

/* Fills why from errno e with Qt's mapping; returns why->code. */
NIPC_HIDDEN int nipc__why_errno(struct nipc_why *why, int e);
/* Sets why to code and text; returns code (negative). */
NIPC_HIDDEN int nipc__why_set(struct nipc_why *why, int code, const char *text);
/* The one check that a key names an object: 0, or -NIPC_EKEY ("key is
 * empty") in why if native is NULL or empty. */
NIPC_HIDDEN int nipc__key_check(const char *native, struct nipc_why *why);

/* fd moved to 3 or above, close-on-exec (the original is closed), so the
 * library never keeps, reads or writes through a standard descriptor that
 * happened to be closed. -1 (fd closed, errno set) if that fails. */
NIPC_HIDDEN int nipc__fd_high(int fd);
/* 1 if process pid is provably gone when something it did happened at
 * time `when` (epoch seconds): no such process, a zombie, or a process of
 * that pid that started after `when` (the pid was reused). 0 when it may
 * be alive or cannot be seen (pid <= 0, another PID namespace). */
NIPC_HIDDEN int nipc__pid_gone(pid_t pid, time_t when);
/* 1 if every process has a pid here (this is the initial PID namespace),
 * so that a pid read as 0 stands for no process at all, not for one in
 * another namespace. Not cached: a fork after unshare(2) changes it. */
NIPC_HIDDEN int nipc__pids_all_visible(void);
/* Processes other than this one that map the file (dev, ino), from
 * /proc/PID/maps (nipc__maps_scan), or -1 without /proc. */
NIPC_HIDDEN long nipc__mappers(dev_t dev, ino_t ino);
/* Sleeps ms milliseconds (EINTR resumes). */
NIPC_HIDDEN void nipc__sleep_ms(long ms);
/* Timeouts: the CLOCK_MONOTONIC millisecond at which timeout_ms (< 0:
 * never) runs out, and the milliseconds left until deadline: -1 for
 * never, 0 when it has passed. */
NIPC_HIDDEN long long nipc__deadline(long timeout_ms);
NIPC_HIDDEN long nipc__left_ms(long long deadline);

/* System V key file: made with O_CREAT|O_EXCL, mode 0640; *made says whether
 * this call made it. 0 or -errno. */
NIPC_HIDDEN int nipc__key_file(const char *path, int *made);

#endif
