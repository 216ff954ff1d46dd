/* SPDX-License-Identifier: MIT */
/* Shared memory objects on both backends: states, errors, modes, cleanup,
 * timed and try locks, and several real processes sharing one segment. */
#include "config.h"

#include "nipc.h"
#include "tlib.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX, SYSV84 = 84;

#define TYPE (*(int *)*state)
#define IS_SYSV nipc_key_type_is_systemv(TYPE)

static nipc_shm *new_shm(const nipc_key *k)
{
	nipc_shm *shm;

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	return shm;
}

/* A handle on k that created a 64-byte read-write segment. */
static nipc_shm *made_shm(const nipc_key *k)
{
	nipc_shm *shm = new_shm(k);

	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), 0);
	return shm;
}

/* shm is freed, then nothing of k is left; k is freed. */
static void shm_gone(nipc_shm *shm, nipc_key *k)
{
	nipc_shm_free(shm);
	TL_KEY_GONE(k);
}

static void create_twice_then_last_detach_removes_all(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = new_shm(k), *b = new_shm(k);

	assert_int_equal(nipc_shm_create(a, 1000, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NO_ERROR);
	assert_string_equal(nipc_shm_error_string(a), "");
	assert_true(nipc_shm_is_attached(a));
	assert_true(nipc_shm_size(a) >= 1000);
	if (IS_SYSV)
		assert_int_equal(nipc_shm_size(a), 1000);
	memset(nipc_shm_data(a), 0x5a, 1000);
	assert_true(TL_SHM_EXISTS(k));
	assert_true(TL_SEM_EXISTS(k)); /* the lock, on the segment's own key */

	assert_int_equal(nipc_shm_create(b, 1000, NIPC_SHM_READWRITE), -NIPC_EEXIST);
	assert_int_equal(nipc_shm_error(b), NIPC_SHM_ERR_ALREADY_EXISTS);
	assert_string_equal(nipc_shm_error_string(b), "nipc_shm_create: already exists");
	assert_false(nipc_shm_is_attached(b));
	assert_null(nipc_shm_data(b));
	assert_int_equal(nipc_shm_size(b), 0);

	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READONLY), 0);
	assert_string_equal(nipc_shm_error_string(b), "");
	assert_int_equal(((unsigned char *)nipc_shm_data(b))[999], 0x5a);
	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READONLY), -NIPC_ESTATE);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_ESTATE);

	assert_int_equal(nipc_shm_detach(a), 0);
	assert_true(TL_SHM_EXISTS(k));
	assert_int_equal(nipc_shm_detach(b), 0);
	assert_false(TL_LEFTOVER(k));
	nipc_shm_free(a);
	nipc_shm_free(b);
	TL_KEY_GONE(k);
}

/* One call on a fresh handle fails with err and says text; nothing is made. */
static void fails(int type, int create, size_t size, int err, const char *text)
{
	nipc_key *k = tl_key(type);
	nipc_shm *a = new_shm(k);
	int r = create ? nipc_shm_create(a, size, NIPC_SHM_READWRITE)
		       : nipc_shm_attach(a, NIPC_SHM_READWRITE);

	assert_int_equal(r, -err);
	assert_int_equal(nipc_shm_error(a), err);
	assert_string_equal(nipc_shm_error_string(a), text);
	assert_false(nipc_shm_is_attached(a));
	assert_false(TL_SHM_EXISTS(k));
	shm_gone(a, k);
}

static void attach_missing(void **state)
{
	fails(TYPE, 0, 0, NIPC_ENOTFOUND, "nipc_shm_attach: doesn't exist");
}

static void size_zero(void **state)
{
	fails(TYPE, 1, 0, NIPC_EINVALIDSIZE, "nipc_shm_create: invalid size");
}

/* beyond SHMMAX / the largest file */
static void size_too_big(void **state)
{
	fails(TYPE, 1, (size_t)-2, NIPC_EINVALIDSIZE, "nipc_shm_create: invalid size");
}

static void bad_keys(void **state)
{
	nipc_key *k;
	nipc_shm *a = new_shm(NULL);

	assert_null(nipc_shm_key(a));
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_EKEY);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_create: key is empty");
	assert_int_equal(nipc_shm_attach(a, NIPC_SHM_READWRITE), -NIPC_EKEY);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_attach: key is empty");
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_KEY_ERROR);
	assert_string_equal(nipc_shm_error_reason(a), "key is empty");

	assert_int_equal(nipc_key_new(&k, TYPE, ""), 0);
	assert_int_equal(nipc_shm_set_key(a, k), 0);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_EKEY);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_create: key is empty");

	assert_int_equal(nipc_key_set_native(k, "/x"), 0);
	assert_int_equal(nipc_key_set_type(k, NIPC_KEY_INVALID), 0);
	assert_int_equal(nipc_shm_set_key(a, k), 0);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_EKEY);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_create: invalid key type");
	assert_int_equal(nipc_key_set_type(k, NIPC_KEY_WINDOWS), 0);
	assert_int_equal(nipc_shm_set_key(a, k), 0);
	/* a valid type without a backend here: NIPC_ENOTSUP, Qt's KeyError */
	assert_int_equal(nipc_shm_attach(a, NIPC_SHM_READWRITE), -NIPC_ENOTSUP);
	assert_string_equal(nipc_shm_error_string(a),
			    "nipc_shm_attach: key type not supported on this host");
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_KEY_ERROR);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_ENOTSUP);
	assert_string_equal(nipc_shm_error_reason(a), "key type not supported on this host");

	assert_int_equal(nipc_shm_create(NULL, 10, NIPC_SHM_READWRITE), -NIPC_EINVAL);
	assert_int_equal(nipc_shm_lock_timeout(NULL, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_shm_trylock(NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_shm_create(a, 10, 7), -NIPC_EINVAL);
	assert_int_equal(nipc_shm_new(NULL, k), -NIPC_EINVAL);
	nipc_shm_free(a);
	nipc_shm_free(NULL);
	nipc_key_free(k);
	/* no object: Qt's UnknownError, the value Qt gives it */
	assert_int_equal(nipc_shm_error(NULL), NIPC_SHM_ERR_UNKNOWN_ERROR);
	assert_int_equal(NIPC_SHM_ERR_UNKNOWN_ERROR, 8);
	assert_string_equal(nipc_shm_error_reason(NULL), "invalid argument");
}

static void posix_bad_name(void **state)
{
	nipc_key *k;
	nipc_shm *a;

	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "/a/b"), 0);
	a = new_shm(k);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_EKEY);
	assert_string_equal(nipc_shm_error_string(a),
			    "nipc_shm_create: unable to set key on lock: bad name");
	nipc_shm_free(a);
	nipc_key_free(k);
}

/* glibc takes POSIX names without the leading slash too */
static void posix_name_without_slash(void **state)
{
	char name[64], path[128];
	nipc_key *k;
	nipc_shm *a;
	mode_t old;

	snprintf(path, sizeof path, "/nipc-test-%d-noslash", (int)getpid());
	tl_ledger_posix(path); /* the ledger's names begin with a slash */
	snprintf(name, sizeof name, "nipc-test-%d-noslash", (int)getpid());
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, name), 0);
	a = new_shm(k);
	old = umask(0277);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), 0);
	umask(old);
	snprintf(path, sizeof path, "/dev/shm/sem.%s", name);
	assert_int_equal(tl_file_mode(path), 0600);
	assert_int_equal(nipc_shm_lock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	nipc_shm_free(a);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "/dev/shm/%s", name);
	assert_int_equal(access(path, F_OK), -1);
	nipc_key_free(k);
}

static void sysv_missing_dir(void **state)
{
	char path[256];
	nipc_key *k;
	nipc_shm *a;

	snprintf(path, sizeof path, "%s/no-such-dir/k", tl_scratch());
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_SYSTEMV, path), 0);
	a = new_shm(k);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), -NIPC_EKEY);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_create: unable to set key on lock: "
						      "key file: No such file or directory");
	assert_int_equal(nipc_shm_attach(a, NIPC_SHM_READWRITE), -NIPC_EKEY);
	nipc_shm_free(a);
	nipc_key_free(k);
}

static void detach_lock_states(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = new_shm(k);

	assert_int_equal(nipc_shm_detach(a), -NIPC_ESTATE);
	assert_int_equal(nipc_shm_unlock(a), -NIPC_ESTATE);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(a), 0);
	assert_int_equal(nipc_shm_lock(a), 0); /* warns, as Qt */
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), -NIPC_ESTATE);
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NO_ERROR);
	/* detach while holding the lock keeps the lock */
	assert_int_equal(nipc_shm_lock(a), 0);
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_int_equal(nipc_shm_detach(a), -NIPC_ESTATE);
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NO_ERROR);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_false(TL_SHM_EXISTS(k));
	shm_gone(a, k);
}

static void free_while_locked_and_attached(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = new_shm(k), *b = new_shm(k);

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(a), 0);
	nipc_shm_free(a);
	assert_false(TL_LEFTOVER(k));
	/* the lock was given back: a new segment can be made and locked */
	assert_int_equal(nipc_shm_create(b, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(b), 0);
	assert_int_equal(nipc_shm_unlock(b), 0);
	nipc_shm_free(b);
	TL_KEY_GONE(k);
}

static void modes_whatever_the_umask(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = new_shm(k);
	mode_t old = umask(0227);

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	umask(old);
	if (IS_SYSV)
		assert_int_equal(tl_file_mode(nipc_key_native(k)), 0640 & ~0227);
	assert_int_equal(tl_obj_mode(nipc_key_native(k), TL_KEY_PROJ(k), 0), 0600);
	/* the lock: a POSIX semaphore of the same name (System V: on the key file) */
	if (!IS_SYSV)
		assert_int_equal(tl_obj_mode(nipc_key_native(k), 0, 1), 0600);
	shm_gone(a, k);
}

static void cleanup_opt_out(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = new_shm(k);

	assert_int_equal(nipc_shm_set_cleanup(a, 0), 0);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	((char *)nipc_shm_data(a))[3] = 42;
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_true(TL_SHM_EXISTS(k));
	nipc_shm_free(a);
	assert_true(TL_SHM_EXISTS(k));

	a = new_shm(k);
	assert_int_equal(nipc_shm_attach(a, NIPC_SHM_READONLY), 0);
	assert_int_equal(((char *)nipc_shm_data(a))[3], 42);
	assert_int_equal(nipc_shm_detach(a), 0);
	shm_gone(a, k);
}

static void readonly_attach_cannot_write(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = made_shm(k);
	struct tl_proc c;

	((unsigned char *)nipc_shm_data(a))[5] = 7;
	TL_OBJHELPER_OK(&c, k, "attach ro");
	assert_string_equal(tl_cmd(&c, "read 5", 10000), "ok 7");
	assert_string_equal(tl_cmd(&c, "write 5 9", 10000), "(eof)");
	assert_int_equal(tl_end(&c, "exit"), 128 + SIGSEGV);
	assert_int_equal(((unsigned char *)nipc_shm_data(a))[5], 7);

	/* a read-write attacher can */
	TL_OBJHELPER_OK(&c, k, "attach rw");
	assert_true(tl_cmd_ok(&c, "write 5 9"));
	assert_true(tl_cmd_ok(&c, "detach"));
	assert_int_equal(tl_end(&c, "exit"), 0);
	assert_int_equal(((unsigned char *)nipc_shm_data(a))[5], 9);
	shm_gone(a, k);
}

static void live_attacher_keeps_segment(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = made_shm(k);
	struct tl_proc c;

	TL_OBJHELPER_OK(&c, k, "attach ro");
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_true(TL_SHM_EXISTS(k));
	assert_string_equal(tl_cmd(&c, "size", 10000), IS_SYSV ? "ok 64" : "ok 64");
	assert_true(tl_cmd_ok(&c, "detach"));
	assert_int_equal(tl_end(&c, "exit"), 0);
	assert_false(TL_SHM_EXISTS(k));
	shm_gone(a, k);
}

/* The creator goes away while others stay attached: later attachers and
 * the earlier ones still exclude each other (POSIX keeps the lock with the
 * segment; System V users remake it after EIDRM, as Qt 5). */
static void lock_survives_creator(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = made_shm(k);
	struct tl_proc b, c;

	TL_OBJHELPER_OK(&b, k, "attach rw");
	nipc_shm_free(a);
	assert_true(TL_SHM_EXISTS(k));
	if (!IS_SYSV)
		assert_true(TL_SEM_EXISTS(k));
	TL_OBJHELPER_OK(&c, k, "attach rw");
	assert_true(tl_cmd_ok(&b, "lock"));
	assert_int_equal(tl_send(&c, "lock"), 0);
	assert_string_equal(tl_cmd(&c, NULL, 300), "");
	assert_true(tl_cmd_ok(&b, "unlock"));
	assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	assert_true(tl_cmd_ok(&c, "unlock"));
	assert_true(tl_cmd_ok(&b, "detach"));
	assert_true(tl_cmd_ok(&c, "detach"));
	assert_int_equal(tl_end(&b, "exit"), 0);
	assert_int_equal(tl_end(&c, "exit"), 0);
	TL_KEY_GONE(k);
}

/* The System V key follows the key file's inode, not its name. */
static void sysv_key_follows_inode(void **state)
{
	nipc_key *k = tl_key(SYSV84), *moved;
	nipc_shm *a = new_shm(k), *b;
	char path[256];
	long kt;

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_ftok(&kt, nipc_key_native(k), 84), 0);
	assert_int_equal((kt >> 24) & 0xff, 84);
	assert_true(shmget(kt, 0, 0) >= 0);

	snprintf(path, sizeof path, "%s.moved", nipc_key_native(k));
	assert_int_equal(link(nipc_key_native(k), path), 0);
	assert_int_equal(nipc_key_new(&moved, 84, path), 0);
	b = new_shm(moved);
	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READONLY), 0);
	assert_int_equal(nipc_shm_detach(b), 0);
	assert_int_equal(unlink(path), 0);
	nipc_shm_free(b);
	nipc_key_free(moved);

	/* a new file under the old name is another key */
	assert_int_equal(rename(nipc_key_native(k), path), 0);
	b = new_shm(k);
	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READONLY), -NIPC_ENOTFOUND);
	nipc_shm_free(b);
	assert_int_equal(rename(path, nipc_key_native(k)), 0);
	shm_gone(a, k);
}

/* N processes add to one counter under the lock: the total is exact. */
static void counter_under_lock(void **state)
{
	enum { N = 4, EACH = 300 };
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a = made_shm(k);
	struct tl_proc c[N];
	char cmd[32];

	for (int i = 0; i < N; i++) {
		TL_OBJHELPER_OK(&c[i], k, "attach rw");
	}
	snprintf(cmd, sizeof cmd, "inc %d", EACH);
	for (int i = 0; i < N; i++)
		assert_int_equal(tl_send(&c[i], cmd), 0);
	for (int i = 0; i < N; i++)
		assert_string_equal(tl_cmd(&c[i], NULL, 60000), "ok");
	assert_int_equal(*(uint32_t *)nipc_shm_data(a), N * EACH);
	for (int i = 0; i < N; i++)
		assert_int_equal(tl_end(&c[i], "exit"), 0);
	shm_gone(a, k);
}

/* A legacy key locks on the semaphore legacy key of the same name: its own
 * key file (System V) or name (POSIX); the last detach removes all. */
static void legacy_key_lock(void **state)
{
	char name[64], *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	nipc_key *k, *lk;
	nipc_shm *a, *b;

	snprintf(name, sizeof name, "legacy%d", (int)getpid());
	setenv("TMPDIR", tl_key_dir("legacy"), 1);
	assert_int_equal(nipc_key_legacy_make(&k, name, NIPC_KIND_SHM, TYPE, NIPC_OS_HOST, NULL), 0);
	assert_int_equal(nipc_key_legacy_make(&lk, name, NIPC_KIND_SEM, TYPE, NIPC_OS_HOST, NULL), 0);
	if (!IS_SYSV) {
		tl_ledger_posix(nipc_key_native(k));
		tl_ledger_posix(nipc_key_native(lk));
	}
	assert_non_null(strstr(nipc_key_native(lk), "qipc_systemsem_legacy"));

	a = new_shm(k);
	b = new_shm(k);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_true(TL_SHM_EXISTS(k));
	assert_true(TL_SEM_EXISTS(lk));
	assert_false(TL_SEM_EXISTS(k));
	if (IS_SYSV)
		assert_int_equal(access(nipc_key_native(lk), F_OK), 0);
	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(b), 0);
	assert_int_equal(nipc_shm_unlock(b), 0);
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_int_equal(nipc_shm_detach(b), 0);
	assert_false(TL_LEFTOVER(k));
	assert_false(TL_LEFTOVER(lk));
	nipc_shm_free(a);
	nipc_shm_free(b);
	assert_false(TL_LEFTOVER(lk));
	nipc_key_free(k);
	nipc_key_free(lk);
	/* kept until here: the lock's key is made from it at each operation */
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

/* Another process holds the lock: the timed and the try lock give up
 * with NIPC_ETIMEDOUT, not before their time, and leave the object
 * unlocked; once the holder lets go, a timed lock takes it. */
static void lock_timeout_while_held(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a;
	struct tl_proc c;
	time_t t0;

	assert_int_equal(nipc_shm_new(&a, k), 0);
	/* no segment yet: a free lock is taken at once */
	assert_int_equal(nipc_shm_trylock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, 100), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	assert_true(tl_cmd_ok(&c, "attach"));
	assert_true(tl_cmd_ok(&c, "lock"));

	t0 = time(NULL);
	assert_int_equal(nipc_shm_lock_timeout(a, 1100), -NIPC_ETIMEDOUT);
	assert_true(time(NULL) - t0 >= 1); /* it waited */
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_LOCK_ERROR);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_lock_timeout: timed out");
	assert_string_equal(nipc_shm_error_reason(a), "timed out");
	assert_int_equal(nipc_shm_unlock(a), -NIPC_ESTATE);
	assert_int_equal(nipc_shm_trylock(a), -NIPC_ETIMEDOUT);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_trylock: timed out");
	assert_int_equal(nipc_shm_unlock(a), -NIPC_ESTATE);

	/* the holder lets go while we wait */
	assert_int_equal(tl_send(&c, "unlock"), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, 10000), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NO_ERROR);
	assert_string_equal(nipc_shm_error_reason(a), "");

	/* and the other way round: the child waits for us, then gives up */
	assert_int_equal(tl_send(&c, "locktimeout 300"), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000), "err 6 nipc_shm_lock_timeout: timed out");
	assert_int_equal(tl_send(&c, "locktimeout 10000"), 0);
	assert_string_equal(tl_cmd(&c, NULL, 200), "");
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	assert_int_equal(nipc_shm_trylock(a), -NIPC_ETIMEDOUT);
	assert_true(tl_cmd_ok(&c, "unlock"));
	assert_int_equal(nipc_shm_trylock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, -1), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(tl_end(&c, "exit"), 0);
	nipc_shm_free(a);
	assert_false(TL_LEFTOVER(k));
	nipc_key_free(k);
}

/* The reason is the error string without "<operation>: ". */
static void error_reason(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_shm *a, *b;

	assert_int_equal(nipc_shm_new(&a, k), 0);
	assert_int_equal(nipc_shm_new(&b, k), 0);
	assert_int_equal(nipc_shm_create(a, 16, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_create(b, 16, NIPC_SHM_READWRITE), -NIPC_EEXIST);
	assert_int_equal(nipc_shm_error(b), NIPC_SHM_ERR_ALREADY_EXISTS);
	assert_string_equal(nipc_shm_error_string(b), "nipc_shm_create: already exists");
	assert_string_equal(nipc_shm_error_reason(b), "already exists");
	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READONLY), 0);
	assert_string_equal(nipc_shm_error_reason(b), "");
	nipc_shm_free(b);
	nipc_shm_free(a);
	assert_false(TL_LEFTOVER(k));
	nipc_key_free(k);
}

/* Both kinds answer alike: System V (1-255) and POSIX, never Windows. */
static void type_supported(void **state)
{
	static const struct {
		int type, yes;
	} cases[] = {
		{NIPC_KEY_SYSTEMV, 1}, {1, 1}, {255, 1}, {NIPC_KEY_POSIX, 1},
		{NIPC_KEY_WINDOWS, 0}, {0, 0}, {0x102, 0},
	};

	(void)state;
	for (size_t i = 0; i < TL_LEN(cases); i++) {
		assert_int_equal(!!nipc_shm_key_type_supported(cases[i].type), cases[i].yes);
		assert_int_equal(!!nipc_sem_key_type_supported(cases[i].type), cases[i].yes);
	}
}

#define BOTH(f) cmocka_unit_test_prestate(f, &SYSV), cmocka_unit_test_prestate(f, &POSIX)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(create_twice_then_last_detach_removes_all),
		BOTH(attach_missing),
		BOTH(size_zero),
		BOTH(size_too_big),
		BOTH(bad_keys),
		cmocka_unit_test(posix_bad_name),
		cmocka_unit_test(posix_name_without_slash),
		cmocka_unit_test(sysv_missing_dir),
		BOTH(detach_lock_states),
		BOTH(free_while_locked_and_attached),
		BOTH(modes_whatever_the_umask),
		BOTH(cleanup_opt_out),
		BOTH(readonly_attach_cannot_write),
		BOTH(live_attacher_keeps_segment),
		BOTH(lock_survives_creator),
		cmocka_unit_test(sysv_key_follows_inode),
		BOTH(counter_under_lock),
		cmocka_unit_test_prestate(counter_under_lock, &SYSV84),
		BOTH(legacy_key_lock),
		BOTH(lock_timeout_while_held),
		BOTH(error_reason),
		cmocka_unit_test(type_supported),
	};

	alarm(600); /* a deadlock fails the run instead of hanging it */
	return TL_MAIN("shm", tests, NULL, NULL);
}
