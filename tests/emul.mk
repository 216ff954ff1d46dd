# SPDX-License-Identifier: MIT
# tests: System V emulated on POSIX (shim/emul_*.c) under real processes.
# The case program runs under LD_PRELOAD: no sanitizers (their runtime
# must come first in the preload list; the test puts it there).
check_PROGRAMS += tests/progs/sysv_shm_cases
tests_progs_sysv_shm_cases_SOURCES = tests/progs/sysv_shm_cases.c
tests_progs_sysv_shm_cases_CFLAGS = $(WARN_CFLAGS)
tests_progs_sysv_shm_cases_LDFLAGS =

check_PROGRAMS += tests/test_emul_shm
tests_test_emul_shm_SOURCES = tests/test_emul_shm.c
tests_test_emul_shm_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_emul_shm_LDADD = $(TEST_LIBS)
TESTS += tests/test_emul_shm

check_PROGRAMS += tests/progs/sysv_sem_worker
tests_progs_sysv_sem_worker_SOURCES = tests/progs/sysv_sem_worker.c
tests_progs_sysv_sem_worker_CFLAGS = $(WARN_CFLAGS)
tests_progs_sysv_sem_worker_LDFLAGS =

check_PROGRAMS += tests/test_emul_sem
tests_test_emul_sem_SOURCES = tests/test_emul_sem.c
tests_test_emul_sem_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_emul_sem_LDADD = $(TEST_LIBS)
TESTS += tests/test_emul_sem

check_PROGRAMS += tests/progs/sysv_sem_cases
tests_progs_sysv_sem_cases_SOURCES = tests/progs/sysv_sem_cases.c
tests_progs_sysv_sem_cases_CFLAGS = $(WARN_CFLAGS)
tests_progs_sysv_sem_cases_LDFLAGS =

check_PROGRAMS += tests/test_emul_sem_diff
tests_test_emul_sem_diff_SOURCES = tests/test_emul_sem_diff.c
tests_test_emul_sem_diff_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_emul_sem_diff_LDADD = $(TEST_LIBS)
EXTRA_tests_test_emul_sem_diff_DEPENDENCIES = tests/progs/sysv_sem_cases$(EXEEXT)
EXTRA_DIST += tests/vectors/sysv-sem-cases.txt
TESTS += tests/test_emul_sem_diff

# real, unmodified programs (PostgreSQL, Python's sysv_ipc, Qt 5) on the
# kernel and under the emulation
check_PROGRAMS += tests/test_emul_real
tests_test_emul_real_SOURCES = tests/test_emul_real.c
tests_test_emul_real_CPPFLAGS = $(AM_CPPFLAGS) -DPYTHON3='"$(PYTHON3)"'
tests_test_emul_real_LDADD = $(TEST_LIBS)
EXTRA_tests_test_emul_real_DEPENDENCIES = tests/progs/sysv_shm_cases$(EXEEXT)
if HAVE_QT5
EXTRA_tests_test_emul_real_DEPENDENCIES += tests/qt/qt5peer$(EXEEXT)
endif
EXTRA_DIST += tests/progs/real_sysv_ipc.py
TESTS += tests/test_emul_real
