# SPDX-License-Identifier: MIT
# shim/: libnipc-preload.so, the LD_PRELOAD interposer. It links the core
# library in and exports only the libc functions it interposes.
lib_LTLIBRARIES += shim/libnipc-preload.la
shim_libnipc_preload_la_SOURCES = shim/shim.h shim/hot.c shim/hooks.c shim/next.c shim/ops.c shim/filter.c \
	shim/init.c shim/policy.c shim/rules.c shim/rules.h shim/names.c shim/event.c shim/format.c \
	shim/sink.c shim/trace_file.h shim/format.h shim/ring.c shim/ring.h shim/ring_write.h shim/trace_guard.c shim/key_fmt.h \
	shim/emul_state.c shim/emul_state.h shim/emul_sysv.c shim/emul_sysv.h \
	shim/emul_sem.c shim/emul_sem.h shim/emul_wait.c shim/emul_wait.h shim/emul.c \
	shim/cleanup.c shim/guard.c shim/ledger.c shim/ledger.h shim/procscan.c shim/keyfind.c shim/keyfind.h \
	shim/counters.c shim/counters.h
# No jump tables and no SLP vectorizing: a switch on the traced path would
# read its table, and two neighbouring fields set to unlike constants
# ({0, -1}) their 16-byte vector, from a page of .rodata that the path
# touches for nothing else (a TLB miss after each system call where
# page-table isolation has no PCID). test_trace_ring checks the objects.
shim_libnipc_preload_la_CFLAGS = $(AM_CFLAGS) -fno-jump-tables -fno-tree-slp-vectorize
shim_libnipc_preload_la_LIBADD = lib/libnipc-core.la $(DL_LIBS)
shim_libnipc_preload_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-no-undefined -Wl,--version-script=$(srcdir)/shim/exports.map
EXTRA_shim_libnipc_preload_la_DEPENDENCIES = $(srcdir)/shim/exports.map
EXTRA_DIST += shim/exports.map shim/ops.def
