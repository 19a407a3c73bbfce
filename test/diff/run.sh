#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - the kernel-oracle differential harness.
#
# Runs every scenario (or those named on the command line) twice: with
# diff-kernel in a fresh IPC namespace, and with diff-uipc in a fresh empty
# UIPC_ROOT; diffs the two normalised traces.  Prints "ok NAME" or
# "not ok NAME" followed by the diff; exits 1 if any trace differs.
#
# Scenarios marked "root" need a real setuid() and run under "unshare -i"
# as root (skipped otherwise); the others under "unshare -Uri".  The uipc
# side runs in the same kind of namespace, so that both see the same
# /proc/sys/kernel limits.
#
# Environment: O (build dir, default build); DIFF_SELF=1 compares the
# kernel with itself (a determinism check); DIFF_VERBOSE=1 prints traces.
O=${O:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
kbin=$top/$O/test/diff/diff-kernel
ubin=$top/$O/test/diff/diff-uipc
[ "${DIFF_SELF:-0}" = 1 ] && ubin=$kbin
for b in "$kbin" "$ubin"; do
	if [ ! -x "$b" ]; then
		echo "not ok build: $b is missing (make tests)"
		exit 1
	fi
done
if ! unshare -Uri true 2>/dev/null; then
	echo "not ok namespaces: cannot unshare -Uri here"
	exit 1
fi
isroot=0
[ "$(id -u)" = 0 ] && isroot=1

tmp=$(mktemp -d /dev/shm/uipc-diff.XXXXXX) || exit 1
uroot=
cleanup() {
	[ -n "$uroot" ] && rm -rf "$uroot"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ $# -gt 0 ]; then
	list=$("$kbin" list | while read -r n f; do
		for want in "$@"; do
			[ "$n" = "$want" ] && echo "$n $f"
		done
	done)
else
	list=$("$kbin" list)
fi

pass=0 fail=0 skip=0 failed=
while read -r name flags; do
	[ -n "$name" ] || continue
	if [ "$flags" = root ]; then
		if [ $isroot = 0 ]; then
			echo "ok $name # SKIP needs root"
			skip=$((skip + 1))
			continue
		fi
		wrap="unshare -i"
	else
		wrap="unshare -Uri"
	fi
	# kernel: a fresh IPC namespace, dies with the scenario
	$wrap timeout 120 "$kbin" "$name" >"$tmp/k" 2>"$tmp/k.err"
	echo "exit $?" >>"$tmp/k"
	# uipc: a fresh empty namespace directory, removed afterwards
	uroot=$(mktemp -d /dev/shm/uipc-diff-root.XXXXXX) || exit 1
	chmod 1777 "$uroot"
	UIPC_ROOT=$uroot $wrap timeout 120 "$ubin" "$name" >"$tmp/u" \
		2>"$tmp/u.err"
	echo "exit $?" >>"$tmp/u"
	rm -rf "$uroot"
	uroot=
	if [ "${DIFF_VERBOSE:-0}" = 1 ]; then
		sed "s/^/# $name kernel: /" "$tmp/k"
	fi
	if diff -u "$tmp/k" "$tmp/u" >"$tmp/d"; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "not ok $name"
		tail -n +3 "$tmp/d" | sed 's/^/#   /'
		for side in k u; do
			if [ -s "$tmp/$side.err" ]; then
				echo "#   stderr ($side):"
				head -5 "$tmp/$side.err" | sed 's/^/#     /'
			fi
		done
		fail=$((fail + 1))
		failed="$failed $name"
	fi
done <<EOF_LIST
$list
EOF_LIST

echo "# diff: $pass identical, $fail differ, $skip skipped"
[ -n "$failed" ] && echo "# differ:$failed"
[ $fail -eq 0 ]
