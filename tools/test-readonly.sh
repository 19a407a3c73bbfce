#!/bin/sh
# SPDX-License-Identifier: MIT
# test-readonly.sh - uipcs only observes: no lock, no repair, no creation.
#
# (a) A namespace that repairs would change: a queue with messages; a set
#     whose SEM_UNDO holder was killed (value 5, +1 by the holder, so the
#     file says 6 and the repaired value is 5); a segment whose attacher
#     was killed (nattch 1 in the file, 0 repaired); a removed (SHM_DEST)
#     segment whose attacher was killed (gone once repaired); a segment a
#     live process attaches.  Every uipcs listing leaves every file as it
#     was (content, size, mode, mtime), shows the repaired view, and the
#     ordinary library calls (uhold show), which do repair, then agree.
# (b) A process holding object locks forever (SIGSTOPped, in the middle
#     of an update it journalled), then killed: uipcs finishes, changes
#     nothing, and shows the state the rollback gives.
# (c) UIPC_ROOT missing: empty tables, nothing created.  UIPC_ROOT on a
#     read-only bind mount: lists as usual.
. "$(dirname "$0")/tcommon.sh"

for f in uipcs uipcrm ipcscen uhold; do
	[ -x "$B/tools/$f" ] || skip "$B/tools/$f not built"
done
command -v timeout >/dev/null 2>&1 || skip "timeout(1) missing"
command -v sha256sum >/dev/null 2>&1 || skip "sha256sum missing"
UIPCS=$B/tools/uipcs
TMO=${UIPC_TEST_TIMEOUT:-20}	# only prevents hangs
UIPCRM=$B/tools/uipcrm
UHOLD=$B/tools/uhold
kids=''

cleanup() { end_test $kids; }
trap cleanup EXIT


# snap DIR: every file's name, size, mode, mtime, owner, and content hash.
snap() {
	(cd "$1" && find . -printf '%p %s %m %T@ %U %G\n' | sort &&
	 find . -type f | sort | xargs -r sha256sum)
}

# obj N: the id of scenario object N (ipcscen print: "N ID")
obj() { awk -v n="$1" '$1 == n { print $2 }' "$T/ids"; }

# Every listing uipcs has, with the ids of the objects given.
# listings MSQ SEMID SHMID...
listings() {
	_q=$1 _s=$2
	shift 2
	printf '%s\n' '' -a -q -s -m -t -p -c -u -l -b --human '-u -b' \
		-J '-J -t' '-J -p' '-J -c' '-J -u' '-J -l' \
		--users --stale '--users -J' '--stale -J' \
		"-q -i $_q" "-s -i $_s" "-J -q -i $_q" "-J -s -i $_s" \
		"--users -s -i $_s" "--stale -q -i $_q"
	for _m; do
		printf '%s\n' "-m -i $_m" "-J -m -i $_m" "--users -m -i $_m"
	done
}

# run_all NAME LISTINGS-FILE: every listing under timeout 20; ok if none
# hung or failed.  Outputs go to $T/run.out.
run_all() {
	_bad=''
	while IFS= read -r opts; do
		echo "=== $opts"
		# shellcheck disable=SC2086
		timeout "$TMO" "$UIPCS" $opts
		_rc=$?
		[ $_rc -eq 0 ] || _bad="$_bad [$opts: rc $_rc]"
	done < "$2" > "$T/run.out" 2>&1
	if [ -z "$_bad" ]; then
		ok "$1: every listing finishes"
	else
		not_ok "$1: every listing finishes:$_bad"
	fi
}

# ---- (a) repairs pending ----

"$B/tools/ipcscen" msg 0x5100 600 snd 0 1 100 snd 0 2 50 \
	sem 0x5200 2 600 setval 1 0 5 \
	shm 0x5300 4096 600 shm 0x5400 8192 600 shm 0x5500 4096 600 \
	print keep > "$T/ids" || { not_ok "scenario built"; finish; }
Q=$(obj 0) S=$(obj 1) MK=$(obj 2) MD=$(obj 3) ML=$(obj 4)

"$UHOLD" "$S" "$MK" - & hk=$!
"$UHOLD" - "$MD" - & hd=$!
"$UHOLD" - "$ML" - & hl=$!
kids="$hk $hd $hl"
# nattch SHMID: the nattch uipcs shows
nattch() { "$UIPCS" -m | awk -v id="$1" '$2 == id { print $6 }'; }
# semval SEMID NUM: the value uipcs -s -i shows
semval() {
	"$UIPCS" -s -i "$1" | awk -v n="$2" 'f && $1 == n { print $2 } /^semnum/ { f = 1 }'
}
ready() {
	[ "$(nattch "$MK")" = 1 ] && [ "$(nattch "$MD")" = 1 ] &&
	[ "$(nattch "$ML")" = 1 ] && [ "$(semval "$S" 0)" = 6 ]
}
if poll 60 ready; then
	ok "holders attached and adjusted"
else
	not_ok "holders attached and adjusted"
	finish
fi
"$UIPCRM" -m "$MD" || not_ok "uipcrm -m (SHM_DEST while attached)"
kill -9 "$hk" "$hd"
wait "$hk" 2>/dev/null
wait "$hd" 2>/dev/null
kids=$hl

# the files still hold the dead holder's records (--users reads them raw)
users() { "$UIPCS" --users | awk 'NR > 1 && NF == 6 { print $1, $3, $4, $6 }'; }
if users | grep -q "^$S $hk undo dead\$" && users | grep -q "^$MK $hk attach dead\$"; then
	ok "--users: the killed holder's undo and attachment, dead"
else
	not_ok "--users: the killed holder's undo and attachment, dead"
	"$UIPCS" --users | sed 's/^/#   /'
fi

listings "$Q" "$S" "$MK" "$MD" "$ML" > "$T/list-a"
snap "$UIPC_ROOT" > "$T/before"
run_all "repairs pending" "$T/list-a"
snap "$UIPC_ROOT" > "$T/after"
check "repairs pending: every uipcs listing leaves every file as it was" "$T/before" "$T/after"

# the repaired view
"$UIPCS" -m | awk 'NR > 3 && NF >= 6 { print $2, $6 }' > "$T/got"
printf '%s 0\n%s 1\n' "$MK" "$ML" > "$T/want"
check "-m: a dead attacher not counted, the orphaned SHM_DEST segment not listed" "$T/want" "$T/got"
if [ "$(semval "$S" 0)" = 5 ] && [ "$(semval "$S" 1)" = 0 ]; then
	ok "-s -i: the value includes the dead holder's undo"
else
	not_ok "-s -i: the value includes the dead holder's undo ($(semval "$S" 0))"
fi
"$UIPCS" -q | awk 'NR > 3 && NF >= 6 { print $2, $5, $6 }' > "$T/got"
printf '%s 150 2\n' "$Q" > "$T/want"
check "-q: the queue's messages" "$T/want" "$T/got"
"$UIPCS" > "$T/view-before"
"$UIPCS" -s -i "$S" | norm_times > "$T/viewsem-before"
if "$UIPCS" -m -i "$MD" 2>&1 | grep -q "id $MD not found"; then
	ok "-m -i: the orphaned SHM_DEST segment is not found"
else
	not_ok "-m -i: the orphaned SHM_DEST segment is not found"
fi

# the ordinary library calls repair, and agree with what uipcs showed
{
	"$UHOLD" show sem "$S"
	"$UHOLD" show shm "$MK"
	"$UHOLD" show shm "$MD"
	"$UHOLD" show shm "$ML"
	"$UHOLD" show msg "$Q"
} > "$T/got" 2>&1
printf '5 0\n0\ngone\n1\n2 150\n' > "$T/want"
check "the library's repair agrees with uipcs's view" "$T/want" "$T/got"
snap "$UIPC_ROOT" > "$T/repaired"
if cmp -s "$T/before" "$T/repaired"; then
	not_ok "the library's repair changed the files (so there was one to do)"
else
	ok "the library's repair changed the files (so there was one to do)"
fi
"$UIPCS" > "$T/view-after"
"$UIPCS" -s -i "$S" | norm_times > "$T/viewsem-after"
check "uipcs after the repair: the same listing" "$T/view-before" "$T/view-after"
check "uipcs -s -i after the repair: the same values" "$T/viewsem-before" "$T/viewsem-after"

# ---- (b) locks held forever ----

"$B/tools/ipcscen" msg 0x6100 600 snd 0 1 10 sem 0x6200 1 600 setval 1 0 3 \
	shm 0x6300 4096 600 print keep > "$T/ids" || { not_ok "scenario 2 built"; finish; }
Q2=$(obj 0) S2=$(obj 1) M2=$(obj 2)
"$UHOLD" lock -v 77 "$UIPC_ROOT/msg.$Q2" "$UIPC_ROOT/sem.$S2" \
	"$UIPC_ROOT/shm.$M2" > "$T/lockout" & hx=$!
kids="$hl $hx"
if poll 60 grep -q locked "$T/lockout"; then
	ok "a holder took the locks, mid-update"
else
	not_ok "a holder took the locks, mid-update"
	finish
fi
kill -STOP "$hx"
listings "$Q2" "$S2" "$M2" > "$T/list-b"
snap "$UIPC_ROOT" > "$T/before"
run_all "stopped lock holder" "$T/list-b"
snap "$UIPC_ROOT" > "$T/after"
check "stopped lock holder: no file changed" "$T/before" "$T/after"
v=$(timeout "$TMO" "$UIPCS" -s -i "$S2" | awk 'f && $1 == 0 { print $2 } /^semnum/ { f = 1 }')
if [ "$v" = 3 ]; then
	ok "stopped lock holder: the value before its unfinished update"
else
	not_ok "stopped lock holder: the value before its unfinished update ($v)"
fi

kill -9 "$hx"
wait "$hx" 2>/dev/null
kids=$hl
snap "$UIPC_ROOT" > "$T/before"
run_all "dead lock holder" "$T/list-b"
snap "$UIPC_ROOT" > "$T/after"
check "dead lock holder: no file changed (no takeover, no rollback)" "$T/before" "$T/after"
v=$(timeout "$TMO" "$UIPCS" -s -i "$S2" | awk 'f && $1 == 0 { print $2 } /^semnum/ { f = 1 }')
w=$(timeout "$TMO" "$UHOLD" show sem "$S2")
snap "$UIPC_ROOT" > "$T/repaired"
if [ "$v" = 3 ] && [ "$w" = 3 ] && ! cmp -s "$T/before" "$T/repaired"; then
	ok "dead lock holder: the library's takeover rolls back to what uipcs showed"
else
	not_ok "dead lock holder: the library's takeover rolls back to what uipcs showed (uipcs $v, library $w)"
fi

# ---- (c) a namespace that is not there, or not writable ----

printf '%s\n' '' -J -u -l --users --stale > "$T/list-c"
root=$UIPC_ROOT
UIPC_ROOT=$T/missing
run_all "missing UIPC_ROOT" "$T/list-c"
UIPC_ROOT=$root
if grep -q 'Message Queues' "$T/run.out" && ! grep -q '^0x' "$T/run.out" &&
   [ ! -e "$T/missing" ]; then
	ok "missing UIPC_ROOT: empty tables, nothing created"
else
	not_ok "missing UIPC_ROOT: empty tables, nothing created"
	sed 's/^/#   /' "$T/run.out" | head -20
fi
"$UIPCS" > "$T/want" 2>&1
mkdir "$T/ro"
if is_root && unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" &&
		touch "$2/x" 2>/dev/null && exit 3
		UIPC_ROOT=$2 timeout "$4" "$3"' sh "$UIPC_ROOT" "$T/ro" "$UIPCS" "$TMO" > "$T/got" 2>&1
	check "read-only bind mount: lists as usual" "$T/want" "$T/got"
else
	echo "# read-only bind mount: skipped (needs root and unshare -m)"
fi

kill -9 "$hl"
wait "$hl" 2>/dev/null
kids=''
"$UIPCRM" -a 2>/dev/null
if [ -z "$(ns_objects)" ]; then
	ok "cleanup: nothing left"
else
	not_ok "cleanup: nothing left"
	ns_objects | sed 's/^/#   /'
fi
finish
