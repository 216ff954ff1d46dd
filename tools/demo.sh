#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo `make demo` runs (README's first command), in three short parts.
# Each command is printed exactly as it runs, from the build directory, so it
# can be copied there and run again:
#   1. the shim traces an unmodified Python program's shared memory;
#   2. an unmodified program leaks a segment and is killed; nipc ls shows it
#      with its creator's command; nipc clean removes it;
#   3. a Qt 5 program and nipc shm share a segment under the shared lock.
# Arguments: absolute build and source directories.
build=$1
cd "$build" || exit 1

if ! command -v python3 >/dev/null 2>&1; then
	echo "demo: python3 is needed for the demo" >&2
	exit 1
fi

name=nipc-demo-$$
ledger=$(mktemp -d "${TMPDIR:-/tmp}/nipc-demo.XXXXXX") || exit 1
cleanup() {
	wait
	rm -f "/dev/shm/$name"
	rm -rf "$ledger"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Prints the command as it is typed, then runs that very text.
run() {
	printf '\n$ %s\n' "$1"
	eval "$1"
}

# The same for a command that is killed (the shell's notice left out).
run_killed() {
	printf '\n$ %s\n' "$1"
	(eval "$1") 2>/dev/null
	st=$?
	echo "(exit status $st: killed by signal $((st - 128)))"
}

echo "# 1. An unmodified python3 program, traced by libnipc-preload.so:"
run "tools/nipc trace -- python3 -c 'from multiprocessing import shared_memory; s = shared_memory.SharedMemory(create=True, size=4096); s.buf[:5] = b\"hello\"; s.close(); s.unlink()'"

echo
echo "# 2. A leak. Under a cleanup= rule the shim records who creates an object"
echo "# in a ledger (here in a scratch directory; by default /dev/shm)."
run "export NIPC_LEDGER_DIR=$ledger"
echo "# A program shares a segment by name (so it takes it from Python's resource"
echo "# tracker, as such programs do) and is killed before it can remove it; no"
echo "# code runs in a killed process, so cleanup=exit cannot act there:"
run_killed "LD_PRELOAD=\$PWD/shim/.libs/libnipc-preload.so NIPC_RULES_TEXT='posix-shm cleanup=exit' python3 -c 'import os; from multiprocessing import shared_memory, resource_tracker; s = shared_memory.SharedMemory(name=\"$name\", create=True, size=4096); resource_tracker.unregister(s._name, \"shared_memory\"); os.kill(os.getpid(), 9)'"
echo "# The segment is left behind. nipc ls finds it, names its dead creator and"
echo "# its command, and calls it an orphan (cleanup=exit, creator dead):"
run "tools/nipc ls -o TYPE,NAME,SIZE,CREATOR,COMMAND,VERDICT,WHY --key 'posix:/$name'"
echo "# nipc clean removes orphans only (never an object in use or unknown):"
run "tools/nipc clean --key 'posix:/$name'"
run "ls /dev/shm/$name"

qt5peer=tests/qt/qt5peer
echo
if [ ! -x "$qt5peer" ]; then
	echo "# 3. (skipped: $qt5peer was not built; configure found no Qt 5)"
	exit 0
fi
echo "# 3. A Qt 5 program holds a QSharedMemory with Qt 5's key \"$name\" for"
echo "# 3 seconds; nipc shm reads and writes it under Qt's own lock semaphore:"
run "sleep 3 | $qt5peer shm create $name 64 --data 'hello from Qt 5' >/dev/null &"
for i in 1 2 3 4 5 6 7 8 9 10; do
	tools/nipc shm info --legacy "$name" >/dev/null 2>&1 && break
	sleep 0.2
done
run "tools/nipc shm info --legacy $name"
run "tools/nipc shm cat --legacy $name --size 15; echo"
run "echo 'hello from nipc' | tools/nipc shm write --legacy $name"
run "$qt5peer shm cat $name --size 15; echo"
echo "# When the Qt 5 program detaches, Qt removes the segment, its lock and key"
echo "# files (the last detach): nothing is left."
run "wait; tools/nipc ls --key '*$name*'"
