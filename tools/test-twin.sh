#!/bin/sh
# SPDX-License-Identifier: MIT
# test-twin.sh - our printers against util-linux, byte for byte: the
# kernel-backend build of uipcs/uipcrm/uipcmk (same sources, the kernel's
# SysV calls) must print exactly what ipcs/ipcrm/ipcmk print for the same
# kernel objects, except where we deliberately differ (checked too).
. "$(dirname "$0")/tcommon.sh"

command -v ipcs >/dev/null && command -v ipcrm >/dev/null &&
	command -v ipcmk >/dev/null || skip "util-linux ipcs/ipcrm/ipcmk missing"
can_ns || skip "cannot create IPC/PID namespaces"
K=$B/tools/kernel
for f in uipcs uipcrm uipcmk ipcscen; do
	[ -x "$K/$f" ] || skip "$K/$f not built"
done

# --- ipcs: every listing of the scenario -------------------------------
# the tools' names are the only expected difference ("uipcs: ...")
sed -n '/^run_listings()/,/^}/p' "$top/tools/tcommon.sh" > "$T/fn.sh"
cat > "$T/both.sh" <<EOS
#!/bin/sh
LISTINGS='$LISTINGS'
. "$T/fn.sh"
run_listings ipcs "$T/ipcs.out"
run_listings "$K/uipcs" "$T/uipcs.out"
"$K/uipcs" -p > "$T/uipcs-p.out" 2>&1
EOS
chmod +x "$T/both.sh"
# shellcheck disable=SC2046
kns "$K/ipcscen" $(scenario) run "$T/both.sh"
as_util_linux < "$T/uipcs.out" | strip_sem_pids > "$T/uipcs.cmp"
check "uipcs prints what ipcs prints (kernel objects, $(echo "$LISTINGS" | grep -c .) listings)" \
	"$T/ipcs.out" "$T/uipcs.cmp"
if grep -q '^------ Semaphore Last-op PIDs' "$T/uipcs-p.out" &&
   grep -q '^0          root       0          1 ' "$T/uipcs-p.out"; then
	ok "uipcs -p also lists semaphores (last-op pid per semaphore)"
else
	not_ok "uipcs -p also lists semaphores"
	sed 's/^/#   /' "$T/uipcs-p.out"
fi

# --- ipcrm: one fresh namespace per case ---------------------------------
# Each case: the arguments, then "same" (must match util-linux) or the
# exact output we expect instead (traps util-linux has, fixed).
rmcase() { # TOOL ARGS...
	tool=$1
	shift
	# shellcheck disable=SC2086
	kns "$K/ipcscen" msg 1234 644 msg 5678 644 shm 4321 10 600 sem 2222 1 600 \
		run sh -c '"$@" > "$0.out" 2> "$0.err"; echo "rc=$?" >> "$0.out"; ipcs >> "$0.out"' \
		"$T/rm" "$tool" "$@"
	sed -e 's/^[^ ]*uipcrm: /ipcrm: /' -e "s/'uipcrm --help'/'ipcrm --help'/" \
		"$T/rm.err" >> "$T/rm.out"
	cat "$T/rm.out"
}
while IFS='|' read -r args expect; do
	[ -n "$args" ] || continue
	# shellcheck disable=SC2086
	eval "set -- $args"
	rmcase "$K/uipcrm" "$@" > "$T/ours"
	if [ "$expect" = same ]; then
		rmcase ipcrm "$@" > "$T/theirs"
		check "uipcrm $args: as ipcrm" "$T/theirs" "$T/ours"
	else
		# the objects must all still be there and the message be ours
		if grep -q '^rc=1' "$T/ours" && [ "$(grep -c '^0x0000' "$T/ours")" -eq 4 ] &&
		   grep -qF "$expect" "$T/ours"; then
			ok "uipcrm $args: removes nothing, says '$expect'"
		else
			not_ok "uipcrm $args: removes nothing, says '$expect'"
			sed 's/^/#   /' "$T/ours"
		fi
	fi
done <<'CASES'
|same
-q 0|same
-v -q 0|same
-q 5|same
-s 0 -q 1|same
-M 0x4321|same
-S 0x2222|same
-M 0|same
-M 0x9999|same
-M zz|same
-m x|same
-m 99999999999|same
-a|same
-v -a|same
--all=shm|same
-a=sem|same
-aa|same
-v --all=msg|same
shm 0|same
msg 0 1|same
msg|same
sem 0 0|same
foo|same
-q 0 -q 0|same
--queue-key=4660|same
--semaphore-id 0 --shmem-id 0|same
-a sem|ipcrm: unknown argument: sem
-a foo|ipcrm: unknown argument: foo
-q 0 extra|ipcrm: unknown argument: extra
msg 0 x|ipcrm: invalid id: x
-m 0 -m x|ipcrm: failed to parse argument: 'x'
-q 0 -q 7|ipcrm: invalid id (7)
-Q 0x1234 -S 0x9|ipcrm: invalid key (0x9)
CASES

# --- ipcmk: sizes, modes and errors --------------------------------------
mkcase() { # TOOL ARGS...
	tool=$1
	shift
	kns sh -c '"$@" > "$0.out" 2>&1; echo "rc=$?" >> "$0.out"; ipcs -b | grep "^0x" | cut -c12- >> "$0.out"' \
		"$T/mk" "$tool" "$@"
	sed -e 's/id: [0-9]*/id: N/' -e 's/^[^ ]*uipcmk: /ipcmk: /' -e 's/uipcmk/ipcmk/g' "$T/mk.out"
}
while IFS='|' read -r args expect; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	mkcase "$K/uipcmk" "$@" > "$T/ours"
	if [ "$expect" = same ]; then
		mkcase ipcmk "$@" > "$T/theirs"
		check "uipcmk $args: as ipcmk" "$T/theirs" "$T/ours"
	elif grep -qF -- "$expect" "$T/ours"; then
		ok "uipcmk $args: '$expect'"
	else
		not_ok "uipcmk $args: '$expect'"
		sed 's/^/#   /' "$T/ours"
	fi
done <<'CASES'
-Q|same
-S 3|same
-M 1000|same
-M 1.5K|same
-M 1KB|same
-M 1k|same
-M 1KiB|same
-M 1kib|same
-M 0x10|same
-M 010|same
-M 0.5M|same
-M 1.000001M|same
-M 1.0001M|same
-M 2.5MB|same
-M 1G|same
-M 1.K|same
-M 1.5|same
-M 1.|same
-M 1K.5|same
-M abc|same
-M -1|same
-M 1X|same
-M 1Y|same
-M 18446744073709551616|same
-M 0|same
-S 0|same
-S x|same
-S 2147483648|same
-Q -p 600|same
-Q -p 0|same
-Q -p 1777|same
-Q -M 100 -S 2|same
-M 10K -M 20K|same
-h|same
-x|same
|same
-Q -p 999|ipcmk: failed to parse mode: '999'
-Q -p 0x10|ipcmk: failed to parse mode: '0x10'
-Q -p 77777|ipcmk: failed to parse mode: '77777'
-Q -p -1|ipcmk: failed to parse mode: '-1'
-M 1 foo|ipcmk: unknown argument: foo
-M 1.10K|644        1126 
-M 1.25K|644        1280 
-M 1..5K|ipcmk: failed to parse size: '1..5K'
CASES

finish
