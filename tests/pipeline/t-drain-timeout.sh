#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The bounded drain (issue 14, --drain-timeout-ms N), from the outside: a
# front-end goes away while requests are inside an engine that does not
# return them in time (the test engine at 1 s, a hung hardware engine's
# stand-in; the drain gives up after 200 ms).
#
#  - a client SIGKILLed with 32 requests in the engine: the back-end waits
#    at most the timeout, then says loudly that it abandoned them (and
#    stops the queue); the disconnect is not held up for the engine's 1 s;
#  - the guest memory is unmapped at the disconnect; the abandoned requests
#    come out of the engine later and are dropped, never written (a write
#    would land in unmapped memory: the back-end would die): the next
#    client is served, the back-end is alive after they came due and says
#    it dropped them, it exits cleanly (plain and ASan+UBSan builds);
#  - with the default timeout (2 s) a 1 s engine is waited for: nothing
#    abandoned;
#  - the option's range is checked.
#
#   tests/pipeline/t-drain-timeout.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir drain
printf 'abc' >"$T/abc"
ABC=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad

# run TAG BIN TIMEOUT-ARGS...: kill a client with 32 in the engine
run() {
	tag=$1 bin=$2
	shift 2
	mkdir -p "$T/$tag"
	if ! start_backend --bin "$bin" "$T/$tag" --test-engine-latency-us 1000000 "$@"; then
		not_ok "$tag: the back-end starts with $*"
		return 1
	fi
	"$B/vaccel" bench "$DEV" --op null --size 64 --depth 32 \
		--seconds 30 >"$T/$tag.bench" 2>&1 &
	cpid=$!
	# the engine is full after the first batch: 32 requests for 1 s each
	sleep 2.5
	kill -KILL "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	t0=$(now_ms)
	wait_line 20 "$BACKEND_LOG" "front-end disconnected" || true
	t1=$(now_ms)
	echo "# $tag: the disconnect was done $((t1 - t0)) ms after the kill"
}

# 1. --drain-timeout-ms 200: abandoned, dropped later, never written
SAN_BIN=$TOP/build-san/vhost-user-accel
for tag in plain san; do
	bin=$B/vhost-user-accel
	if [ $tag = san ]; then
		[ -x "$SAN_BIN" ] || { skip "no build-san/vhost-user-accel (make SAN=1)"; continue; }
		bin=$SAN_BIN
		san_env
	fi
	run "$tag" "$bin" --drain-timeout-ms 200 || continue
	l=$(grep 'still inside the engine after 200 ms (--drain-timeout-ms): abandoned' "$BACKEND_LOG" | head -1)
	echo "# ${l:-no abandonment logged}"
	k=$(echo "$l" | sed -n 's/.*queue [0-9]*: \([0-9]*\) requests* still inside.*/\1/p')
	check "$tag: the drain gave up after 200 ms on the requests inside the engine (${k:-0} abandoned, logged)" \
		eval "[ ${k:-0} -ge 16 ]"
	check "$tag: the abandoned queue is stopped until a reset" \
		grep -q 'stopped at avail index [0-9]*: requests abandoned inside a hung engine' "$BACKEND_LOG"
	# the abandoned requests come due ~1 s after submission; the next
	# client's queue polls the engine and drops them
	out=$(timeout 60 "$B/vaccel" hash "$DEV" --alg sha256 "$T/abc" 2>&1)
	case $out in
	*$ABC*) ok "$tag: the next client is served (sha256 of abc)" ;;
	*) not_ok "$tag: the next client is served: $out" ;;
	esac
	sleep 1.5
	check "$tag: the back-end is alive after the abandoned requests came out of the engine" \
		_alive "$BACKEND_PID"
	out=$(timeout 60 "$B/vaccel" hash "$DEV" --alg sha256 "$T/abc" 2>&1)
	wait_count 20 "$BACKEND_LOG" "front-end disconnected" 3 || true
	dr=$(sed -n 's/.*queue [0-9]*: \([0-9]*\) completions of abandoned requests dropped, not written.*/\1/p' "$BACKEND_LOG" |
		awk '{ s += $1 } END { print s + 0 }')
	check "$tag: their completions were dropped, not written ($dr of ${k:-?})" \
		eval "[ $dr -eq ${k:-0} ] && [ $dr -gt 0 ]"
	stop_backend
	src=$?
	check "$tag: the back-end exits cleanly (status $src)" [ "$src" -eq 0 ]
	san_report "$BACKEND_LOG" && not_ok "$tag: sanitizer report in the back-end's log"
	cp "$BACKEND_LOG" "$T/$tag.log"
done

# 2. the default timeout (2 s) outwaits a 1 s engine: nothing abandoned
run default "$B/vhost-user-accel" || { summary; exit; }
done_n=$(sed -n 's/.*queue [0-9]*: \([0-9]*\) requests completed asynchronously.*/\1/p' "$BACKEND_LOG" |
	awk '{ s += $1 } END { print s + 0 }')
check "default: nothing abandoned, every request taken was completed ($done_n)" \
	eval "! grep -q 'abandoned' '$BACKEND_LOG' && [ $done_n -ge 32 ]"
stop_backend
src=$?
check "default: the back-end exits cleanly (status $src)" [ "$src" -eq 0 ]

for v in 0 600001 x; do
	"$B/vhost-user-accel" --socket-path "$T/never.sock" --drain-timeout-ms "$v" \
		>"$T/range.out" 2>&1
	rc=$?
	check "--drain-timeout-ms $v is refused (exit $rc)" [ "$rc" -eq 2 ]
done

summary
