#!/bin/sh
# SPDX-License-Identifier: MIT
# test-python.sh - Python's sysv_ipc module works under uipc-run, for
# messages, semaphores and shared memory, exactly as on the kernel, and
# its objects go to UIPC_ROOT, not the kernel.
. "$(dirname "$0")/../tools/tcommon.sh"

PY=/usr/bin/python3
R=$B/preload/uipc-run
[ -x "$R" ] || skip "uipc-run not built"
$PY -c 'import sysv_ipc' 2>/dev/null || skip "python3-sysv-ipc not installed"
sanitized && skip "sanitizer build: python is not instrumented"
can_ns || skip "cannot create IPC namespaces"

kns sh -c '"$@"; echo "rc=$?"; echo "kernel objects: $(ipcs | grep -c "^0x")"' \
	sh $PY "$top/preload/sysvipc.py" 5a5a02 > "$T/k" 2>&1
kns sh -c '"$@"; echo "rc=$?"; echo "kernel objects: $(ipcs | grep -c "^0x")"' \
	sh "$R" $PY "$top/preload/sysvipc.py" 5a5a02 > "$T/u" 2>&1
check "sysv_ipc: the same on the kernel and under uipc-run" "$T/k" "$T/u"
grep -q '^woken by child, value 0 last op by me: True$' "$T/u" &&
	ok "sysv_ipc: a blocked acquire is woken by another process" ||
	not_ok "sysv_ipc: blocked acquire"

# objects it leaves behind are uipc's: create, look from outside, remove
kns sh -c '"$1" '"$PY"' -c "import sysv_ipc; sysv_ipc.MessageQueue(0x5a5a03, sysv_ipc.IPC_CREX)"
	echo "kernel: $(ipcs -q | grep -c "^0x")"
	echo "uipc: $("$2" -q | grep -c "^0x005a5a03 ")"
	"$1" '"$PY"' -c "import sysv_ipc; sysv_ipc.MessageQueue(0x5a5a03).remove()"
	echo "uipc after remove: $("$2" -q | grep -c "^0x005a5a03 ")"' \
	sh "$R" "$B/tools/uipcs" > "$T/o" 2>&1
printf 'kernel: 0\nuipc: 1\nuipc after remove: 0\n' > "$T/want"
check "sysv_ipc: the queue lives in UIPC_ROOT, not in the kernel" "$T/want" "$T/o"
finish
