# SPDX-License-Identifier: MIT
# Shared memory and system semaphores (shm.c, sem.c and one file per backend).
lib_libnipc_core_la_SOURCES += lib/backend.h lib/backend.c lib/shm.c lib/sem.c lib/sysv.c lib/posix.c \
	lib/obj.c
