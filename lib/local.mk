# SPDX-License-Identifier: MIT
# lib/: libnipc. libnipc-core.la is the same code as a PIC convenience
# library, linked into the shim, the tool and the tests.
include_HEADERS = lib/nipc.h

noinst_LTLIBRARIES += lib/libnipc-core.la
lib_libnipc_core_la_CPPFLAGS = $(AM_CPPFLAGS) -DNIPC_BUILDING
lib_libnipc_core_la_SOURCES = \
	lib/nipc.h lib/internal.h \
	lib/error.c \
	lib/utf.c lib/utf.h \
	lib/key.c \
	lib/keystr.c \
	lib/sha1.c lib/sha1.h \
	lib/keygen.c
include $(srcdir)/lib/objects.mk

lib_LTLIBRARIES += lib/libnipc.la
lib_libnipc_la_SOURCES =
lib_libnipc_la_LIBADD = lib/libnipc-core.la
lib_libnipc_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(NIPC_LT_VERSION) \
	-export-symbols-regex '^nipc_' -no-undefined
