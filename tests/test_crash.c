/* A process killed with SIGKILL while attached or while holding a segment's
 * lock, on both backends: nobody deadlocks, and Qt's recovery idiom (create
 * fails with AlreadyExists → attach → detach) leaves nothing behind. */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static int SYSV = NIPC_KEY_SYSTEMV, POSIX = NIPC_KEY_POSIX;

#define TYPE (*(int *)*state)

static int child_ok(struct child *c, const char *cmd)
{
	const char *r = child_cmd(c, cmd, 10000);

	if (strcmp(r, "ok"))
		print_error("child: %s -> '%s'\n", cmd, r);
	return strcmp(r, "ok") == 0;
}

static void killed(struct child *c)
{
	int st = child_kill(c);

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

/* create fails with AlreadyExists, attach, detach: all gone */
static void recover(const nipc_key *k)
{
	nipc_shm *shm;

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), -NIPC_EEXIST);
	assert_string_equal(nipc_shm_error_string(shm), "nipc_shm_create: already exists");
	assert_int_equal(nipc_shm_attach(shm, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_detach(shm), 0);
	nipc_shm_free(shm);
	assert_false(obj_leftover(k));
}

static void killed_while_attached(void **state)
{
	nipc_key *k = obj_key(TYPE);
	struct child c;

	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "create 64"));
	killed(&c);
	assert_true(obj_shm_exists(k));
	recover(k);
	nipc_key_free(k);
}

static void killed_while_holding_lock(void **state)
{
	nipc_key *k = obj_key(TYPE);
	struct child c;
	nipc_shm *shm;

	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "create 64"));
	assert_true(child_ok(&c, "lock"));
	killed(&c);
	alarm(30); /* a deadlock fails the test instead of hanging it */
	recover(k);

	/* the lock works again afterwards */
	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), 0);
	assert_int_equal(nipc_shm_lock(shm), 0);
	assert_int_equal(nipc_shm_unlock(shm), 0);
	nipc_shm_free(shm);
	alarm(600);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
}

/* Qt 5 (System V, legacy key): after a crash, a create() that fails with
 * AlreadyExists still takes the stale lock semaphore over (Create mode) and
 * removes it and its key file when freed; the segment stays for the
 * recovery idiom. */
static void failed_create_removes_stale_lock(void **state)
{
	char name[64], *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	nipc_key *k, *lk;
	nipc_shm *shm;
	struct child c;

	snprintf(name, sizeof name, "crash%d", (int)getpid());
	setenv("TMPDIR", obj_dir(), 1);
	assert_int_equal(nipc_key_legacy_make(&k, name, NIPC_KIND_SHM, NIPC_KEY_SYSTEMV,
					      NIPC_OS_HOST, NULL), 0);
	assert_int_equal(nipc_key_legacy_make(&lk, name, NIPC_KIND_SEM, NIPC_KEY_SYSTEMV,
					      NIPC_OS_HOST, NULL), 0);
	assert_int_equal(child_start(&c, k), 0);
	assert_true(child_ok(&c, "create 64"));
	killed(&c);
	assert_true(obj_shm_exists(k));
	assert_true(obj_sem_exists(lk));
	assert_int_equal(access(nipc_key_native(k), F_OK), 0);
	assert_int_equal(access(nipc_key_native(lk), F_OK), 0);

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), -NIPC_EEXIST);
	nipc_shm_free(shm);
	assert_false(obj_leftover(lk));
	assert_true(obj_shm_exists(k));
	recover(k);
	assert_false(obj_leftover(lk));
	nipc_key_free(k);
	nipc_key_free(lk);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

/* A holder dies while others wait for the lock: exactly one of them takes
 * it over, and the counter they share stays exact. */
static void killed_holder_then_counter(void **state)
{
	enum { N = 3, EACH = 200 };
	nipc_key *k = obj_key(TYPE);
	struct child holder, c[N];
	nipc_shm *shm;
	char cmd[32];

	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_create(shm, 64, NIPC_SHM_READWRITE), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(child_start(&c[i], k), 0);
		assert_true(child_ok(&c[i], "attach rw"));
	}
	assert_int_equal(child_start(&holder, k), 0);
	assert_true(child_ok(&holder, "attach rw"));
	assert_true(child_ok(&holder, "lock"));
	snprintf(cmd, sizeof cmd, "inc %d", EACH);
	for (int i = 0; i < N; i++)
		assert_int_equal(child_send(&c[i], cmd), 0);
	usleep(100000);
	for (int i = 0; i < N; i++)
		assert_string_equal(child_reply(&c[i], 0), ""); /* all waiting */
	killed(&holder);
	for (int i = 0; i < N; i++)
		assert_string_equal(child_reply(&c[i], 60000), "ok");
	assert_int_equal(*(uint32_t *)nipc_shm_data(shm), N * EACH);
	assert_int_equal(nipc_shm_lock(shm), 0);
	assert_int_equal(nipc_shm_unlock(shm), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(child_end(&c[i]), 0);
	nipc_shm_free(shm);
	assert_false(obj_leftover(k));
	nipc_key_free(k);
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
		BOTH(killed_while_attached),
		BOTH(killed_while_holding_lock),
		BOTH(killed_holder_then_counter),
		cmocka_unit_test(failed_create_removes_stale_lock),
	};

	alarm(600); /* a deadlock fails the run instead of hanging it */
	return cmocka_run_group_tests_name("crash", tests, setup, teardown);
}
