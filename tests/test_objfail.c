/* SPDX-License-Identifier: MIT */
/* Error paths: a backend table that fails its n-th call, for every n, over
 * whole life cycles of segments and semaphores on both backends. Each
 * failure must be reported with the operation's name, and nothing may be
 * left behind (objects here; memory under the sanitizers). */
#include "config.h"

#include "backend.h"
#include "nipc.h"
#include "tlib.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct nipc_backend *real;
static int calls, fail_at, fail_errno;
/* the failed call was a release: one inside create, attach or detach is
 * not the operation's failure (as Qt's locker), and leaves nothing held */
static int release_failed;

static int failing(struct nipc_why *why)
{
	if (++calls != fail_at)
		return 0;
	return nipc__why_errno(why, fail_errno);
}

static int f_seg_create(const nipc_key *key, size_t size, struct nipc_seg *seg,
			struct nipc_why *why)
{
	return failing(why) ? why->code : real->seg_create(key, size, seg, why);
}

static int f_seg_attach(const nipc_key *key, int rw, struct nipc_seg *seg, struct nipc_why *why)
{
	return failing(why) ? why->code : real->seg_attach(key, rw, seg, why);
}

/* fails after the real work, as a detach that half succeeded */
static int f_seg_detach(const nipc_key *key, struct nipc_seg *seg, int cleanup, int *removed,
			struct nipc_why *why)
{
	int err = real->seg_detach(key, seg, cleanup, removed, why);

	return err < 0 ? err : failing(why) ? why->code : 0;
}

static void f_seg_remove(const nipc_key *key)
{
	real->seg_remove(key);
}

static int f_sem_open(struct nipc_bsem *s, const nipc_key *key, int initial, int create, int mutex,
		      struct nipc_why *why)
{
	if (failing(why))
		return why->code;
	int err = real->sem_open(s, key, initial, create, mutex, why);

	s->be = nipc__backend_for(key->type);
	return err;
}

static int f_sem_acquire(struct nipc_bsem *s, long timeout_ms, struct nipc_why *why)
{
	return failing(why) ? why->code : real->sem_acquire(s, timeout_ms, why);
}

/* fails after the real work, as a release of a lock removed under us does:
 * a count that was not given back would block the next locker for ever,
 * here in this very thread */
static int f_sem_release(struct nipc_bsem *s, int n, struct nipc_why *why)
{
	int err = real->sem_release(s, n, why);

	if (err < 0)
		return err;
	if (!failing(why))
		return 0;
	release_failed = 1;
	return why->code;
}

static void f_sem_close(struct nipc_bsem *s)
{
	real->sem_close(s);
}

static int f_seg_exists(const nipc_key *key)
{
	return real->seg_exists(key);
}

static void f_lock_remove(struct nipc_bsem *s, const nipc_key *seg, int files)
{
	real->lock_remove(s, seg, files);
}

static const struct nipc_backend failing_backend = {
	.name = "failing",
	.seg_create = f_seg_create,
	.seg_attach = f_seg_attach,
	.seg_detach = f_seg_detach,
	.seg_remove = f_seg_remove,
	.seg_exists = f_seg_exists,
	.sem_open = f_sem_open,
	.sem_acquire = f_sem_acquire,
	.sem_release = f_sem_release,
	.sem_close = f_sem_close,
	.lock_remove = f_lock_remove,
};

static int TYPES[] = {NIPC_KEY_SYSTEMV, NIPC_KEY_POSIX};

static void install(int type)
{
	int sysv = nipc_key_type_is_systemv(type);

	real = sysv ? &nipc__sysv_backend : &nipc__posix_backend;
	nipc__backend_override(sysv, &failing_backend);
	calls = 0;
}

static int teardown_one(void **state)
{
	nipc__backend_override(1, NULL);
	nipc__backend_override(0, NULL);
	return 0;
}

/* r failed: the error names op and says why. */
static void check_shm_error(nipc_shm *shm, int r, const char *op)
{
	const char *s = nipc_shm_error_string(shm);

	assert_true(r < 0);
	if (r == -NIPC_ESTATE)
		return;
	assert_int_equal(nipc_shm_error(shm), -r);
	assert_int_equal(strncmp(s, op, strlen(op)), 0);
	/* a consequence of an earlier failure in the cycle */
	if (r == -NIPC_ENOTFOUND && !strcmp(s, "nipc_shm_attach: doesn't exist"))
		return;
	assert_true(strstr(s, ": unknown error: Input/output error") ||
		    strstr(s, ": unable to lock") || strstr(s, ": unable to unlock") ||
		    strstr(s, ": unable to set key on lock"));
}

#define STEP(obj, call, op)                                               \
	do {                                                              \
		int r_ = (call);                                          \
		if (r_ < 0) {                                             \
			check_shm_error(obj, r_, op);                     \
			failed++;                                         \
		}                                                         \
	} while (0)

/* Not holding the lock is the normal case; holding it shows an unlock that
 * failed inside an operation, and counts as an observed failure. */
static int unheld_count;

static int unheld(int r)
{
	if (r == 0)
		unheld_count++;
	return r == -NIPC_ESTATE ? 0 : r;
}

/* One life cycle with the n-th backend call failing; returns the number of
 * backend calls made, and whether something failed. */
static int shm_cycle(int type, int n, int *failed_out)
{
	nipc_key *k = tl_key(type);
	nipc_shm *shm, *peer;
	int failed = 0, r;

	install(type);
	fail_at = n;
	unheld_count = 0;
	release_failed = 0;
	assert_int_equal(nipc_shm_new(&shm, k), 0);
	assert_int_equal(nipc_shm_new(&peer, k), 0);
	/* An unlock that failed leaves the lock held (a create, attach or
	 * detach does not report it, as Qt's): give it back before anyone else
	 * in this thread waits for it. */
	STEP(shm, nipc_shm_create(shm, 128, NIPC_SHM_READWRITE), "nipc_shm_create");
	STEP(shm, unheld(nipc_shm_unlock(shm)), "nipc_shm_unlock");
	STEP(peer, nipc_shm_attach(peer, NIPC_SHM_READONLY), "nipc_shm_attach");
	STEP(peer, unheld(nipc_shm_unlock(peer)), "nipc_shm_unlock");
	STEP(shm, (r = nipc_shm_lock(shm)), "nipc_shm_lock");
	if (r == 0)
		STEP(shm, nipc_shm_unlock(shm), "nipc_shm_unlock");
	STEP(shm, unheld(nipc_shm_unlock(shm)), "nipc_shm_unlock");
	STEP(peer, nipc_shm_detach(peer), "nipc_shm_detach");
	STEP(peer, unheld(nipc_shm_unlock(peer)), "nipc_shm_unlock");
	STEP(shm, nipc_shm_detach(shm), "nipc_shm_detach");
	STEP(shm, unheld(nipc_shm_unlock(shm)), "nipc_shm_unlock");
	nipc_shm_free(peer);
	nipc_shm_free(shm);
	if (TL_LEFTOVER(k))
		print_error("left over after failing call %d of %d\n", n, calls);
	TL_KEY_GONE(k);
	*failed_out = failed + unheld_count;
	return calls;
}

static void shm_every_failure(void **state)
{
	int failed, total;

	fail_errno = EIO;
	for (size_t t = 0; t < 2; t++) {
		total = shm_cycle(TYPES[t], 0, &failed);
		assert_int_equal(failed, 0);
		assert_true(total >= 8);
		for (int n = 1; n <= total; n++) {
			shm_cycle(TYPES[t], n, &failed);
			assert_true(failed > 0 || release_failed);
		}
	}
}

static void sem_every_failure(void **state)
{
	for (size_t t = 0; t < 2; t++) {
		for (int n = 0; n <= 4; n++) {
			nipc_key *k = tl_key(TYPES[t]);
			nipc_sem *s;
			int r, failed = 0;

			install(TYPES[t]);
			fail_at = n;
			r = nipc_sem_new(&s, k, 1, NIPC_SEM_CREATE);
			assert_non_null(s);
			if (r < 0) {
				failed++;
				assert_int_equal(nipc_sem_error(s), 6);
				assert_string_equal(nipc_sem_error_string(s),
						    "nipc_sem_new: unknown error: Input/output error");
			}
			if ((r = nipc_sem_acquire(s)) < 0) {
				failed++;
				assert_int_equal(r, -NIPC_EUNKNOWN);
				assert_string_equal(nipc_sem_error_string(s),
						    "nipc_sem_acquire: unknown error: Input/output error");
			}
			if ((r = nipc_sem_release(s, 2)) < 0) {
				failed++;
				assert_string_equal(nipc_sem_error_string(s),
						    "nipc_sem_release: unknown error: Input/output error");
			} else {
				assert_int_equal(nipc_sem_error(s), 0);
				assert_string_equal(nipc_sem_error_string(s), "");
			}
			assert_int_equal(failed, n > 0 && n <= 3);
			nipc_sem_free(s);
			TL_KEY_GONE(k);
		}
	}
}

/* Errors map to Qt's enums: each errno through a failing semaphore open. */
static void errno_mapping(void **state)
{
	static const struct {
		int e, shm, sem;
		const char *text;
	} map[] = {
		{EACCES, NIPC_EPERM, 1, "permission denied"},
		{EEXIST, NIPC_EEXIST, 3, "already exists"},
		{ENOENT, NIPC_ENOTFOUND, 4, "doesn't exist"},
		{EMFILE, NIPC_ERESOURCES, 5, "out of resources"},
		{ENOMEM, NIPC_ERESOURCES, 5, "out of resources"},
		{ENOSPC, NIPC_ERESOURCES, 5, "out of resources"},
		{EIO, NIPC_EUNKNOWN, 6, "unknown error: Input/output error"},
	};
	char want[128];

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		nipc_key *k = tl_key(NIPC_KEY_POSIX);
		nipc_sem *s;
		nipc_shm *shm;

		install(NIPC_KEY_POSIX);
		fail_errno = map[i].e;
		fail_at = 1;
		assert_int_equal(nipc_sem_new(&s, k, 1, NIPC_SEM_OPEN), -map[i].shm);
		assert_int_equal(nipc_sem_error(s), map[i].sem);
		snprintf(want, sizeof want, "nipc_sem_new: %s", map[i].text);
		assert_string_equal(nipc_sem_error_string(s), want);
		nipc_sem_free(s);

		/* the segment itself: its first call after the lock */
		assert_int_equal(nipc_shm_new(&shm, k), 0);
		calls = 0;
		fail_at = 3; /* sem_open, sem_acquire, seg_attach */
		assert_int_equal(nipc_shm_attach(shm, NIPC_SHM_READWRITE), -map[i].shm);
		assert_int_equal(nipc_shm_error(shm), map[i].shm);
		snprintf(want, sizeof want, "nipc_shm_attach: %s", map[i].text);
		assert_string_equal(nipc_shm_error_string(shm), want);
		calls = 0;
		/* no segment: the failed attach removed the lock it made, so
		 * this one opens it again, and its sem_acquire fails */
		fail_at = 2;
		assert_int_equal(nipc_shm_attach(shm, NIPC_SHM_READWRITE), -NIPC_ELOCK);
		assert_int_equal(nipc_shm_error(shm), NIPC_ELOCK);
		assert_string_equal(nipc_shm_error_string(shm), "nipc_shm_attach: unable to lock");
		nipc_shm_free(shm);
		TL_KEY_GONE(k);
	}
	fail_errno = EIO;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(shm_every_failure, teardown_one),
		cmocka_unit_test_teardown(sem_every_failure, teardown_one),
		cmocka_unit_test_teardown(errno_mapping, teardown_one),
	};

	alarm(600); /* a deadlock fails the run instead of hanging it */
	return TL_MAIN("objfail", tests, NULL, teardown_one);
}
