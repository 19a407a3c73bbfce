#!/bin/bash
# msg-server: msgsrv with msgstat/msgcat clients: concurrent clients, a
# client killed mid-transfer, a server killed and restarted, cleanup.
. "$(dirname "$0")/../common/harness.sh"

K=0x7569b002
ready() { grep -q "ready:" "$1"; }
gone() { ! "$BIN/ex-probe" q "$1"; }
has_line() { grep -q "$2" "$1"; }

scenario() {
	mkdir d d/sub
	echo hello > d/small
	for i in 1 2 3; do head -c $((1500000 + i * 77777)) /dev/urandom > d/big$i; done
	ln -s /etc/passwd d/escape

	check_fails "a client without a server says so" "no server" "$BIN/msgstat" -k $K small
	bgrun s "$BIN/msgsrv" -k $K -d d 2> srv.err
	if ! wait_for 30 ready srv.err; then notok "msgsrv starts"; cat srv.err; return; fi
	ok "msgsrv starts"
	check_fails "a second server refuses to start" "already running" "$BIN/msgsrv" -k $K -d d

	# stat: the size and the type come back.
	"$BIN/msgstat" -k $K -s small big1 big2 big3 > sizes 2> /dev/null
	stat -c %s d/small d/big1 d/big2 d/big3 > sizes.want
	cmp -s sizes sizes.want && ok "stat server: sizes of 4 files" || notok "stat server: sizes"
	check_says "stat server: a directory" "sub: size [0-9]+, directory" "$BIN/msgstat" -k $K sub
	check_fails "stat of a missing file: ENOENT" "ENOENT" "$BIN/msgstat" -k $K nothing
	check_fails "paths may not leave the served directory (..)" "EACCES" "$BIN/msgstat" -k $K ../x
	check_fails "paths may not leave the served directory (absolute)" "EACCES" \
		"$BIN/msgstat" -k $K /etc/passwd
	check_fails "paths may not leave the served directory (symlink)" "EACCES|ELOOP" \
		"$BIN/msgcat" -k $K escape
	check_fails "file server refuses a directory" "EISDIR" "$BIN/msgcat" -k $K sub

	# Three clients at once, each a different file, plus one client for all.
	pids=
	for i in 1 2 3; do bgrun p "$BIN/msgcat" -k $K big$i > out$i; pids="$pids $p"; done
	bgrun p "$BIN/msgcat" -k $K big3 small big1 > out4; pids="$pids $p"
	bad=0
	for p in $pids; do wait_bg "$p"; [ "$RC" = 0 ] || bad=1; done
	cat d/big3 d/small d/big1 > want4
	if [ $bad = 0 ] && cmp -s out1 d/big1 && cmp -s out2 d/big2 && cmp -s out3 d/big3 &&
		cmp -s out4 want4; then
		ok "file server: 4 concurrent clients, contents identical"
	else
		notok "file server: 4 concurrent clients"
	fi

	# A client killed by SIGKILL in the middle of a transfer (its stdout
	# is a pipe nobody reads, so it stalls): the server removes its queue.
	( sh -c 'echo $$ > client.pid; exec "$0" -v -k "$1" big1 2> client.err' \
		"$BIN/msgcat" $K | { echo $BASHPID > sink.pid; exec sleep 600; } ) &
	pipeline=$!
	if wait_for 30 has_line client.err "reply queue"; then
		q=$(sed -n 's/.*reply queue \([0-9]*\),.*/\1/p' client.err)
		kill -KILL "$(cat client.pid)"
		if wait_for 30 gone "$q"; then
			ok "the reply queue of a SIGKILLed client is removed by the server"
		else
			notok "the reply queue $q of a SIGKILLed client is removed"
		fi
		kill "$(cat sink.pid)"
	else
		notok "the stalled client started"
	fi
	wait_bg $pipeline
	# A client stopped by SIGINT mid-transfer removes its own queue.
	( sh -c 'echo $$ > client.pid; exec "$0" -v -k "$1" big2 2> client2.err' \
		"$BIN/msgcat" $K | { echo $BASHPID > sink.pid; exec sleep 600; } ) &
	pipeline=$!
	if wait_for 30 has_line client2.err "reply queue"; then
		q=$(sed -n 's/.*reply queue \([0-9]*\),.*/\1/p' client2.err)
		kill -INT "$(cat client.pid)"
		wait_for 30 gone "$q" && ! grep -q "removed reply queue $q" srv.err &&
			ok "a client interrupted by SIGINT removes its own queue" ||
			notok "a client interrupted by SIGINT removes its own queue"
		kill "$(cat sink.pid)"
	else
		notok "the second stalled client started"
	fi
	wait_bg $pipeline
	check "the server still answers" "$BIN/msgstat" -k $K big2

	# The server killed by SIGKILL: clients notice, a new server replaces it.
	stop_bg "$s" KILL
	check_fails "a client notices the server died" "died|went away" "$BIN/msgstat" -k $K small
	bgrun s "$BIN/msgsrv" -k $K -d d 2> srv2.err
	if wait_for 30 ready srv2.err && grep -q "dead server" srv2.err; then
		ok "a restarted server replaces the dead one's queue"
	else
		notok "a restarted server replaces the dead one's queue"; sed 's/^/#   /' srv2.err
	fi
	"$BIN/msgcat" -k $K big2 > out5 2> /dev/null
	cmp -s out5 d/big2 && ok "the restarted server serves files" || notok "restarted server serves"
	stop_bg "$s" TERM
	[ "$RC" = 0 ] && grep -q "request queue removed" srv2.err &&
		ok "SIGTERM: the server stops and removes its queue" ||
		notok "SIGTERM: the server stops (exit $RC)"
	check_fails "after it, clients find no server" "no server" "$BIN/msgstat" -k $K small
}
tl_main "$@"
