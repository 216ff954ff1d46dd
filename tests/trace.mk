# SPDX-License-Identifier: MIT
# tests: trace — `nipc trace` and the shim against real, unmodified programs.
TRACE_TESTS = tests/test_trace_json tests/test_trace_cli tests/test_trace_programs
check_PROGRAMS += $(TRACE_TESTS)
TESTS += $(TRACE_TESTS)
tests_test_trace_json_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
tests_test_trace_json_LDADD = $(TEST_LIBS)
tests_test_trace_cli_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
tests_test_trace_cli_LDADD = $(TEST_LIBS)
tests_test_trace_programs_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools -DPYTHON3='"$(PYTHON3)"'
tests_test_trace_programs_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/progs/trace_py_shm.py tests/progs/trace_py_sem.py tests/progs/trace_py_msg.py

check_PROGRAMS += tests/test_format
tests_test_format_SOURCES = tests/test_format.c shim/format.c shim/format.h shim/ops.c \
	lib/utf.c lib/utf.h
tests_test_format_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_format_CFLAGS = $(TEST_CFLAGS)
tests_test_format_LDADD = $(TEST_LIBS)
TESTS += tests/test_format
# the expected events of the trace tests (tl_expect_vector)
EXTRA_DIST += tests/vectors/trace-events.tsv

# Helper programs run under LD_PRELOAD: built without sanitizers, whose
# runtime insists on coming first in the preload list.
check_PROGRAMS += tests/progs/trace_posix tests/progs/trace_mq tests/progs/ctr_sem
tests_progs_trace_posix_CFLAGS = $(WARN_CFLAGS)
tests_progs_trace_posix_LDFLAGS =
tests_progs_trace_mq_CFLAGS = $(WARN_CFLAGS)
tests_progs_trace_mq_LDFLAGS =
tests_progs_ctr_sem_CFLAGS = $(WARN_CFLAGS)
tests_progs_ctr_sem_LDFLAGS =

if HAVE_QT5
check_PROGRAMS += tests/progs/trace_qt5_shm tests/test_trace_qt5
TESTS += tests/test_trace_qt5
tests_progs_trace_qt5_shm_SOURCES = tests/progs/trace_qt5_shm.cpp
tests_progs_trace_qt5_shm_CXXFLAGS = $(WARN_CXXFLAGS) $(QT5_CFLAGS) -fPIC
tests_progs_trace_qt5_shm_LDFLAGS =
tests_progs_trace_qt5_shm_LDADD = $(QT5_LIBS)
tests_test_trace_qt5_LDADD = $(TEST_LIBS)
endif

if HAVE_LIBFFI
check_PROGRAMS += tests/test_trace_ffi
TESTS += tests/test_trace_ffi
tests_test_trace_ffi_CPPFLAGS = $(AM_CPPFLAGS) $(LIBFFI_CFLAGS)
tests_test_trace_ffi_LDADD = $(TEST_LIBS) $(LIBFFI_LIBS) $(DL_LIBS)
endif

# The trace ring: delivered + lost = made, by the program's own count.
check_PROGRAMS += tests/test_trace_ring tests/progs/ring_stress
TESTS += tests/test_trace_ring
tests_test_trace_ring_LDADD = $(TEST_LIBS)
tests_progs_ring_stress_CFLAGS = $(WARN_CFLAGS)
tests_progs_ring_stress_LDFLAGS =
tests_progs_ring_stress_LDADD = -lpthread
check_PROGRAMS += tests/progs/close_all
tests_progs_close_all_CFLAGS = $(WARN_CFLAGS)
tests_progs_close_all_LDFLAGS =
# shim/keyfind.c as a reader uses it, without the shim
check_PROGRAMS += tests/test_keyfind
tests_test_keyfind_SOURCES = tests/test_keyfind.c shim/keyfind.c shim/keyfind.h
tests_test_keyfind_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_keyfind_LDADD = $(TEST_LIBS)
TESTS += tests/test_keyfind
