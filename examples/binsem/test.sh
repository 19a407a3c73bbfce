#!/bin/bash
# binsem: race-free binary semaphores and the semdemo command line.
. "$(dirname "$0")/../common/harness.sh"

semval() {	# semval ID NUM: the value column of semdemo show
	"$BIN/semdemo" show "$1" | awk -v n="$2" '$1 == n && NF == 5 { print $2 }'
}
semncnt() {
	"$BIN/semdemo" show "$1" | awk -v n="$2" '$1 == n && NF == 5 { print $3 }'
}
is_ncnt() { [ "$(semncnt "$1" "$2")" = "$3" ]; }

scenario() {
	check "otime method: 8 racing processes, one initialisation, mutual exclusion" \
		"$BIN/binsem-race" -m otime -p 8 -n 300
	check "zero-is-free method: 8 racing processes, mutual exclusion" \
		"$BIN/binsem-race" -m zero -p 8 -n 300

	id=$("$BIN/semdemo" create 2 0 5 2> /dev/null)
	if [ -z "$id" ]; then
		notok "semdemo create"; return
	fi
	[ "$(semval "$id" 0) $(semval "$id" 1)" = "0 5" ] &&
		ok "create sets the initial values" || notok "create sets the initial values"

	bgrun p1 "$BIN/semdemo" op "$id" 0-1 > op1.out
	if wait_for 20 is_ncnt "$id" 0 1; then ok "op 0-1 blocks on a zero semaphore"
	else notok "op 0-1 blocks on a zero semaphore"; fi
	check_fails "IPC_NOWAIT fails with EAGAIN" EAGAIN "$BIN/semdemo" op "$id" 0-1n
	check_fails "semtimedop times out with EAGAIN" EAGAIN "$BIN/semdemo" op -t 200 "$id" 0-1
	check "op 0+1 succeeds" "$BIN/semdemo" op "$id" 0+1
	wait_bg "$p1"; rc=$RC
	if [ "$rc" = 0 ] && grep -q "semop completed" op1.out; then ok "the blocked op woke up"
	else notok "the blocked op woke up (exit $rc)"; fi
	check "several ops in one semop are atomic" "$BIN/semdemo" op "$id" 1-2 0+3 1-3
	[ "$(semval "$id" 0) $(semval "$id" 1)" = "3 0" ] &&
		ok "values after the multi-op semop" || notok "values after the multi-op semop"

	# SEM_UNDO: a holder killed by SIGKILL gives its units back.
	bgrun p2 "$BIN/semdemo" op -H 600000 "$id" 0-2u > op2.out
	if wait_for 20 grep -q holding op2.out && [ "$(semval "$id" 0)" = 1 ]; then
		ok "op 0-2u took two units"
	else
		notok "op 0-2u took two units"
	fi
	stop_bg "$p2" KILL
	[ "$(semval "$id" 0)" = 3 ] && ok "SEM_UNDO gave them back after SIGKILL" ||
		notok "SEM_UNDO gave them back after SIGKILL (value $(semval "$id" 0))"

	# Wait-for-zero, then removal wakes every waiter with EIDRM.
	bgrun p3 "$BIN/semdemo" op "$id" 0=0 > op3.out
	bgrun p4 "$BIN/semdemo" op "$id" 1-1 > op4.out
	wait_for 20 is_ncnt "$id" 1 1
	check "rm removes the set" "$BIN/semdemo" rm "$id"
	wait_bg "$p3"; rc3=$RC; wait_bg "$p4"; rc4=$RC
	if [ "$rc3" = 1 ] && [ "$rc4" = 1 ] && grep -q EIDRM op3.out && grep -q EIDRM op4.out; then
		ok "both waiters failed with EIDRM"
	else
		notok "both waiters failed with EIDRM ($rc3/$rc4)"; cat op3.out op4.out | sed 's/^/#   /'
	fi
	check_fails "the id is gone" EINVAL "$BIN/semdemo" show "$id"

	# The two race-free ways to open a binary semaphore by key.
	for m in otime zero; do
		key=0x7569aa0$([ $m = otime ] && echo 1 || echo 2)
		bgrun a "$BIN/semdemo" lock $m $key 300 > lock-a.out
		bgrun b "$BIN/semdemo" lock $m $key 300 > lock-b.out
		wait_bg "$a"; ra=$RC; wait_bg "$b"; rb=$RC
		if [ "$ra" = 0 ] && [ "$rb" = 0 ]; then ok "lock $m: two processes at once"
		else notok "lock $m: two processes at once ($ra/$rb)"; fi
		sid=$("$BIN/ex-probe" key s $key)
		[ -n "$sid" ] && "$BIN/semdemo" rm "$sid" > /dev/null
	done
}
tl_main "$@"
