#!/bin/sh
# SPDX-License-Identifier: MIT
# test-progs.sh - unmodified SysV programs (built against libc only) run
# once on the kernel and once under uipc-run: the same output, and on the
# uipc side the objects live in UIPC_ROOT, never in the kernel (each run
# has its own IPC namespace, whose kernel objects we can count).
. "$(dirname "$0")/../tools/tcommon.sh"

P=$B/preload/progs
R=$B/preload/uipc-run
for f in statd statc shmxfr counter sysvcalls; do
	[ -x "$P/$f" ] || skip "$P/$f not built"
done
[ -x "$R" ] && [ -x "$B/tools/uipcs" ] || skip "uipc-run/uipcs not built"
can_ns || skip "cannot create IPC namespaces"
# a sanitizer runtime must come first in the initial library list, which
# a preloaded, instrumented shim never is
sanitized && skip "sanitizer build: the shim cannot be preloaded"

# both NAME SCRIPT: run the sh SCRIPT in a fresh namespace on the kernel
# (IPC="") and on uipc (IPC=uipc-run); outputs in $T/NAME.{k,u}.  $K is
# where the script may leave what it saw of the kernel's objects.
both() {
	printf '%s\n' "$2" > "$T/$1.sh"
	kns env RUN= P="$P" T="$T" K="$T/$1.kobj.k" sh "$T/$1.sh" > "$T/$1.k" 2>&1
	echo "rc=$?" >> "$T/$1.k"
	uns env RUN="$R" P="$P" T="$T" K="$T/$1.kobj.u" U="$B/tools/uipcs" \
		sh "$T/$1.sh" > "$T/$1.u" 2>&1
	echo "rc=$?" >> "$T/$1.u"
	check "$1: same output on the kernel and under uipc-run" "$T/$1.k" "$T/$1.u"
}

# kernel_empty FILE: the ipcs listing saved there shows no object
kernel_empty() {
	[ -f "$1" ] && ! grep -q '^0x' "$1"
}

# --- the stat server: request queue + private reply queues --------------
mkdir -p "$T/d"
head -c 1234 /dev/zero > "$T/d/f1"
both statd '
$RUN $P/statd 5a5a01 3 > $T/statd.out.$$ &
srv=$!
# while the server waits: where does its queue live?
if [ -n "$RUN" ]; then
	while kill -0 $srv 2>/dev/null && ! $U -q | grep -q "^0x005a5a01 "; do
		sleep 0.01
	done
	$U -q | grep -c "^0x005a5a01 " > "$K.uipcs"
	ipcs > "$K"
fi
$RUN $P/statc 5a5a01 $T/d/f1 $T/d
$RUN $P/statc 5a5a01 $T/d/missing
wait
cat $T/statd.out.$$
echo "kernel objects: $(ipcs | grep -c "^0x")"'
if [ "$(cat "$T/statd.kobj.u.uipcs" 2>/dev/null)" = 1 ] && kernel_empty "$T/statd.kobj.u"; then
	ok "statd under uipc-run: its queue is in uipcs, not in the kernel"
else
	not_ok "statd under uipc-run: queue in uipcs: $(cat "$T/statd.kobj.u.uipcs" 2>/dev/null)"
	sed 's/^/#   kernel: /' "$T/statd.kobj.u" 2>/dev/null
fi

# --- stdin -> shared memory -> stdout, two semaphores --------------------
head -c 300001 /dev/urandom > "$T/in"
both shmxfr '
$RUN $P/shmxfr 77aa < $T/in > $T/out.$$
cmp $T/in $T/out.$$ && echo "copy is identical"
echo "kernel objects: $(ipcs | grep -c "^0x")"'

# --- a counter under a binary semaphore, many processes ------------------
both counter '
$RUN $P/counter 77ab 8 500
echo "kernel objects: $(ipcs | grep -c "^0x")"'

# --- every call, every semctl form ----------------------------------------
both sysvcalls '
$RUN $P/sysvcalls 77ac
echo "kernel objects: $(ipcs | grep -c "^0x")"'

left=$(ns_objects)
[ -z "$left" ] && ok "nothing left in UIPC_ROOT" || not_ok "left in UIPC_ROOT: $left"
finish
