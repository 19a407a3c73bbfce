#!/bin/sh
# SPDX-License-Identifier: MIT
# test-make.sh - `make demo` on a fresh clone builds everything the demo
# runs: its dry run into an empty build directory lists every program
# run-demo.sh calls, the tools included.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
command -v make > /dev/null || { echo "no make"; exit 77; }
b=$(mktemp -d "${TMPDIR:-/tmp}/uipc-demo-make.XXXXXX")
trap 'rm -rf "$b"' EXIT
fails=0
make -n demo O="$b/build" > "$b/plan" 2>&1
[ $? -eq 0 ] && echo "ok make -n demo" || { echo "not ok make -n demo"; fails=1; }
for p in $(sed -n 's|.*"\$BIN/\([a-z0-9-]*\)".*|\1|p; s|.*IPCS=\$O/\(tools/[a-z]*\).*|\1|p' \
	examples/demo/run-demo.sh | sort -u); do
	case $p in */*) f=$p ;; *) f=examples/$p ;; esac
	if grep -q -- "-o $b/build/$f " "$b/plan"; then
		echo "ok make demo builds $f"
	else
		echo "not ok make demo builds $f"; fails=1
	fi
done
[ $fails -eq 0 ]
