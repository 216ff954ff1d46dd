# SPDX-License-Identifier: MIT
# tests: shim — libnipc-preload.so under real helper programs.
SHIM_TESTS = tests/test_shim_trace tests/test_shim_proc tests/test_shim_safety \
	tests/test_shim_table tests/test_graph
check_PROGRAMS += $(SHIM_TESTS)
TESTS += $(SHIM_TESTS)
tests_test_shim_trace_LDADD = $(TEST_LIBS)
tests_test_shim_proc_LDADD = $(TEST_LIBS)
tests_test_shim_safety_LDADD = $(TEST_LIBS)
tests_test_graph_LDADD = $(TEST_LIBS)
tests_test_shim_table_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/shim
tests_test_shim_table_LDADD = $(TEST_LIBS)

# Helper programs run under LD_PRELOAD: no sanitizers (their runtime must
# come first in the preload list; the tests put it there for the shim).
SHIM_PROGS = tests/progs/shim_ops tests/progs/shim_early tests/progs/shim_secure \
	tests/progs/shim_stress tests/progs/shim_ver_old tests/progs/shim_ver_new
check_PROGRAMS += $(SHIM_PROGS)
tests_progs_shim_ops_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_ops_LDFLAGS =
tests_progs_shim_early_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_early_LDFLAGS =
tests_progs_shim_secure_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_secure_LDFLAGS =
tests_progs_shim_secure_LDADD = $(DL_LIBS)
tests_progs_shim_stress_CFLAGS = $(WARN_CFLAGS) $(PTHREAD_CFLAGS)
tests_progs_shim_stress_LDFLAGS = $(PTHREAD_CFLAGS)
tests_progs_shim_ver_old_SOURCES = tests/progs/shim_ver.c
tests_progs_shim_ver_old_CPPFLAGS = $(AM_CPPFLAGS) -DSHIM_VER_OLD
tests_progs_shim_ver_old_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_ver_old_LDFLAGS =
tests_progs_shim_ver_old_LDADD = $(DL_LIBS)
tests_progs_shim_ver_new_SOURCES = tests/progs/shim_ver.c
tests_progs_shim_ver_new_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_ver_new_LDFLAGS =
tests_progs_shim_ver_new_LDADD = $(DL_LIBS)
