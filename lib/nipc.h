/* SPDX-License-Identifier: MIT */
/* nipc — Qt's native IPC model (keys, shared memory, system semaphores)
 * in plain C, byte-compatible with real Qt programs.
 *
 * Conventions (every function below follows them unless it says otherwise):
 * - Functions that can fail return 0 on success or a negative NIPC_E* code.
 * - Strings are NUL-terminated UTF-8. Returned `const char *` pointers are
 *   owned by the object they came from and stay valid until that object is
 *   changed or freed.
 * - Handles (nipc_key, nipc_shm, nipc_sem) are created and freed by the
 *   library. A handle may be used from any thread, but not from two threads
 *   at once; distinct handles are independent. Functions that take only
 *   values (no handle) are thread-safe.
 * - Nothing blocks unless its comment says it does.
 * - A key whose type is valid but has no backend on this host (Windows keys
 *   on Linux) gives -NIPC_ENOTSUP, and the object's Qt error is KeyError.
 */
#ifndef NIPC_H
#define NIPC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NIPC_BUILDING) && defined(__GNUC__)
#define NIPC_API __attribute__((visibility("default")))
#else
#define NIPC_API
#endif

/* ---------------------------------------------------------------- errors */

/* Error codes, returned negated. 1..8 have the meaning and order of
 * QSharedMemory::SharedMemoryError; an object's Qt error (nipc_shm_error,
 * nipc_sem_error) is in the NIPC_SHM_ERR_* / NIPC_SEM_ERR_* enums below. */
enum {
	NIPC_OK = 0,
	NIPC_EPERM = 1,         /* PermissionDenied */
	NIPC_EINVALIDSIZE = 2,  /* InvalidSize */
	NIPC_EKEY = 3,          /* KeyError: empty, invalid or unusable key */
	NIPC_EEXIST = 4,        /* AlreadyExists */
	NIPC_ENOTFOUND = 5,     /* NotFound */
	NIPC_ELOCK = 6,         /* LockError */
	NIPC_ERESOURCES = 7,    /* OutOfResources */
	NIPC_EUNKNOWN = 8,      /* UnknownError: see the object's error string */
	NIPC_EINVAL = 9,        /* bad argument (NULL, invalid UTF-8, out of range) */
	NIPC_ENOMEM = 10,       /* the library could not allocate */
	NIPC_ESTATE = 11,       /* not valid in this state (e.g. detach while detached) */
	NIPC_ENOTSUP = 12,      /* key type not supported on this host */
	NIPC_ETIMEDOUT = 13     /* a timed or try lock/acquire found it taken */
};

/* QSharedMemory::SharedMemoryError, by name and value. */
typedef enum {
	NIPC_SHM_ERR_NO_ERROR = 0,
	NIPC_SHM_ERR_PERMISSION_DENIED = 1,
	NIPC_SHM_ERR_INVALID_SIZE = 2,
	NIPC_SHM_ERR_KEY_ERROR = 3,
	NIPC_SHM_ERR_ALREADY_EXISTS = 4,
	NIPC_SHM_ERR_NOT_FOUND = 5,
	NIPC_SHM_ERR_LOCK_ERROR = 6,
	NIPC_SHM_ERR_OUT_OF_RESOURCES = 7,
	NIPC_SHM_ERR_UNKNOWN_ERROR = 8
} nipc_shm_error_code;

/* QSystemSemaphore::SystemSemaphoreError, by name and value. */
typedef enum {
	NIPC_SEM_ERR_NO_ERROR = 0,
	NIPC_SEM_ERR_PERMISSION_DENIED = 1,
	NIPC_SEM_ERR_KEY_ERROR = 2,
	NIPC_SEM_ERR_ALREADY_EXISTS = 3,
	NIPC_SEM_ERR_NOT_FOUND = 4,
	NIPC_SEM_ERR_OUT_OF_RESOURCES = 5,
	NIPC_SEM_ERR_UNKNOWN_ERROR = 6
} nipc_sem_error_code;

/* Static text for a code (either sign). Never NULL. Thread-safe. */
NIPC_API const char *nipc_strerror(int err);
/* Static symbolic name ("NIPC_EEXIST") for a code (either sign). Never NULL. */
NIPC_API const char *nipc_err_name(int err);

/* "0.1.0" */
NIPC_API const char *nipc_version(void);

/* ------------------------------------------------------------- key types */

/* A key type is an int: 0 invalid; 1..255 System V with that ftok project id
 * (81, 'Q', is the standard one and prints as "systemv"); POSIX; Windows. */
#define NIPC_KEY_INVALID 0
#define NIPC_KEY_SYSTEMV 0x51
#define NIPC_KEY_POSIX   0x100
#define NIPC_KEY_WINDOWS 0x101

/* 1 if type is one of the values above (System V 1..255, POSIX, Windows). */
NIPC_API int nipc_key_type_is_valid(int type);
/* 1 if type is a System V type (1..255). */
NIPC_API int nipc_key_type_is_systemv(int type);
/* Scheme text of a type: "systemv", "systemv-N", "posix", "windows".
 * Writes at most len bytes including the NUL into buf; returns the length
 * without the NUL, or -NIPC_EINVAL for an invalid type or a buffer too
 * small. Async-signal-safe. */
NIPC_API int nipc_key_type_name(char *buf, size_t len, int type);
/* Inverse of nipc_key_type_name, exactly as the string form's scheme is read
 * ("systemv-81" → 81, "systemv-009" → 9). Returns the type, or 0 if s is not
 * a scheme. */
NIPC_API int nipc_key_type_from_name(const char *s);

/* ------------------------------------------------------------ OS profiles */

/* Platform-safe and legacy keys depend on the OS a Qt program runs on; every
 * profile can be computed on any host. */
typedef enum {
	NIPC_OS_HOST = 0,        /* the host this library was built for */
	NIPC_OS_LINUX,
	NIPC_OS_UNIX,            /* other Unix (BSDs, …) */
	NIPC_OS_MACOS,
	NIPC_OS_MACOS_SANDBOXED, /* macOS app sandbox */
	NIPC_OS_WINDOWS
} nipc_os;

/* The concrete profile NIPC_OS_HOST stands for. */
NIPC_API nipc_os nipc_os_host(void);
/* "linux", "unix", "macos", "macos-sandboxed", "windows"; NULL if unknown.
 * NIPC_OS_HOST resolves to the host's name. */
NIPC_API const char *nipc_os_name(nipc_os os);
/* Parse a profile name into *out; 0 or -NIPC_EINVAL. */
NIPC_API int nipc_os_from_name(nipc_os *out, const char *name);
/* QNativeIpcKey::DefaultTypeForOs / legacyDefaultTypeForOs for a profile. */
NIPC_API int nipc_key_default_type(nipc_os os);
NIPC_API int nipc_key_legacy_default_type(nipc_os os);

/* What an IPC key is made for. */
typedef enum { NIPC_KIND_SHM = 0, NIPC_KIND_SEM = 1 } nipc_kind;

/* ------------------------------------------------------------------ keys */

/* A native IPC key: (type, native key, optional legacy key). */
typedef struct nipc_key nipc_key;

/* New key of type (any int; an invalid type gives an invalid key) and native
 * key text (NULL = empty). Returns 0, -NIPC_EINVAL (native not UTF-8),
 * -NIPC_ENOMEM. The caller frees *out with nipc_key_free. */
NIPC_API int nipc_key_new(nipc_key **out, int type, const char *native);
/* Deep copy of k into *out (free it with nipc_key_free). 0, -NIPC_EINVAL
 * (out or k NULL; *out is NULL), -NIPC_ENOMEM. */
NIPC_API int nipc_key_dup(nipc_key **out, const nipc_key *k);
/* Frees k; NULL is ignored. */
NIPC_API void nipc_key_free(nipc_key *k);

NIPC_API int nipc_key_type(const nipc_key *k);
/* Native key text; never NULL ("" when empty). */
NIPC_API const char *nipc_key_native(const nipc_key *k);
/* Legacy key (the name a legacy key was made from); NULL when none. */
NIPC_API const char *nipc_key_legacy(const nipc_key *k);

NIPC_API int nipc_key_set_type(nipc_key *k, int type);
/* Sets the native key and clears the legacy key (as Qt does).
 * 0, -NIPC_EINVAL, -NIPC_ENOMEM. */
NIPC_API int nipc_key_set_native(nipc_key *k, const char *native);
/* Sets (or with NULL clears) the legacy key. 0, -NIPC_EINVAL, -NIPC_ENOMEM. */
NIPC_API int nipc_key_set_legacy(nipc_key *k, const char *legacy);

/* 1 if the type is valid. */
NIPC_API int nipc_key_is_valid(const nipc_key *k);
/* 1 if the native key is empty. */
NIPC_API int nipc_key_is_empty(const nipc_key *k);
/* 1 if type, native key and legacy key are all equal. */
NIPC_API int nipc_key_equal(const nipc_key *a, const nipc_key *b);

/* String form, exactly as QNativeIpcKey::toString() prints it
 * ("posix:/app", "systemv:/tmp/x?legacyKey=app").
 * nipc_key_format: from the parts, into buf (at most len bytes with the NUL);
 * legacy may be NULL. Returns the length of the full string without the NUL
 * (which may be ≥ len: then buf holds a NUL-terminated prefix), or
 * -NIPC_EINVAL for an invalid type, native or legacy not UTF-8, or a NULL
 * buf with len > 0. No allocation; async-signal-safe.
 * nipc_key_to_string: the same into a malloc'd string (free() it); an
 * invalid key gives -NIPC_EINVAL and *out = NULL. */
NIPC_API long nipc_key_format(char *buf, size_t len, int type, const char *native,
			      const char *legacy);
NIPC_API int nipc_key_to_string(char **out, const nipc_key *k);

/* Parse a string form exactly as QNativeIpcKey::fromString() does.
 * 0 with *out a valid key; -NIPC_EKEY if Qt would give an invalid key, or
 * a key whose text decodes to a NUL (then *out is NULL); -NIPC_EINVAL if s
 * is NULL or not UTF-8; -NIPC_ENOMEM. An empty legacy key reads as none. */
NIPC_API int nipc_key_from_string(nipc_key **out, const char *s);

/* ---------------------------------------------------------- key makers */

/* Notes a key maker may leave (bits of *notes; notes may be NULL). */
enum {
	/* System V safe key: $XDG_RUNTIME_DIR unusable, TempDir/runtime-USER used */
	NIPC_NOTE_RUNTIME_FALLBACK = 1u << 0,
	/* System V safe key: no usable runtime dir at all; key is "/" + name */
	NIPC_NOTE_RUNTIME_NONE = 1u << 1,
	/* legacy key: TMPDIR does not exist, key is "/qipc_…" (as Qt does) */
	NIPC_NOTE_TEMPDIR_MISSING = 1u << 2,
	/* legacy System V key: the segment's or its lock's key file name is
	 * longer than NAME_MAX; Qt 5's create() fails with KeyError */
	NIPC_NOTE_NAME_TOO_LONG = 1u << 3,
	/* the name was cut to the profile's length limit */
	NIPC_NOTE_TRUNCATED = 1u << 4,
	/* type not supported for this kind on this profile: the key is empty */
	NIPC_NOTE_UNSUPPORTED = 1u << 5
};

/* QNativeIpcKey's platform-safe key (Qt ≥ 6.6, QSharedMemory::
 * platformSafeKey / QSystemSemaphore::platformSafeKey) for name, kind and
 * type on profile os. Reads $XDG_RUNTIME_DIR and $TMPDIR and, for System V
 * on the host profile, may create the runtime directory (mode 0700), as Qt
 * does. 0, -NIPC_EINVAL (bad type, name not UTF-8), -NIPC_ENOMEM. */
NIPC_API int nipc_key_platform_safe(nipc_key **out, const char *name, nipc_kind kind,
				    int type, nipc_os os, unsigned *notes);
/* The legacy key (Qt 4.4–6.5, Qt 5: QSharedMemory::legacyNativeKey) for
 * name, kind and type on profile os; the key remembers name as its legacy
 * key. Reads $TMPDIR. 0, -NIPC_EINVAL, -NIPC_ENOMEM. */
NIPC_API int nipc_key_legacy_make(nipc_key **out, const char *name, nipc_kind kind,
				  int type, nipc_os os, unsigned *notes);

/* System V key of a path as glibc's ftok(3) computes it (the kernel's
 * signed 32-bit key, as nipc_obj_sysv_key gives it). The file must exist.
 * 0 with *out set, or -NIPC_ENOTFOUND / -NIPC_EPERM / -NIPC_EUNKNOWN with
 * errno set. */
NIPC_API int nipc_ftok(long *out, const char *path, int id);

/* ---------------------------------------------------------- shared memory */

typedef struct nipc_shm nipc_shm;

typedef enum { NIPC_SHM_READONLY = 0, NIPC_SHM_READWRITE = 1 } nipc_shm_access;

/* New shared-memory object for key (copied; NULL = no key yet). Nothing is
 * created or attached. 0, -NIPC_EINVAL, -NIPC_ENOMEM. */
NIPC_API int nipc_shm_new(nipc_shm **out, const nipc_key *key);
/* Detaches (as nipc_shm_detach, so it may block on the lock) if attached,
 * releases the lock if held, frees. */
NIPC_API void nipc_shm_free(nipc_shm *shm);
/* Detaches first if attached (may block on the lock); key is copied (NULL
 * clears it). */
NIPC_API int nipc_shm_set_key(nipc_shm *shm, const nipc_key *key);
/* The object's key, or NULL if none. */
NIPC_API const nipc_key *nipc_shm_key(const nipc_shm *shm);

/* Creates a segment of size bytes and attaches to it with access (Qt's
 * create()). Takes the segment's lock semaphore around its work, so it may
 * block while another process holds the lock. -NIPC_ESTATE if attached. */
NIPC_API int nipc_shm_create(nipc_shm *shm, size_t size, nipc_shm_access access);
/* Attaches to an existing segment (Qt's attach()). May block on the lock.
 * -NIPC_ESTATE if attached already. */
NIPC_API int nipc_shm_attach(nipc_shm *shm, nipc_shm_access access);
/* Detaches; the last detach removes the segment (see nipc_shm_set_cleanup).
 * May block on the lock. -NIPC_ESTATE if not attached. */
NIPC_API int nipc_shm_detach(nipc_shm *shm);
NIPC_API int nipc_shm_is_attached(const nipc_shm *shm);
/* Mapped address, NULL when detached. */
NIPC_API void *nipc_shm_data(const nipc_shm *shm);
/* Size of the attached segment (may exceed the requested size); 0 when detached. */
NIPC_API size_t nipc_shm_size(const nipc_shm *shm);
/* Takes the segment's lock semaphore; blocks until it is free, for as long
 * as a live process holds it. Locking a segment already locked by this
 * object warns on stderr and returns 0, as Qt. A holder that dies gives the
 * lock back (System V: SEM_UNDO; POSIX: nipc's crash-safe record), and a
 * provably stale lock is taken over; see libnipc(3), "THE LOCK". */
NIPC_API int nipc_shm_lock(nipc_shm *shm);
/* nipc_shm_lock waiting at most ms milliseconds (ms < 0: for ever, as
 * nipc_shm_lock). -NIPC_ETIMEDOUT when the lock stayed taken (the error is
 * then NIPC_SHM_ERR_LOCK_ERROR, reason "timed out"); the object does not
 * hold the lock then. */
NIPC_API int nipc_shm_lock_timeout(nipc_shm *shm, int ms);
/* nipc_shm_lock_timeout(shm, 0): takes the lock only if it is free now. */
NIPC_API int nipc_shm_trylock(nipc_shm *shm);
/* Releases the lock; -NIPC_ESTATE if this object does not hold it;
 * -NIPC_ELOCK if the release fails. Either way the object does not hold
 * the lock afterwards, and the next nipc_shm_lock() really locks. */
NIPC_API int nipc_shm_unlock(nipc_shm *shm);
/* 1 if the last time this object took the lock (in nipc_shm_lock, or
 * inside create, attach or detach) it took it over from a holder that had
 * died holding it, so the data may be half-written (as a robust mutex's
 * EOWNERDEAD); else 0. POSIX always tells; System V tells only when nipc
 * repaired a count that SEM_UNDO could not give back (the kernel's own
 * SEM_UNDO gives a dead holder's count back silently). */
NIPC_API int nipc_shm_lock_recovered(const nipc_shm *shm);
/* 0 (default 1): keep the segment when this object is the last to detach. */
NIPC_API int nipc_shm_set_cleanup(nipc_shm *shm, int enabled);
/* Last error (NIPC_SHM_ERR_NO_ERROR after success); NULL gives
 * NIPC_SHM_ERR_UNKNOWN_ERROR. */
NIPC_API nipc_shm_error_code nipc_shm_error(const nipc_shm *shm);
/* Last error text naming the operation and the OS reason
 * ("nipc_shm_create: already exists"); "" after success. */
NIPC_API const char *nipc_shm_error_string(const nipc_shm *shm);
/* The reason alone, without the operation ("already exists"); "" after
 * success. */
NIPC_API const char *nipc_shm_error_reason(const nipc_shm *shm);
/* 1 if segments of this key type can be used on this host (checked at run
 * time; the check makes no object). */
NIPC_API int nipc_shm_key_type_supported(int type);

/* -------------------------------------------------------- system semaphore */

typedef struct nipc_sem nipc_sem;

typedef enum { NIPC_SEM_OPEN = 0, NIPC_SEM_CREATE = 1 } nipc_sem_mode;

/* New system semaphore for key (copied) with initial value and mode, as
 * QSystemSemaphore(key, initialValue, mode). The OS object is opened at once
 * where Qt does so. 0 or a negative code (*out is still set and its error is
 * readable unless the code is -NIPC_EINVAL/-NIPC_ENOMEM). */
NIPC_API int nipc_sem_new(nipc_sem **out, const nipc_key *key, int initial, nipc_sem_mode mode);
/* Closes (an owner removes the OS semaphore, as Qt) and frees. */
NIPC_API void nipc_sem_free(nipc_sem *sem);
/* Re-keys the object as QSystemSemaphore::setNativeKey. */
NIPC_API int nipc_sem_set_key(nipc_sem *sem, const nipc_key *key, int initial, nipc_sem_mode mode);
NIPC_API const nipc_key *nipc_sem_key(const nipc_sem *sem);
/* Takes one; blocks until available. */
NIPC_API int nipc_sem_acquire(nipc_sem *sem);
/* nipc_sem_acquire waiting at most ms milliseconds (ms < 0: for ever).
 * -NIPC_ETIMEDOUT when none became available (the error is then
 * NIPC_SEM_ERR_UNKNOWN_ERROR, reason "timed out"). */
NIPC_API int nipc_sem_acquire_timeout(nipc_sem *sem, int ms);
/* nipc_sem_acquire_timeout(sem, 0): takes one only if one is there now. */
NIPC_API int nipc_sem_try_acquire(nipc_sem *sem);
/* Gives n (n ≥ 1). */
NIPC_API int nipc_sem_release(nipc_sem *sem, int n);
/* System V: 1 (the default, as Qt) makes this object's acquires and
 * releases with SEM_UNDO, so the kernel reverts them when the process
 * exits; 0 makes them without, so that a count given by a process that
 * exits stays given (a producer that posts and quits) and one taken by a
 * process that dies stays taken. Every process sharing the semaphore
 * should use the same setting. POSIX semaphores have no undo: there they
 * always behave as with 0, and the setting is only kept. Survives
 * nipc_sem_set_key. 0 or -NIPC_EINVAL. */
NIPC_API int nipc_sem_set_undo(nipc_sem *sem, int enabled);
/* The semaphore's current value into *out (a snapshot: other processes
 * may change it at once). 0, -NIPC_EINVAL, -NIPC_ESTATE (no OS semaphore
 * open: see nipc_sem_error), or the OS's failure as a negative code. */
NIPC_API int nipc_sem_value(int *out, const nipc_sem *sem);
/* Last error (NIPC_SEM_ERR_NO_ERROR after success); NULL gives
 * NIPC_SEM_ERR_UNKNOWN_ERROR. */
NIPC_API nipc_sem_error_code nipc_sem_error(const nipc_sem *sem);
/* Last error text ("nipc_sem_acquire: doesn't exist"); "" after success. */
NIPC_API const char *nipc_sem_error_string(const nipc_sem *sem);
/* The reason alone ("doesn't exist"); "" after success. */
NIPC_API const char *nipc_sem_error_reason(const nipc_sem *sem);
/* 1 if semaphores of this key type can be used on this host (checked at
 * run time; the check makes no object). */
NIPC_API int nipc_sem_key_type_supported(int type);

/* --------------------------------------------------- objects on the host */

/* What the OS records of one segment or semaphore (nipc_obj), and every
 * object a backend can see (nipc_objlist): a snapshot, taken at once, never
 * updated. The processes that map the objects are found in one pass over
 * /proc/PID/maps per call; processes whose maps may not be read (another
 * user's, without privilege) are not seen. Nothing is created or changed. */
typedef struct nipc_obj nipc_obj;
typedef struct nipc_objlist nipc_objlist;

/* Which time nipc_obj_time() gives. */
typedef enum {
	NIPC_OBJ_TIME_ATTACH = 0, /* System V segment: last shmat */
	NIPC_OBJ_TIME_DETACH = 1, /* System V segment: last shmdt */
	NIPC_OBJ_TIME_OP = 2,     /* System V semaphore: last semop */
	NIPC_OBJ_TIME_CHANGE = 3, /* creation or last change of owner or mode
				     (System V); last status change of the file (POSIX) */
	NIPC_OBJ_TIME_MODIFY = 4, /* POSIX: last write to the file */
	NIPC_OBJ_TIME_ACCESS = 5  /* POSIX: last read of the file */
} nipc_obj_time_which;

/* The segment (kind NIPC_KIND_SHM) or semaphore (NIPC_KIND_SEM) of key.
 * 0 with *out set (free it with nipc_obj_free), -NIPC_EINVAL,
 * -NIPC_EKEY (empty key), -NIPC_ENOTSUP (no backend for the key's type
 * here), -NIPC_ENOTFOUND (none), -NIPC_ENOMEM, -NIPC_EUNKNOWN (the OS's
 * records cannot be read). */
NIPC_API int nipc_obj_stat(nipc_obj **out, const nipc_key *key, nipc_kind kind);
NIPC_API void nipc_obj_free(nipc_obj *obj);
/* Every object of every user that the backend of key type `type` can see
 * (System V: all segments and semaphore sets of the IPC namespace, private
 * ones too; POSIX: all segments and named semaphores in /dev/shm); type 0:
 * every backend of this host. 0 with *out set, -NIPC_EINVAL,
 * -NIPC_ENOTSUP, -NIPC_ENOMEM, -NIPC_EUNKNOWN. */
NIPC_API int nipc_objlist_new(nipc_objlist **out, int type);
NIPC_API void nipc_objlist_free(nipc_objlist *list);
NIPC_API size_t nipc_objlist_count(const nipc_objlist *list);
/* The i-th object, owned by list; NULL when i is out of range. */
NIPC_API const nipc_obj *nipc_objlist_get(const nipc_objlist *list, size_t i);

/* Getters; unknown or unrecorded numbers are -1, times 0. */
/* Backend name: "systemv" or "posix". */
NIPC_API const char *nipc_obj_backend(const nipc_obj *obj);
NIPC_API nipc_kind nipc_obj_kind(const nipc_obj *obj);
/* System V key (the kernel's signed 32-bit key; 0 for a private object): 0 with *out set, or
 * -NIPC_ENOTSUP for an object that has none (POSIX), -NIPC_EINVAL. */
NIPC_API int nipc_obj_sysv_key(long *out, const nipc_obj *obj);
/* POSIX name ("/x", the native key); NULL for System V. */
NIPC_API const char *nipc_obj_name(const nipc_obj *obj);
/* System V shmid or semid; -1 for POSIX. */
NIPC_API long nipc_obj_id(const nipc_obj *obj);
/* Owner and creator (System V; POSIX: the file's owner, creator -1). */
NIPC_API long nipc_obj_uid(const nipc_obj *obj);
NIPC_API long nipc_obj_gid(const nipc_obj *obj);
NIPC_API long nipc_obj_creator_uid(const nipc_obj *obj);
NIPC_API long nipc_obj_creator_gid(const nipc_obj *obj);
/* Permission bits (0777 at most). */
NIPC_API unsigned nipc_obj_mode(const nipc_obj *obj);
/* Segment: bytes; semaphore: 0. */
NIPC_API unsigned long long nipc_obj_size(const nipc_obj *obj);
/* Semaphore: the semaphores in the set (POSIX: 1); segment: 0. */
NIPC_API unsigned long nipc_obj_count(const nipc_obj *obj);
/* Seconds since the epoch, 0 when never or not recorded. */
NIPC_API long long nipc_obj_time(const nipc_obj *obj, nipc_obj_time_which which);
/* System V: the segment's creator and the process of the last shmat/shmdt,
 * or of the last semop on the set's first semaphore (readable sets only);
 * -1 elsewhere. */
NIPC_API long nipc_obj_creator_pid(const nipc_obj *obj);
NIPC_API long nipc_obj_last_pid(const nipc_obj *obj);
/* Attachments: a System V segment's count kept by the kernel (each shmat
 * counts); for POSIX objects the processes seen mapping them; -1 for a
 * System V semaphore set, which nothing attaches. */
NIPC_API long nipc_obj_attachments(const nipc_obj *obj);
/* The processes seen mapping the object (the caller too), in no order. */
NIPC_API size_t nipc_obj_pid_count(const nipc_obj *obj);
NIPC_API long nipc_obj_pid(const nipc_obj *obj, size_t i);

#ifdef __cplusplus
}
#endif
#endif
