# SPDX-License-Identifier: MIT
# tcommon.sh - shared by tools/test*.sh and preload/test*.sh (sourced).
#
# Protocol (test/run-all.sh): print "ok NAME" / "not ok NAME", exit 0 when
# everything passed, 77 to skip, anything else on failure.  The runner
# exports O (build dir) and a private, empty UIPC_ROOT; kernel-side runs
# happen in a fresh IPC namespace (and a fresh PID namespace, so that the
# pids a listing shows are the same on both sides).

# the tree's top: the nearest directory above the script with the Makefile
top=$(cd "$(dirname "$0")" && while [ ! -f Makefile ] && [ "$PWD" != / ]; do cd ..; done && pwd)
O=${O:-build}
case $O in
/*) B=$O ;;
*) B=$top/$O ;;
esac
export LC_ALL=C TZ=UTC
# scratch space, and the private UIPC_ROOTs made in it, on tmpfs: a
# namespace on a disk makes uipcs add a warning to what the tests compare
tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
T=$(mktemp -d "${TMPDIR:-$tmp}/uipc-t.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
nfail=0
ntest=0

ok() { ntest=$((ntest + 1)); echo "ok $*"; }
not_ok() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $*"; }
skip() { echo "skip: $*"; exit 77; }
finish() {
	echo "# $ntest checks, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit $?
}

# check NAME FILE1 FILE2: identical, or show the difference.
check() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff -u "$2" "$3" | head -40 | sed 's/^/#   /'
	fi
}

# The UIPC_ROOT of this test (the runner's, or a private one).
if [ -z "${UIPC_ROOT:-}" ]; then
	UIPC_ROOT=$T/root
	mkdir -p "$UIPC_ROOT"
fi
export UIPC_ROOT

# Namespaces: real root gets a plain IPC namespace (so IPC_SET may give
# objects other owners); anyone else a user namespace mapped to root.
if [ "$(id -u)" -eq 0 ]; then
	NS_IPC="unshare -i"
else
	NS_IPC="unshare -Uri"
fi
NS_PID="$NS_IPC -p -f --mount-proc"
can_ns() { $NS_PID true 2>/dev/null; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# kns CMD...: run in a fresh kernel IPC+PID namespace.
kns() { $NS_PID "$@"; }
# uns CMD...: the same namespaces (for identical pids) on uipc.
uns() { $NS_PID "$@"; }

# norm_times < in > out: fixed-width placeholders for ctime(3) text, so
# columns keep their widths ("Mon Nov 30 22:36:41 2026", "Nov 30 22:36:41").
norm_times() {
	sed -E \
	  -e 's/[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}/Www Mmm DD hh:mm:ss YYYY/g' \
	  -e 's/[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}/Mmm DD hh:mm:ss/g'
}

# norm_json_times < in > out: JSON time fields become "T".
norm_json_times() {
	sed -E 's/("(send|recv|change|attached|detached|changed|last-op|last-changed|send_time|rcv_time|change_time|att_time|det_time|otime|ctime)": )[0-9]+/\1"T"/'
}

# ns_empty: nothing of ours in UIPC_ROOT (the id hint and limits files
# are the namespace itself, not objects).
ns_objects() {
	ls -A "$UIPC_ROOT" 2>/dev/null | grep -v '^uipc\.\(ids\.[0-9]*\|limits\)$'
}

# sanitized: the library was built with a sanitizer (make sanitize); such a
# shim cannot be preloaded into programs that are not instrumented.
sanitized() {
	nm -D "$B/preload/libuipc-preload.so" 2>/dev/null | grep -q '__asan_init\|__ubsan_\|__tsan_init' ||
	nm "$B/libuipc.a" 2>/dev/null | grep -q '__asan_\|__ubsan_\|__tsan_'
}

# The scenario the listing tests share: every column has something to
# show (messages in a queue, a foreign owner, blocked waiters, attached and
# destroyed-but-attached segments, IPC_PRIVATE keys, sizes for --human).
# Objects: 0-2 queues, 3-4 sets, 5-8 segments.
scenario() {
	set -- msg 1234 644 snd 0 1 100 snd 0 2 50 rcv 0 \
		msg private 600
	is_root && set -- "$@" own 1 12345 54321
	set -- "$@" msg abc 666 \
		sem 2222 3 600 setval 3 0 5 semop 3 1 1 block 3 2 -1 block 3 0 0 \
		sem private 1 644 \
		shm 3333 5000 640 att 5 \
		shm 4444 100000 600 att 6 rm 6 \
		shm private 1 666 chmod 7 400 \
		shm 5555 3000000 644
	echo "$@"
}

# Listing options the scenario is shown with.  -l (this machine's limits)
# is compared between the two sides but kept out of golden files.
LISTINGS='
-a
-t
-p
-c
-u
-b
--human
-u -b
-u --human
-q -t
-m -p
-s -c
-q -i 0
-q -i 1
-q -i 0 --human
-s -i 0
-s -i 1
-m -i 0
-m -i 1
-m -i 1 --human
-m -i 1 -b
-s -i 9
-i 0
-i x
-x
'

# run_listings TOOL OUTFILE: every listing, each with its exit status.
run_listings() {
	echo "$LISTINGS" | while IFS= read -r opts; do
		[ -n "$opts" ] || continue
		echo "=== $opts"
		# shellcheck disable=SC2086
		"$1" $opts 2>&1
		echo "=== rc=$?"
	done > "$2"
}

# strip_sem_pids < in > out: drop the semaphore section uipcs -p adds
# (ipcs -p prints none), leaving the blank line that follows it.
strip_sem_pids() {
	awk '/^------ Semaphore Last-op PIDs/ { skip = 1 }
	     skip && /^$/ { skip = 0 }
	     !skip'
}

# as_util_linux < in > out: our program names in messages become theirs.
as_util_linux() {
	sed -e 's/^[^ ]*uipc\(s\|rm\|mk\): /ipc\1: /' -e 's/uipc\(s\|rm\|mk\)/ipc\1/g'
}

# poll SECONDS CMD...: until CMD succeeds; fails after the deadline.
poll() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

# end_test PID...: kill and reap the test's processes, remove every uipc
# object ($UIPCRM), and the scratch directory.  For an EXIT trap.
end_test() {
	for p in "$@"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	"$UIPCRM" -a 2>/dev/null
	rm -rf "$T"
}
