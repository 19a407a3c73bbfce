# harness.sh - sourced by examples/*/test.sh (bash).
#
# A test defines scenario(), which drives the programs in $BIN, and then
# calls tl_main "$@".  tl_main runs the scenario twice:
#   uipc    with $O/examples/*, in $UIPC_ROOT (the runner's, or a fresh one)
#   kernel  with $O/examples/kernel/*, in a fresh IPC namespace (unshare -Uri)
# and prints "ok NAME ..." / "not ok NAME ..." lines.  Exit 0 if all passed,
# 77 if nothing could run, 1 otherwise.  Both sides must leave no object.
#
# Helpers for scenarios: ok, notok, check, check_fails, wait_for, bgrun,
# wait_bg, stop_bg, objects_left.  $W is a scratch directory, removed at the end.
# Nothing here depends on timing for pass/fail: waits poll for a condition
# with a generous limit, which only bounds a hang.

set -u
tl_top=$(cd "$(dirname "$0")/../.." && pwd)
tl_self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
tl_name=$(basename "$(dirname "$0")")
O=${O:-build}
case $O in /*) ;; *) O=$tl_top/$O ;; esac
export O
tl_fail=0
tl_bg=

ok() { echo "ok $tl_name/$SIDE - $*"; }
notok() { echo "not ok $tl_name/$SIDE - $*"; tl_fail=$((tl_fail + 1)); }

# check DESC CMD...: CMD must succeed (within 120 s).
check() {
	local d=$1; shift
	if timeout -k 5 120 "$@" > "$W/check.out" 2>&1; then
		ok "$d"
	else
		notok "$d (exit $?)"; sed 's/^/#   /' "$W/check.out" | tail -8
	fi
}

# check_fails DESC PATTERN CMD...: CMD must fail, saying PATTERN (grep -E).
check_fails() {
	local d=$1 pat=$2 rc; shift 2
	timeout -k 5 120 "$@" > "$W/check.out" 2>&1; rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq -- "$pat" "$W/check.out"; then
		ok "$d"
	else
		notok "$d (exit $rc, wanted failure saying /$pat/)"
		sed 's/^/#   /' "$W/check.out" | tail -8
	fi
}

# check_says DESC PATTERN CMD...: CMD must succeed, saying PATTERN.
check_says() {
	local d=$1 pat=$2 rc; shift 2
	timeout -k 5 120 "$@" > "$W/check.out" 2>&1; rc=$?
	if [ $rc -eq 0 ] && grep -Eq -- "$pat" "$W/check.out"; then
		ok "$d"
	else
		notok "$d (exit $rc, wanted success saying /$pat/)"
		sed 's/^/#   /' "$W/check.out" | tail -8
	fi
}

# wait_for SECONDS CMD...: poll CMD until it succeeds; 1 if it never does.
wait_for() {
	local t=$1 i=0; shift
	while ! "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((t * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# bgrun VAR CMD...: start CMD in the background; its pid goes into VAR.
bgrun() {
	local var=$1; shift
	"$@" <&0 &	# <&0: keep our stdin (bash gives & jobs /dev/null)
	eval "$var=$!"
	tl_bg="$tl_bg $!"
}

# wait_bg PID: wait for it (at most 60 s, then SIGKILL); its exit status
# goes into RC.  No signal: a SIGCONT sent to a process as it exits made
# LeakSanitizer's exit check hang under make sanitize.
wait_bg() {
	local pid=$1
	wait_for 60 tl_dead "$pid" || kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null; RC=$?
}

# stop_bg PID [SIG]: signal it (default TERM), then wait_bg.
stop_bg() {
	kill -"${2:-TERM}" "$1" 2> /dev/null
	wait_bg "$1"
}
tl_dead() { ! kill -0 "$1" 2> /dev/null || tl_zombie "$1"; }
tl_zombie() { [ "$(awk '{print $3}' "/proc/$1/stat" 2> /dev/null)" = Z ]; }

# Every IPC object of the side's namespace, one line each.
objects_left() {
	if [ "$SIDE" = kernel ]; then
		tail -q -n +2 /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm
	else
		ls -A "$UIPC_ROOT" | grep -v '^uipc\.\(ids\.[0-9]*\|limits\)$'
	fi
}

tl_reap_bg() {
	local p
	for p in $tl_bg; do
		kill -0 "$p" 2> /dev/null || continue
		kill -TERM "$p" 2> /dev/null
	done
	sleep 0.2
	for p in $tl_bg; do
		kill -0 "$p" 2> /dev/null && kill -KILL "$p" 2> /dev/null
	done
	tl_bg=
	wait 2> /dev/null
}

tl_side() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/uipc-ex-$tl_name.XXXXXX")
	trap 'tl_reap_bg; rm -rf "$W"' EXIT
	cd "$W" || exit 1
	scenario
	tl_reap_bg
	local left
	left=$(objects_left)
	if [ -n "$left" ]; then
		notok "objects left behind:"; echo "$left" | sed 's/^/#   /'
	else
		ok "nothing left in the namespace"
	fi
	cd / && rm -rf "$W"
	trap - EXIT
}

tl_main() {
	if [ "${1:-}" = --side=kernel ]; then
		SIDE=kernel BIN=$O/examples/kernel
		tl_side
		[ $tl_fail -eq 0 ]
		exit
	fi
	local ran=0 own_root=
	SIDE=uipc BIN=$O/examples
	if [ ! -x "$BIN/ex-probe" ]; then
		notok "uipc build missing ($BIN): make examples"
	else
		if [ -z "${UIPC_ROOT:-}" ]; then
			own_root=$(mktemp -d /dev/shm/uipc-ex-test.XXXXXX)
			export UIPC_ROOT=$own_root
		fi
		tl_side
		[ -n "$own_root" ] && rm -rf "$own_root"
		ran=1
	fi
	SIDE=kernel
	if [ ! -x "$O/examples/kernel/ex-probe" ]; then
		notok "kernel build missing: make examples KERNEL=1"
	elif ! unshare -Uri true 2> /dev/null; then
		echo "ok $tl_name/kernel # skip: unshare -Uri does not work here"
	else
		unshare -Uri bash "$tl_self" --side=kernel || tl_fail=$((tl_fail + 1))
		ran=1
	fi
	[ $tl_fail -ne 0 ] && exit 1
	[ $ran -eq 0 ] && exit 77
	exit 0
}
