#!/bin/sh
# SPDX-License-Identifier: MIT
# test-golden.sh - fixed expected output of uipcs, uipcrm and uipcmk on
# uipc, for every option: tools/golden/*.out.  Times are replaced by
# placeholders and keys drawn at random by uipcmk by 0xKKKKKKKK; ids,
# pids and users are deterministic (fresh namespace, fresh PID namespace,
# only root and an unnamed uid).  UPDATE_GOLDEN=1 rewrites the files.
. "$(dirname "$0")/tcommon.sh"

can_ns || skip "cannot create IPC/PID namespaces"
is_root || skip "the scenario gives an object to uid 12345: needs root"
for f in uipcs uipcrm uipcmk ipcscen; do
	[ -x "$B/tools/$f" ] || skip "$B/tools/$f not built"
done
G=$top/tools/golden

golden() { # NAME FILE
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$2" "$G/$1.out"
		ok "$1 (golden file rewritten)"
	else
		check "golden $1" "$G/$1.out" "$2"
	fi
}

JSONS='
-J
-J -t
-J -p
-J -c
-J -u
-J -q -i 0
-J -s -i 0
-J -m -i 1
-J -s -i 9
'
sed -n '/^run_listings()/,/^}/p' "$top/tools/tcommon.sh" > "$T/fn.sh"
cat > "$T/list.sh" <<EOS
#!/bin/sh
. "$T/fn.sh"
LISTINGS='$LISTINGS'
run_listings "$B/tools/uipcs" "$T/text.out"
LISTINGS='$JSONS'
run_listings "$B/tools/uipcs" "$T/json.out"
EOS
chmod +x "$T/list.sh"
# shellcheck disable=SC2046
uns "$B/tools/ipcscen" $(scenario) run "$T/list.sh" ||
	not_ok "scenario on uipc"
# getopt names the program by its path: keep the name only
sed "s|^[^ ]*/\(uipc[a-z]*\): |\1: |" "$T/text.out" | norm_times > "$T/text.norm"
golden listings "$T/text.norm"
norm_json_times < "$T/json.out" > "$T/json.norm"
golden json "$T/json.norm"

if command -v jq >/dev/null; then
	bad=0
	echo "$JSONS" | while IFS= read -r opts; do
		[ -n "$opts" ] || continue
		# shellcheck disable=SC2086
		uns "$B/tools/ipcscen" $(scenario) run "$B/tools/uipcs" $opts 2>/dev/null |
			jq -e 'type == "object"' >/dev/null || echo "$opts"
	done > "$T/badjson"
	if [ -s "$T/badjson" ]; then
		not_ok "every --json listing parses (jq)"
		sed 's/^/#   invalid: /' "$T/badjson"
	else
		ok "every --json listing parses (jq)"
	fi
fi

# A session of uipcmk / uipcrm / uipcs in a fresh namespace.
R=$T/session-root
mkdir -p "$R"
while IFS= read -r cmd; do
	[ -n "$cmd" ] || continue
	echo "\$ $cmd"
	# shellcheck disable=SC2086
	(cd "$B/tools" && UIPC_ROOT=$R eval "./$cmd") 2>&1
	echo "[rc=$?]"
done > "$T/session.out" <<'CMDS'
uipcmk -Q
uipcmk -S 3 -p 600
uipcmk -M 1.5K -p 640
uipcmk -M 1M -Q -S 1
uipcmk -M 4000 extra
uipcmk -Q -p 8
uipcmk
uipcs
uipcs -s -i 0
uipcrm -v -q 0 -s 5
uipcrm -a sem
uipcrm -v -q 0 -s 0
uipcrm msg 1
uipcrm -M 0x0
uipcrm --all=shm -v
uipcs
uipcrm -a
uipcs -J
CMDS
sed -E 's/0x[0-9a-f]{8}/0xKKKKKKKK/g; s/("key": )"0x[0-9a-f]{8}"/\1"0xKKKKKKKK"/' "$T/session.out" |
	norm_times > "$T/session.norm"
golden session "$T/session.norm"
[ -z "$(UIPC_ROOT=$R ns_objects)" ] && ok "the session removed everything" ||
	not_ok "the session left objects: $(UIPC_ROOT=$R ns_objects)"
finish
