/* SPDX-License-Identifier: MIT */
/* System semaphores on both backends, shared between real processes:
 * timed and try acquires, undo at exit, the value. */
#include "config.h"

#include "nipc.h"
#include "tlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX, SYSV1 = 1;

#define TYPE (*(int *)*state)
#define IS_SYSV nipc_key_type_is_systemv(TYPE)

static nipc_sem *new_sem(const nipc_key *k, int initial, nipc_sem_mode mode)
{
	nipc_sem *s;

	assert_int_equal(nipc_sem_new(&s, k, initial, mode), 0);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_NO_ERROR);
	assert_string_equal(nipc_sem_error_string(s), "");
	return s;
}

/* s is freed, then nothing of k is left; k is freed. */
static void sem_gone(nipc_sem *s, nipc_key *k)
{
	nipc_sem_free(s);
	TL_KEY_GONE(k);
}

/* The child's acquire is still blocked after a while. */
static void blocked(struct tl_proc *c)
{
	assert_int_equal(tl_send(c, "acquire"), 0);
	assert_string_equal(tl_cmd(c, NULL, 200), "");
}

static void shared_between_processes(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *s = new_sem(k, 0, NIPC_SEM_CREATE);
	struct tl_proc c;

	assert_true(TL_SEM_EXISTS(k));
	TL_OBJHELPER_OK(&c, k, "semopen 0 open");
	blocked(&c);
	assert_int_equal(nipc_sem_release(s, 1), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	/* and the other way round */
	assert_true(tl_cmd_ok(&c, "release 1"));
	assert_int_equal(nipc_sem_acquire(s), 0);
	assert_int_equal(tl_end(&c, "exit"), 0);
	assert_true(TL_SEM_EXISTS(k)); /* the child did not own it */
	sem_gone(s, k);
}

static void release_many(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *s = new_sem(k, 0, NIPC_SEM_CREATE);
	struct tl_proc c;

	assert_int_equal(nipc_sem_release(s, 3), 0);
	TL_OBJHELPER_OK(&c, k, "semopen 0 open");
	for (int i = 0; i < 3; i++)
		assert_true(tl_cmd_ok(&c, "acquire"));
	blocked(&c);
	assert_int_equal(nipc_sem_release(s, 1), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	assert_int_equal(tl_end(&c, "exit"), 0);

	assert_int_equal(nipc_sem_release(s, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_release(s, -1), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_release(NULL, 1), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_acquire(NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_acquire_timeout(NULL, 0), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_try_acquire(NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_value((int[1]){0}, NULL), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_set_undo(NULL, 0), -NIPC_EINVAL);
	sem_gone(s, k);
}

/* Open keeps the value; Create sets it again (a leftover from a crash). */
static void open_keeps_create_resets(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *a = new_sem(k, 2, NIPC_SEM_CREATE), *b, *c2;
	struct tl_proc c;

	b = new_sem(k, 9, NIPC_SEM_OPEN);
	TL_OBJHELPER_OK(&c, k, "semopen 5 open");
	assert_true(tl_cmd_ok(&c, "acquire"));
	assert_true(tl_cmd_ok(&c, "acquire"));
	blocked(&c);
	c2 = new_sem(k, 1, NIPC_SEM_CREATE);
	if (IS_SYSV) {
		/* same semaphore, value set to 1: the waiter gets it */
		assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	} else {
		/* a new semaphore replaces the old name; the waiter keeps the old */
		assert_string_equal(tl_cmd(&c, NULL, 200), "");
		assert_int_equal(nipc_sem_release(a, 1), 0);
		assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
		assert_int_equal(nipc_sem_acquire(c2), 0);
	}
	assert_int_equal(tl_end(&c, "exit"), 0);
	nipc_sem_free(b);
	nipc_sem_free(a);
	sem_gone(c2, k);
}

static void open_missing_creates_and_owns(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *a = new_sem(k, 1, NIPC_SEM_OPEN);

	assert_true(TL_SEM_EXISTS(k));
	assert_int_equal(nipc_sem_acquire(a), 0);
	sem_gone(a, k);
}

/* The owner removes the semaphore on close even while others use it (as Qt
 * 5); on System V their next operation fails with EIDRM and they make a new
 * key file and semaphore. */
static void owner_removes_others_reopen(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *a = new_sem(k, 0, NIPC_SEM_CREATE);
	struct tl_proc c;
	struct stat st1, st2;

	if (IS_SYSV)
		assert_int_equal(stat(nipc_key_native(k), &st1), 0);
	TL_OBJHELPER_OK(&c, k, "semopen 0 open");
	nipc_sem_free(a);
	assert_false(TL_LEFTOVER(k));
	assert_true(tl_cmd_ok(&c, "release 1"));
	assert_true(tl_cmd_ok(&c, "acquire"));
	if (IS_SYSV) {
		assert_true(TL_SEM_EXISTS(k));
		/* a new key file: another inode */
		assert_int_equal(stat(nipc_key_native(k), &st2), 0);
		assert_true(st1.st_ino != st2.st_ino || st1.st_ctime != st2.st_ctime ||
			    st1.st_ctim.tv_nsec != st2.st_ctim.tv_nsec);
		/* the child made it again, so the child owns it now */
		assert_true(tl_cmd_ok(&c, "semfree"));
		assert_false(TL_LEFTOVER(k));
	}
	assert_int_equal(tl_end(&c, "exit"), 0);
	TL_KEY_GONE(k);
}

static void bad_keys(void **state)
{
	nipc_sem *s;
	nipc_key *k;

	assert_int_equal(nipc_sem_new(&s, NULL, 1, NIPC_SEM_OPEN), -NIPC_EKEY);
	assert_non_null(s);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_KEY_ERROR);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_new: key is empty");
	assert_string_equal(nipc_sem_error_reason(s), "key is empty");
	assert_int_equal(nipc_sem_acquire(s), -NIPC_EKEY);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_acquire: key is empty");
	assert_int_equal(nipc_sem_release(s, 1), -NIPC_EKEY);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_release: key is empty");

	assert_int_equal(nipc_key_new(&k, 0, "/x"), 0);
	assert_int_equal(nipc_sem_set_key(s, k, 1, NIPC_SEM_OPEN), -NIPC_EKEY);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_KEY_ERROR);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_set_key: invalid key type");
	/* a valid type without a backend here: NIPC_ENOTSUP, Qt's KeyError */
	assert_int_equal(nipc_key_set_type(k, NIPC_KEY_WINDOWS), 0);
	assert_int_equal(nipc_sem_set_key(s, k, 1, NIPC_SEM_OPEN), -NIPC_ENOTSUP);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_KEY_ERROR);
	assert_string_equal(nipc_sem_error_string(s),
			    "nipc_sem_set_key: key type not supported on this host");
	assert_string_equal(nipc_sem_error_reason(s), "key type not supported on this host");
	assert_int_equal(nipc_sem_acquire(s), -NIPC_ENOTSUP);
	assert_int_equal(nipc_sem_try_acquire(s), -NIPC_ENOTSUP);
	assert_ptr_not_equal(nipc_sem_key(s), k);
	assert_true(nipc_key_equal(nipc_sem_key(s), k));
	assert_int_equal(nipc_sem_set_key(s, k, -1, NIPC_SEM_OPEN), -NIPC_EINVAL);
	assert_int_equal(nipc_sem_set_key(s, k, 1, 5), -NIPC_EINVAL);
	nipc_sem_free(s);
	nipc_sem_free(NULL);
	/* no object: Qt's UnknownError, the value Qt gives it */
	assert_int_equal(nipc_sem_error(NULL), NIPC_SEM_ERR_UNKNOWN_ERROR);
	assert_int_equal(NIPC_SEM_ERR_UNKNOWN_ERROR, 6);
	assert_string_equal(nipc_sem_error_reason(NULL), "invalid argument");

	s = (nipc_sem *)1;
	assert_int_equal(nipc_sem_new(&s, k, -1, NIPC_SEM_OPEN), -NIPC_EINVAL);
	assert_null(s);
	assert_int_equal(nipc_sem_new(NULL, k, 1, NIPC_SEM_OPEN), -NIPC_EINVAL);
	nipc_key_free(k);
	assert_int_equal(nipc_key_new(&k, NIPC_KEY_POSIX, "/a/b"), 0);
	assert_int_equal(nipc_sem_new(&s, k, 1, NIPC_SEM_OPEN), -NIPC_EKEY);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_new: bad name");
	nipc_sem_free(s);
	nipc_key_free(k);
}

static void modes_whatever_the_umask(void **state)
{
	nipc_key *k = tl_key(TYPE);
	mode_t old = umask(0277);
	nipc_sem *s = new_sem(k, 1, NIPC_SEM_CREATE);

	umask(old);
	if (IS_SYSV)
		assert_int_equal(tl_file_mode(nipc_key_native(k)), 0640 & ~0277);
	assert_int_equal(tl_obj_mode(nipc_key_native(k), TL_KEY_PROJ(k), 1), 0600);
	sem_gone(s, k);
}

static int sem_value(const nipc_sem *s)
{
	int v = -1;

	assert_int_equal(nipc_sem_value(&v, s), 0);
	return v;
}

/* Timed and try acquires give up when nothing comes, and take what
 * another process gives while they wait; the value shows it all. */
static void acquire_timeout_and_value(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *s;
	struct tl_proc c;
	time_t t0;

	assert_int_equal(nipc_sem_new(&s, k, 0, NIPC_SEM_CREATE), 0);
	assert_int_equal(sem_value(s), 0);
	assert_int_equal(nipc_sem_try_acquire(s), -NIPC_ETIMEDOUT);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_UNKNOWN_ERROR);
	assert_string_equal(nipc_sem_error_string(s), "nipc_sem_try_acquire: timed out");
	assert_string_equal(nipc_sem_error_reason(s), "timed out");
	t0 = time(NULL);
	assert_int_equal(nipc_sem_acquire_timeout(s, 1100), -NIPC_ETIMEDOUT);
	assert_true(time(NULL) - t0 >= 1); /* it waited */

	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	assert_true(tl_cmd_ok(&c, "semopen 0 open"));
	assert_true(tl_cmd_ok(&c, "release 2"));
	assert_int_equal(sem_value(s), 2);
	assert_int_equal(nipc_sem_try_acquire(s), 0);
	assert_int_equal(nipc_sem_error(s), NIPC_SEM_ERR_NO_ERROR);
	assert_string_equal(nipc_sem_error_reason(s), "");
	assert_int_equal(nipc_sem_acquire_timeout(s, 0), 0);
	assert_int_equal(sem_value(s), 0);

	/* the child waits, and takes what we give */
	assert_int_equal(tl_send(&c, "acquiretimeout 10000"), 0);
	assert_string_equal(tl_cmd(&c, NULL, 200), "");
	assert_int_equal(nipc_sem_release(s, 1), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000), "ok");
	assert_int_equal(sem_value(s), 0);
	assert_int_equal(tl_send(&c, "acquiretimeout 300"), 0);
	assert_string_equal(tl_cmd(&c, NULL, 10000),
			    "err 6 nipc_sem_acquire_timeout: timed out");
	assert_int_equal(tl_end(&c, "exit"), 0);
	assert_int_equal(nipc_sem_value(NULL, s), -NIPC_EINVAL);
	nipc_sem_free(s);
	assert_false(TL_LEFTOVER(k));
	nipc_key_free(k);
}

/* A process that gives and exits: with SEM_UNDO (the default, as Qt) the
 * System V kernel takes its count back at exit; without, it stays given.
 * POSIX semaphores never undo. */
static void undo_at_exit(void **state)
{
	nipc_key *k = tl_key(TYPE);
	nipc_sem *s;
	struct tl_proc c;

	assert_int_equal(nipc_sem_new(&s, k, 0, NIPC_SEM_CREATE), 0);
	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	assert_true(tl_cmd_ok(&c, "semopen 0 open"));
	assert_true(tl_cmd_ok(&c, "release 1"));
	assert_int_equal(sem_value(s), 1);
	assert_int_equal(tl_end(&c, "exit"), 0);
	assert_int_equal(sem_value(s), IS_SYSV ? 0 : 1);
	if (!IS_SYSV)
		assert_int_equal(nipc_sem_try_acquire(s), 0);

	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	assert_true(tl_cmd_ok(&c, "semopen 0 open"));
	assert_true(tl_cmd_ok(&c, "undo 0"));
	assert_true(tl_cmd_ok(&c, "release 1"));
	assert_int_equal(tl_end(&c, "exit"), 0);
	assert_int_equal(sem_value(s), 1);

	/* and a taker without undo that dies keeps its count */
	assert_int_equal(TL_OBJHELPER(&c, k), 0);
	assert_true(tl_cmd_ok(&c, "semopen 0 open"));
	assert_true(tl_cmd_ok(&c, "undo 0"));
	assert_true(tl_cmd_ok(&c, "acquire"));
	assert_int_equal(tl_kill(&c), 128 + SIGKILL);
	assert_int_equal(sem_value(s), 0);

	nipc_sem_free(s);
	assert_false(TL_LEFTOVER(k));
	nipc_key_free(k);
}

/* The setting is the object's: it survives a new key, and it is what
 * this process's own semops use. */
static void undo_survives_set_key(void **state)
{
	nipc_key *k = tl_key(TYPE), *other = tl_key(TYPE);
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
	assert_false(TL_LEFTOVER(k));
	nipc_key_free(k);
	/* the child's first key was an opener's: nothing of it is left but
	 * its key file, in the ledger's key directory */
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

#define BOTH(f) cmocka_unit_test_prestate(f, &SYSV), cmocka_unit_test_prestate(f, &POSIX)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(shared_between_processes),
		cmocka_unit_test_prestate(shared_between_processes, &SYSV1),
		BOTH(release_many),
		BOTH(open_keeps_create_resets),
		BOTH(open_missing_creates_and_owns),
		BOTH(owner_removes_others_reopen),
		cmocka_unit_test(bad_keys),
		BOTH(modes_whatever_the_umask),
		BOTH(acquire_timeout_and_value),
		BOTH(undo_at_exit),
		BOTH(undo_survives_set_key),
		cmocka_unit_test(value_needs_an_open_semaphore),
		cmocka_unit_test(enums_and_codes),
	};

	alarm(600); /* a deadlock fails the run instead of hanging it */
	return TL_MAIN("sem", tests, NULL, NULL);
}
