# SPDX-License-Identifier: MIT
# tools/: the nipc command.
bin_PROGRAMS += tools/nipc
tools_nipc_SOURCES = tools/main.c tools/common.c tools/common.h \
	tools/cmd_key.c tools/cmd_shm.c tools/cmd_sem.c tools/cmd_trace.c \
	tools/cmd_rm.c
tools_nipc_LDADD = lib/libnipc-core.la
# nipc trace: its JSON Lines reader, and where the installed shim lives.
tools_nipc_SOURCES += tools/trace_json.c tools/trace_json.h \
	tools/trace_counters.c tools/trace_counters.h shim/counters.h tools/cmd_counters.c \
	shim/keyfind.c shim/keyfind.h
# nipc trace renders events with the shim's own renderer.
tools_nipc_SOURCES += shim/format.c shim/format.h shim/ops.c \
	tools/ring_read.c tools/ring_read.h shim/ring.h
# -e is checked with the shim's own filter parser.
tools_nipc_SOURCES += shim/filter.c
tools_nipc_CPPFLAGS = $(AM_CPPFLAGS) -DNIPC_SHIM_PATH='"$(libdir)/libnipc-preload.so"'
# nipc rules: the shim's rule language, compiled in from shim/.
tools_nipc_SOURCES += tools/cmd_rules.c shim/rules.c shim/rules.h
# nipc run and nipc trace: one launcher; it checks the emulation's state
# with the shim's own code.
tools_nipc_SOURCES += tools/cmd_run.c tools/launch.c tools/launch.h \
	shim/emul_state.c shim/emul_state.h
# nipc ls: one pass over /proc, and the emulation's registry read-only.
tools_nipc_SOURCES += tools/cmd_ls.c tools/procscan.c tools/procscan.h \
	shim/ledger.c shim/ledger.h \
	tools/objects.c tools/objects.h tools/cmd_clean.c
# (the /proc pass runs on a thread of its own)
tools_nipc_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tools_nipc_LDFLAGS = $(PTHREAD_CFLAGS)
