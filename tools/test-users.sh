#!/bin/sh
# SPDX-License-Identifier: MIT
# test-users.sh - uipcs --users / --stale and uipcrm --stale on uipc.
#
# Objects are made by uipcmk (so their creator is dead at once).  Holder
# H (uhold) takes a SEM_UNDO adjustment on set S, attaches segment M and
# blocks in msgrcv on queue Q; holder L attaches segment LM and blocks on
# queue LQ and lives to the end; set X never had another user.  Checks:
# --users shows H alive in each role; after kill -9 H shows dead only;
# --stale lists exactly S, M, Q and X; uipcrm --stale removes exactly
# those, never LM or LQ, and refuses LM by id.  No fixed sleeps: each
# change is polled for, with a generous deadline that only prevents hangs.
. "$(dirname "$0")/tcommon.sh"

for f in uipcs uipcrm uipcmk uhold; do
	[ -x "$B/tools/$f" ] || skip "$B/tools/$f not built"
done
UIPCS=$B/tools/uipcs
UIPCRM=$B/tools/uipcrm
UIPCMK=$B/tools/uipcmk
hpid=''
lpid=''

cleanup() { end_test $hpid $lpid; }
trap cleanup EXIT


# mk OPTION...: create with uipcmk, print the id.
mk() { "$UIPCMK" "$@" | sed -n 's/.* id: //p'; }

S=$(mk -S 2)
M=$(mk -M 4096)
Q=$(mk -Q)
X=$(mk -S 1)
LM=$(mk -M 8192)
LQ=$(mk -Q)
if [ -z "$S" ] || [ -z "$M" ] || [ -z "$Q" ] || [ -z "$X" ] ||
   [ -z "$LM" ] || [ -z "$LQ" ]; then
	not_ok "uipcmk created the objects"
	finish
fi
ok "uipcmk created the objects"

"$B/tools/uhold" "$S" "$M" "$Q" & hpid=$!
"$B/tools/uhold" - "$LM" "$LQ" & lpid=$!

# users TYPE: "id pid role count state" rows of uipcs --users
users() { "$UIPCS" --users "$1" | awk 'NR > 3 && NF == 6 { print $1, $3, $4, $5, $6 }'; }
# has TYPE ID PID ROLE STATE
has() { users "$1" | grep -q "^$2 $3 $4 [0-9]* $5\$"; }
held() {
	has -s "$S" "$hpid" undo alive && has -m "$M" "$hpid" attach alive &&
	has -q "$Q" "$hpid" wait alive && has -m "$LM" "$lpid" attach alive &&
	has -q "$LQ" "$lpid" wait alive
}
if poll 60 held; then
	ok "--users: the holders' undo, attach and wait are alive"
else
	not_ok "--users: the holders' undo, attach and wait are alive"
	"$UIPCS" --users | sed 's/^/#   /'
fi

# the creator (uipcmk) is recorded, and dead
if has -s "$X" '[0-9]*' creator dead && [ "$(users -s | grep -c "^$X ")" -eq 1 ]; then
	ok "--users: set X has one user, its dead creator"
else
	not_ok "--users: set X has one user, its dead creator"
fi

# one object, JSON: numbers are numbers, keys lower case
if command -v jq >/dev/null 2>&1; then
	if "$UIPCS" --users -J -m -i "$M" > "$T/j" &&
	   jq -e --argjson id "$M" --argjson pid "$hpid" '
		(.shmusers | length) >= 2 and
		all(.shmusers[]; .shmid == $id and (.key | test("^0x[0-9a-f]{8}$"))
		    and (.pid | type) == "number" and (.count | type) == "number") and
		any(.shmusers[]; .pid == $pid and .role == "attach" and
		    .count == 1 and .state == "alive")' "$T/j" >/dev/null; then
		ok "--users -J -m -i: the attachment, in JSON"
	else
		not_ok "--users -J -m -i: the attachment, in JSON"
		sed 's/^/#   /' "$T/j"
	fi
fi

# stale TYPE...: "type id" rows of uipcs --stale, sorted
stale() { "$UIPCS" --stale "$@" | awk 'NR > 3 && NF >= 5 { print $1, $2 }' | sort; }
printf 'sem %s\n' "$X" > "$T/want"
stale > "$T/got"
check "--stale with live holders: only X" "$T/want" "$T/got"

# a live user's object is never removed, not even by id
if "$UIPCRM" --stale -m "$LM" > "$T/out" 2>&1; then
	not_ok "uipcrm --stale -m: refuses a segment in use"
elif grep -q 'in use by a live process' "$T/out" && "$UIPCS" -m -i "$LM" >/dev/null 2>&1 &&
     [ -n "$("$UIPCS" -m | awk -v id="$LM" '$2 == id')" ]; then
	ok "uipcrm --stale -m: refuses a segment in use"
else
	not_ok "uipcrm --stale -m: refuses a segment in use"
	sed 's/^/#   /' "$T/out"
fi

kill -9 "$hpid"
wait "$hpid" 2>/dev/null
# H's records: none alive, and dead ones remain where the kernel could
# not tell (the blocked receive; the last operator of S and M)
dead() {
	! "$UIPCS" --users | awk -v p="$hpid" '$3 == p && $6 == "alive"' | grep -q . &&
	has -q "$Q" "$hpid" wait dead && has -s "$S" "$hpid" last dead &&
	has -m "$M" "$hpid" last dead
}
if poll 60 dead; then
	ok "--users after kill -9: the holder shows dead"
else
	not_ok "--users after kill -9: the holder shows dead"
	"$UIPCS" --users | sed 's/^/#   /'
fi
if has -m "$LM" "$lpid" attach alive && has -q "$LQ" "$lpid" wait alive; then
	ok "--users after kill -9: the other holder is still alive"
else
	not_ok "--users after kill -9: the other holder is still alive"
fi

printf 'msg %s\nsem %s\nsem %s\nshm %s\n' "$Q" "$S" "$X" "$M" | sort > "$T/want"
stale > "$T/got"
check "--stale: S, M, Q and X" "$T/want" "$T/got"
printf 'sem %s\nsem %s\n' "$S" "$X" | sort > "$T/want"
stale -s > "$T/got"
check "--stale -s: the sets only" "$T/want" "$T/got"
if command -v jq >/dev/null 2>&1; then
	if "$UIPCS" --stale -J > "$T/j" &&
	   jq -e '(.stale | length) == 4 and
		  all(.stale[]; (.id | type) == "number" and (.users | type) == "number"
		      and (.why | startswith("all users dead")))' "$T/j" >/dev/null; then
		ok "--stale -J"
	else
		not_ok "--stale -J"
		sed 's/^/#   /' "$T/j"
	fi
fi

# uipcrm --stale: removes exactly those, and says so
"$UIPCRM" --stale > "$T/out" 2>&1
rc=$?
sed -n 's/^removed stale \(shared memory segment\|semaphore\|message queue\) id \([0-9]*\) .*/\1 \2/p' "$T/out" |
	sed -e 's/^shared memory segment/shm/' -e 's/^semaphore/sem/' -e 's/^message queue/msg/' |
	sort > "$T/got"
printf 'msg %s\nsem %s\nsem %s\nshm %s\n' "$Q" "$S" "$X" "$M" | sort > "$T/want"
if [ $rc -eq 0 ] && [ "$(wc -l < "$T/out")" -eq 4 ]; then
	check "uipcrm --stale: removes and reports S, M, Q, X" "$T/want" "$T/got"
else
	not_ok "uipcrm --stale: removes and reports S, M, Q, X (rc $rc)"
	sed 's/^/#   /' "$T/out"
fi
# what remains: LM and LQ, nothing else
{
	"$UIPCS" -q | awk 'NR > 3 && NF >= 6 { print "msg", $2 }'
	"$UIPCS" -m | awk 'NR > 3 && NF >= 6 { print "shm", $2 }'
	"$UIPCS" -s | awk 'NR > 3 && NF >= 5 { print "sem", $2 }'
} | sort > "$T/got"
printf 'msg %s\nshm %s\n' "$LQ" "$LM" | sort > "$T/want"
check "uipcrm --stale: the live holder's objects survive" "$T/want" "$T/got"
stale > "$T/got"
: > "$T/want"
check "--stale afterwards: nothing" "$T/want" "$T/got"
if "$UIPCRM" --stale > "$T/out" 2>&1 && [ ! -s "$T/out" ]; then
	ok "uipcrm --stale again: nothing to do, nothing said"
else
	not_ok "uipcrm --stale again: nothing to do, nothing said"
fi

# the kernel build has no records: it must say so, not pretend
K=$B/tools/kernel
if [ -x "$K/uipcs" ] && [ -x "$K/uipcrm" ]; then
	if ! "$K/uipcs" --users > /dev/null 2>"$T/e1" && grep -q 'not supported' "$T/e1" &&
	   ! "$K/uipcrm" --stale > /dev/null 2>"$T/e2" && grep -q 'not supported' "$T/e2"; then
		ok "kernel build: --users and --stale not supported"
	else
		not_ok "kernel build: --users and --stale not supported"
	fi
fi

# clean up: the last holder, its objects, and check nothing is left
kill -9 "$lpid"
wait "$lpid" 2>/dev/null
lpid=
"$UIPCRM" --stale >/dev/null 2>&1
if [ -z "$(ns_objects)" ]; then
	ok "cleanup: uipcrm --stale removed the last holder's objects"
else
	not_ok "cleanup: uipcrm --stale removed the last holder's objects"
	ns_objects | sed 's/^/#   /'
fi
finish
