#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job, shown to a new user by `make demo`: watch an unmodified
# Python program create, map, unmap and remove a POSIX shared memory segment
# and use a named semaphore, each call named by its key; then JSON Lines and
# the per-object summary. Arguments: absolute build and source directories.
build=$1
src=$2
nipc="$build/tools/nipc"
py=${PYTHON3:-python3}

if ! command -v "$py" >/dev/null 2>&1; then
	echo "demo: python3 is needed for the demo" >&2
	exit 1
fi

shm_prog='from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(create=True, size=4096)
shm.buf[:5] = b"hello"
shm.close()
shm.unlink()'
sem_prog='import multiprocessing
sem = multiprocessing.Semaphore(1)
sem.acquire()
sem.release()
sem.acquire()
sem.acquire(timeout=0.01)'

show() {
	printf '\n$ %s\n' "$*" | sed "s|$build/tools/nipc|nipc|"
}

echo "# An unmodified python3 program, traced by libnipc-preload.so:"
show "$nipc" trace -- python3 -c "'$(printf '%s' "$shm_prog" | tr '\n' ';' | sed 's/;/; /g')'"
"$nipc" trace -- "$py" -c "$shm_prog" 2>&1 || exit 1

echo
echo "# A multiprocessing.Semaphore: a named POSIX semaphore, unlinked at once:"
show "$nipc" trace -- python3 -c "'...Semaphore(1); acquire; release; acquire; acquire(timeout=0.01)'"
"$nipc" trace -- "$py" -c "$sem_prog" 2>&1 || exit 1

echo
echo "# The first program as JSON Lines for scripts, only two calls:"
show "$nipc" trace --json -e shm_open,shm_unlink -- python3 -c "'...'"
"$nipc" trace --json -e shm_open,shm_unlink -- "$py" -c "$shm_prog" 2>&1 || exit 1

echo
echo "# Only the tables at the end (-c), per call and per object. Waits and"
echo "# posts on unnamed semaphores (Python's own thread locks, keyed '-') are"
echo "# left out unless asked for with --unnamed:"
show "$nipc" trace -c --unnamed -- python3 -c "'...Semaphore...'"
"$nipc" trace -c --unnamed -- "$py" -c "$sem_prog" 2>&1 || exit 1

echo
echo "# Keys: the string forms Qt's QNativeIpcKey prints, and the key a Qt 5 program uses:"
show "$nipc" key format posix /myapp
"$nipc" key format posix /myapp
show "$nipc" key legacy --os linux shm systemv org.example.myapp
"$nipc" key legacy --os linux shm systemv org.example.myapp
: "$src"
