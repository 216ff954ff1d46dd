#!/bin/sh
# The main job, shown to a new user by `make demo`: watch an unmodified
# Python program create, map, unmap and remove a POSIX shared memory segment
# and use a semaphore, each call named by its key; then the same with the
# per-object summary. Arguments: absolute build and source directories.
build=$1
src=$2
nipc="$build/tools/nipc"
py=${PYTHON3:-python3}

if ! command -v "$py" >/dev/null 2>&1; then
	echo "demo: python3 is needed for the demo" >&2
	exit 1
fi

# Python's own thread locks are unnamed POSIX semaphores; the filter keeps
# the named objects' families and leaves those out.
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
show "$nipc" trace -e posix-shm -- python3 -c "'$(printf '%s' "$shm_prog" | tr '\n' ';' | sed 's/;/; /g')'"
"$nipc" trace -e posix-shm -- "$py" -c "$shm_prog" 2>&1 || exit 1

echo
echo "# The same, as JSON Lines for scripts (one object per call):"
show "$nipc" trace --json -e shm_open,shm_unlink -- python3 -c "'...'"
"$nipc" trace --json -e shm_open,shm_unlink -- "$py" -c "$shm_prog" 2>&1 || exit 1

echo
echo "# The same program with a table per object and call at the end"
echo "# (events to /dev/null; the table goes to stderr):"
show "$nipc" trace --summary -o /dev/null -e posix-shm -- python3 -c "'...'"
"$nipc" trace --summary -o /dev/null -e posix-shm -- "$py" -c "$shm_prog" 2>&1 || exit 1

echo
echo "# A multiprocessing.Semaphore: its named semaphore (posix:/mp-...) and,"
echo "# keyed '-', the unnamed semaphores behind Python's own thread locks:"
show "$nipc" trace --summary -o /dev/null -e posix-sem -- python3 -c "'...Semaphore(1); acquire; release; acquire; acquire(timeout=0.01)'"
"$nipc" trace --summary -o /dev/null -e posix-sem -- "$py" -c "$sem_prog" 2>&1 || exit 1

echo
echo "# Keys: the string forms Qt's QNativeIpcKey prints, and the key a Qt 5 program uses:"
show "$nipc" key format posix /myapp
"$nipc" key format posix /myapp
show "$nipc" key legacy --os linux shm systemv org.example.myapp
"$nipc" key legacy --os linux shm systemv org.example.myapp
: "$src"
