# tests: shim — libnipc-preload.so under real helper programs.
SHIM_TEST_SOURCES = tests/test_shim_common.c tests/test_shim_common.h \
	tools/trace_json.c tools/trace_json.h
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
