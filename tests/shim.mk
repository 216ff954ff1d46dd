# SPDX-License-Identifier: MIT
# tests: shim — libnipc-preload.so under real helper programs.
SHIM_TEST_SOURCES = tests/test_shim_common.c tests/test_shim_common.h \
	tools/trace_json.c tools/trace_json.h lib/utf.c lib/utf.h
SHIM_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
if SANITIZERS
# An ASan-built shim needs the ASan runtime first in LD_PRELOAD.
SHIM_TEST_CPPFLAGS += -DNIPC_ASAN_RUNTIME='"'`$(CC) -print-file-name=libasan.so`'"'
endif
SHIM_TEST_DEPS = shim/libnipc-preload.la

# Helper programs run under LD_PRELOAD: no sanitizers (their runtime must
# come first in the preload list; the tests put it there for the shim).
check_PROGRAMS += tests/progs/shim_ops
tests_progs_shim_ops_SOURCES = tests/progs/shim_ops.c
tests_progs_shim_ops_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_ops_LDFLAGS =

check_PROGRAMS += tests/test_shim_trace
tests_test_shim_trace_SOURCES = tests/test_shim_trace.c $(SHIM_TEST_SOURCES)
tests_test_shim_trace_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
tests_test_shim_trace_CFLAGS = $(TEST_CFLAGS)
tests_test_shim_trace_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_shim_trace_DEPENDENCIES = $(SHIM_TEST_DEPS) tests/progs/shim_ops$(EXEEXT)
TESTS += tests/test_shim_trace

check_PROGRAMS += tests/progs/shim_early tests/progs/shim_secure tests/progs/shim_stress \
	tests/progs/shim_ver_old tests/progs/shim_ver_new
tests_progs_shim_early_SOURCES = tests/progs/shim_early.c
tests_progs_shim_early_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_early_LDFLAGS =
tests_progs_shim_secure_SOURCES = tests/progs/shim_secure.c
tests_progs_shim_secure_CFLAGS = $(WARN_CFLAGS)
tests_progs_shim_secure_LDFLAGS =
tests_progs_shim_secure_LDADD = $(DL_LIBS)
tests_progs_shim_stress_SOURCES = tests/progs/shim_stress.c
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

check_PROGRAMS += tests/test_shim_proc
tests_test_shim_proc_SOURCES = tests/test_shim_proc.c $(SHIM_TEST_SOURCES)
tests_test_shim_proc_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
tests_test_shim_proc_CFLAGS = $(TEST_CFLAGS)
tests_test_shim_proc_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_shim_proc_DEPENDENCIES = $(SHIM_TEST_DEPS) tests/progs/shim_ops$(EXEEXT) \
	tests/progs/shim_early$(EXEEXT) tests/progs/shim_secure$(EXEEXT) \
	tests/progs/shim_stress$(EXEEXT) tests/progs/shim_ver_old$(EXEEXT) \
	tests/progs/shim_ver_new$(EXEEXT)
TESTS += tests/test_shim_proc

check_PROGRAMS += tests/test_shim_safety
tests_test_shim_safety_SOURCES = tests/test_shim_safety.c $(SHIM_TEST_SOURCES)
tests_test_shim_safety_CPPFLAGS = $(SHIM_TEST_CPPFLAGS)
tests_test_shim_safety_CFLAGS = $(TEST_CFLAGS)
tests_test_shim_safety_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_shim_safety_DEPENDENCIES = $(SHIM_TEST_DEPS) tests/progs/shim_ops$(EXEEXT)
TESTS += tests/test_shim_safety

check_PROGRAMS += tests/test_shim_table
tests_test_shim_table_SOURCES = tests/test_shim_table.c
tests_test_shim_table_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/shim
tests_test_shim_table_CFLAGS = $(TEST_CFLAGS)
tests_test_shim_table_LDADD = $(CMOCKA_LIBS)
TESTS += tests/test_shim_table

check_PROGRAMS += tests/test_graph
tests_test_graph_SOURCES = tests/test_graph.c
tests_test_graph_CFLAGS = $(TEST_CFLAGS)
tests_test_graph_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_graph_DEPENDENCIES = $(SHIM_TEST_DEPS) lib/libnipc-core.la
TESTS += tests/test_graph
