# SPDX-License-Identifier: MIT
# tests/: cmocka programs, one per area, reporting TAP.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-skip.sh
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	NIPC_TOP_SRCDIR='$(abs_top_srcdir)'; export NIPC_TOP_SRCDIR; \
	NIPC_TOP_BUILDDIR='$(abs_top_builddir)'; export NIPC_TOP_BUILDDIR;
TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
TEST_LIBS = lib/libnipc-core.la $(CMOCKA_LIBS)

EXTRA_DIST += tests/tap-skip.sh tests/vectors/qt-string-form.tsv tests/vectors/qt5-legacy-shm.tsv

include $(srcdir)/tests/key.mk
include $(srcdir)/tests/keystr.mk
include $(srcdir)/tests/keygen.mk
include $(srcdir)/tests/objects.mk
include $(srcdir)/tests/qt5.mk
include $(srcdir)/tests/shim.mk
include $(srcdir)/tests/trace.mk
include $(srcdir)/tests/rules.mk
include $(srcdir)/tests/emul.mk
