#!/bin/sh
# test-bench.sh - smoke test of bench/uipc-bench: a --quick run completes,
# its output and CSV are well formed, every implementation ran and moved
# the right data, a deliberately corrupting mechanism is caught, and nothing
# is left behind (kernel objects, UIPC_ROOT directories, POSIX shm), and a
# run without gnuplot skips the chart, says so, and succeeds.
# Timing is never judged here: the figures are not looked at.
O=${O:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bin=$O/bench/uipc-bench
fails=0
ok() { echo "ok $1"; }
notok() { echo "not ok $1${2:+ - $2}"; fails=$((fails + 1)); }
check() { name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

if [ ! -x "$bin" ]; then
	notok bench-built "$bin missing (make $bin)"
	exit 1
fi
command -v python3 >/dev/null || { echo "python3 needed"; exit 77; }
if ! unshare -Uri true 2>/dev/null && ! unshare -i true 2>/dev/null; then
	echo "no IPC namespaces here"; exit 77
fi

tmp=$(mktemp -d /tmp/uipc-bench-test.XXXXXX)
[ -n "$KEEP" ] || trap 'rm -rf "$tmp"' EXIT
snap() { { ipcs -q; ipcs -s; ipcs -m; } 2>/dev/null | grep '^0x' | sort; ls /dev/shm | grep '^uipc-bench' ; }
snap > "$tmp/before"

# Usage errors and the case list.
"$bin" --no-such-option >/dev/null 2>&1
check usage-error [ $? -eq 2 ]
"$bin" --case no-such-case >/dev/null 2>&1
check unknown-case [ $? -eq 2 ]
"$bin" --list > "$tmp/list"
check list [ $? -eq 0 ] && check list-cases grep -q '^pingpong-2cpu ' "$tmp/list"

# The whole quick run.
chart=
command -v gnuplot >/dev/null && chart="--chart $tmp/out.png"
"$bin" --quick --csv "$tmp/out.csv" $chart > "$tmp/out" 2> "$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
check quick-run-completes [ $rc -eq 0 -o $rc -eq 1 ]
check every-implementation-ok [ $rc -eq 0 ]
for s in 'Uncontended operation cost' 'Ping-pong round trip' 'Streaming' \
	 'Contention and typed receive' 'Segments and keys' 'Targets'; do
	check "section: $s" grep -q "^== $s" "$tmp/out"
done
check summary-line grep -Eq '^targets: [0-9]+ met, [0-9]+ missed, [0-9]+ not measured$' "$tmp/out"

# The CSV: every case of --list, every implementation, sane fields.
python3 - "$tmp/out.csv" "$tmp/list" > "$tmp/csvcheck" 2>&1 <<'PY'
import csv, math, sys
rows = list(csv.reader(open(sys.argv[1])))
hdr = ['record', 'section', 'case', 'impl', 'status', 'detail', 'n', 'reps',
       'ns_median', 'ns_p99', 'mops', 'gbps', 'cpu_pct', 'ratio', 'target', 'result']
bad = []
if rows[0] != hdr:
    bad.append('header %r' % rows[0])
cases = [l.split()[0] for l in open(sys.argv[2]) if l.strip()]
seen = {}
for r in rows[1:]:
    if len(r) != len(hdr):
        bad.append('row with %d fields: %r' % (len(r), r)); continue
    d = dict(zip(hdr, r))
    if d['record'] == 'result':
        seen.setdefault(d['case'], []).append(d)
        if d['status'] not in ('ok', 'n/a', 'error', 'wrong', 'timeout'):
            bad.append('status %r' % r)
        if d['status'] == 'ok':
            ns = float(d['ns_median'])
            if not (ns > 0 and math.isfinite(ns)) or int(d['reps']) < 1 or int(d['n']) < 1:
                bad.append('figures %r' % r)
            if d['case'].startswith('pingpong') and not float(d['ns_p99']) >= ns:
                bad.append('p99 below median %r' % r)
            if d['case'].startswith('stream') and not float(d['gbps']) > 0:
                bad.append('no GB/s %r' % r)
            if d['section'] in ('roundtrip', 'stream') and not 0 <= float(d['cpu_pct']) <= 100 * 16:
                bad.append('CPU%% %r' % r)
        elif not d['detail']:
            bad.append('failure without a reason %r' % r)
        if d['impl'].startswith('kernel') and d['status'] not in ('ok', 'n/a'):
            bad.append('the kernel side failed: %r' % r)
    elif d['record'] == 'check':
        if d['result'] not in ('PASS', 'FAIL', 'n/a') or d['target'][:2] not in ('>=', '<='):
            bad.append('check %r' % r)
        if d['result'] != 'n/a' and not float(d['ratio']) > 0:
            bad.append('check without value %r' % r)
    else:
        bad.append('record %r' % r)
for c in cases:
    if len(seen.get(c, [])) < 2:
        bad.append('case %s: %d implementations' % (c, len(seen.get(c, []))))
# uipc rows carry the kernel/uipc ratio whenever both sides ran
for c, ds in seen.items():
    st = {d['impl']: d for d in ds}
    for u, k in (('uipc', 'kernel'), ('uipc-msg', 'kernel-msg'), ('uipc-sem+shm', 'kernel-sem+shm')):
        if u in st and k in st and st[u]['status'] == 'ok' and st[k]['status'] == 'ok':
            want = float(st[k]['ns_median']) / float(st[u]['ns_median'])
            if abs(float(st[u]['ratio']) - want) > 0.01 * want + 0.002:
                bad.append('%s %s: ratio %s, expected %.3f' % (c, u, st[u]['ratio'], want))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
rc=$?
cat "$tmp/csvcheck"
check csv-well-formed [ $rc -eq 0 ]
if [ -n "$chart" ]; then
	check chart-is-png sh -c "head -c 8 '$tmp/out.png' | od -An -c | grep -q 'P   N   G'"
fi

# Without gnuplot (none on PATH) the run still succeeds: one line says the
# chart was skipped and how to get it, and the CSV is written.
PATH=/nonexistent "$bin" --quick --case sem-pv --csv "$tmp/nognu.csv" \
	--chart "$tmp/nognu.png" > "$tmp/nognu" 2>&1
rc=$?
cat "$tmp/nognu"
check no-gnuplot-exit-0 [ $rc -eq 0 ]
check no-gnuplot-one-line [ "$(grep -c 'gnuplot' "$tmp/nognu")" -eq 1 ]
check no-gnuplot-says-how grep -q '^chart skipped: .*apt-get install gnuplot-nox' "$tmp/nognu"
check no-gnuplot-csv-kept grep -q '^result,op,sem-pv,uipc,ok,' "$tmp/nognu.csv"
check no-gnuplot-no-chart [ ! -e "$tmp/nognu.png" ]

# --case selects, and a corrupting mechanism is reported as wrong.
UIPC_BENCH_CORRUPT=pipe "$bin" --quick --case pingpong-1cpu,stream-64,msg-pair-16 \
	--csv "$tmp/bad.csv" > "$tmp/bad" 2>&1
rc=$?
cat "$tmp/bad"
check corrupt-run-fails [ $rc -eq 1 ]
check corrupt-pingpong-caught grep -q '^result,roundtrip,pingpong-1cpu,pipe,wrong,' "$tmp/bad.csv"
check corrupt-stream-caught grep -q '^result,stream,stream-64,pipe,wrong,' "$tmp/bad.csv"
check case-selection sh -c "cut -d, -f3 '$tmp/bad.csv' | sed 1d | sort -u | tr '\n' ' ' | grep -qx 'msg-pair-16 pingpong-1cpu stream-64 '"
check others-unaffected grep -q '^result,roundtrip,pingpong-1cpu,eventfd,ok,' "$tmp/bad.csv"
UIPC_BENCH_CORRUPT=uipc-msg "$bin" --quick --case msg-pair-16 --csv "$tmp/bad2.csv" > /dev/null 2>&1
check corrupt-uipc-caught grep -q '^result,op,msg-pair-16,uipc-msg,wrong,' "$tmp/bad2.csv"

# Nothing left behind.
snap > "$tmp/after"
check nothing-left-behind cmp -s "$tmp/before" "$tmp/after"

[ $fails -eq 0 ]
