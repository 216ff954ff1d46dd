# SPDX-License-Identifier: MIT
# bench/: benchmarks run by `make bench`, never by `make check`.
include $(srcdir)/bench/objects.mk
include $(srcdir)/bench/shim.mk
include $(srcdir)/bench/emul.mk
include $(srcdir)/bench/ls.mk
include $(srcdir)/bench/ledger.mk
include $(srcdir)/bench/ring.mk
include $(srcdir)/bench/counters.mk
