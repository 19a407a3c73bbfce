#!/bin/sh
# test-tsan.sh - make tsan as part of make check: the library and the
# threaded stress built with -fsanitize=thread in build-tsan, then run by
# test/tsan/stress-run (not a .sh: run-all.sh would take it for a test);
# about ten seconds.  Skipped where ThreadSanitizer cannot run at all (no
# libtsan, or a memory layout it refuses).
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# make check's own make flags (jobserver, O=, SAN=) are not for this one
unset MAKEFLAGS MFLAGS MAKELEVEL
printf 'int main(void) { return 0; }\n' > "$tmp/t.c"
if ! ${CC:-cc} -fsanitize=thread -o "$tmp/t" "$tmp/t.c" 2>/dev/null || ! "$tmp/t"; then
	echo "ok tsan # SKIP ThreadSanitizer does not run here"
	exit 77
fi
if make -s -j2 tsan; then
	echo "ok tsan"
else
	echo "not ok tsan"
	exit 1
fi
