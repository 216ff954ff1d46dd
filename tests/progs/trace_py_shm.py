# SPDX-License-Identifier: MIT
# An unmodified-style Python program: one shared memory life cycle through
# multiprocessing.shared_memory. Prints the segment's name for the test.
import sys
from multiprocessing import shared_memory

size = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
shm = shared_memory.SharedMemory(create=True, size=size)
print(shm.name, flush=True)
shm.buf[0] = 42
shm.close()
shm.unlink()
