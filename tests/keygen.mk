# SPDX-License-Identifier: MIT
# tests: keygen — SHA-1, platform-safe and legacy keys, nipc key.
KEYGEN_TESTS = tests/test_sha1 tests/test_keygen tests/test_cli_key
check_PROGRAMS += $(KEYGEN_TESTS)
TESTS += $(KEYGEN_TESTS)
tests_test_sha1_LDADD = $(TEST_LIBS)
tests_test_keygen_LDADD = $(TEST_LIBS)
tests_test_cli_key_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/vectors/cli-key-usage.tsv

check_PROGRAMS += tests/test_cmdline
tests_test_cmdline_SOURCES = tests/test_cmdline.c tools/common.c tools/common.h
tests_test_cmdline_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools
tests_test_cmdline_LDADD = $(TEST_LIBS)
TESTS += tests/test_cmdline

# Real Qt 5's and Qt 6's legacy keys, for the differential part of
# test_keygen: one source built against each.
if HAVE_QT5
check_PROGRAMS += tests/qt/qt5keys
endif
if HAVE_QT6
check_PROGRAMS += tests/qt/qt6keys
endif
tests_qt_qt5keys_SOURCES = tests/qt/qt5keys.cpp
tests_qt_qt6keys_SOURCES = tests/qt/qt5keys.cpp
tests_qt_qt5keys_CXXFLAGS = $(AM_CXXFLAGS) $(QT5_CFLAGS) -fPIC
tests_qt_qt6keys_CXXFLAGS = $(AM_CXXFLAGS) $(QT6_CFLAGS) -fPIC
tests_qt_qt5keys_LDADD = $(QT5_LIBS)
tests_qt_qt6keys_LDADD = $(QT6_LIBS)
