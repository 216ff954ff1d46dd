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
lib_libnipc_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(NIPC_LT_VERSION) -no-undefined
if HAVE_VSCRIPT
lib_libnipc_la_LDFLAGS += -Wl,--version-script=$(srcdir)/lib/libnipc.sym
EXTRA_lib_libnipc_la_DEPENDENCIES = lib/libnipc.sym
else
lib_libnipc_la_LDFLAGS += -export-symbols-regex '^nipc_[a-z]'
endif
EXTRA_DIST += lib/libnipc.sym

# The ABI check: abidiff of the built library against the stored baseline
# (abi/libnipc.abi). Any reported change fails, except in the layout of
# the opaque handles (abi/libnipc.suppr) and added functions. After a
# deliberate change (and the -version-info it calls for), make abi-update
# and commit the new baseline. Needs a build with debug info (-g).
ABI_BASELINE = $(srcdir)/abi/libnipc.abi
ABI_SUPPR = $(srcdir)/abi/libnipc.suppr
ABIDW_FLAGS = --no-corpus-path --no-comp-dir-path --no-show-locs
EXTRA_DIST += abi/libnipc.abi abi/libnipc.suppr

abi-check: lib/libnipc.la
	@test -n "$(ABIDIFF)" || { echo "abi-check: abidiff not found (abigail-tools)" >&2; exit 1; }
	$(ABIDIFF) --suppressions $(ABI_SUPPR) \
		$(ABI_BASELINE) lib/.libs/libnipc.so

# Source paths are written relative to the top directory, whatever the
# build directory was.
abi-update: lib/libnipc.la
	@test -n "$(ABIDW)" || { echo "abi-update: abidw not found (abigail-tools)" >&2; exit 1; }
	$(ABIDW) $(ABIDW_FLAGS) lib/.libs/libnipc.so | \
		sed -e "s|path='[^']*/\(lib/[^'/]*'\)|path='\1|" > $(ABI_BASELINE).tmp
	mv $(ABI_BASELINE).tmp $(ABI_BASELINE)

.PHONY: abi-check abi-update
