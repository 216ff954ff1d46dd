#!/bin/sh
# SPDX-License-Identifier: MIT
# nipc.h alone: compiles as C99 (pedantic), as C++ and with MinGW, names
# no POSIX-only type, and every function it declares is in libnipc(3). Reports TAP; a compiler that is not installed
# is a skipped point (never a pass).
set -u
src=${NIPC_TOP_SRCDIR:-$(dirname "$0")/..}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nipc-header.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

cat > "$tmp/use.c" <<'EOT'
#include "nipc.h"

int use_nipc(void);
int use_nipc(void)
{
	nipc_key *k = 0;
	long key = 0, len = nipc_key_format(0, 0, NIPC_KEY_POSIX, "/x", 0);
	nipc_shm_error_code e = nipc_shm_error(0);
	nipc_sem_error_code s = nipc_sem_error(0);

	return nipc_key_dup(&k, k) + nipc_ftok(&key, "/", 1) + (int)len + (int)e + (int)s;
}
EOT
cp "$tmp/use.c" "$tmp/use.cpp"

point() { # result description
	n=$((n + 1))
	echo "$1 $n - $2"
}

# compiler-variable compiler-default language flags...
try() {
	name=$1 cc=$2 what=$3 file=$4
	shift 4
	if ! command -v "${cc%% *}" >/dev/null 2>&1; then
		point ok "$what # SKIP $name ($cc) not installed"
		return
	fi
	if $cc "$@" -I"$src/lib" -c "$file" -o "$tmp/out.o" 2> "$tmp/err"; then
		point ok "$what"
	else
		sed 's/^/# /' "$tmp/err"
		point "not ok" "$what"
		failed=1
	fi
}

echo "1..5"
try CC "${NIPC_CC:-cc}" "C99 -pedantic" "$tmp/use.c" \
	-std=c99 -pedantic -Wall -Wextra -Werror -Wstrict-prototypes
try CXX "${NIPC_CXX:-g++}" "C++11 -pedantic" "$tmp/use.cpp" \
	-std=c++11 -pedantic -Wall -Wextra -Werror
try MinGW x86_64-w64-mingw32-gcc "MinGW-w64 C99" "$tmp/use.c" \
	-std=c99 -pedantic -Wall -Wextra -Werror
if grep -nE '\<(key_t|ssize_t|pid_t|off_t)\>|#include <sys/' "$src/lib/nipc.h" > "$tmp/err"; then
	sed 's/^/# /' "$tmp/err"
	point "not ok" "no POSIX-only types or headers"
	failed=1
else
	point ok "no POSIX-only types or headers"
fi
# every function of nipc.h has its prototype in libnipc(3)'s synopsis
funcs=$(sed -n 's/^NIPC_API[^(]*[ *]\(nipc_[a-z0-9_]*\)(.*/\1/p' "$src/lib/nipc.h")
missing=$(for f in $funcs; do grep -q "[ *]$f(" "$src/doc/libnipc.3" || echo "$f"; done)
if [ -z "$funcs" ] || [ -n "$missing" ]; then
	echo "$missing" | sed 's/^/# not in doc\/libnipc.3: /'
	point "not ok" "libnipc(3) shows every function ($(echo $funcs | wc -w))"
	failed=1
else
	point ok "libnipc(3) shows every function ($(echo $funcs | wc -w))"
fi
exit $failed
