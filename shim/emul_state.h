/* SPDX-License-Identifier: MIT */
/* The emulation's shared state (emul_state.c): one registry per emulation
 * namespace in POSIX shared memory, no daemon. The layout, its invariants
 * and the crash windows are described at the top of emul_state.c. */
#ifndef NIPC_EMUL_STATE_H
#define NIPC_EMUL_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EMUL_MAGIC 0x6e697063u   /* "nipc" */
#define EMUL_VERSION 2u
#define EMUL_IPCMNI 32768        /* the kernel's index space below the sequence */
#define EMUL_NSEG 1024           /* segments: ids with an index at EMUL_IDX_BASE or above */
#define EMUL_IDX_BASE (EMUL_IPCMNI - EMUL_NSEG)
#define EMUL_NATT 4096           /* attachments of all processes */
#define EMUL_NAME_BUF 256
#define EMUL_NSET 1024           /* semaphore sets: ids with an index at EMUL_IDX_BASE or above */
#define EMUL_SNAME 96
#define EMUL_NS_MAX 40

enum emul_seg_state { ES_FREE, ES_LIVE, ES_DEST };

/* One System V segment. The data lives in the POSIX object name (the
 * bytes only, no header); everything the kernel keeps about it is here. */
struct emul_seg {
	uint32_t state;         /* enum emul_seg_state */
	uint32_t seq;           /* generation of the slot: the id's upper bits */
	int32_t key;            /* IPC_PRIVATE once removed */
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;          /* 0777 bits, SHM_DEST, SHM_LOCKED */
	int32_t cpid, lpid;
	uint64_t size;
	int64_t atime, dtime, ctime;
	uint64_t ino;           /* the backing object's inode (a cached descriptor is checked against it) */
	char name[EMUL_NAME_BUF];
	uint32_t lock_uid;      /* the real uid SHM_LOCK charged (RLIMIT_MEMLOCK) */
};

/* One attachment: a mapping of a segment in a process that is alive while
 * pid has start time start. */
struct emul_att {
	uint32_t used;
	uint32_t slot, seq;
	int32_t pid;
	uint64_t start;
	uint64_t addr;
};

/* One System V semaphore set: the key and where its state lives (the
 * POSIX object name, emul_sem.c); everything else is in that object. A
 * FREE slot keeps the seq of its last set: an id of a removed set is still
 * known to be emulated (EINVAL, never the kernel's). */
struct emul_set {
	uint32_t state;         /* ES_FREE or ES_LIVE */
	uint32_t seq;
	int32_t key;
	uint32_t nsems;
	uint64_t bytes;         /* the size of the set's object */
	uint64_t ino;           /* its inode: a name reused by another set is not this one */
	char name[EMUL_SNAME];
};

#define EMUL_JMAX 4
#define EMUL_JBYTES 1024

/* The redo journal: images of records staged, then committed with one
 * store, then applied; a holder that dies after the commit is finished by
 * the next one to take the lock (the images are copies, so applying them
 * again is harmless). */
struct emul_journal {
	uint32_t committed;
	uint32_t n, used;
	struct { uint32_t off, len; } e[EMUL_JMAX];
	unsigned char data[EMUL_JBYTES];
};

struct emul_reg {
	uint32_t magic, version;
	uint64_t bytes;         /* sizeof(struct emul_reg) of the creator */
	uint32_t idx_base, nseg, natt;
	uint32_t seg_hi;        /* no slot at or above this was ever used */
	uint64_t repairs;       /* dead holders whose update was finished */
	pthread_mutex_t lock;   /* robust, process-shared */
	struct emul_journal j;
	struct emul_seg seg[EMUL_NSEG];
	struct emul_att att[EMUL_NATT];
	uint32_t nset;
	uint32_t set_hi;        /* no set slot at or above this was ever used */
	struct emul_set set[EMUL_NSET];
};

/* The registry, mapped when first needed; NULL before, when the emulation
 * is off, or when it cannot reach it (emul_state_why() says why). */
extern struct emul_reg *emul_reg;
/* The emulation namespace: NIPC_NAMESPACE or "u<uid>". */
extern char emul_ns[EMUL_NS_MAX + 1];
/* This process: pid and start time (clock ticks since boot, /proc). */
extern pid_t emul_pid;
extern uint64_t emul_start;

/* At start-up: this process, the namespace, the check that the kernel
 * cannot issue emulated ids of the families emulated (shm, sem: 1 each).
 * 0, or -1 with the reason kept. */
int emul_state_init(int shm, int sem);
/* Maps the namespace's registry, creating it if make (and it is missing).
 * 0, or -1: errno ENOENT (none, and !make) or the reason kept. */
int emul_state_reach(int make);
const char *emul_state_why(void);
/* nipc run's check before it starts a program (after emul_state_init):
 * the registry opens, or could be created (a scratch object beside it is
 * made and removed: nothing is left behind). 0, or -1 with the reason kept. */
int emul_state_probe(void);
/* After fork: this process's pid and start time. Allocation-free. */
void emul_state_child(void);

/* pthread_mutex_lock of a robust process-shared mutex, with every wait
 * bounded (a lost wake-up costs at most EMUL_LOCK_RETRY_NS): 0,
 * EOWNERDEAD or another error as pthread_mutex_lock gives them. */
#define EMUL_LOCK_RETRY_NS 10000000
int emul_mutex_lock(pthread_mutex_t *m);

/* Makes m a robust, process-shared mutex: 0 or an errno value. */
int emul_init_lock(pthread_mutex_t *m);

/* The registry lock; repairs after a holder that died. 0, or -1
 * (ENOTRECOVERABLE: the state is lost). */
int emul_lock(void);
void emul_unlock(void);

/* Stages the new image of len bytes at dst (inside the registry). */
void emul_jput(void *dst, const void *src, size_t len);
/* Commits and applies what was staged. */
void emul_jcommit(void);

/* A process's start time; 0 if it does not exist or is a zombie (its
 * mappings are gone). */
uint64_t emul_proc_start(pid_t pid);
int emul_alive(pid_t pid, uint64_t start);

/* The highest index the kernel may give a new segment or set now
 * (kernel.shmmni, semmni), for the check and its message. */
long emul_kernel_idx_limit(long mni);

/* An object's System V owner, creator and mode, as the kernel checks them. */
struct emul_perm {
	uint32_t uid, gid, cuid, cgid, mode;
};

/* The kernel's ipcperms: 0 when the rwx bits of flag (in any of the three
 * positions) are granted to this process. Root stands for CAP_IPC_OWNER. */
int emul_denied(const struct emul_perm *p, int flag);
/* IPC_SET and IPC_RMID: 0 for the owner or creator; root stands for
 * CAP_SYS_ADMIN. */
int emul_not_owner(const struct emul_perm *p);

/* The nth number (from 0) of a small /proc file, -1 if unreadable. */
long long emul_read_num(const char *path, int nth);

#endif
