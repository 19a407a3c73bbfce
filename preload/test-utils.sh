#!/bin/sh
# SPDX-License-Identifier: MIT
# test-utils.sh - util-linux's own ipcmk and ipcrm, unmodified, under
# uipc-run: ipcmk creates uipc objects (uipcs lists them, the kernel has
# none, UIPC_ROOT holds their files) and ipcrm, which enumerates with
# *_INFO/*_STAT through the shim, removes them again.
. "$(dirname "$0")/../tools/tcommon.sh"

R=$B/preload/uipc-run
U=$B/tools/uipcs
[ -x "$R" ] && [ -x "$U" ] || skip "uipc-run/uipcs not built"
command -v ipcmk >/dev/null && command -v ipcrm >/dev/null || skip "util-linux missing"
sanitized && skip "sanitizer build: util-linux is not instrumented"
can_ns || skip "cannot create IPC namespaces"

kns sh -c '
R=$1 U=$2
$R ipcmk -Q -M 4096 -S 2 -p 600 | sed "s/[0-9]*$/N/"
echo "kernel objects: $(ipcs | grep -c "^0x")"
echo "uipcs: $($U | grep -c "^0x")"
$U -m -b | awk "/^0x/ { print \"segment:\", \$4, \$5 }"
$U -s | awk "/^0x/ { print \"set:\", \$4, \$5 }"
ls "$UIPC_ROOT" | grep -E "^(msg|sem|shm)\.[0-9]+$" | sed "s/\.[0-9]*$//" | sort | tr "\n" " "; echo
key=$($U -q | awk "/^0x/ { print \$1 }")
$R ipcrm -Q "$key" && echo "ipcrm -Q by key: ok"
$R ipcrm -a && echo "ipcrm -a: ok"
echo "uipcs after: $($U | grep -c "^0x")"
echo "kernel objects: $(ipcs | grep -c "^0x")"' sh "$R" "$U" > "$T/out" 2>&1
cat > "$T/want" <<'W'
Shared memory id: N
Message queue id: N
Semaphore id: N
kernel objects: 0
uipcs: 3
segment: 600 4096
set: 600 2
msg sem shm 
ipcrm -Q by key: ok
ipcrm -a: ok
uipcs after: 0
kernel objects: 0
W
check "util-linux ipcmk/ipcrm under uipc-run work on uipc" "$T/want" "$T/out"
left=$(ns_objects)
[ -z "$left" ] && ok "nothing left in UIPC_ROOT" || not_ok "left in UIPC_ROOT: $left"
finish
