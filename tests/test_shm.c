/* SPDX-License-Identifier: MIT */
/* Shared memory objects on both backends: states, errors, modes, cleanup,
 * timed and try locks, and several real processes sharing one segment. */
#include "config.h"

#include "objutil.h"

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

#include <cmocka.h>

static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX, SYSV84 = 84;

#define TYPE (*(int *)*state)
#define IS_SYSV nipc_key_type_is_systemv(TYPE)

static nipc_shm *new_shm(const nipc_key *k)
{
	nipc_shm *shm;

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	return shm;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void create_twice_then_last_detach_removes_all(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k), *b = new_shm(k);

	assert_int_equal(nipc_shm_create(a, 1000, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NO_ERROR);
	assert_string_equal(nipc_shm_error_string(a), "");
	assert_true(nipc_shm_is_attached(a));
	assert_true(nipc_shm_size(a) >= 1000);
	if (IS_SYSV)
		assert_int_equal(nipc_shm_size(a), 1000);
	memset(nipc_shm_data(a), 0x5a, 1000);
	assert_true(obj_shm_exists(k));
	assert_true(obj_sem_exists(k)); /* the lock, on the segment's own key */

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
	assert_true(obj_shm_exists(k));
	assert_int_equal(nipc_shm_detach(b), 0);
	assert_false(obj_leftover(k));
	nipc_shm_free(a);
	nipc_shm_free(b);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void attach_missing(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);

	assert_int_equal(nipc_shm_attach(a, NIPC_SHM_READWRITE), -NIPC_ENOTFOUND);
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NOT_FOUND);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_attach: doesn't exist");
	assert_false(nipc_shm_is_attached(a));
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void size_zero(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);

	assert_int_equal(nipc_shm_create(a, 0, NIPC_SHM_READWRITE), -NIPC_EINVALIDSIZE);
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_INVALID_SIZE);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_create: invalid size");
	assert_false(obj_shm_exists(k));
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void size_too_big(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);

	/* beyond SHMMAX / the largest file */
	assert_int_equal(nipc_shm_create(a, (size_t)-2, NIPC_SHM_READWRITE), -NIPC_EINVALIDSIZE);
	assert_string_equal(nipc_shm_error_string(a), "nipc_shm_create: invalid size");
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
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

	snprintf(name, sizeof name, "nipc-test-%d-noslash", (int)getpid());
	obj_track(name);
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, name), 0);
	a = new_shm(k);
	old = umask(0277);
	assert_int_equal(nipc_shm_create(a, 10, NIPC_SHM_READWRITE), 0);
	umask(old);
	snprintf(path, sizeof path, "/dev/shm/sem.%s", name);
	assert_int_equal(mode_of(path), 0600);
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

	snprintf(path, sizeof path, "%s/no-such-dir/k", obj_dir());
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
	nipc_key *k = obj_key(TYPE);
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
	assert_false(obj_shm_exists(k));
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void free_while_locked_and_attached(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k), *b = new_shm(k);

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(a), 0);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	/* the lock was given back: a new segment can be made and locked */
	assert_int_equal(nipc_shm_create(b, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(b), 0);
	assert_int_equal(nipc_shm_unlock(b), 0);
	nipc_shm_free(b);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void modes_whatever_the_umask(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);
	mode_t old = umask(0227);
	char path[256];

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	umask(old);
	if (IS_SYSV) {
		struct shmid_ds ds;
		long kt;

		assert_int_equal(mode_of(nipc_key_native(k)), 0640 & ~0227);
		assert_int_equal(nipc_ftok(&kt, nipc_key_native(k), TYPE), 0);
		assert_int_equal(shmctl(shmget(kt, 0, 0), IPC_STAT, &ds), 0);
		assert_int_equal(ds.shm_perm.mode & 0777, 0600);
	} else {
		snprintf(path, sizeof path, "/dev/shm%s", nipc_key_native(k));
		assert_int_equal(mode_of(path), 0600);
		snprintf(path, sizeof path, "/dev/shm/sem.%s", nipc_key_native(k) + 1);
		assert_int_equal(mode_of(path), 0600);
	}
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void cleanup_opt_out(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);

	assert_int_equal(nipc_shm_set_cleanup(a, 0), 0);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	((char *)nipc_shm_data(a))[3] = 42;
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_true(obj_shm_exists(k));
	nipc_shm_free(a);
	assert_true(obj_shm_exists(k));

	a = new_shm(k);
	assert_int_equal(nipc_shm_attach(a, NIPC_SHM_READONLY), 0);
	assert_int_equal(((char *)nipc_shm_data(a))[3], 42);
	assert_int_equal(nipc_shm_detach(a), 0);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static int child_ok(struct child *c, const char *cmd)
{
	const char *r = child_cmd(c, cmd, 10000);

	if (strcmp(r, "ok"))
		print_error("child: %s -> '%s'\n", cmd, r);
	return strcmp(r, "ok") == 0;
}

static void readonly_attach_cannot_write(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);
	struct child c;
	int st;

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	((unsigned char *)nipc_shm_data(a))[5] = 7;
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "attach ro"));
	assert_string_equal(child_cmd(&c, "read 5", 10000), "ok 7");
	assert_string_equal(child_cmd(&c, "write 5 9", 10000), "");
	st = child_end(&c);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_int_equal(((unsigned char *)nipc_shm_data(a))[5], 7);

	/* a read-write attacher can */
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "attach rw"));
	assert_true(child_ok(&c, "write 5 9"));
	assert_true(child_ok(&c, "detach"));
	assert_int_equal(child_end(&c), 0);
	assert_int_equal(((unsigned char *)nipc_shm_data(a))[5], 9);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void live_attacher_keeps_segment(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);
	struct child c;

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "attach ro"));
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_true(obj_shm_exists(k));
	assert_string_equal(child_cmd(&c, "size", 10000), IS_SYSV ? "ok 64" : "ok 64");
	assert_true(child_ok(&c, "detach"));
	assert_int_equal(child_end(&c), 0);
	assert_false(obj_shm_exists(k));
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* The creator goes away while others stay attached: later attachers and
 * the earlier ones still exclude each other (POSIX keeps the lock with the
 * segment; System V users remake it after EIDRM, as Qt 5). */
static void lock_survives_creator(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);
	struct child b, c;

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(child_start(&b, k), 0);
	assert_true(child_ok(&b, "attach rw"));
	nipc_shm_free(a);
	assert_true(obj_shm_exists(k));
	if (!IS_SYSV)
		assert_true(obj_sem_exists(k));
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "attach rw"));
	assert_true(child_ok(&b, "lock"));
	assert_int_equal(child_send(&c, "lock"), 0);
	assert_string_equal(child_reply(&c, 300), "");
	assert_true(child_ok(&b, "unlock"));
	assert_string_equal(child_reply(&c, 10000), "ok");
	assert_true(child_ok(&c, "unlock"));
	assert_true(child_ok(&b, "detach"));
	assert_true(child_ok(&c, "detach"));
	assert_int_equal(child_end(&b), 0);
	assert_int_equal(child_end(&c), 0);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* The System V key follows the key file's inode, not its name. */
static void sysv_key_follows_inode(void **state)
{
	nipc_key *k = obj_key(SYSV84), *moved;
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
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* N processes add to one counter under the lock: the total is exact. */
static void counter_under_lock(void **state)
{
	enum { N = 4, EACH = 300 };
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a = new_shm(k);
	struct child c[N];
	char cmd[32];

	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(child_start(&c[i], k), 0);
		assert_true(child_ok(&c[i], "attach rw"));
	}
	snprintf(cmd, sizeof cmd, "inc %d", EACH);
	for (int i = 0; i < N; i++)
		assert_int_equal(child_send(&c[i], cmd), 0);
	for (int i = 0; i < N; i++)
		assert_string_equal(child_reply(&c[i], 60000), "ok");
	assert_int_equal(*(uint32_t *)nipc_shm_data(a), N * EACH);
	for (int i = 0; i < N; i++)
		assert_int_equal(child_end(&c[i]), 0);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* A legacy key locks on the semaphore legacy key of the same name: its own
 * key file (System V) or name (POSIX); the last detach removes all. */
static void legacy_key_lock(void **state)
{
	char name[64], *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	nipc_key *k, *lk;
	nipc_shm *a, *b;

	snprintf(name, sizeof name, "legacy%d", (int)getpid());
	setenv("TMPDIR", obj_dir(), 1);
	assert_int_equal(nipc_key_legacy_make(&k, name, NIPC_KIND_SHM, TYPE, NIPC_OS_HOST, NULL), 0);
	assert_int_equal(nipc_key_legacy_make(&lk, name, NIPC_KIND_SEM, TYPE, NIPC_OS_HOST, NULL), 0);
	if (!IS_SYSV) {
		obj_track(nipc_key_native(k));
		obj_track(nipc_key_native(lk));
	}
	assert_non_null(strstr(nipc_key_native(lk), "qipc_systemsem_legacy"));

	a = new_shm(k);
	b = new_shm(k);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_true(obj_shm_exists(k));
	assert_true(obj_sem_exists(lk));
	assert_false(obj_sem_exists(k));
	if (IS_SYSV)
		assert_int_equal(access(nipc_key_native(lk), F_OK), 0);
	assert_int_equal(nipc_shm_attach(b, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(b), 0);
	assert_int_equal(nipc_shm_unlock(b), 0);
	assert_int_equal(nipc_shm_detach(a), 0);
	assert_int_equal(nipc_shm_detach(b), 0);
	assert_false(obj_leftover(k));
	assert_false(obj_leftover(lk));
	nipc_shm_free(a);
	nipc_shm_free(b);
	assert_false(obj_leftover(lk));
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
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a;
	struct child c;
	time_t t0;

	assert_int_equal(nipc_shm_new(&a, k), 0);
	/* no segment yet: a free lock is taken at once */
	assert_int_equal(nipc_shm_trylock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, 100), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "attach"));
	assert_true(child_ok(&c, "lock"));

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
	assert_int_equal(child_send(&c, "unlock"), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, 10000), 0);
	assert_string_equal(child_reply(&c, 10000), "ok");
	assert_int_equal(nipc_shm_error(a), NIPC_SHM_ERR_NO_ERROR);
	assert_string_equal(nipc_shm_error_reason(a), "");

	/* and the other way round: the child waits for us, then gives up */
	assert_int_equal(child_send(&c, "locktimeout 300"), 0);
	assert_string_equal(child_reply(&c, 10000), "err 6 nipc_shm_lock_timeout: timed out");
	assert_int_equal(child_send(&c, "locktimeout 10000"), 0);
	assert_string_equal(child_reply(&c, 200), "");
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_string_equal(child_reply(&c, 10000), "ok");
	assert_int_equal(nipc_shm_trylock(a), -NIPC_ETIMEDOUT);
	assert_true(child_ok(&c, "unlock"));
	assert_int_equal(nipc_shm_trylock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, -1), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(child_end(&c), 0);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* The reason is the error string without "<operation>: ". */
static void error_reason(void **state)
{
	nipc_key *k = obj_key(TYPE);
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
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

static void type_supported(void **state)
{
	assert_true(nipc_shm_key_type_supported(NIPC_KEY_SYSTEMV));
	assert_true(nipc_shm_key_type_supported(1));
	assert_true(nipc_shm_key_type_supported(NIPC_KEY_POSIX));
	assert_false(nipc_shm_key_type_supported(NIPC_KEY_WINDOWS));
	assert_false(nipc_shm_key_type_supported(0));
	assert_false(nipc_shm_key_type_supported(0x102));
}

static int setup(void **state)
{
	return obj_setup();
}

static int teardown(void **state)
{
	obj_cleanup();
	return 0;
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
	return cmocka_run_group_tests_name("shm", tests, setup, teardown);
}
