# SPDX-License-Identifier: MIT
# tests: trace — `nipc trace` and the shim against real, unmodified programs.
TRACE_TEST_SOURCES = tests/test_trace_common.c tests/test_trace_common.h \
	tools/trace_json.c tools/trace_json.h lib/utf.c lib/utf.h
TRACE_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools \
	-DPYTHON3='"$(PYTHON3)"'
TRACE_TEST_DEPS = tools/nipc$(EXEEXT) shim/libnipc-preload.la

check_PROGRAMS += tests/test_trace_json
tests_test_trace_json_SOURCES = tests/test_trace_json.c tools/trace_json.c tools/trace_json.h \
	lib/utf.c lib/utf.h
tests_test_trace_json_CPPFLAGS = $(TRACE_TEST_CPPFLAGS)
tests_test_trace_json_CFLAGS = $(TEST_CFLAGS)
tests_test_trace_json_LDADD = $(CMOCKA_LIBS)
TESTS += tests/test_trace_json

check_PROGRAMS += tests/test_format
tests_test_format_SOURCES = tests/test_format.c shim/format.c shim/format.h shim/ops.c \
	lib/utf.c lib/utf.h
tests_test_format_CPPFLAGS = $(AM_CPPFLAGS)
tests_test_format_CFLAGS = $(TEST_CFLAGS)
tests_test_format_LDADD = $(CMOCKA_LIBS)
TESTS += tests/test_format

# Helper programs run under LD_PRELOAD: built without sanitizers, whose
# runtime insists on coming first in the preload list.
check_PROGRAMS += tests/progs/trace_posix
tests_progs_trace_posix_SOURCES = tests/progs/trace_posix.c
tests_progs_trace_posix_CFLAGS = $(WARN_CFLAGS)
tests_progs_trace_posix_LDFLAGS =

check_PROGRAMS += tests/test_trace_cli
tests_test_trace_cli_SOURCES = tests/test_trace_cli.c $(TRACE_TEST_SOURCES)
tests_test_trace_cli_CPPFLAGS = $(TRACE_TEST_CPPFLAGS)
tests_test_trace_cli_CFLAGS = $(TEST_CFLAGS)
tests_test_trace_cli_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_trace_cli_DEPENDENCIES = $(TRACE_TEST_DEPS) tests/progs/trace_posix$(EXEEXT)
TESTS += tests/test_trace_cli

check_PROGRAMS += tests/test_trace_programs
tests_test_trace_programs_SOURCES = tests/test_trace_programs.c $(TRACE_TEST_SOURCES)
tests_test_trace_programs_CPPFLAGS = $(TRACE_TEST_CPPFLAGS)
tests_test_trace_programs_CFLAGS = $(TEST_CFLAGS)
tests_test_trace_programs_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_trace_programs_DEPENDENCIES = $(TRACE_TEST_DEPS)
TESTS += tests/test_trace_programs
EXTRA_DIST += tests/progs/trace_py_shm.py tests/progs/trace_py_sem.py

if HAVE_QT5
check_PROGRAMS += tests/progs/trace_qt5_shm
tests_progs_trace_qt5_shm_SOURCES = tests/progs/trace_qt5_shm.cpp
tests_progs_trace_qt5_shm_CXXFLAGS = $(WARN_CXXFLAGS) $(QT5_CFLAGS) -fPIC
tests_progs_trace_qt5_shm_LDFLAGS =
tests_progs_trace_qt5_shm_LDADD = $(QT5_LIBS)

check_PROGRAMS += tests/test_trace_qt5
tests_test_trace_qt5_SOURCES = tests/test_trace_qt5.c $(TRACE_TEST_SOURCES)
tests_test_trace_qt5_CPPFLAGS = $(TRACE_TEST_CPPFLAGS)
tests_test_trace_qt5_CFLAGS = $(TEST_CFLAGS)
tests_test_trace_qt5_LDADD = $(CMOCKA_LIBS)
EXTRA_tests_test_trace_qt5_DEPENDENCIES = $(TRACE_TEST_DEPS) tests/progs/trace_qt5_shm$(EXEEXT)
TESTS += tests/test_trace_qt5
endif

if HAVE_LIBFFI
check_PROGRAMS += tests/test_trace_ffi
tests_test_trace_ffi_SOURCES = tests/test_trace_ffi.c $(TRACE_TEST_SOURCES)
tests_test_trace_ffi_CPPFLAGS = $(TRACE_TEST_CPPFLAGS) $(LIBFFI_CFLAGS)
tests_test_trace_ffi_CFLAGS = $(TEST_CFLAGS)
tests_test_trace_ffi_LDADD = $(CMOCKA_LIBS) $(LIBFFI_LIBS) $(DL_LIBS)
EXTRA_tests_test_trace_ffi_DEPENDENCIES = $(TRACE_TEST_DEPS)
TESTS += tests/test_trace_ffi
endif
