#!/bin/sh
# SPDX-License-Identifier: MIT
# test-pidns.sh - lock holders in other PID namespaces (containers that
# share a tmpfs): one namespace's pids mean nothing in another, so a lock
# holder's liveness is its lease (lease.c), which the kernel answers the
# same in every namespace.
#   1. A holder in its own PID namespace loops SETALL and is stopped now
#      and then; a reader in another PID namespace loops GETALL for five
#      seconds: it must never see torn values (a live holder's lock taken
#      over and its update rolled back while it is stopped).
#   2. The holder killed (-9) while it holds: the reader takes over and
#      goes on; the values are whole.
#   3. A lock word forged with a live pid and no start time holds a
#      semop up for about a second, not forever.
. "$(dirname "$0")/../../tools/tcommon.sh"

is_root || skip "needs root (PID namespaces)"
OP=$B/test/pidns/pidnsop
[ -x "$OP" ] || skip "$OP not built"
unshare -p -f --mount-proc true 2>/dev/null || skip "no PID namespaces here"
PNS="unshare -p -f --mount-proc"

id=$("$OP" make)
holder=''
stopper=''
cleanup() {
	[ -n "$stopper" ] && kill $stopper 2>/dev/null
	[ -n "$holder" ] && { kill -CONT $holder; kill -9 $holder; } 2>/dev/null
	wait 2>/dev/null
	"$B/tools/uipcrm" -s "$id" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the holder is pid 2 of its namespace (under a shell), the reader pid 1
# of its own: a pid 2 the reader's namespace does not have
$PNS sh -c "\"$OP\" hold $id; exit" 2>/dev/null &
for i in 1 2 3 4 5 6 7 8 9 10; do
	holder=$(pgrep -f "^$OP hold $id\$" | head -1)
	[ -n "$holder" ] && break
	sleep 0.2
done
[ -n "$holder" ] || { not_ok "the holder started"; finish; }
( while :; do kill -STOP $holder; sleep 0.1; kill -CONT $holder; sleep 0.05; done ) &
stopper=$!
out=$($PNS "$OP" check "$id" 5)
kill $stopper; wait $stopper 2>/dev/null; stopper=''
kill -CONT $holder
set -- $out
if [ "${1:-x}" = 0 ] && [ "${2:-0}" -gt 0 ]; then
	ok "a stopped holder in another PID namespace is never taken over ($2 reads, none torn)"
else
	not_ok "torn reads across PID namespaces: $out"
fi

# 2: killed while holding (as often as not); the other namespace goes on.
kill -STOP $holder
kill -9 $holder
wait 2>/dev/null
holder=''
out=$($PNS timeout 20 "$OP" check "$id" 1)
set -- $out
if [ "${1:-x}" = 0 ] && [ "${2:-0}" -gt 0 ]; then
	ok "a killed holder's lock is taken over from another PID namespace"
else
	not_ok "after the holder was killed: $out"
fi

# 3: a forged word (pid 1, no start time) holds others up about a second.
ms=$(timeout 20 "$OP" forge "$id" "$UIPC_ROOT/sem.$id")
if [ -n "$ms" ] && [ "$ms" -ge 500 ] && [ "$ms" -le 5000 ]; then
	ok "a forged lock word held a semop up ${ms} ms, not forever"
else
	not_ok "a forged lock word: ${ms:-no answer in 20 s}"
fi
finish
