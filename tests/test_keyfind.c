/* SPDX-License-Identifier: MIT */
/* shim/keyfind.c as a reader process uses it (no shim): a System V id
 * resolved to its key through /proc/sysvipc, a key to a candidate key
 * file in TMPDIR, the texts the trace shows, and what happens when the
 * object or the file goes. */
#include "config.h"

#include "tlib.h"

#include "../shim/keyfind.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

static void test_id_and_key(void **state)
{
	const char *kf;
	char buf[PATH_MAX + 32], want[PATH_MAX + 32];
	key_t key, got;
	int id, searched;

	(void)state;
	setenv("TMPDIR", tl_scratch(), 1);
	kf = tl_keyfile("keyfind");
	assert_non_null(kf);
	key = ftok(kf, 'Q');
	assert_true(key != -1);
	id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	tl_ledger_msqid(id);

	assert_int_equal(names_resolve_sysv_id(2, id, &got), 1);
	assert_int_equal(got, key);
	assert_int_equal(names_resolve_sysv_id(3, id, &got), 0);
	assert_int_equal(names_key_candidate(key, buf, sizeof buf), 1);
	assert_string_equal(buf, kf);
	/* a buffer too small for the path: none */
	assert_int_equal(names_key_candidate(key, buf, 4), 0);
	assert_int_equal(names_key_candidate(IPC_PRIVATE, buf, sizeof buf), 0);

	snprintf(want, sizeof want, "systemv:%s", kf);
	names_id_text(2, id, buf, sizeof buf, &searched);
	assert_string_equal(buf, want);
	assert_int_equal(searched, 1);
	/* another ftok id of the same file: its scheme says so */
	names_key_text((key_t)(((uint32_t)key & 0xffffff) | 7u << 24), buf, sizeof buf, &searched);
	snprintf(want, sizeof want, "systemv-7:%s", kf);
	assert_string_equal(buf, want);

	/* the queue gone: the id is all there is */
	assert_int_equal(msgctl(id, IPC_RMID, NULL), 0);
	assert_int_equal(names_resolve_sysv_id(2, id, &got), 0);
	names_id_text(2, id, buf, sizeof buf, &searched);
	snprintf(want, sizeof want, "msqid:%d", id);
	assert_string_equal(buf, want);
	assert_int_equal(searched, 0);

	/* the file gone: the cached candidate is not used once it has been
	 * checked again (at most KEYFIND_RECHECK_NS later) */
	assert_int_equal(unlink(kf), 0);
	{
		struct timespec t = {KEYFIND_RECHECK_NS / 1000000000ull,
				     (long)(KEYFIND_RECHECK_NS % 1000000000ull) + 100000000};

		nanosleep(&t, NULL);
	}
	/* (another file, of another program, may give the same key: ftok
	 * keeps 16 bits of the inode; then it is the candidate) */
	if (names_key_candidate(key, buf, sizeof buf)) {
		assert_string_not_equal(buf, kf);
		print_message("# another candidate for 0x%08x: %s\n", (unsigned)key, buf);
		unsetenv("TMPDIR");
		return;
	}
	names_key_text(key, buf, sizeof buf, &searched);
	snprintf(want, sizeof want, "0x%08x", (unsigned)key);
	assert_string_equal(buf, want);
	assert_int_equal(searched, 0);
	unsetenv("TMPDIR");
}

TL_TESTS("keyfind", NULL, NULL, test_id_and_key)
