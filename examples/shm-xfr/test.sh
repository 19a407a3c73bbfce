#!/bin/bash
# shm-xfr: stdin -> shared memory -> stdout with xfr-writer/xfr-reader (a
# large transfer checksummed, either start order, peers that die or are
# interrupted), and the unsynchronised stdin2shm/shm2stdout pair driven by
# uipcmk/uipcrm (ipcmk/ipcrm for the kernel build).
. "$(dirname "$0")/../common/harness.sh"

K=0x7569b003
MB=${EX_XFR_MB:-1024}		# the big transfer, in MiB
has_line() { grep -q "$2" "$1"; }
key_gone() { ! "$BIN/ex-probe" key s $K && ! "$BIN/ex-probe" key m $K; }
size_ge() { [ "$(stat -c %s "$1" 2> /dev/null || echo 0)" -ge "$2" ]; }

# A writer fed "abc" and then nothing (until we kill the feeder).
# (Through a fifo, so that the writer and its feeder are separate jobs.)
stalled_writer() {
	rm -f feed && mkfifo feed
	( printf abc; exec sleep 600 ) > feed &
	feeder=$!
	"$BIN/xfr-writer" -k $K < feed 2> w.err &
	wpid=$!
	tl_bg="$tl_bg $feeder $wpid"
}

scenario() {
	# The big one: md5 of what goes in against md5 of what comes out.
	mkfifo in.fifo
	md5sum < in.fifo > in.md5 &
	m=$!
	head -c $((MB << 20)) /dev/urandom | tee in.fifo | "$BIN/xfr-writer" -k $K 2> w.err &
	w=$!
	timeout -k 5 500 "$BIN/xfr-reader" -k $K 2> r.err | md5sum > out.md5
	wait $w; wrc=$?
	wait $m
	if [ $wrc = 0 ] && [ "$(cut -d' ' -f1 in.md5)" = "$(cut -d' ' -f1 out.md5)" ] &&
		grep -q "sent $((MB << 20)) bytes" w.err && grep -q "received $((MB << 20)) bytes" r.err; then
		ok "$MB MiB through shared memory, md5 identical"
	else
		notok "$MB MiB through shared memory (writer exit $wrc)"
		cat w.err r.err in.md5 out.md5 | sed 's/^/#   /'
	fi
	key_gone && ok "the writer removed both objects" || notok "objects removed after transfer"

	# The reader may start first; it waits for the writer.
	head -c 300000 /dev/urandom > small
	bgrun r "$BIN/xfr-reader" -k $K > small.out 2> r2.err
	sleep 0.3	# (not needed for correctness: either order must work)
	check "writer started after the reader" "$BIN/xfr-writer" -k $K -b 4096 < small
	wait_bg "$r"
	[ "$RC" = 0 ] && cmp -s small small.out && ok "reader first: same bytes" ||
		notok "reader first (exit $RC)"
	check_says "an empty input is a transfer of 0 bytes" "sent 0 bytes" \
		sh -c "\"$BIN/xfr-writer\" -k $K < /dev/null & \"$BIN/xfr-reader\" -k $K > /dev/null; wait \$!"

	# One writer and one reader per key.
	stalled_writer
	bgrun r "$BIN/xfr-reader" -k $K > r3.out 2> r3.err
	wait_for 30 size_ge r3.out 3 || notok "the reader got the first bytes"
	check_fails "a second writer is refused" "already running" "$BIN/xfr-writer" -k $K < small
	check_fails "a second reader is refused" "another reader" "$BIN/xfr-reader" -k $K
	# The reader dies: the writer notices (while waiting for input).
	stop_bg "$r" KILL
	wait_bg "$wpid"
	[ "$RC" = 1 ] && grep -q "reader died after 3 bytes" w.err &&
		ok "the writer notices the reader died" || notok "the writer notices the reader died ($RC)"
	stop_bg "$feeder"
	key_gone && ok "... and removes the objects" || notok "objects removed after the reader died"

	# The writer dies: the reader notices and cleans up.
	stalled_writer
	bgrun r "$BIN/xfr-reader" -k $K > r4.out 2> r4.err
	wait_for 30 size_ge r4.out 3
	stop_bg "$wpid" KILL
	wait_bg "$r"
	[ "$RC" = 1 ] && grep -q "writer died after 3 bytes" r4.err &&
		ok "the reader notices the writer died" || notok "the reader notices the writer died ($RC)"
	stop_bg "$feeder"
	key_gone && ok "... and removes the objects" || notok "objects removed after the writer died"

	# Ctrl-C on the writer aborts both sides.
	stalled_writer
	bgrun r "$BIN/xfr-reader" -k $K > r5.out 2> r5.err
	wait_for 30 size_ge r5.out 3
	stop_bg "$wpid" INT; wrc=$RC
	wait_bg "$r"
	[ "$wrc" = 130 ] && [ "$RC" = 1 ] && grep -q "writer aborted" r5.err &&
		ok "SIGINT on the writer aborts the transfer for both" ||
		notok "SIGINT on the writer ($wrc, reader $RC)"
	stop_bg "$feeder"
	key_gone && ok "... and removes the objects" || notok "objects removed after SIGINT"

	# A writer killed with no reader leaves its objects; the next writer
	# finds them abandoned (WRITER is 0 again), removes them and goes on.
	stalled_writer
	wait_for 30 "$BIN/ex-probe" key m $K
	stop_bg "$wpid" KILL
	stop_bg "$feeder"
	"$BIN/ex-probe" key s $K > /dev/null && ok "a SIGKILLed writer leaves its objects" ||
		notok "a SIGKILLed writer leaves its objects"
	bgrun r "$BIN/xfr-reader" -k $K -w 30 > small2.out 2> r6.err
	"$BIN/xfr-writer" -k $K < small 2> w6.err; wrc=$?
	wait_bg "$r"
	[ $wrc = 0 ] && [ "$RC" = 0 ] && grep -q "abandoned transfer" w6.err && cmp -s small small2.out &&
		ok "the next writer removes the abandoned objects and transfers" ||
		{ notok "next writer after a SIGKILLed one ($wrc, reader $RC)"; cat w6.err r6.err | sed 's/^/#   /'; }

	# stdin2shm / shm2stdout on a segment made by hand.
	if [ "$SIDE" = kernel ]; then
		MK="ipcmk" RM="ipcrm"
	else
		MK="$O/tools/uipcmk" RM="$O/tools/uipcrm"
	fi
	if ! [ -x "$(command -v "$MK")" ] || ! [ -x "$(command -v "$RM")" ]; then
		echo "ok $tl_name/$SIDE - stdin2shm/shm2stdout # skip: $MK not built"
		return
	fi
	id=$("$MK" -M 100000 | awk '{print $NF}')
	if [ -z "$id" ]; then notok "$MK -M made a segment"; return; fi
	head -c 50000 /dev/urandom > f1
	"$BIN/stdin2shm" "$id" < f1 2> s.err && "$BIN/shm2stdout" "$id" > f1.out 2>> s.err
	cmp -s f1 f1.out && ok "stdin2shm | shm2stdout: 50000 bytes back" ||
		{ notok "stdin2shm | shm2stdout"; sed 's/^/#   /' s.err; }
	head -c 200000 /dev/urandom > f2
	check_fails "stdin2shm: input larger than the segment is reported" "truncated" \
		"$BIN/stdin2shm" "$id" < f2
	"$BIN/shm2stdout" "$id" > f2.out 2> /dev/null
	cap=$(stat -c %s f2.out)
	head -c "$cap" f2 | cmp -s - f2.out && [ "$cap" -gt 99000 ] && [ "$cap" -lt 100000 ] &&
		ok "shm2stdout: what fit ($cap bytes)" || notok "shm2stdout after truncation ($cap)"
	check "$RM -m removes the segment" "$RM" -m "$id"
	check_fails "shm2stdout on a removed segment fails" "EINVAL|EIDRM" "$BIN/shm2stdout" "$id"
}
tl_main "$@"
