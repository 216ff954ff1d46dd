# SPDX-License-Identifier: MIT
# tests/: cmocka programs, one per area, reporting TAP.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-skip.sh
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	NIPC_TOP_SRCDIR='$(abs_top_srcdir)'; export NIPC_TOP_SRCDIR; \
	NIPC_TOP_BUILDDIR='$(abs_top_builddir)'; export NIPC_TOP_BUILDDIR;
# A test program is tests/NAME.c linked with TEST_LIBS: tlib, the tests'
# one helper library (tests/tlib.h, with the JSON reader its trace-event
# loader uses), the library and cmocka.
AM_CPPFLAGS += $(CMOCKA_CFLAGS)
TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
TEST_LIBS = tests/libtlib.la lib/libnipc-core.la $(CMOCKA_LIBS)
check_LTLIBRARIES = tests/libtlib.la
tests_libtlib_la_SOURCES = tests/tlib.c tests/tlib.h tools/trace_json.c tools/trace_json.h
tests_libtlib_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
if SANITIZERS
# An ASan-built shim needs the ASan runtime first in LD_PRELOAD.
tests_libtlib_la_CPPFLAGS += -DNIPC_ASAN_RUNTIME='"'`$(CC) -print-file-name=libasan.so`'"'
endif
# make check builds everything, then every check program, before it runs
# a test: the tool, the shim and the helper programs a test runs are there.

EXTRA_DIST += tests/tap-skip.sh tests/vectors/qt-string-form.tsv tests/vectors/qt5-legacy-shm.tsv

include $(srcdir)/tests/header.mk
include $(srcdir)/tests/key.mk
include $(srcdir)/tests/keystr.mk
include $(srcdir)/tests/keygen.mk
include $(srcdir)/tests/objects.mk
include $(srcdir)/tests/qt5.mk
include $(srcdir)/tests/shim.mk
include $(srcdir)/tests/trace.mk
include $(srcdir)/tests/rules.mk
include $(srcdir)/tests/emul.mk
