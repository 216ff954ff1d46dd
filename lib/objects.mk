# Shared memory and system semaphores (shm.c, sem.c and one file per backend).
lib_libnipc_core_la_SOURCES +=
