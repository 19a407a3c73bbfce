#!/bin/sh
# SPDX-License-Identifier: MIT
# raw.sh - the differential harness's second pass: every scenario's calls
# made as raw system calls (diff-raw), on the kernel and under
# "uipc-run --syscalls"; identical traces, and no object in the uipc
# side's kernel IPC namespace, ever (run.sh --raw).
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build}
case $O in
/*) B=$O ;;
*) B=$top/$O ;;
esac
# a sanitizer runtime must come first in the initial library list, which
# a preloaded, instrumented shim never is
if nm -D "$B/preload/libuipc-preload.so" 2>/dev/null |
    grep -q '__asan_init\|__ubsan_\|__tsan_init'; then
	echo "skip: sanitizer build: the shim cannot be preloaded"
	exit 77
fi
command -v ipcmk >/dev/null || { echo "skip: no ipcmk"; exit 77; }
exec "$top/test/diff/run.sh" --raw "$@"
