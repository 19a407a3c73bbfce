#!/bin/bash
# demo: the one-object-of-each-type program, and the whole `make demo`
# show (run-demo.sh), both ways.
. "$(dirname "$0")/../common/harness.sh"

scenario() {
	check_says "demo: a queue, a set and a segment created, used, removed" \
		"all three objects created, used and removed" "$BIN/demo"
	local k=
	[ "$SIDE" = kernel ] && k=1
	check_says "make demo's show (run-demo.sh) completes and cleans up" \
		"demo complete: every check held" \
		env KERNEL=$k DEMO_MB=16 "$tl_top/examples/demo/run-demo.sh"
}
tl_main "$@"
