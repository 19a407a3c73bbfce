#!/bin/sh
# SPDX-License-Identifier: MIT
# test-objects.sh - a second user attacks root's objects through the
# namespace's files (docs/security.md), each attack on a fresh root-owned
# 1777 namespace:
#   R1 redirect a key: replace, move or remove root's key name
#   R2 hide an object: remove its names or its file
#   R3 hang or break every call: hold the names lock, write every shared
#      file it can (the registry of older versions), fill the directory
#   R4 plant links where root's hint and limits files go
#   R5 squat the names of the next ids (against root, and another user)
#   R6 take a key first with a junk name (as on the kernel, the key is
#      then the attacker's; root gets an error, never a crash or a hang)
#   R7 truncate an object it may write: root can still remove it, and
#      its key is free again
#   R8 read an object it has no access to
. "$(dirname "$0")/../../tools/tcommon.sh"

is_root || skip "needs root (to act as two users)"
command -v setpriv >/dev/null || skip "setpriv missing"
command -v flock >/dev/null || skip "flock missing"
OP=$B/test/security/secop
[ -x "$OP" ] || skip "$OP not built"
EVIL=4242
as_evil() { setpriv --reuid=$EVIL --regid=$EVIL --clear-groups "$@"; }

D=$(mktemp -d /dev/shm/uipc-sec.XXXXXX) || exit 1
chmod 755 "$D"
holder=''
trap '[ -n "$holder" ] && kill $holder 2>/dev/null; rm -rf "$D" "$T"' EXIT
n=0
fresh() { n=$((n + 1)); NS=$D/ns$n; mkdir -m 1777 "$NS"; export UIPC_ROOT=$NS; }
op() { timeout 20 "$OP" "$@"; }
evil() { timeout 20 setpriv --reuid=$EVIL --regid=$EVIL --clear-groups "$OP" "$@"; }
keyname() { printf '%s/msg.k%08x' "$NS" "$1"; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: want $2, got $3"; fi; }

# R1: redirect root's key to the attacker's queue.
fresh
rid=$(op get msg 0x5101 600)
aid=$(evil get msg 0x5102 666)
k=$(keyname 0x5101)
as_evil ln -sfn "$aid 0" "$k" 2>/dev/null
as_evil mv -f "$(keyname 0x5102)" "$k" 2>/dev/null
as_evil rm -f "$k" 2>/dev/null
expect "R1: root's key still names root's queue" "$rid" "$(op find msg 0x5101)"
op send "$rid" secret >/dev/null
expect "R1: the attacker's queue got nothing" ENOMSG "$(evil recv "$aid")"
expect "R1: root's message is root's" secret "$(op recv "$rid")"

# R2: hide root's object by removing its names and its file.
fresh
rid=$(op get msg 0x5201 600)
for f in "$NS"/msg.*; do as_evil rm -f "$f" 2>/dev/null; done
as_evil find "$NS" -name 'msg.*' -exec mv -f {} "$NS/x" \; 2>/dev/null
expect "R2: the key still finds it" "$rid" "$(op find msg 0x5201)"
expect "R2: it is still counted" 1 "$(op info msg)"

# R3: hang or break everybody: the names lock held, every shared file written.
fresh
rid=$(op get msg 0x5301 600)
for f in "$NS"/*; do
	[ -w "$f" ] || continue
	as_evil sh -c "head -c 4096 /dev/urandom > '$f'" 2>/dev/null
	as_evil truncate -s 7 "$f" 2>/dev/null
done
as_evil flock -x "$NS" sleep 30 &
holder=$!
sleep 0.2
start=$(date +%s)
id=$(op get msg 0x5302 600)
expect "R3: a get with the names lock held" 0 "$(op rmid msg "$id")"
expect "R3: root's queue is whole" "$rid" "$(op find msg 0x5301)"
took=$(( $(date +%s) - start ))
if [ $took -le 5 ]; then ok "R3: no call hangs ($took s)"; else not_ok "R3: calls took $took s"; fi
kill $holder 2>/dev/null; wait $holder 2>/dev/null; holder=''

# R4: links where root's hint and limits files would be.
fresh
as_evil ln -s /etc/passwd "$NS/uipc.ids.0"
as_evil ln -s /etc/passwd "$NS/uipc.limits"
sum=$(md5sum /etc/passwd)
id=$(op get msg 0 600)
case $id in
[0-9]*) ok "R4: root creates past planted links" ;;
*) not_ok "R4: root could not create: $id" ;;
esac
expect "R4: the links' target is untouched" "$sum" "$(md5sum /etc/passwd)"
op rmid msg "$id" >/dev/null

# R5: squat the names the next ids would take.
fresh
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
	as_evil touch "$NS/msg.$i"
	as_evil ln -s "$i 0" "$NS/msg.i$i"
done
ids=''
for i in 1 2 3 4 5 6 7 8 9 10; do ids="$ids $(op get msg 0 600)"; done
case $ids in
*E*) not_ok "R5: creation denied:$ids" ;;
*) ok "R5: ten creations past the squatted names" ;;
esac
for id in $ids; do op rmid msg "$id" >/dev/null; done

# R5b: the same against another user, who may not remove the squats:
# 41 squatted file names, no index names.
fresh
i=0
while [ $i -le 40 ]; do as_evil touch "$NS/msg.$i"; i=$((i + 1)); done
ids=''
for i in 1 2 3 4 5 6 7 8 9 10; do
	ids="$ids $(setpriv --reuid=4343 --regid=4343 --clear-groups "$OP" get msg 0 600)"
done
case $ids in
*E*) not_ok "R5b: another user's creation denied:$ids" ;;
*) ok "R5b: a user creates past 41 squatted file names" ;;
esac
for id in $ids; do
	setpriv --reuid=4343 --regid=4343 --clear-groups "$OP" rmid msg "$id" >/dev/null
done

# R6: a junk name under a key before root uses it.
fresh
as_evil sh -c "echo junk > '$(keyname 0x5601)'"
got=$(op get msg 0x5601 600)
case $got in
EACCES) ok "R6: a key taken by another user's junk: EACCES, as an object of theirs" ;;
*) not_ok "R6: got $got" ;;
esac
as_evil rm -f "$(keyname 0x5601)"
case $(op get msg 0x5601 600) in
[0-9]*) ok "R6: the key is root's once its taker lets it go" ;;
*) not_ok "R6: the key stayed taken" ;;
esac

# R7: truncate an object the attacker may write; root removes it anyway.
fresh
id=$(op get msg 0x5701 666)
f=$NS/msg.$id
as_evil truncate -s 10 "$f"
expect "R7: the truncated queue is reported" EUCLEAN "$(op find msg 0x5701)"
expect "R7: the attacker may not remove it" EPERM "$(evil rmid msg "$id")"
expect "R7: its owner removes it" 0 "$(op rmid msg "$id")"
case $(op get msg 0x5701 600 excl) in
[0-9]*) ok "R7: its key is free again" ;;
*) not_ok "R7: the key stayed taken" ;;
esac

# R8: no access, no effect: read, write or truncate a 0600 object.
fresh
id=$(op get msg 0x5801 600)
op send "$id" private >/dev/null
expect "R8: receive without access" EACCES "$(evil recv "$id")"
as_evil cat "$NS/msg.$id" >/dev/null 2>&1 && not_ok "R8: the file is readable" ||
	ok "R8: the file is not readable"
as_evil truncate -s 0 "$NS/msg.$id" 2>/dev/null && not_ok "R8: truncated" ||
	ok "R8: the file cannot be truncated"
expect "R8: the message is intact" private "$(op recv "$id")"
finish
