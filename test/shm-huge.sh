#!/bin/sh
# shm-huge.sh - SHM_HUGETLB against the kernel.  Runs the differential
# scenario shm_huge (test/diff/s_shm.c: root, users in and out of
# hugetlb_shm_group) with no huge pages reserved, then with 4 pages of
# 2 MiB, on a hugetlbfs mount of its own (a private mount namespace), the
# kernel side in a fresh IPC namespace; then once more finding the mount
# through /proc/self/mountinfo instead of $UIPC_HUGETLBFS.  Checks that
# no data file is left on the mount and restores vm.nr_hugepages.
# Needs root and 2 MiB huge pages; skipped (77) otherwise, and when huge
# pages are already reserved on this machine (someone may be using them).
O=${O:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
nr=/proc/sys/vm/nr_hugepages
fails=0
ok() { echo "ok $1"; }
notok() { echo "not ok $1${2:+ - $2}"; fails=$((fails + 1)); }

[ "$(id -u)" = 0 ] || { echo "ok shm-huge # SKIP needs root"; exit 77; }
[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] && [ -w $nr ] ||
	{ echo "ok shm-huge # SKIP no 2 MiB huge pages"; exit 77; }
grep -q '^Hugepagesize: *2048 kB' /proc/meminfo ||
	{ echo "ok shm-huge # SKIP default huge pages are not 2 MiB"; exit 77; }
orig=$(cat $nr)
[ "$orig" = 0 ] ||
	{ echo "ok shm-huge # SKIP $orig huge pages reserved here already"; exit 77; }
unshare -m true 2>/dev/null ||
	{ echo "ok shm-huge # SKIP no mount namespaces"; exit 77; }
[ -x "$O/test/diff/diff-uipc" ] || { notok built "make tests"; exit 1; }

mnt=$(mktemp -d /tmp/uipc-huge.XXXXXX) || exit 1
trap 'echo "$orig" >$nr; rmdir "$mnt" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# run PAGES ENV: the scenario on a private hugetlbfs mount at $mnt
run() {
	echo "$1" >$nr
	if [ "$(cat $nr)" != "$1" ]; then
		notok "reserve-$1" "got $(cat $nr) huge pages"
		return
	fi
	out=$(unshare -m sh -c '
		mount --make-rprivate / &&
		mount -t hugetlbfs -o mode=1777,pagesize=2M none "$1" || exit 9
		if [ "$2" = env ]; then
			export UIPC_HUGETLBFS="$1"
		else
			unset UIPC_HUGETLBFS
		fi
		DIFF_HUGE=1 test/diff/run.sh shm_huge
		r=$?
		left=$(ls -A "$1")
		[ -z "$left" ] || { echo "# left on the mount: $left"; r=1; }
		exit $r' sh "$mnt" "$2" 2>&1)
	r=$?
	if [ $r = 0 ]; then
		ok "shm_huge-$1-pages-$2"
	else
		notok "shm_huge-$1-pages-$2" "exit $r"
		echo "$out" | sed 's/^/# /'
	fi
}

run 0 env
run 4 env
# autodetection only when this mount is the only one to find
if ! grep -q ' - hugetlbfs ' /proc/self/mountinfo; then
	run 4 mountinfo
fi
echo "$orig" >$nr
[ "$(cat $nr)" = "$orig" ] && ok nr_hugepages-restored ||
	notok nr_hugepages-restored "$(cat $nr)"
[ $fails = 0 ]
