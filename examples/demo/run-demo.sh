#!/bin/bash
# run-demo.sh - the end-to-end show behind `make demo`: every example at
# work, a few readable lines per step, and everything removed at the end.
#
#   make demo              uipc, in $UIPC_ROOT (default /dev/shm/uipc)
#   make demo KERNEL=1     the same programs on the kernel's SysV IPC
#
# Environment: O (build directory, default build), KERNEL=1, DEMO_MB (size
# of the file sent through shared memory, default 64).  Uses its own keys
# (0x756900d1..d4), so it does not disturb a logd or msgsrv already running
# on the default keys.  Exit 0 if every check held.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$top/$O ;; esac
if [ "${KERNEL:-}" = 1 ]; then
	BIN=$O/examples/kernel IPCS=ipcs
	where="the kernel's System V IPC"
else
	BIN=$O/examples IPCS=$O/tools/uipcs
	where="uipc, namespace ${UIPC_ROOT:-/dev/shm/uipc}"
fi
KL=0x756900d1 KS=0x756900d2 KX=0x756900d3 KT=0x756900d4
MB=${DEMO_MB:-64}
W=$(mktemp -d "${TMPDIR:-/tmp}/uipc-demo.XXXXXX")
failed=0 logd= srv=

say() { printf '\n== %s\n' "$*"; }
line() { printf '   %s\n' "$*"; }
bad() { printf '   !! %s\n' "$*"; failed=1; }
indent() { sed 's/^/   /'; }
ready() {	# ready FILE: wait (at most 30 s) for a "ready:" line
	for _ in $(seq 300); do grep -q "ready:" "$1" && return 0; sleep 0.1; done
	return 1
}
cleanup() {
	[ -n "$logd" ] && kill "$logd" 2> /dev/null && wait "$logd" 2> /dev/null
	[ -n "$srv" ] && kill "$srv" 2> /dev/null && wait "$srv" 2> /dev/null
	"$BIN/ex-probe" key m $KT > /dev/null 2>&1 && "$BIN/shmlist" -k $KT destroy > /dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -x "$BIN/demo" ]; then
	echo "run-demo.sh: $BIN/demo is not built (make examples${KERNEL:+ KERNEL=1})" >&2
	exit 1
fi
echo "uipc examples demo on $where"

say "1. One object of each type (examples/demo)"
"$BIN/demo" | tail -n +2
[ "${PIPESTATUS[0]}" = 0 ] || failed=1

say "2. The shared-memory logger: logd and 4 clients at once (examples/shm-logger)"
"$BIN/logd" -k $KL -n 4 -f "$W/demo.log" 2> "$W/logd.err" &
logd=$!
if ready "$W/logd.err"; then
	line "$(sed -n 's/^logd: //p' "$W/logd.err" | head -1)"
	clients=
	for i in 1 2 3 4; do
		printf 'client %d says hello\nclient %d: second line\nclient %d: goodbye\n' \
			$i $i $i | "$BIN/logc" -k $KL &
		clients="$clients $!"
	done
	# wait for the clients by pid: with none left, a bare "wait" would
	# wait for logd too, which never exits by itself
	wait $clients
	"$BIN/logc" -k $KL "and one message from the command line"
	kill "$logd"; wait "$logd"; logd=
	line "$(sed -n 's/^logd: stopped/stopped/p' "$W/logd.err")"
	line "the log file:"
	indent < "$W/demo.log" | indent
	n=$(wc -l < "$W/demo.log")
	[ "$n" = 13 ] && line "13 records from 5 clients, each client's in its order" ||
		bad "the log has $n records, not 13"
else
	bad "logd did not start:"; indent < "$W/logd.err"
fi

say "3. The stat and file server: one request queue, a reply queue per client (examples/msg-server)"
mkdir "$W/files"
echo "hello, world" > "$W/files/hello.txt"
head -c 1048576 /dev/urandom > "$W/files/data.bin"
"$BIN/msgsrv" -k $KS -d "$W/files" 2> "$W/srv.err" &
srv=$!
if ready "$W/srv.err"; then
	line "$(sed -n 's/^msgsrv: //p' "$W/srv.err" | head -1)"
	"$BIN/msgstat" -k $KS hello.txt data.bin | indent
	"$BIN/msgstat" -k $KS no-such-file 2>&1 | indent
	cats=
	for i in 1 2 3; do
		"$BIN/msgcat" -k $KS data.bin > "$W/copy$i" &
		cats="$cats $!"
	done
	wait $cats
	want=$(md5sum < "$W/files/data.bin" | cut -c1-32)
	same=0
	for i in 1 2 3; do
		[ "$(md5sum < "$W/copy$i" | cut -c1-32)" = "$want" ] && same=$((same + 1))
	done
	[ $same = 3 ] && line "3 clients fetched data.bin (1 MiB) at once: md5 $want, all identical" ||
		bad "only $same of 3 copies are identical"
	kill "$srv"; wait "$srv"; srv=
	line "$(sed -n 's/^msgsrv: stopped/stopped/p' "$W/srv.err")"
else
	bad "msgsrv did not start:"; indent < "$W/srv.err"
fi

say "4. stdin -> shared memory -> stdout, two processes, two semaphores (examples/shm-xfr)"
head -c $((MB << 20)) /dev/urandom > "$W/big"
want=$(md5sum < "$W/big" | cut -c1-32)
"$BIN/xfr-reader" -k $KX 2> "$W/r.err" | md5sum > "$W/got.md5" &
"$BIN/xfr-writer" -k $KX < "$W/big" 2> "$W/w.err"
wait
indent < "$W/w.err"; indent < "$W/r.err"
[ "$(cut -c1-32 "$W/got.md5")" = "$want" ] && line "md5 in = md5 out = $want" ||
	bad "the checksums differ"

say "5. A linked list in a segment, with offsets for pointers (examples/shm-list)"
"$BIN/shmlist" -k $KT build 8 13 17 42 | grep -v "^appended" | indent
"$BIN/shmlist" -k $KT del 17 | indent
"$BIN/shmlist" -k $KT push 99 | indent
"$BIN/shmlist" -k $KT walk > "$W/walk" && indent < "$W/walk"
grep -q "visit list: 13 42 99$" "$W/walk" || bad "the walk did not show 13 42 99"

say "6. What exists now: the list's segment and its lock"
if [ -x "$(command -v "$IPCS")" ]; then
	"$IPCS" -m -s | indent
else
	bad "$IPCS is not built (make demo builds it): no listing"
fi
"$BIN/shmlist" -k $KT destroy | indent

left=
for k in $KL $KS $KX $KT; do
	for t in q s m; do
		"$BIN/ex-probe" key $t $k > /dev/null 2>&1 && left="$left $t:$k"
	done
done
echo
if [ -n "$left" ]; then
	bad "objects left behind:$left"
elif [ $failed = 0 ]; then
	echo "demo complete: every check held, and every object the demo made is gone"
fi
exit $failed
