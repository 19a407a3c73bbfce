#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - the kernel-oracle differential harness.
#
#   test/diff/run.sh [--raw] [SCENARIO...]
#
# Runs every scenario (or those named) twice: diff-kernel in a fresh IPC
# namespace, and diff-uipc with a fresh empty UIPC_ROOT; diffs the two
# normalised traces.  Prints "ok NAME" or "not ok NAME" followed by the
# diff, and exits 1 if any trace differs.
#
# Scenarios marked "root" need a real setuid() and run under "unshare -i"
# as root (skipped otherwise); the others under "unshare -Uri".  The uipc
# side runs in the same kind of namespace, so that both read the same
# /proc/sys/kernel limits.
#
# --raw: the second pass.  Both sides run diff-raw, whose every call is a
# raw system call (syscall(2)): on the kernel, and under
# "uipc-run --syscalls" (the shim's seccomp trap answers them).  The uipc
# side then also checks that no call reached the kernel: its IPC
# namespace holds no object afterwards, and never held one (the kernel
# hands out id 0 for the first object of each type in a namespace, and
# only then; util-linux ipcmk makes one of each to see).
#
# Environment: O (build dir, default build); DIFF_JOBS (scenarios run in
# parallel, default 2); DIFF_BUDGET (seconds after which the scenarios not
# yet started are reported as failed, default 480); DIFF_SELF=1 compares the kernel with itself (a
# determinism check); DIFF_KEEP=DIR keeps both traces of each scenario.
O=${O:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$1" = --raw ]; then
	DIFF_RAW=1
	shift
fi
kbin=$top/$O/test/diff/diff-kernel
ubin=$top/$O/test/diff/diff-uipc
urun=
if [ "${DIFF_RAW:-0}" = 1 ]; then
	kbin=$top/$O/test/diff/diff-raw
	ubin=$kbin
	urun="$top/$O/preload/uipc-run --syscalls"
fi
[ "${DIFF_SELF:-0}" = 1 ] && ubin=$kbin urun=

# One scenario: run.sh --one TMPDIR NAME [root]; leaves TMPDIR/NAME.res.
if [ "$1" = --one ]; then
	tmp=$2 name=$3 flags=$4
	res=$tmp/$name.res
	d=$tmp/$name.d
	mkdir -p "$d" || exit 1
	# --raw (and not DIFF_SELF): where the uipc side's kernel check goes
	DIFF_KCHECK=
	[ -n "$urun" ] && DIFF_KCHECK=$d/kcheck
	export DIFF_KCHECK
	# stay within the test runner's limit even if uipc hangs a lot
	if [ "$(date +%s)" -gt "$(cat "$tmp/deadline")" ]; then
		echo "not ok $name # harness: out of time, not run" >"$res"
		exit 0
	fi
	if [ "$flags" = root ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "ok $name # SKIP needs root" >"$res"
			exit 0
		fi
		wrap="unshare -i"
	else
		wrap="unshare -Uri"
	fi
	# kernel: a fresh IPC namespace that dies with the scenario
	$wrap timeout 180 "$kbin" "$name" >"$d/kernel" 2>"$d/kernel.err"
	echo "exit $?" >>"$d/kernel"
	# uipc: a fresh empty namespace directory, removed afterwards
	uroot=$(mktemp -d /dev/shm/uipc-diff-root.XXXXXX) || exit 1
	chmod 1777 "$uroot"
	# (--raw: then, in the same IPC namespace, what the kernel got)
	# shellcheck disable=SC2016,SC2086
	UIPC_ROOT=$uroot $wrap sh -c '
		timeout 180 "$@"
		rc=$?
		if [ -n "$DIFF_KCHECK" ]; then
			{
				ipcs -a | grep "^0x" | sed "s/^/kernel holds: /"
				ipcmk -Q && ipcmk -S 1 && ipcmk -M 4096
			} >"$DIFF_KCHECK" 2>&1
		fi
		exit $rc' sh $urun "$ubin" "$name" >"$d/uipc" 2>"$d/uipc.err"
	echo "exit $?" >>"$d/uipc"
	rm -rf "$uroot"
	kgot=
	if [ -n "$DIFF_KCHECK" ] && ! printf '%s\n' "Message queue id: 0" \
	    "Semaphore id: 0" "Shared memory id: 0" | cmp -s - "$d/kcheck"; then
		kgot=1
	fi
	if diff -u "$d/kernel" "$d/uipc" >"$d/diff" && [ -z "$kgot" ]; then
		echo "ok $name" >"$res"
	else
		{
			echo "not ok $name"
			[ -n "$kgot" ] && sed 's/^/#   the kernel got objects: /' \
				"$d/kcheck"
			tail -n +3 "$d/diff" | sed 's/^/#   /'
			for side in kernel uipc; do
				[ -s "$d/$side.err" ] || continue
				echo "#   stderr ($side):"
				head -5 "$d/$side.err" | sed 's/^/#     /'
			done
		} >"$res"
	fi
	if [ -n "$DIFF_KEEP" ]; then
		mkdir -p "$DIFF_KEEP"
		cp "$d/kernel" "$DIFF_KEEP/$name.kernel"
		cp "$d/uipc" "$DIFF_KEEP/$name.uipc"
	fi
	rm -rf "$d"
	exit 0
fi

for b in "$kbin" "$ubin" ${urun%% *}; do
	if [ ! -x "$b" ]; then
		echo "not ok build: $b is missing (make tests)"
		exit 1
	fi
done
if ! unshare -Uri true 2>/dev/null; then
	echo "not ok namespaces: cannot unshare -Uri here"
	exit 1
fi

tmp=$(mktemp -d /dev/shm/uipc-diff.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

"$kbin" list >"$tmp/all" || exit 1
if [ $# -gt 0 ]; then
	for want in "$@"; do
		if ! grep -E "^$want( |\$)" "$tmp/all" >>"$tmp/list"; then
			echo "not ok $want # no such scenario"
			exit 1
		fi
	done
else
	cp "$tmp/all" "$tmp/list"
fi

echo $(($(date +%s) + ${DIFF_BUDGET:-480})) >"$tmp/deadline"
export O DIFF_SELF DIFF_KEEP DIFF_RAW
awk '{ print $1, ($2 == "" ? "-" : $2) }' "$tmp/list" |
	xargs -P "${DIFF_JOBS:-2}" -n 2 sh -c \
		'exec "$0" --one "$1" "$2" "$([ "$3" = - ] || echo "$3")"' \
		"$0" "$tmp"

pass=0 fail=0 skip=0 failed=
while read -r name flags; do
	if [ ! -f "$tmp/$name.res" ]; then
		echo "not ok $name # harness: no result"
		fail=$((fail + 1)) failed="$failed $name"
		continue
	fi
	cat "$tmp/$name.res"
	case $(head -n 1 "$tmp/$name.res") in
	"not ok"*) fail=$((fail + 1)) failed="$failed $name" ;;
	*SKIP*) skip=$((skip + 1)) ;;
	*) pass=$((pass + 1)) ;;
	esac
done <"$tmp/list"

echo "# diff: $pass identical, $fail differ, $skip skipped"
[ -n "$failed" ] && echo "# differ:$failed"
[ $fail -eq 0 ]
