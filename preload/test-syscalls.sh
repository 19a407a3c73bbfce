#!/bin/sh
# SPDX-License-Identifier: MIT
# test-syscalls.sh - uipc-run --syscalls: raw System V system calls
# (syscall(2), no libc wrapper) are trapped by the shim's seccomp filter
# and answered by uipc, exactly as the kernel answers them, and none
# reaches the kernel.  Also what the filter costs and where it ends.
. "$(dirname "$0")/../tools/tcommon.sh"

P=$B/preload/progs/rawcalls
R=$B/preload/uipc-run
U=$B/tools/uipcs
[ -x "$P" ] && [ -x "$R" ] && [ -x "$U" ] && [ -x "$B/preload/progs/noseccomp" ] ||
	skip "rawcalls/noseccomp/uipc-run/uipcs not built"
can_ns || skip "cannot create IPC namespaces"
sanitized && skip "sanitizer build: the shim cannot be preloaded"
[ "$(uname -m)" = x86_64 ] || skip "the trap is for x86_64 only"

# never_in_kernel: in this IPC namespace the kernel holds no object and
# never held one: the first id it hands out of each type is 0 only then
never_in_kernel='{ ipcs -a | grep "^0x" | sed "s/^/kernel holds: /"
	ipcmk -Q && ipcmk -S 1 && ipcmk -M 4096; }'
printf '%s\n' "Message queue id: 0" "Semaphore id: 0" "Shared memory id: 0" \
	> "$T/fresh"

for what in calls signals threads; do
	kns sh -c '"$@"; echo "rc=$?"' sh "$P" 77f0 $what > "$T/$what.k" 2>&1
	uns sh -c '"$@"; echo "rc=$?"; '"$never_in_kernel"' > "'"$T/$what.kobj"'" 2>&1' \
		sh "$R" --syscalls "$P" 77f0 $what > "$T/$what.u" 2>&1
	check "raw calls ($what): the same on the kernel and under uipc-run --syscalls" \
		"$T/$what.k" "$T/$what.u"
	check "raw calls ($what): no object ever reached the kernel" \
		"$T/fresh" "$T/$what.kobj"
done
grep -q "^own SIGSYS handler ran: yes" "$T/signals.u" &&
	grep -q "^semop -1 interrupted by SIGALRM: -1 Interrupted system call" "$T/signals.u" &&
	ok "the program's SIGSYS handler runs; a handler's raw call interrupts a raw semop" ||
	not_ok "signals: $(cat "$T/signals.u")"

# objects left behind are uipc's: uipcs lists them, ipcs does not
uns sh -c '"$@" > /dev/null; echo "kernel: $(ipcs -a | grep -c "^0x")";
	echo "uipc: $("'"$U"'" -a | grep -c "^0x000077f1 ")"' \
	sh "$R" --syscalls "$P" 77f1 keep > "$T/keep" 2>&1
printf 'kernel: 0\nuipc: 3\n' > "$T/want"
check "objects made by raw calls are in uipcs, not in the kernel" "$T/want" "$T/keep"
"$B/tools/uipcrm" -a 2>/dev/null

# the filter: no_new_privs, one filter however many execs deep
uns "$R" --syscalls sh -c 'sh -c "grep \"^\\(NoNewPrivs\\|Seccomp\\|Seccomp_filters\\):\" /proc/self/status"' \
	> "$T/status" 2>&1
printf 'NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n' > "$T/want"
check "--syscalls: no_new_privs and one filter after two execs" "$T/want" "$T/status"
uns "$R" sh -c 'grep "^\(NoNewPrivs\|Seccomp\):" /proc/self/status' > "$T/status" 2>&1
printf 'NoNewPrivs:\t0\nSeccomp:\t0\n' > "$T/want"
check "without --syscalls: no filter, no no_new_privs" "$T/want" "$T/status"

# the filter outlives UIPC_SYSCALLS: a child whose environment lost it
# but kept the shim is still answered by uipc
uns sh -c '"$@" > /dev/null; echo "kernel: $(ipcs -a | grep -c "^0x")";
	echo "uipc: $("'"$U"'" -a | grep -c "^0x000077f2 ")"' \
	sh "$R" --syscalls env -u UIPC_SYSCALLS "$P" 77f2 keep > "$T/keep" 2>&1
printf 'kernel: 0\nuipc: 3\n' > "$T/want"
check "a child without UIPC_SYSCALLS but with the shim: still trapped, answered" \
	"$T/want" "$T/keep"
"$B/tools/uipcrm" -a 2>/dev/null

# ... and one that lost the shim dies at its first SysV call (documented),
# while one that makes none runs as usual
uns "$R" --syscalls env -u LD_PRELOAD "$P" 77f3 keep > "$T/o" 2>&1
rc=$?
[ $rc -eq $((128 + 31)) ] && ok "without the shim, a raw SysV call under the filter: SIGSYS" ||
	not_ok "without the shim under the filter: rc=$rc $(cat "$T/o")"
uns "$R" --syscalls env -u LD_PRELOAD sh -c 'echo fine' > "$T/o" 2>&1
[ "$(cat "$T/o")" = fine ] && ok "without the shim, other system calls pass the filter" ||
	not_ok "without the shim, other calls: $(cat "$T/o")"

# the i386 entry of a 64-bit process: ENOSYS, not the kernel's objects
kns sh -c '"$@"; echo "kernel: $(ipcs -q | grep -c "^0x")"' sh "$P" 77f5 i386 \
	> "$T/o" 2>&1
printf '%s\n' "ipc(MSGGET) through int 0x80: an id" \
	"msgget through int 0x80: an id" "kernel: 2" > "$T/want"
if cmp -s "$T/want" "$T/o"; then
	uns sh -c '"$@"; echo "kernel: $(ipcs -q | grep -c "^0x")"' \
		sh "$R" --syscalls "$P" 77f5 i386 > "$T/o" 2>&1
	printf '%s\n' "ipc(MSGGET) through int 0x80: ENOSYS" \
		"msgget through int 0x80: ENOSYS" "kernel: 0" > "$T/want"
	check "--syscalls: the i386 ipc() and msgget fail with ENOSYS" "$T/want" "$T/o"
else
	echo "# no i386 entry here (no IA-32 emulation): not checked"
fi

# where seccomp(2) is refused the program is not run (never silently on
# the kernel); without --syscalls another filter is left alone
N=$B/preload/progs/noseccomp
"$N" "$R" --syscalls "$P" 77f6 keep > "$T/o" 2>&1
rc=$?
[ $rc -eq 125 ] && grep -q "^uipc: UIPC_SYSCALLS: cannot install the seccomp filter: " "$T/o" &&
	ok "--syscalls where seccomp is refused: status 125 and a message" ||
	not_ok "--syscalls where seccomp is refused: rc=$rc $(cat "$T/o")"
out=$("$N" "$R" sh -c 'echo fine' 2>&1)
[ "$out" = fine ] && ok "under another filter, without --syscalls: runs as usual" ||
	not_ok "under another filter, without --syscalls: '$out'"

# without --syscalls raw calls still go to the kernel (the default)
uns sh -c '"$@" > /dev/null; echo "kernel: $(ipcs -a | grep -c "^0x")"' \
	sh "$R" "$P" 77f4 keep > "$T/o" 2>&1
[ "$(cat "$T/o")" = "kernel: 3" ] && ok "without --syscalls raw calls reach the kernel" ||
	not_ok "without --syscalls: $(cat "$T/o")"

left=$(ns_objects)
[ -z "$left" ] && ok "nothing left in UIPC_ROOT" || not_ok "left in UIPC_ROOT: $left"
finish
