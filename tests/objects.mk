# SPDX-License-Identifier: MIT
# tests: objects (shared memory, semaphores)
LOCK_TEST_SOURCES = tests/lockrun.c tests/lockrun.h

check_PROGRAMS += tests/progs/objhelper
tests_progs_objhelper_SOURCES = tests/progs/objhelper.c
tests_progs_objhelper_LDADD = lib/libnipc-core.la

check_PROGRAMS += tests/test_shm
tests_test_shm_LDADD = $(TEST_LIBS)
EXTRA_tests_test_shm_DEPENDENCIES = tests/progs/objhelper$(EXEEXT)
TESTS += tests/test_shm

check_PROGRAMS += tests/test_crash
tests_test_crash_LDADD = $(TEST_LIBS)
EXTRA_tests_test_crash_DEPENDENCIES = tests/progs/objhelper$(EXEEXT) tools/nipc$(EXEEXT)
TESTS += tests/test_crash

# kill -9 chaos on one key, both backends (bounded: ~20 s each)
check_PROGRAMS += tests/progs/chaosworker
tests_progs_chaosworker_SOURCES = tests/progs/chaosworker.c tests/chaos_stats.h
tests_progs_chaosworker_LDADD = lib/libnipc-core.la

check_PROGRAMS += tests/test_chaos
tests_test_chaos_SOURCES = tests/test_chaos.c tests/chaos_stats.h
tests_test_chaos_LDADD = $(TEST_LIBS)
EXTRA_tests_test_chaos_DEPENDENCIES = tests/progs/objhelper$(EXEEXT) \
	tests/progs/chaosworker$(EXEEXT) tools/nipc$(EXEEXT)
TESTS += tests/test_chaos

check_PROGRAMS += tests/test_sem
tests_test_sem_LDADD = $(TEST_LIBS)
EXTRA_tests_test_sem_DEPENDENCIES = tests/progs/objhelper$(EXEEXT)
TESTS += tests/test_sem

# error paths through a failing backend table (lib/backend.h)
check_PROGRAMS += tests/test_objfail
tests_test_objfail_LDADD = $(TEST_LIBS)
TESTS += tests/test_objfail

# Every nipc verb with fd 0, 1 or 2 closed, both backends; write errors on
# stdout (closed, /dev/full, a pipe without reader) exit 1.
check_PROGRAMS += tests/test_cli_fds
TESTS += tests/test_cli_fds
tests_test_cli_fds_LDADD = $(TEST_LIBS)

# The library with fds 0-2 closed must keep no descriptor below 3.
check_PROGRAMS += tests/test_lib_fds
tests_test_lib_fds_LDADD = $(TEST_LIBS)
TESTS += tests/test_lib_fds

# the segment lock with real processes: locked increments in every idiom,
# failing creates while the lock is held (library and CLI)
check_PROGRAMS += tests/progs/lockworker
tests_progs_lockworker_SOURCES = tests/progs/lockworker.c
tests_progs_lockworker_LDADD = lib/libnipc-core.la

check_PROGRAMS += tests/test_lock
tests_test_lock_SOURCES = tests/test_lock.c $(LOCK_TEST_SOURCES)
tests_test_lock_LDADD = $(TEST_LIBS)
EXTRA_tests_test_lock_DEPENDENCIES = tests/progs/lockworker$(EXEEXT) \
	tests/progs/objhelper$(EXEEXT) tools/nipc$(EXEEXT)
TESTS += tests/test_lock

# the segment lock and data shared with a real Qt 6.8 (POSIX keys), through
# the qt68ipc probe of shared/qt68-ref beside the source tree (or
# NIPC_QT68_DIR); skips without it
check_PROGRAMS += tests/test_qt68_lock
tests_test_qt68_lock_LDADD = $(TEST_LIBS)
EXTRA_tests_test_qt68_lock_DEPENDENCIES = tools/nipc$(EXEEXT)
TESTS += tests/test_qt68_lock

# the backends from outside: probes that make nothing, stat and list of
# every object against /proc/sysvipc, /dev/shm and attached processes
check_PROGRAMS += tests/test_stat
tests_test_stat_LDADD = $(TEST_LIBS)
EXTRA_tests_test_stat_DEPENDENCIES = tests/progs/objhelper$(EXEEXT) tools/nipc$(EXEEXT)
TESTS += tests/test_stat

# nipc ls against real processes (Python, ipcmk, Qt 5, the emulation)
check_PROGRAMS += tests/test_ls
tests_test_ls_SOURCES = tests/test_ls.c
tests_test_ls_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools -DPYTHON3='"$(PYTHON3)"'
tests_test_ls_LDADD = $(TEST_LIBS)
EXTRA_tests_test_ls_DEPENDENCIES = tools/nipc$(EXEEXT) shim/libnipc-preload.la
if HAVE_QT5
EXTRA_tests_test_ls_DEPENDENCIES += tests/qt/qt5peer$(EXEEXT)
endif
TESTS += tests/test_ls

# The operator's CLI is safe to use: inspection creates nothing, raw keys,
# lasting semaphore operations, NotFound, timeouts, sizes, messages.
check_PROGRAMS += tests/test_cli_safe
TESTS += tests/test_cli_safe
tests_test_cli_safe_LDADD = $(TEST_LIBS)
EXTRA_tests_test_cli_safe_DEPENDENCIES = tools/nipc$(EXEEXT)
EXTRA_DIST += tests/vectors/cli-safe-usage.tsv

# nipc clean against real processes (Python, Qt 5, ipcmk, live holders, races)
check_PROGRAMS += tests/test_clean
tests_test_clean_SOURCES = tests/test_clean.c
tests_test_clean_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools -DPYTHON3='"$(PYTHON3)"'
tests_test_clean_LDADD = $(TEST_LIBS)
EXTRA_tests_test_clean_DEPENDENCIES = tools/nipc$(EXEEXT)
if HAVE_QT5
EXTRA_tests_test_clean_DEPENDENCIES += tests/qt/qt5peer$(EXEEXT)
endif
TESTS += tests/test_clean
