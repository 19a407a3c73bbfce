#!/bin/sh
# SPDX-License-Identifier: MIT
# test-namespace.sh - attacks on the namespace directory and on the
# limits file, by a real second user (setpriv, no passwd entry needed),
# against root's objects (docs/security.md, "The namespace directory"
# and "Limits").  Each attack gets a fresh directory.
#
#   A  UIPC_ROOT made first by the attacker (0777): refused
#   B  UIPC_ROOT a symlink of the attacker's to a directory it owns
#   C  UIPC_ROOT reached through a symlink of the attacker's
#   D  UIPC_ROOT root's, but writable by all and not sticky
#   E  uipc.limits written by the attacker in root's 1777 namespace
#   F  uipc.limits of root's that everybody may write
#   G  the default namespace missing: a user may not make it
# and the controls: a root-owned 1777 directory and a root-owned 0644
# uipc.limits are used.
. "$(dirname "$0")/../../tools/tcommon.sh"

is_root || skip "needs root (to act as two users)"
command -v setpriv >/dev/null || skip "setpriv missing"
MK=$B/tools/uipcmk
[ -x "$MK" ] || skip "$MK not built"
EVIL=4242
as_evil() { setpriv --reuid=$EVIL --regid=$EVIL --clear-groups "$@"; }

D=$(mktemp -d /dev/shm/uipc-sec.XXXXXX) || exit 1
chmod 755 "$D"
trap 'rm -rf "$D" "$T"' EXIT

# mk ROOT: root makes a queue in namespace ROOT; prints uipcmk's status.
mk() { UIPC_ROOT=$1 "$MK" -Q >/dev/null 2>&1; echo $?; }
# files DIR: the names in DIR (none: empty).
files() { ls -A "$1" 2>/dev/null | tr '\n' ' '; }

# A: the attacker makes the namespace first.
mkdir "$D/a" && chown $EVIL:$EVIL "$D/a" && chmod 777 "$D/a"
if [ "$(mk "$D/a")" != 0 ] && [ -z "$(files "$D/a")" ]; then
	ok "A: a namespace another user owns is refused"
else
	not_ok "A: root used $D/a (attacker's): $(files "$D/a")"
fi

# B: UIPC_ROOT is the attacker's symlink to the attacker's directory.
mkdir "$D/evil" && chown $EVIL:$EVIL "$D/evil"
mkdir "$D/b" && chmod 1777 "$D/b"
as_evil ln -s "$D/evil" "$D/b/ns"
if [ "$(mk "$D/b/ns")" != 0 ] && [ -z "$(files "$D/evil")" ]; then
	ok "B: a namespace that is a symlink is refused"
else
	not_ok "B: root wrote into the attacker's directory: $(files "$D/evil")"
fi

# C: a directory of root's, reached through the attacker's symlink.
mkdir "$D/c" && chmod 1777 "$D/c" && mkdir -m 1777 "$D/croot"
as_evil ln -s "$D/croot" "$D/c/via"
if [ "$(mk "$D/c/via/.")" != 0 ] && [ -z "$(files "$D/croot")" ]; then
	ok "C: a namespace reached through another user's symlink is refused"
else
	not_ok "C: root used a path through the attacker's symlink"
fi

# D: root's directory, writable by all, not sticky.
mkdir "$D/d" && chmod 777 "$D/d"
if [ "$(mk "$D/d")" != 0 ] && [ -z "$(files "$D/d")" ]; then
	ok "D: a namespace everybody may write without the sticky bit is refused"
else
	not_ok "D: root used a non-sticky world-writable namespace"
fi

# Control: root's 1777 namespace is used, and the error of A is clear.
mkdir "$D/ok" && chmod 1777 "$D/ok"
if [ "$(mk "$D/ok")" = 0 ]; then
	ok "control: root's 1777 namespace is used"
else
	not_ok "control: root's 1777 namespace refused"
fi
msg=$(UIPC_DEBUG=1 UIPC_ROOT="$D/a" "$MK" -Q 2>&1 >/dev/null)
case $msg in
*"$D/a"*"another user"*) ok "A: UIPC_DEBUG says why the namespace is refused" ;;
*) not_ok "A: no clear reason: $msg" ;;
esac

# The tools say why, without UIPC_DEBUG; the calls' errno names the cause.
msg=$(UIPC_ROOT="$D/d" "$B/tools/uipcs" 2>&1 >/dev/null)
case $msg in
*"namespace $D/d: may be written by others and is not sticky"*)
	ok "uipcs says why it refuses a namespace" ;;
*) not_ok "uipcs: $msg" ;;
esac
if [ -x "$B/test/security/secop" ]; then
	expect_errno() {
		got=$(UIPC_ROOT=$2 $3 "$B/test/security/secop" get msg 0 600)
		[ "$got" = "$4" ] && ok "$1: $4" || not_ok "$1: want $4, got $got"
	}
	expect_errno "a namespace whose parent is missing" "$D/none/ns" "" ENOENT
	mkdir -m 755 "$D/ro"
	expect_errno "a namespace a user may not create" "$D/ro/ns" \
		"setpriv --reuid=$EVIL --regid=$EVIL --clear-groups" EACCES
	expect_errno "a namespace of another user's" "$D/a" "" EPERM
fi

# E: the attacker writes uipc.limits in root's namespace.
mkdir "$D/e" && chmod 1777 "$D/e"
as_evil sh -c "printf 'msgmni 0\nmsgmax 1\n' > '$D/e/uipc.limits'"
if [ -f "$D/e/uipc.limits" ] && [ "$(mk "$D/e")" = 0 ]; then
	ok "E: limits written by another user are ignored"
else
	not_ok "E: the attacker's uipc.limits denied root a queue"
fi

# F: root's uipc.limits that anybody may write is ignored; 0644 is used.
mkdir "$D/f" && chmod 1777 "$D/f"
printf 'msgmni 0\n' > "$D/f/uipc.limits"
chmod 666 "$D/f/uipc.limits"
if [ "$(mk "$D/f")" = 0 ]; then
	ok "F: a uipc.limits everybody may write is ignored"
else
	not_ok "F: a world-writable uipc.limits decided the limits"
fi
mkdir "$D/g" && chmod 1777 "$D/g"
printf 'msgmni 0\n' > "$D/g/uipc.limits"
chmod 644 "$D/g/uipc.limits"
if [ "$(mk "$D/g")" != 0 ]; then
	ok "control: root's own uipc.limits (0644) is honoured"
else
	not_ok "control: root's uipc.limits was not honoured"
fi

# G: no default namespace: a user gets a refusal and makes nothing.
if [ -e /dev/shm/uipc ]; then
	echo "# G skipped: /dev/shm/uipc exists on this machine"
else
	out=$(env -u UIPC_ROOT UIPC_DEBUG=1 setpriv --reuid=$EVIL --regid=$EVIL \
	      --clear-groups "$MK" -Q 2>&1)
	if [ ! -e /dev/shm/uipc ] && echo "$out" | grep -q "install -d"; then
		ok "G: a user may not make the shared namespace, and is told how"
	else
		not_ok "G: $out"
		[ -d /dev/shm/uipc ] && [ "$(stat -c %u /dev/shm/uipc)" = $EVIL ] &&
			rm -rf /dev/shm/uipc
	fi
fi
finish
