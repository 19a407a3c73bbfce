#!/bin/sh
# SPDX-License-Identifier: MIT
# test-fs.sh - uipcs warns, in one line on stderr, when the namespace is
# not on tmpfs or ramfs (every object there is a disk file), and is quiet
# when it is; the listing itself and the exit status are the same.
. "$(dirname "$0")/tcommon.sh"

UIPCS=$B/tools/uipcs
UIPCMK=$B/tools/uipcmk
[ -x "$UIPCS" ] && [ -x "$UIPCMK" ] || skip "tools not built"
on_mem() { case $(stat -f -c %T "$1") in tmpfs|ramfs) return 0 ;; esac; return 1; }

# a directory on a disk filesystem: /var/tmp, else the build directory
disk=
for d in /var/tmp "$B"; do
	[ -d "$d" ] && ! on_mem "$d" && disk=$(mktemp -d "$d/uipc-fs.XXXXXX") && break
done
[ -n "$disk" ] || skip "no disk filesystem to try (/var/tmp and $B are in memory)"
trap 'rm -rf "$T" "$disk"' EXIT
mem=$(mktemp -d /dev/shm/uipc-fs.XXXXXX)
trap 'rm -rf "$T" "$disk" "$mem"' EXIT
on_mem "$mem" || skip "/dev/shm is not tmpfs here"

for root in "$disk" "$mem"; do
	UIPC_ROOT=$root "$UIPCMK" -M 4096 > /dev/null || not_ok "uipcmk in $root"
done

UIPC_ROOT=$disk "$UIPCS" -m > "$T/disk.out" 2> "$T/disk.err"
rc=$?
[ $rc -eq 0 ] && ok "uipcs on a disk namespace: exit 0" || not_ok "uipcs on disk: rc $rc"
[ "$(wc -l < "$T/disk.err")" -eq 1 ] &&
	grep -q "^uipcs: warning: namespace $disk is not on tmpfs" "$T/disk.err" &&
	ok "one warning line names the namespace" ||
	{ not_ok "warning on disk"; sed 's/^/#   /' "$T/disk.err"; }

UIPC_ROOT=$mem "$UIPCS" -m > "$T/mem.out" 2> "$T/mem.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/mem.err" ] && ok "no warning on tmpfs" ||
	{ not_ok "tmpfs: rc $rc"; sed 's/^/#   /' "$T/mem.err"; }
sed 's/^0x[0-9a-f]* *[0-9]*/KEY ID/' "$T/disk.out" > "$T/disk.n"
sed 's/^0x[0-9a-f]* *[0-9]*/KEY ID/' "$T/mem.out" > "$T/mem.n"
check "the listing is the same on both" "$T/mem.n" "$T/disk.n"
grep -q ' 4096 ' "$T/disk.out" && ok "the segment is listed" || not_ok "segment listed"

UIPC_ROOT=$disk "$UIPCS" --json -m > "$T/json" 2> "$T/json.err"
[ "$(wc -l < "$T/json.err")" -eq 1 ] && python3 -m json.tool "$T/json" > /dev/null 2>&1 &&
	ok "--json: stdout stays JSON, the warning goes to stderr" ||
	not_ok "--json with the warning"

for root in "$disk" "$mem"; do
	UIPC_ROOT=$root "$B/tools/uipcrm" -a 2> /dev/null
done
finish
