#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The back-end's asynchronous engine pipeline (issue 14), from the outside:
# the real vhost-user-accel over its socket with the test engine
# (--test-engine-latency-us N: every one-shot request completes N us after
# it was submitted, many in flight per queue).
#
#  - the conformance suite passes with the test engine, and with
#    --test-reorder (the completions due at one poll released last first);
#    the back-end's counters (its log at the device's stop) show requests
#    completed asynchronously, many in flight, and with --test-reorder out
#    of order;
#  - a client SIGKILLed with 64 requests inside the engine (100 ms latency):
#    the back-end waits for them before it lets go of the guest memory
#    (no crash, with the ASan+UBSan back-end too when build-san/ exists),
#    stays up and serves the next client;
#  - the cryptodev and compressdev PMDs in the pipeline (the default
#    engines, no test engine): tests/pipeline/pipe_check.c keeps 256
#    SHA-256, HMAC (inline keys), AES-256-GCM encryption (session, AAD),
#    decryption (inline keys, AAD, bad tags) and DEFLATE compression requests
#    in flight per queue, every result checked against OpenSSL and zlib; the
#    counters show them completed asynchronously, compression by the
#    compressdev among them, and out of order with --test-reorder (plain and
#    ASan+UBSan back-end); the same mix through the test engine with
#    --test-reorder;
#  - the option's range is checked.
#
#   tests/pipeline/t-pipeline-host.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir pipe

# counter LOG WHAT: the sum over queues of the pipeline's report lines
# "queue N: A requests completed asynchronously by the test engine|engines
# (O out of order), up to M in flight" (WHAT: done, ooo or max; max is the
# maximum)
counter() {
	sed -n 's/.*queue [0-9]*: \([0-9]*\) requests completed asynchronously by the [a-z ]* (\([0-9]*\) out of order), up to \([0-9]*\) in flight.*/\1 \2 \3/p' "$1" |
		awk -v w="$2" '{ d += $1; o += $2; if ($3 > m) m = $3 }
			END { print (w == "done" ? d : w == "ooo" ? o : m) + 0 }'
}

# conf TAG BACKEND-BIN [BACKEND ARGS...]: the suite against a back-end
conf() {
	tag=$1 bin=$2
	shift 2
	mkdir -p "$T/$tag"
	if ! start_backend --bin "$bin" "$T/$tag" --test-gcm-stream-max 1048576 "$@"; then
		not_ok "$tag: the back-end starts with $*"
		return 1
	fi
	VACCEL_TEST_GCM_STREAM_MAX=1048576 timeout 600 \
		"$B/tests/conformance_suite" --queues 2 "$DEV" >"$T/$tag.out" 2>&1
	rc=$?
	stop_backend
	src=$?
	grep -E '^(not ok|FAIL|fail )' "$T/$tag.out" | head -20 | sed 's/^/# /'
	tail -1 "$T/$tag.out" | sed "s/^/# $tag: /"
	check "$tag: the conformance suite passes (exit $rc)" \
		sh -c "[ $rc -eq 0 ] && tail -1 '$T/$tag.out' | grep -q ' 0 failed'"
	check "$tag: the back-end exits cleanly (status $src)" [ "$src" -eq 0 ]
	if san_report "$BACKEND_LOG"; then
		not_ok "$tag: sanitizer report in the back-end's log"
	fi
	cp "$BACKEND_LOG" "$T/$tag.log"
}

LAT=200
conf engine "$B/vhost-user-accel" --test-engine-latency-us $LAT
done_n=$(counter "$T/engine.log" done)
max_n=$(counter "$T/engine.log" max)
echo "# test engine at $LAT us: $done_n requests completed asynchronously, up to $max_n in flight on a queue"
check "engine: requests completed asynchronously by the test engine ($done_n)" \
	[ "$done_n" -ge 100 ]
check "engine: many in flight on one queue (up to $max_n, the suite's batch is 64)" \
	[ "$max_n" -ge 32 ]

conf reorder "$B/vhost-user-accel" --test-engine-latency-us $LAT --test-reorder
done_n=$(counter "$T/reorder.log" done)
ooo_n=$(counter "$T/reorder.log" ooo)
echo "# --test-reorder: $done_n completed asynchronously, $ooo_n of them out of order"
check "reorder: completions out of order ($ooo_n of $done_n)" \
	[ "$ooo_n" -ge 10 ]

SAN_BIN=$TOP/build-san/vhost-user-accel
if [ -x "$SAN_BIN" ]; then
	conf reorder-san "$SAN_BIN" --test-engine-latency-us $LAT --test-reorder
	ooo_n=$(counter "$T/reorder-san.log" ooo)
	check "reorder-san: completions out of order ($ooo_n)" [ "$ooo_n" -ge 10 ]
else
	skip "no build-san/vhost-user-accel (make SAN=1): the ASan+UBSan runs"
fi

# kill_mid TAG BACKEND-BIN: a client SIGKILLed with requests in the engine
kill_mid() {
	tag=$1 bin=$2
	mkdir -p "$T/$tag"
	if ! start_backend --bin "$bin" "$T/$tag" --test-engine-latency-us 100000; then
		not_ok "$tag: the back-end starts"
		return
	fi
	"$B/vaccel" bench "$DEV" --op null --size 64 --depth 64 \
		--seconds 10 >"$T/$tag.bench" 2>&1 &
	cpid=$!
	# 64 in flight for 100 ms each: the engine is full after ~0.1 s
	sleep 1.5
	kill -KILL "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	if wait_line 20 "$BACKEND_LOG" "front-end disconnected"; then
		ok "$tag: the back-end saw the client go"
	else
		not_ok "$tag: the back-end saw the client go"
	fi
	max_n=$(counter "$BACKEND_LOG" max)
	check "$tag: the engine held many requests when the client died (up to $max_n)" \
		[ "$max_n" -ge 32 ]
	check "$tag: the back-end is alive" _alive "$BACKEND_PID"
	printf 'abc' >"$T/abc"
	out=$(timeout 60 "$B/vaccel" hash "$DEV" --alg sha256 "$T/abc" 2>&1)
	want=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
	case $out in
	*$want*) ok "$tag: the next client is served (sha256 of abc)" ;;
	*) not_ok "$tag: the next client is served: $out" ;;
	esac
	stop_backend
	src=$?
	check "$tag: the back-end exits cleanly (status $src)" [ "$src" -eq 0 ]
	if san_report "$BACKEND_LOG"; then
		not_ok "$tag: sanitizer report in the back-end's log"
	fi
}
kill_mid kill "$B/vhost-user-accel"
if [ -x "$SAN_BIN" ]; then
	kill_mid kill-san "$SAN_BIN"
fi

# the cryptodev PMD behind the pipeline: results checked against OpenSSL
PC=$T/pipe-check
host_prog "$TOP/tests/pipeline/pipe_check.c" "$PC" "$TOP/build/libvirtaccel.a" \
	-lcrypto -lz -lpthread || not_ok "building pipe_check.c"
# pmd TAG BACKEND-BIN [BACKEND ARGS...]
pmd() {
	tag=$1 bin=$2
	shift 2
	mkdir -p "$T/$tag"
	if ! start_backend --bin "$bin" "$T/$tag" "$@"; then
		not_ok "$tag: the back-end starts with $*"
		return 1
	fi
	timeout 300 "$PC" "$DEV" 4 >"$T/$tag.out" 2>&1
	rc=$?
	sed 's/^/# /' "$T/$tag.out" | head -12
	check "$tag: 256 requests in flight per queue, every result right (exit $rc)" \
		[ "$rc" -eq 0 ]
	stop_backend
	src=$?
	check "$tag: the back-end exits cleanly (status $src)" [ "$src" -eq 0 ]
	if san_report "$BACKEND_LOG"; then
		not_ok "$tag: sanitizer report in the back-end's log"
	fi
	cp "$BACKEND_LOG" "$T/$tag.log"
	grep 'completed asynchronously' "$T/$tag.log" | sed 's/^/# /'
	done_n=$(counter "$T/$tag.log" done)
	max_n=$(counter "$T/$tag.log" max)
	case $* in
	*--test-engine-latency-us*)
		check "$tag: completed asynchronously by the test engine ($done_n)" \
			[ "$done_n" -ge 1000 ]
		return ;;
	esac
	zd=$(sed -n 's/.*compressdev \([0-9]*\)).*/\1/p' "$T/$tag.log" |
		awk '{ s += $1 } END { print s + 0 }')
	check "$tag: completed asynchronously by the crypto and compress PMDs ($done_n, compressdev $zd)" \
		eval "[ $done_n -ge 1000 ] && [ $zd -ge 200 ]"
	# a software PMD finishes at enqueue: the worker polls every 8
	check "$tag: up to $max_n in the PMDs at once on a queue" \
		[ "$max_n" -ge 8 ]
}
if [ -x "$PC" ]; then
	pmd pmd "$B/vhost-user-accel"
	pmd pmd-reorder "$B/vhost-user-accel" --test-reorder
	ooo_n=$(counter "$T/pmd-reorder.log" ooo)
	check "pmd-reorder: PMD completions out of order ($ooo_n)" [ "$ooo_n" -ge 100 ]
	if [ -x "$SAN_BIN" ]; then
		pmd pmd-san "$SAN_BIN" --test-reorder
	fi
	pmd engine-mix "$B/vhost-user-accel" --test-engine-latency-us $LAT \
		--test-reorder
	ooo_n=$(counter "$T/engine-mix.log" ooo)
	check "engine-mix: the test engine's completions out of order ($ooo_n)" \
		[ "$ooo_n" -ge 100 ]
fi

# the option's range
for v in 0 1000001 x; do
	"$B/vhost-user-accel" --socket-path "$T/never.sock" \
		--test-engine-latency-us "$v" >"$T/range.out" 2>&1
	rc=$?
	check "--test-engine-latency-us $v is refused (exit $rc)" [ "$rc" -eq 2 ]
done

summary
