#!/bin/sh
# SPDX-License-Identifier: MIT
# test-deb.sh - the Debian packages build with dpkg-buildpackage, pass
# lintian, install into a throwaway root with dpkg --root and work from
# there: debian/try-packages.sh does it all (skips without dpkg-dev,
# debhelper or lintian, or when not root).
# the packages are built as Debian would, whatever this tree's make was
# asked for (make sanitize passes SAN= down through MAKEFLAGS)
unset MAKEFLAGS MFLAGS MAKELEVEL SAN
exec "$(dirname "$0")/../../debian/try-packages.sh"
