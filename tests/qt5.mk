# SPDX-License-Identifier: MIT
# tests: qt5 — interop with real Qt 5 programs (QSharedMemory, QSystemSemaphore
# with legacy keys, System V on Debian) in both directions, lock included.
if HAVE_QT5
check_PROGRAMS += tests/qt/qt5peer
tests_qt_qt5peer_SOURCES = tests/qt/qt5peer.cpp
tests_qt_qt5peer_CXXFLAGS = $(AM_CXXFLAGS) $(QT5_CFLAGS) -fPIC
tests_qt_qt5peer_LDADD = $(QT5_LIBS)
endif

if HAVE_QT5
check_PROGRAMS += tests/test_qt5_interop
tests_test_qt5_interop_SOURCES = tests/test_qt5_interop.c
tests_test_qt5_interop_CFLAGS = $(TEST_CFLAGS)
tests_test_qt5_interop_LDADD = $(TEST_LIBS)
EXTRA_tests_test_qt5_interop_DEPENDENCIES = tools/nipc$(EXEEXT) tests/qt/qt5peer$(EXEEXT)
TESTS += tests/test_qt5_interop
endif

# nipc shm / nipc sem as real processes, both backends (no Qt needed).
check_PROGRAMS += tests/test_cli_objects
TESTS += tests/test_cli_objects
tests_test_cli_objects_LDADD = $(TEST_LIBS)

# the segment lock shared with Qt 5 programs: mixed locked increments, and
# what a Qt 5 create() on a live segment does to nipc holders
if HAVE_QT5
check_PROGRAMS += tests/test_lock_qt5
tests_test_lock_qt5_SOURCES = tests/test_lock_qt5.c $(LOCK_TEST_SOURCES)
tests_test_lock_qt5_CFLAGS = $(TEST_CFLAGS)
tests_test_lock_qt5_LDADD = $(TEST_LIBS)
EXTRA_tests_test_lock_qt5_DEPENDENCIES = tests/qt/qt5peer$(EXEEXT) \
	tests/progs/lockworker$(EXEEXT) tests/progs/objhelper$(EXEEXT)
TESTS += tests/test_lock_qt5
endif
