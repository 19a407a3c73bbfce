#!/bin/sh
# SPDX-License-Identifier: MIT
# test-diff.sh - the kernel is the oracle: one scenario of objects, built
# once on the kernel (fresh IPC and PID namespaces) and listed by
# util-linux ipcs, and once on uipc (same namespaces, so the same pids)
# and listed by uipcs.  After replacing times, the listings must agree.
. "$(dirname "$0")/tcommon.sh"

command -v ipcs >/dev/null || skip "util-linux ipcs missing"
can_ns || skip "cannot create IPC/PID namespaces"
for f in tools/uipcs tools/ipcscen tools/kernel/ipcscen; do
	[ -x "$B/$f" ] || skip "$B/$f not built"
done

sed -n '/^run_listings()/,/^}/p' "$top/tools/tcommon.sh" > "$T/fn.sh"
listing() { # TOOL OUT
	cat > "$T/list.sh" <<EOS
#!/bin/sh
LISTINGS='$LISTINGS
-l
-l -b
-l --human'
. "$T/fn.sh"
run_listings "$1" "$2"
EOS
	chmod +x "$T/list.sh"
	echo "$T/list.sh"
}

# shellcheck disable=SC2046
kns "$B/tools/kernel/ipcscen" $(scenario) run $(listing ipcs "$T/k.out")
rc=$?
[ $rc -eq 0 ] || not_ok "kernel scenario (rc=$rc)"
# shellcheck disable=SC2046
uns "$B/tools/ipcscen" $(scenario) run $(listing "$B/tools/uipcs" "$T/u.out")
rc=$?
[ $rc -eq 0 ] && ok "uipc scenario builds, runs and cleans up" ||
	not_ok "uipc scenario (rc=$rc)"

# docs/differences.md 5: uipc reserves segment memory at creation, so
# SHM_INFO's shm_rss is all of it; the kernel counts touched pages
resident='s/^pages resident  [0-9]*$/pages resident  (see differences.md, 5)/'
norm_times < "$T/k.out" | sed "$resident" > "$T/k.norm"
as_util_linux < "$T/u.out" | strip_sem_pids | norm_times | sed "$resident" > "$T/u.norm"

# one check per listing, so a failure names its options
split_listing() { # FILE OPTS
	awk -v o="=== $2" '$0 == o { p = 1; next } /^=== rc=/ && p { print; exit } p' "$1"
}
printf '%s\n-l\n-l -b\n-l --human\n' "$LISTINGS" | while IFS= read -r opts; do
	[ -n "$opts" ] || continue
	split_listing "$T/k.norm" "$opts" > "$T/k.one"
	split_listing "$T/u.norm" "$opts" > "$T/u.one"
	check "ipcs $opts (kernel) = uipcs $opts (uipc)" "$T/k.one" "$T/u.one"
done > "$T/results"
cat "$T/results"
nfail=$(grep -c '^not ok' "$T/results")
ntest=$(grep -c '^ok\|^not ok' "$T/results")
left=$(ns_objects)
if [ -z "$left" ]; then
	ok "nothing left in UIPC_ROOT"
else
	not_ok "objects left in UIPC_ROOT: $left"
fi
finish
