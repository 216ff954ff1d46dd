# SPDX-License-Identifier: MIT
# tests: keystr — the key string form (QNativeIpcKey::toString/fromString).
check_PROGRAMS += tests/test_keystr
TESTS += tests/test_keystr
tests_test_keystr_SOURCES = tests/test_keystr.c tests/keystr_gen.c tests/keystr_gen.h
tests_test_keystr_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/vectors/key-parse.tsv
# counts the library's allocations (nipc_key_format must make none)
tests_test_keystr_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

# The differential test against Qt 6's URL classes. urlref is a reference,
# not code under test: built without sanitizers.
if HAVE_QT6
check_PROGRAMS += tests/qt/urlref tests/test_keystr_diff
TESTS += tests/test_keystr_diff
tests_test_keystr_diff_SOURCES = tests/test_keystr_diff.c tests/keystr_gen.c tests/keystr_gen.h
tests_test_keystr_diff_LDADD = $(TEST_LIBS)
tests_qt_urlref_SOURCES = tests/qt/urlref.cpp
tests_qt_urlref_CXXFLAGS = $(WARN_CXXFLAGS) $(QT6_CFLAGS) -fPIC
tests_qt_urlref_LDFLAGS =
tests_qt_urlref_LDADD = $(QT6_LIBS)
endif
