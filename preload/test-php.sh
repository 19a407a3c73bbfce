#!/bin/sh
# SPDX-License-Identifier: MIT
# test-php.sh - PHP's sysvmsg, sysvsem and sysvshm extensions under
# uipc-run.  PHP loads extensions with dlopen(RTLD_DEEPBIND), which binds
# their msgget ... shmctl to libc ahead of the preloaded shim; the shim's
# dlopen rebinds them (preload/deepbind.c).  Messages with types and
# serialization, semaphores with auto_release and a forked child,
# shared-memory variables: the same output as on the kernel, and every
# object in uipc (uipcs lists them, ipcs in the run's IPC namespace none).
. "$(dirname "$0")/../tools/tcommon.sh"

PHP=$(command -v php)
R=$B/preload/uipc-run
U=$B/tools/uipcs
[ -x "$R" ] && [ -x "$U" ] || skip "uipc-run/uipcs not built"
[ -n "$PHP" ] || skip "php not installed (Debian: php-cli)"
for ext in sysvmsg sysvsem sysvshm pcntl; do
	"$PHP" -m | grep -qx "$ext" || skip "php has no $ext extension"
done
sanitized && skip "sanitizer build: php is not instrumented"
can_ns || skip "cannot create IPC namespaces"
[ "$(uname -m)" = x86_64 ] || skip "dlopen is interposed on x86_64 only"

S=$top/preload/sysv.php
kns env K="$T/where.k" sh -c '"$@"; echo "rc=$?"' sh "$PHP" "$S" 5a5a20 \
	> "$T/k" 2>&1
uns env K="$T/where.u" U="$U" sh -c '"$@"; echo "rc=$?"' sh "$R" "$PHP" "$S" 5a5a20 \
	> "$T/u" 2>&1
check "php sysv extensions: the same on the kernel and under uipc-run" "$T/k" "$T/u"
grep -q "^child's variable: 'from the child, acquired: true'$" "$T/u" &&
	grep -q "^acquire after the child's exit (auto_release): true$" "$T/u" &&
	ok "php: the forked child's semaphore comes back through auto_release" ||
	not_ok "php: forked child / auto_release"
printf 'all three made: kernel 3\nall removed: kernel 0\n' > "$T/want"
check "php on the kernel: the objects are the kernel's" "$T/want" "$T/where.k"
printf 'all three made: kernel 0, uipc 3\nall removed: kernel 0, uipc 0\n' > "$T/want"
check "php under uipc-run: the objects are in uipc, none in the kernel" \
	"$T/want" "$T/where.u"

left=$(ns_objects)
[ -z "$left" ] && ok "nothing left in UIPC_ROOT" || not_ok "left in UIPC_ROOT: $left"
finish
