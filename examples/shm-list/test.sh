#!/bin/bash
# shm-list: a list built by one process and walked by others at other
# addresses; list_free and reuse of freed nodes; concurrent appenders;
# a corrupt segment is refused, not followed.
. "$(dirname "$0")/../common/harness.sh"

K=0x7569b004
L() { "$BIN/shmlist" -k $K "$@"; }
LIST=		# set in scenario: the command as words, for check and bgrun
walk_is() {	# walk_is "V V V": both attachments show exactly these values
	L walk > walk.out 2>&1 || return 1
	[ "$(grep -c "visit list: $1\$" walk.out)" = 2 ] && grep -q "same list at" walk.out
}

scenario() {
	LIST="$BIN/shmlist -k $K"
	check_fails "walk without a list says so" "no list" $LIST walk
	check "build a list of 13 17 42 (room for 5)" $LIST build 5 13 17 42
	walk_is "13 17 42" && ok "another process walks it, through two attachments" ||
		{ notok "walk 13 17 42"; sed 's/^/#   /' walk.out; }
	a1=$(grep -o 'first attachment 0x[0-9a-f]*' walk.out | awk '{print $3}')
	a2=$(grep -o 'second attachment 0x[0-9a-f]*' walk.out | awk '{print $3}')
	[ -n "$a1" ] && [ "$a1" != "$a2" ] && ok "at two different addresses ($a1, $a2)" ||
		notok "two different addresses"
	check_fails "the list refuses a sixth node" "full" $LIST push 1 2 3
	walk_is "13 17 42 1 2" && ok "the two that fit were appended" || notok "walk after push"
	L del 17 42 > del.out 2>&1
	check_fails "deleting a value not there fails" "not in the list" $LIST del 99
	walk_is "13 1 2" && ok "list_free: 17 and 42 unlinked" || notok "walk after del"
	off42=$(sed -n 's/freed 42 at offset \(0x[0-9a-f]*\)/\1/p' del.out)
	L push 7 8 > push.out 2>&1
	grep -q "appended 7 at offset $off42 " push.out &&
		ok "freed nodes are reused (7 went where 42 was)" || notok "freed nodes reused"
	check_says "no node lost" "capacity 5, in the list 5, on the free list 0, never used 0" $LIST info
	check "destroy" $LIST destroy

	# Four processes append 100 values each at once.
	L create 400 > /dev/null
	pids=
	for i in 1 2 3 4; do
		bgrun p $LIST push $(seq $((i * 1000 + 1)) $((i * 1000 + 100)))
		pids="$pids $p"
	done > /dev/null
	bad=0
	for p in $pids; do wait_bg "$p"; [ "$RC" = 0 ] || bad=1; done
	L walk > walk.out
	line=$(grep "first attachment" walk.out | sed 's/.*visit list://')
	good=1
	for i in 1 2 3 4; do
		got=$(echo $line | tr ' ' '\n' | awk -v i=$i 'int($1 / 1000) == i' | tr '\n' ' ')
		want=$(seq $((i * 1000 + 1)) $((i * 1000 + 100)) | tr '\n' ' ')
		[ "$got" = "$want" ] || good=0
	done
	[ $bad = 0 ] && [ $good = 1 ] && grep -q "^400 node(s)" walk.out &&
		ok "4 concurrent appenders: 400 nodes, each one's in order" ||
		notok "4 concurrent appenders"
	check "destroy" $LIST destroy

	# A segment that does not hold a list (scribbled over) is refused.
	L build 3 1 2 3 > /dev/null
	shmid=$("$BIN/ex-probe" key m $K)
	"$BIN/stdin2shm" "$shmid" < /dev/null 2> /dev/null	# another header over it
	check_fails "a scribbled segment is refused" "does not hold a list" $LIST walk
	check "destroy" $LIST destroy
}
tl_main "$@"
