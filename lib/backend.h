/* The backend interface of shared memory and system semaphores: shm.c and
 * sem.c hold the state machines and error policy; each backend (sysv.c,
 * posix.c) fills one ops table. Tests may install their own table. */
#ifndef NIPC_BACKEND_H
#define NIPC_BACKEND_H

#include "internal.h"

/* Why a backend call failed: a negative NIPC_E* code and the reason text
 * that follows "<operation>: " in the object's error string. */
#define NIPC_WHY_MAX 160
struct nipc_why {
	int code;
	char text[NIPC_WHY_MAX];
};

/* A segment while attached. */
struct nipc_seg {
	void *addr;
	size_t size;
	int id;        /* System V shmid */
	int fd;        /* POSIX: kept open while attached, -1 otherwise */
	int shared;    /* POSIX: holds the shared OFD lock that marks the attachment */
};

/* An open system semaphore. */
struct nipc_bsem {
	const struct nipc_backend *be;
	char *native;  /* copy of the native key, for reopening and removal */
	int type;
	int initial;
	int owner;     /* removes the OS object on close */
	int mutex;     /* a segment's lock: binary, never remade by a release */
	int id;        /* System V semid, -1 when closed */
	void *psem;    /* POSIX sem_t *, NULL when closed */
	int fd;        /* POSIX mutex mode: the semaphore's file, for OFD locks; -1 */
	unsigned char *flag; /* POSIX mutex mode: fd's flag byte mapped, or NULL */
	int inherited; /* POSIX mutex mode: the count of a dead holder was taken over */
};

struct nipc_backend {
	const char *name;
	/* Makes a segment of size bytes (not attached); returns its System V id,
	 * or 0 when the backend has none. */
	int (*seg_create)(const nipc_key *key, size_t size, struct nipc_why *why);
	/* Attaches; fills seg (address and actual size). A System V backend
	 * attaches to seg->id when it is >= 0 (the id seg_create returned), else
	 * finds the segment by key. */
	int (*seg_attach)(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why);
	/* Detaches; when cleanup is set and nobody else is attached, removes the
	 * segment and sets *removed. seg is cleared even on failure. */
	int (*seg_detach)(const nipc_key *key, struct nipc_seg *seg, int cleanup, int *removed,
			  struct nipc_why *why);
	/* Removes a segment nobody is attached to (and its key file). */
	void (*seg_remove)(const nipc_key *key);
	/* Opens (create: Qt's Create mode). mutex: s is a segment's lock
	 * semaphore, used only with initial 1, acquire and release(1). */
	int (*sem_open)(struct nipc_bsem *s, const nipc_key *key, int initial, int create,
			int mutex, struct nipc_why *why);
	int (*sem_acquire)(struct nipc_bsem *s, struct nipc_why *why);
	int (*sem_release)(struct nipc_bsem *s, int n, struct nipc_why *why);
	/* Closes; an owner removes the OS semaphore (and its key file). */
	void (*sem_close)(struct nipc_bsem *s);
	/* Removes the OS semaphore whoever owns it, then closes. */
	void (*sem_remove)(struct nipc_bsem *s);
};

NIPC_HIDDEN extern const struct nipc_backend nipc__sysv_backend;
NIPC_HIDDEN extern const struct nipc_backend nipc__posix_backend;

/* The table for a key type, or NULL if the type has no backend here. */
NIPC_HIDDEN const struct nipc_backend *nipc__backend_for(int type);
/* Tests: use be for System V types (sysv != 0) or POSIX; NULL restores. */
NIPC_HIDDEN void nipc__backend_override(int sysv, const struct nipc_backend *be);

/* 1 if a POSIX segment of key exists. */
NIPC_HIDDEN int nipc__posix_seg_exists(const nipc_key *key);

/* Fills why from errno e with Qt's mapping; returns why->code. */
NIPC_HIDDEN int nipc__why_errno(struct nipc_why *why, int e);
/* Sets why to code and text; returns code (negative). */
NIPC_HIDDEN int nipc__why_set(struct nipc_why *why, int code, const char *text);

/* System V key file: made with O_CREAT|O_EXCL, mode 0640; *made says whether
 * this call made it. 0 or -errno. */
NIPC_HIDDEN int nipc__key_file(const char *path, int *made);

#endif
