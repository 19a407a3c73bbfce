#!/bin/sh
# SPDX-License-Identifier: MIT
# test-deb.sh - the Debian packages build with dpkg-buildpackage, pass
# lintian, install into a throwaway root with dpkg --root and work from
# there: debian/try-packages.sh does it all (skips without dpkg-dev,
# debhelper or lintian, or when not root).
exec "$(dirname "$0")/../../debian/try-packages.sh"
