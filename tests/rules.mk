# SPDX-License-Identifier: MIT
# tests: the rule language (shim/rules.c), nipc rules check, NIPC_RULES, nipc run.
check_PROGRAMS += tests/test_rules
tests_test_rules_SOURCES = tests/test_rules.c shim/rules.c shim/rules.h
tests_test_rules_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_rules_CFLAGS = $(TEST_CFLAGS)
tests_test_rules_LDADD = $(TEST_LIBS)
EXTRA_tests_test_rules_DEPENDENCIES = tools/nipc$(EXEEXT) shim/libnipc-preload.la
TESTS += tests/test_rules

# nipc run (and the launcher nipc trace shares) with real processes.
check_PROGRAMS += tests/test_run
tests_test_run_LDADD = $(TEST_LIBS)
EXTRA_tests_test_run_DEPENDENCIES = tools/nipc$(EXEEXT) shim/libnipc-preload.la \
	tests/progs/sysv_shm_cases$(EXEEXT)
TESTS += tests/test_run

# cleanup= rules and the ledger, with real processes.
check_PROGRAMS += tests/test_cleanup tests/progs/cleanup_prog tests/progs/daemon_prog
tests_test_cleanup_SOURCES = tests/test_cleanup.c shim/ledger.c shim/ledger.h tools/procscan.c
tests_test_cleanup_CFLAGS = $(TEST_CFLAGS)
tests_test_cleanup_LDADD = $(TEST_LIBS)
EXTRA_tests_test_cleanup_DEPENDENCIES = tools/nipc$(EXEEXT) shim/libnipc-preload.la \
	tests/progs/cleanup_prog$(EXEEXT) tests/progs/daemon_prog$(EXEEXT)
tests_progs_cleanup_prog_CFLAGS = $(WARN_CFLAGS)
tests_progs_cleanup_prog_LDFLAGS =
tests_progs_daemon_prog_CFLAGS = $(WARN_CFLAGS)
tests_progs_daemon_prog_LDFLAGS =
TESTS += tests/test_cleanup
