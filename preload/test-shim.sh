#!/bin/sh
# SPDX-License-Identifier: MIT
# test-shim.sh - libuipc-preload.so exports the twelve SysV names and
# only the few others it needs (dlopen for RTLD_DEEPBIND libraries, the
# signal calls for the system-call trap); uipc-run's options, errors and
# environment.
. "$(dirname "$0")/../tools/tcommon.sh"

S=$B/preload/libuipc-preload.so
R=$B/preload/uipc-run
[ -f "$S" ] && [ -x "$R" ] || skip "shim not built"

nm -D --defined-only "$S" | awk '$2 ~ /[TtWwDd]/ { print $3 }' | sed 's/@.*//' |
	sort > "$T/syms"
printf '%s\n' msgctl msgget msgrcv msgsnd semctl semget semop semtimedop \
	shmat shmctl shmdt shmget \
	dlopen \
	__sysv_signal bsd_signal pthread_sigmask sigaction signal sigprocmask \
	sysv_signal | sort > "$T/want"
check "the shim exports the twelve SysV calls, dlopen and the signal calls" \
	"$T/want" "$T/syms"

"$R" --help > "$T/out" 2>&1 && grep -q '^ uipc-run \[options\] <program>' "$T/out" &&
	ok "uipc-run --help" || not_ok "uipc-run --help"
"$R" > "$T/out" 2>&1
[ $? -eq 125 ] && grep -q 'no program given' "$T/out" &&
	ok "uipc-run without a program: 125" || not_ok "uipc-run without a program"
"$R" --bogus true > "$T/out" 2>&1
[ $? -eq 125 ] && grep -q "unrecognized option '--bogus'" "$T/out" &&
	ok "uipc-run --bogus: 125" || not_ok "uipc-run --bogus"
"$R" --root > "$T/out" 2>&1
[ $? -eq 125 ] && ok "uipc-run --root without DIR: 125" || not_ok "uipc-run --root without DIR"
"$R" /nonexistent/prog > "$T/out" 2>&1
[ $? -eq 127 ] && ok "uipc-run of a missing program: 127" || not_ok "uipc-run of a missing program"

# the rest runs a program under the shim, which a sanitizer build cannot
if sanitized; then
	echo "# sanitizer build: the shim cannot be preloaded; environment checks skipped"
	finish
fi

# --root makes the directory absolute; LD_PRELOAD keeps what was there
cd "$T" || exit 1
out=$(LD_PRELOAD=libfoo-that-is-not-there.so "$R" --root rel sh -c \
	'echo "$UIPC_ROOT|$LD_PRELOAD"' 2>/dev/null)
[ "$out" = "$T/rel|$S libfoo-that-is-not-there.so" ] &&
	ok "uipc-run --root rel: UIPC_ROOT absolute, LD_PRELOAD prepended" ||
	not_ok "uipc-run --root rel: got '$out'"
out=$("$R" --root=/x -- sh -c 'echo "$UIPC_ROOT"')
[ "$out" = /x ] && ok "uipc-run --root=DIR --" || not_ok "uipc-run --root=DIR -- (got '$out')"
out=$(UIPC_SYSCALLS= "$R" -s sh -c 'echo "$UIPC_SYSCALLS"')
[ "$out" = 1 ] && ok "uipc-run -s sets UIPC_SYSCALLS=1" || not_ok "uipc-run -s (got '$out')"
out=$(UIPC_SYSCALLS= "$R" --syscalls --root=/x sh -c 'echo "$UIPC_SYSCALLS $UIPC_ROOT"')
[ "$out" = "1 /x" ] && ok "uipc-run --syscalls --root=DIR" ||
	not_ok "uipc-run --syscalls --root=DIR (got '$out')"
out=$(UIPC_SYSCALLS= "$R" sh -c 'echo "[$UIPC_SYSCALLS]"')
[ "$out" = "[]" ] && ok "uipc-run without --syscalls leaves UIPC_SYSCALLS unset" ||
	not_ok "uipc-run without --syscalls (got '$out')"
out=$(UIPC_ROOT=/keep "$R" sh -c 'echo "$UIPC_ROOT"')
[ "$out" = /keep ] && ok "uipc-run leaves UIPC_ROOT alone without --root" ||
	not_ok "uipc-run without --root changed UIPC_ROOT to '$out'"
"$R" sh -c 'exit 7'
[ $? -eq 7 ] && ok "uipc-run exits with the program's status" ||
	not_ok "uipc-run exit status"
finish
