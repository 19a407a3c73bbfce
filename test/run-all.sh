#!/bin/sh
# run-all.sh - run every test of uipc and summarise.
#
# Protocol: a test is a Criterion binary $O/test/unit/* or an executable
# script test/*.sh, test/*/*.sh, examples/*/test*.sh, tools/test*.sh,
# preload/test*.sh.  Scripts print "ok NAME" / "not ok NAME" lines and exit
# 0 (pass), 77 (skipped) or anything else (fail).  Every test gets its own
# UIPC_ROOT; scripts that need the kernel run it in a fresh IPC namespace.
# UIPC_TEST_SKIP: names of tests to report as skipped (SKIP NAME: why),
# with UIPC_TEST_SKIP_WHY as the reason (make check-musl uses it).
O=${O:-build}
export O
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pass=0 fail=0 skip=0 failed=
run() {
	name=$1; shift
	case " $UIPC_TEST_SKIP " in *" $name "*)
		skip=$((skip + 1)); echo "SKIP $name: $UIPC_TEST_SKIP_WHY"; return ;;
	esac
	root=$(mktemp -d /dev/shm/uipc-test.XXXXXX)
	start=$(date +%s)
	UIPC_ROOT=$root timeout 600 "$@" > "$O/test-logs/$(echo "$name" | tr / _).log" 2>&1
	rc=$?
	end=$(date +%s)
	left=$(ls -A "$root" 2>/dev/null | grep -v '^uipc\.\(ids\.[0-9]*\|limits\)$' | head -3)
	rm -rf "$root"
	if [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name"
	elif [ $rc -eq 0 ] && [ -z "$left" ]; then
		pass=$((pass + 1)); echo "PASS $name ($((end - start))s)"
	else
		fail=$((fail + 1)); failed="$failed $name"
		[ -n "$left" ] && echo "  left objects behind: $left"
		echo "FAIL $name (rc=$rc, log: $O/test-logs/$(echo "$name" | tr / _).log)"
		tail -20 "$O/test-logs/$(echo "$name" | tr / _).log" | sed 's/^/  | /'
	fi
}
mkdir -p "$O/test-logs"
# VALGRIND=1: run the unit tests under memcheck (any error fails the test)
vg=
[ -n "$VALGRIND" ] && vg="valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
for t in "$O"/test/unit/*; do
	[ -x "$t" ] && [ -f "$t" ] && run "unit/$(basename "$t")" $vg "$t" --jobs=1
done
[ -n "$VALGRIND" ] && { echo "$pass passed, $fail failed, $skip skipped (valgrind: unit tests only)"; [ $fail -eq 0 ]; exit; }
for t in test/*.sh test/*/*.sh examples/*/test*.sh tools/test*.sh preload/test*.sh; do
	[ "$t" = test/run-all.sh ] && continue
	[ -x "$t" ] && [ -f "$t" ] && run "$t" "$t"
done
echo "$pass passed, $fail failed, $skip skipped"
[ -n "$failed" ] && echo "failed:$failed"
[ $fail -eq 0 ]
