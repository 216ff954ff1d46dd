/* SPDX-License-Identifier: MIT */
/* The shapes the 1.0 API reserves, on both backends and with real
 * processes: lock and acquire with a timeout and their try variants,
 * semaphores without SEM_UNDO, the semaphore value, error reasons. */
#include "config.h"

#include "objutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX;

#define TYPE (*(int *)*state)
#define IS_SYSV nipc_key_type_is_systemv(TYPE)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int child_ok(struct child *c, const char *cmd)
{
	const char *r = child_cmd(c, cmd, 10000);

	if (strcmp(r, "ok"))
		print_error("child: %s -> '%s'\n", cmd, r);
	return strcmp(r, "ok") == 0;
}

static int sem_value(const nipc_sem *s)
{
	int v = -1;

	assert_int_equal(nipc_sem_value(&v, s), 0);
	return v;
}

/* Another process holds the lock: the timed and the try lock give up
 * with NIPC_ETIMEDOUT, not before their time, and leave the object
 * unlocked; once the holder lets go, a timed lock takes it. */
static void lock_timeout_while_held(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a;
	struct child c;
	long long t0;

	assert_int_equal(nipc_shm_new(&a, k), 0);
	assert_int_equal(nipc_shm_create(a, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "attach"));
	assert_true(child_ok(&c, "lock"));

	t0 = now_ms();
	assert_int_equal(nipc_shm_lock_timeout(a, 300), -NIPC_ETIMEDOUT);
	assert_true(now_ms() - t0 >= 290);
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
	assert_int_equal(nipc_shm_lock_timeout(NULL, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_shm_trylock(NULL), -NIPC_EINVAL);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* A timed or try lock on a free lock with no segment behind it leaves
 * nothing behind, as nipc_shm_lock does. */
static void trylock_without_segment(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_shm *a;

	assert_int_equal(nipc_shm_new(&a, k), 0);
	assert_int_equal(nipc_shm_trylock(a), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	assert_int_equal(nipc_shm_lock_timeout(a, 100), 0);
	assert_int_equal(nipc_shm_unlock(a), 0);
	nipc_shm_free(a);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* Timed and try acquires give up when nothing comes, and take what
 * another process gives while they wait; the value shows it all. */
static void acquire_timeout_and_value(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_sem *s;
	struct child c;
	long long t0;

	assert_int_equal(nipc_sem_new(&s, k, 0, NIPC_SEM_CREATE), 0);
	assert_int_equal(sem_value(s), 0);
	assert_int_equal(nipc_sem_try_acquire(s), -NIPC_ETIMEDOUT);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_UNKNOWN_ERROR);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_try_acquire: timed out");
	assert_string_equal(nipc_sem_error_reason(s), "timed out");
	t0 = now_ms();
	assert_int_equal(nipc_sem_acquire_timeout(s, 300), -NIPC_ETIMEDOUT);
	assert_true(now_ms() - t0 >= 290);

	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "semopen 0 open"));
	assert_true(child_ok(&c, "release 2"));
	assert_int_equal(sem_value(s), 2);
	assert_int_equal(nipc_sem_try_acquire(s), 0);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_NO_ERROR);
	assert_string_equal(nipc_sem_error_reason(s), "");
	assert_int_equal(nipc_sem_acquire_timeout(s, 0), 0);
	assert_int_equal(sem_value(s), 0);

	/* the child waits, and takes what we give */
	assert_int_equal(child_send(&c, "acquiretimeout 10000"), 0);
	assert_string_equal(child_reply(&c, 200), "");
	assert_int_equal(nipc_sem_release(s, 1), 0);
	assert_string_equal(child_reply(&c, 10000), "ok");
	assert_int_equal(sem_value(s), 0);
	assert_int_equal(child_send(&c, "acquiretimeout 300"), 0);
	assert_string_equal(child_reply(&c, 10000),
			    "err 6 nipc_sem_acquire_timeout: timed out");
	assert_int_equal(child_end(&c), 0);

	assert_int_equal(nipc_sem_acquire_timeout(NULL, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_try_acquire(NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_value(NULL, s), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_value((int[1]){0}, NULL), -NIPC_EINVAL);
	nipc_sem_free(s);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* A process that gives and exits: with SEM_UNDO (the default, as Qt) the
 * System V kernel takes its count back at exit; without, it stays given.
 * POSIX semaphores never undo. */
static void undo_at_exit(void **state)
{
	nipc_key *k = obj_key(TYPE);
	nipc_sem *s;
	struct child c;

	assert_int_equal(nipc_sem_new(&s, k, 0, NIPC_SEM_CREATE), 0);
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "semopen 0 open"));
	assert_true(child_ok(&c, "release 1"));
	assert_int_equal(sem_value(s), 1);
	assert_int_equal(child_end(&c), 0);
	assert_int_equal(sem_value(s), IS_SYSV ? 0 : 1);
	if (!IS_SYSV)
		assert_int_equal(nipc_sem_try_acquire(s), 0);

	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "semopen 0 open"));
	assert_true(child_ok(&c, "undo 0"));
	assert_true(child_ok(&c, "release 1"));
	assert_int_equal(child_end(&c), 0);
	assert_int_equal(sem_value(s), 1);

	/* and a taker without undo that dies keeps its count */
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "semopen 0 open"));
	assert_true(child_ok(&c, "undo 0"));
	assert_true(child_ok(&c, "acquire"));
	assert_int_equal(child_kill(&c) & 0x7f, 9);
	assert_int_equal(sem_value(s), 0);

	assert_int_equal(nipc_sem_set_undo(NULL, 0), -NIPC_EINVAL);
	nipc_sem_free(s);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* The setting is the object's: it survives a new key, and it is what
 * this process's own semops use. */
static void undo_survives_set_key(void **state)
{
	nipc_key *k = obj_key(TYPE), *other = obj_key(TYPE);
	nipc_sem *s;
	pid_t pid;
	int st;

	assert_int_equal(nipc_sem_new(&s, k, 0, NIPC_SEM_CREATE), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		nipc_sem *t;

		alarm(20);
		if (nipc_sem_new(&t, other, 0, NIPC_SEM_OPEN) < 0 || nipc_sem_set_undo(t, 0) < 0 ||
		    nipc_sem_set_key(t, k, 0, NIPC_SEM_OPEN) < 0 || nipc_sem_release(t, 1) < 0)
			_exit(1);
		_exit(0); /* no nipc_sem_free: the exit alone must keep the count */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	assert_int_equal(sem_value(s), 1);
	nipc_sem_free(s);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
	/* the child's first key was an opener's: nothing of it is left to
	 * remove but its key file, which it made */
	obj_note(other);
	nipc_key_free(other);
}

/* No OS semaphore open: the value is not known. */
static void value_needs_an_open_semaphore(void **state)
{
	nipc_sem *s;
	int v = 7;

	assert_int_equal(nipc_sem_new(&s, NULL, 0, NIPC_SEM_OPEN), -NIPC_EKEY);
	assert_int_equal(nipc_sem_value(&v, s), -NIPC_ESTATE);
	assert_int_equal(v, 7);
	nipc_sem_free(s);
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

/* The Qt enums' values, and the new code's name. */
static void enums_and_codes(void **state)
{
	(void)state;
	assert_int_equal(NIPC_SHM_ERR_PERMISSION_DENIED, 1);
	assert_int_equal(NIPC_SHM_ERR_INVALID_SIZE, 2);
	assert_int_equal(NIPC_SHM_ERR_KEY_ERROR, 3);
	assert_int_equal(NIPC_SHM_ERR_ALREADY_EXISTS, 4);
	assert_int_equal(NIPC_SHM_ERR_NOT_FOUND, 5);
	assert_int_equal(NIPC_SHM_ERR_LOCK_ERROR, 6);
	assert_int_equal(NIPC_SHM_ERR_OUT_OF_RESOURCES, 7);
	assert_int_equal(NIPC_SHM_ERR_UNKNOWN_ERROR, 8);
	assert_int_equal(NIPC_SEM_ERR_PERMISSION_DENIED, 1);
	assert_int_equal(NIPC_SEM_ERR_KEY_ERROR, 2);
	assert_int_equal(NIPC_SEM_ERR_ALREADY_EXISTS, 3);
	assert_int_equal(NIPC_SEM_ERR_NOT_FOUND, 4);
	assert_int_equal(NIPC_SEM_ERR_OUT_OF_RESOURCES, 5);
	assert_int_equal(NIPC_SEM_ERR_UNKNOWN_ERROR, 6);
	assert_string_equal(nipc_err_name(-NIPC_ETIMEDOUT), "NIPC_ETIMEDOUT");
	assert_string_equal(nipc_strerror(NIPC_ETIMEDOUT), "timed out");
	assert_string_equal(nipc_err_name(NIPC_ENOTSUP), "NIPC_ENOTSUP");
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
		BOTH(lock_timeout_while_held),
		BOTH(trylock_without_segment),
		BOTH(acquire_timeout_and_value),
		BOTH(undo_at_exit),
		BOTH(undo_survives_set_key),
		cmocka_unit_test(value_needs_an_open_semaphore),
		BOTH(error_reason),
		cmocka_unit_test(enums_and_codes),
	};

	alarm(300); /* a deadlock fails the run instead of hanging it */
	return cmocka_run_group_tests_name("api", tests, setup, teardown);
}
