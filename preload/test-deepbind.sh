#!/bin/sh
# SPDX-License-Identifier: MIT
# test-deepbind.sh - libraries opened with dlopen(RTLD_DEEPBIND) reach the
# shim (preload/deepbind.c): their msgget through the PLT, a data pointer
# and the GOT, bound at load time under RELRO or lazily, go to uipc; a
# msgget their own dependency defines stays theirs; and the shim's dlopen
# is invisible to other dlopen calls (a bare name is still found on the
# calling library's DT_RUNPATH).
. "$(dirname "$0")/../tools/tcommon.sh"

P=$B/preload/progs/dlcheck
D=$B/preload/progs/dl
R=$B/preload/uipc-run
U=$B/tools/uipcs
[ -x "$P" ] && [ -f "$D/libdeep-now.so" ] && [ -f "$D/sub/libplugin.so" ] ||
	skip "dlcheck and its libraries not built"
[ -x "$R" ] && [ -x "$U" ] || skip "uipc-run/uipcs not built"
can_ns || skip "cannot create IPC namespaces"
sanitized && skip "sanitizer build: the shim cannot be preloaded"
[ "$(uname -m)" = x86_64 ] || skip "dlopen is interposed on x86_64 only"

count='echo "kernel: $(ipcs -q | grep -c "^0x")"
	[ -z "$U" ] || echo "uipc: $("$U" -q | grep -c "^0x")"'
kns env U= sh -c '"$@"; '"$count" sh "$P" "$D" 6600 > "$T/k" 2>&1
uns env U="$U" sh -c '"$@"; '"$count" sh "$R" "$P" "$D" 6600 > "$T/u" 2>&1
"$B/tools/uipcrm" -a 2>/dev/null
grep -v '^kernel: \|^uipc: ' "$T/k" > "$T/k.out"
grep -v '^kernel: \|^uipc: ' "$T/u" > "$T/u.out"
check "dlopen'd libraries: the same results on the kernel and under uipc-run" \
	"$T/k.out" "$T/u.out"
cat > "$T/want" <<'WANT'
deep, bound now, RELRO: msgget: an id
deep, bound now, RELRO: msgget through a pointer: an id
deep, bound now, RELRO: msgget through the GOT: an id
deep, lazy: msgget: an id
deep, its dependency defines msgget: msgget: 4242
a bare name on the caller's run path: found
WANT
check "dlcheck's results" "$T/want" "$T/u.out"
[ "$(grep '^kernel: ' "$T/k")" = "kernel: 4" ] &&
	ok "on the kernel: the four queues are the kernel's" ||
	not_ok "on the kernel: $(grep '^kernel: ' "$T/k")"
printf 'kernel: 0\nuipc: 4\n' > "$T/want"
grep '^kernel: \|^uipc: ' "$T/u" > "$T/u.where"
check "under uipc-run: every RTLD_DEEPBIND library's queue is in uipc" \
	"$T/want" "$T/u.where"

left=$(ns_objects)
[ -z "$left" ] && ok "nothing left in UIPC_ROOT" || not_ok "left in UIPC_ROOT: $left"
finish
