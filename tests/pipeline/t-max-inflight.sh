#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Per-device limit on requests inside the engines (issue 14,
# --max-inflight N), from the outside: one vhost-user-accel, two sockets on
# one worker, the test engine (--test-engine-latency-us: every one-shot
# request stays in the engine for a while, as in a hardware engine).
#
#  - device 0 floods (tests/pipeline/pipe_check.c: 256 requests submitted at
#    once on each of 2 queues, every result checked against OpenSSL; then
#    the CLI's bench at depth 64): the back-end never has more than N of its
#    requests inside the engines (the device's and each queue's "most in
#    flight" log lines, and DPDK telemetry sampled under the load:
#    engine_inflight <= max_inflight = N), and reaches N (the limit, not
#    the load, is what stops it: its queues waited at the limit);
#  - device 1 is served all along at its own depth, above the limit's
#    share (it is not starved by device 0 holding its N);
#  - without the option the limit reported is the queues' slot tables;
#  - the option's range is checked.
#
#   tests/pipeline/t-max-inflight.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir maxinfl
PY=${PYTHON:-python3}
TEL="$PY $TOP/tests/frontends/tel.py"
N=16
LAT=1000

PC=$T/pipe-check
host_prog "$TOP/tests/pipeline/pipe_check.c" "$PC" "$TOP/build/libvirtaccel.a" \
	-lcrypto -lz -lpthread || not_ok "building pipe_check.c"

# devline LOG DEV: "M L" from "device DEV: up to M requests inside the
# engines at once ..., L rounds in which a queue waited at the limit"
devline() {
	sed -n "s/.*device $2: up to \([0-9]*\) requests inside the engines at once.*, \([0-9]*\) rounds in which.*/\1 \2/p" "$1" |
		awk '{ if ($1 > m) m = $1; w += $2 } END { print m + 0, w + 0 }'
}
# qmax LOG: the largest "up to M in flight" of the queues' report lines
qmax() {
	sed -n 's/.*completed asynchronously by the [a-z ]* ([0-9]* out of order), up to \([0-9]*\) in flight.*/\1/p' "$1" |
		sort -n | tail -1
}

mkdir -p "$T/a"
SA=$T/a/a.sock
SB=$T/a/b.sock
if ! start_backend --sock "$SA" "$T/a" --socket-path "$SB" --workers 1 \
	--queues 2 --test-engine-latency-us $LAT --max-inflight $N; then
	not_ok "the back-end starts with --max-inflight $N"
	summary
	exit
fi
wait_line 10 "$BACKEND_LOG" "telemetry: " || true
TSOCK=$(sed -n 's/.*telemetry: \([^ ]*\) .*/\1/p' "$BACKEND_LOG" | head -1)

# 1. pipe_check floods device 0 on two queues while device 1 runs a bench
"$B/vaccel" bench "vhost-user:$SB" --op null --size 64 --depth 8 \
	--seconds 4 >"$T/b1.out" 2>&1 &
bpid=$!
sleep 0.5
timeout 300 "$PC" "vhost-user:$SA" 6 >"$T/pc.out" 2>&1
rc=$?
sed 's/^/# /' "$T/pc.out" | head -5
check "device 0: pipe_check's 6 x 512 requests (2 queues), every result right (exit $rc)" \
	[ "$rc" -eq 0 ]
wait_line 20 "$BACKEND_LOG" "front-end disconnected \(vid [0-9]*, device 0\)" || true
read -r m0 w0 <<EOF
$(devline "$BACKEND_LOG" 0)
EOF
q0=$(qmax "$BACKEND_LOG")
echo "# device 0 (pipe_check): up to $m0 inside the engines, its queues waited at the limit in $w0 rounds; a queue up to ${q0:-?}"
check "device 0: never more than --max-inflight $N inside the engines (up to $m0; a queue up to ${q0:-?})" \
	eval "[ \"$m0\" -le $N ] && [ \"${q0:-999}\" -le $N ]"
check "device 0: the limit was reached ($m0) and held its queues back ($w0 rounds)" \
	eval "[ \"$m0\" -eq $N ] && [ \"$w0\" -gt 0 ]"
wait "$bpid"
brc=$?
tail -1 "$T/b1.out" | sed 's/^/# device 1: /'
check "device 1: served while device 0 flooded (bench exit $brc)" [ "$brc" -eq 0 ]

# 2. the CLI's bench at depth 64 on device 0, telemetry sampled under load
"$B/vaccel" bench "vhost-user:$SA" --op null --size 64 --depth 64 \
	--seconds 6 >"$T/a2.out" 2>&1 &
apid=$!
sleep 1
"$B/vaccel" bench "vhost-user:$SB" --op null --size 64 --depth 8 \
	--seconds 2 >"$T/b2.out" 2>&1 &
bpid=$!
bad=0
live=0
samples=""
for _ in 1 2 3 4; do
	# connected engine_inflight max_inflight, in one reply
	read -r con cur lim <<EOF
$($TEL "$TSOCK" /vaccel/stats,0 2>/dev/null | $PY -c 'import json, sys
d = json.load(sys.stdin)
print(d["connected"], d["engine_inflight"], d["max_inflight"])')
EOF
	[ "${con:-0}" = 1 ] || continue
	live=$((live + 1))
	samples="$samples $cur/$lim"
	{ [ -n "$cur" ] && [ "$cur" -le $N ] && [ "$lim" = $N ]; } || bad=1
	sleep 0.2
done
echo "# telemetry engine_inflight/max_inflight under the load:$samples"
check "telemetry: device 0's engine_inflight <= max_inflight = $N under the load ($live samples:$samples)" \
	eval "[ $bad -eq 0 ] && [ $live -ge 2 ]"
wait "$bpid"
brc=$?
wait "$apid"
arc=$?
tail -1 "$T/a2.out" | sed 's/^/# device 0: /'
tail -1 "$T/b2.out" | sed 's/^/# device 1: /'
# device 1 at depth 8 and 1 ms in the engine: up to 8000 ops/s; at least
# an eighth of it (the loaded 2-CPU machine), i.e. not starved
bops=$(sed -n 's/.*(event): \([0-9]*\) ops\/s.*/\1/p' "$T/b2.out")
check "device 1: served at its own depth while device 0 holds its $N (${bops:-?} ops/s >= 1000; exits $arc $brc)" \
	eval "[ \"${bops:-0}\" -ge 1000 ] && [ $arc -eq 0 ] && [ $brc -eq 0 ]"
wait_count 20 "$BACKEND_LOG" "front-end disconnected \(vid [0-9]*, device 0\)" 2 || true
read -r m0 w0 <<EOF
$(devline "$BACKEND_LOG" 0)
EOF
read -r m1 _ <<EOF
$(devline "$BACKEND_LOG" 1)
EOF
q0=$(qmax "$BACKEND_LOG")
echo "# device 0 up to $m0 (waited $w0 rounds), device 1 up to $m1, a queue up to $q0"
check "bench at depth 64: device 0 still never above $N ($m0), device 1 had its 8 ($m1)" \
	eval "[ \"$m0\" -le $N ] && [ \"$q0\" -le $N ] && [ \"$m1\" -ge 8 ]"
stop_backend
src=$?
check "the back-end exits cleanly (status $src)" [ "$src" -eq 0 ]
san_report "$BACKEND_LOG" && not_ok "sanitizer report in the back-end's log"
cp "$BACKEND_LOG" "$T/limit.log"

# 3. without the option: the limit is the slot tables
mkdir -p "$T/c"
if start_backend "$T/c" --queues 2 --test-engine-latency-us $LAT; then
	wait_line 10 "$BACKEND_LOG" "telemetry: " || true
	TS2=$(sed -n 's/.*telemetry: \([^ ]*\) .*/\1/p' "$BACKEND_LOG" | head -1)
	"$B/vaccel" bench "$DEV" --op null --size 64 --depth 64 --seconds 2 \
		>"$T/c.out" 2>&1 &
	cpid=$!
	sleep 1
	lim=$($TEL "$TS2" /vaccel/stats,0 max_inflight 2>/dev/null)
	wait "$cpid"
	stop_backend
	m=$(devline "$BACKEND_LOG" 0 | cut -d' ' -f1)
	echo "# no --max-inflight: max_inflight $lim, up to $m inside the engines"
	check "no --max-inflight: the limit is the queues' slot tables ($lim > $N) and depth 64 gets past $N ($m)" \
		eval "[ \"${lim:-0}\" -gt $N ] && [ \"${m:-0}\" -gt $N ]"
else
	not_ok "the back-end starts without --max-inflight"
fi

# the option's range
for v in 0 16385 x; do
	"$B/vhost-user-accel" --socket-path "$T/never.sock" --max-inflight "$v" \
		>"$T/range.out" 2>&1
	rc=$?
	check "--max-inflight $v is refused (exit $rc)" [ "$rc" -eq 2 ]
done

summary
