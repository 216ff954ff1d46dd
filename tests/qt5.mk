# tests: qt5 — interop with real Qt 5 programs (QSharedMemory, QSystemSemaphore
# with legacy keys, System V on Debian) in both directions, lock included.
if HAVE_QT5
check_PROGRAMS += tests/qt/qt5peer
tests_qt_qt5peer_SOURCES = tests/qt/qt5peer.cpp
tests_qt_qt5peer_CXXFLAGS = $(AM_CXXFLAGS) $(QT5_CFLAGS) -fPIC
tests_qt_qt5peer_LDADD = $(QT5_LIBS)
endif
