#!/bin/sh
# SPDX-License-Identifier: MIT
# try-packages.sh - build the Debian packages from this tree, check them
# with lintian, install them into a throwaway root, and use them there.
#
#   debian/try-packages.sh [KEEPDIR]
#
# Steps (each prints "ok STEP" or "not ok STEP"):
#  1. the tree's files (git's view: tracked and new, not ignored) are
#     copied to a scratch directory and built there with
#     dpkg-buildpackage -us -uc -b, so nothing is written next to the tree;
#  2. lintian reports no error and no warning on the binary packages and
#     on the source package (dpkg-source -b); no tag is overridden;
#  3. the three packages are installed with dpkg --root into an empty root
#     (their maintainer scripts run outside it, with DPKG_ROOT set, as
#     the root has no shell: uipc-tools' postinst then makes the root's
#     /dev/shm/uipc with systemd-tmpfiles --root, where that is installed);
#  4. from that root: uipc-run ipcmk -Q makes a queue on uipc, uipcs lists
#     it, a program built against the root's header and libuipc.so runs,
#     and the files the packages promise are there.
# Needs root (for dpkg --root), dpkg-dev, debhelper, lintian, util-linux.
# Exit 0 when every step held; 77 when something it needs is missing.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
for c in dpkg-buildpackage dh lintian ipcmk cc; do
	command -v $c > /dev/null || { echo "skip: $c not installed"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "skip: dpkg --root needs root"; exit 77; }
ver=$(cat "$top/VERSION")
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
w=${1:-$(mktemp -d "${TMPDIR:-/tmp}/uipc-deb.XXXXXX")}
[ $# -ge 1 ] || trap 'rm -rf "$w"' EXIT
fails=0
ok() { echo "ok $1"; }
not_ok() { echo "not ok $1"; fails=$((fails + 1)); }
step() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# 1. build in a copy
src=$w/uipc-$ver
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir > /dev/null 2>&1; then
	git -C "$top" ls-files -z -c -o --exclude-standard |
		(cd "$top" && xargs -0 tar cf - --no-recursion) | tar xf - -C "$src"
else
	tar cf - -C "$top" --exclude=./build --exclude='./build-*' . | tar xf - -C "$src"
fi
rm -f "$src/config.mk" "$src/config.h"
(cd "$w" && dpkg-source -b "uipc-$ver") > "$w/source.log" 2>&1
step "dpkg-source -b (the source package, for lintian)" [ $? -eq 0 ]
# a Debian build: no compiler, build directory or make flags of a caller
# (make check-musl runs this with CC=musl-gcc in the environment)
(cd "$src" && env -u CC -u O -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
	dpkg-buildpackage -us -uc -b) > "$w/build.log" 2>&1
rc=$?
step "dpkg-buildpackage -us -uc -b" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { tail -30 "$w/build.log"; exit 1; }
debs=
for p in libuipc0 libuipc-dev uipc-tools; do
	f=$(ls "$w"/${p}_${ver}_*.deb 2>/dev/null)
	step "package $p built" [ -n "$f" ]
	debs="$debs $f"
done

# 2. lintian
lintian --fail-on error,warning --tag-display-limit 0 "$w/uipc_$ver.dsc" \
	"$w"/uipc_${ver}_*.changes \
	> "$w/lintian.log" 2>&1
rc=$?
sed 's/^/#   /' "$w/lintian.log"
step "lintian: no error, no warning" [ $rc -eq 0 ]

# 3. a throwaway root
R=$w/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: > "$R/var/lib/dpkg/status"
# shellcheck disable=SC2086
dpkg --root="$R" --force-depends --force-script-chrootless -i $debs \
	> "$w/dpkg.log" 2>&1
step "dpkg --root installs the three packages" [ $? -eq 0 ]
dpkg --root="$R" -l 'libuipc*' 'uipc-tools' 2>/dev/null | sed -n 's/^\(i.\) *\([^ ]*\) .*/#   \1 \2/p'
step "all three configured" sh -c "[ \$(dpkg --root='$R' -l 2>/dev/null | grep -c '^ii ') -eq 3 ]"
if command -v systemd-tmpfiles > /dev/null; then
	step "the postinst made the root's /dev/shm/uipc, mode 1777" \
		sh -c "[ \$(stat -c %a '$R/dev/shm/uipc') = 1777 ]"
fi

# 4. use them from there
ns=$(mktemp -d /dev/shm/uipc-deb.XXXXXX)
if [ $# -ge 1 ]; then trap 'rm -rf "$ns"' EXIT; else trap 'rm -rf "$ns" "$w"' EXIT; fi
export UIPC_ROOT=$ns
"$R/usr/bin/uipc-run" ipcmk -Q > "$w/ipcmk.out" 2>&1
rc=$?
sed 's/^/#   /' "$w/ipcmk.out"
step "uipc-run ipcmk -Q from the root" sh -c "[ $rc -eq 0 ] && grep -q '^Message queue id: 0$' '$w/ipcmk.out'"
"$R/usr/bin/uipcs" -q > "$w/uipcs.out" 2>&1
sed 's/^/#   /' "$w/uipcs.out"
step "uipcs from the root lists that queue" \
	sh -c "[ \$(grep -c '^0x[0-9a-f]* *0 ' '$w/uipcs.out') -eq 1 ]"
step "uipc-run preloads the root's shim" sh -c \
	"'$R/usr/bin/uipc-run' sh -c 'echo \$LD_PRELOAD' | grep -qx '$R/usr/lib/$arch/uipc/libuipc-preload.so'"
cat > "$w/prog.c" <<'PROG'
#include <stdio.h>
#include <uipc.h>
int main(void)
{
	int id = uipc_semget(IPC_PRIVATE, 1, 0600);
	struct sembuf v = { 0, 1, 0 };

	if (id < 0 || uipc_semop(id, &v, 1) < 0 ||
	    uipc_semctl(id, 0, GETVAL) != 1 || uipc_semctl(id, 0, IPC_RMID) < 0)
		return 1;
	puts("semaphore ok");
	return 0;
}
PROG
step "a program builds against libuipc-dev and runs on libuipc0" sh -c \
	"cc -I'$R/usr/include' -o '$w/prog' '$w/prog.c' -L'$R/usr/lib/$arch' -luipc &&
	 LD_LIBRARY_PATH='$R/usr/lib/$arch' '$w/prog' | grep -qx 'semaphore ok'"
step "pkg-config file" grep -qx "Libs: -L\${libdir} -luipc" "$R/usr/lib/$arch/pkgconfig/uipc.pc"
step "tmpfiles.d entry" grep -qx 'd /dev/shm/uipc 1777 root root -' "$R/usr/lib/tmpfiles.d/uipc.conf"
for m in share/man/man1/uipcs.1 share/man/man1/uipc-run.1 share/man/man7/uipc.7 \
	 share/man/man3/uipc_msgop.3; do
	step "man page $m" sh -c "ls '$R/usr/$m'* > /dev/null 2>&1"
done
"$R/usr/bin/uipcrm" -a 2> /dev/null
echo "# $fails failed"
[ $fails -eq 0 ]
