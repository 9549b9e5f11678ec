#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The back-end's asynchronous pipeline under the kernel guest driver, data
# path 1 (issue 14): a 6.12 guest with virtio_accel.ko on
# vhost-user-accel-pci (patched QEMU), twice: the back-end with the test
# engine (--test-engine-latency-us 500, every one-shot request completes
# 0.5 ms late) and with its crypto PMD behind the pipeline, both with
# --test-reorder (completions out of order);
# tests/vm/guest/t-pipeline-guest.sh checks every result in the guest
# (vaccel-restart-load at depths 1..256, AF_ALG digests). Here: the
# back-end's counters at the device's stop (its log) show the requests
# completed asynchronously, out of order, with many in flight on a queue.
#
#   tests/vm/host/t-pipeline-run.sh [BACKEND_BUILD_DIR]
#
# Environment: PIPE_LATENCY_US (500), GUEST_KO, VM_QEMU. Output ends
# "N passed, N failed"; exit 77 (SKIP, loudly) without the patched QEMU or
# the module.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BB=$(cd "${1:-$TOP/build}" && pwd)
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
LAT=${PIPE_LATENCY_US:-500}
. "$TOP/tests/lib/lib.sh"

if [ -n "${VM_QEMU:-}" ]; then
	QEMU=$VM_QEMU
elif ! QEMU=$("$TOP/vhost-user-backend/qemu/build-qemu.sh" --print-path); then
	skip_all "no QEMU with vhost-user-accel-pci is built; run vhost-user-backend/qemu/build-qemu.sh once (3-6 min), then this test"
fi
export VM_QEMU=$QEMU
need_ko "$GUEST_KO"
[ -x "$BB/vhost-user-accel" ] || { echo "$BB/vhost-user-accel missing: run make"; exit 2; }

KEEP_ON_FAIL=1
test_tmpdir pipevm
SOCK=$T/accel.sock
guest_prog "$TOP/tests/vm/progs/restart_load.c" "$T/vaccel-restart-load" ||
	{ echo "building vaccel-restart-load failed"; echo "0 passed, 1 failed"; exit 1; }
guest_prog "$TOP/tests/vm/progs/vaccel_afalg.c" "$T/vaccel-afalg" ||
	{ echo "building vaccel-afalg failed"; echo "0 passed, 1 failed"; exit 1; }
head -c 4096 /dev/urandom >"$T/d.4096"
san_env

sum() { # sum LOG WHAT: the pipeline's report lines (done, ooo, max)
	sed -n 's/.*queue [0-9]*: \([0-9]*\) requests completed asynchronously by the [a-z ]* (\([0-9]*\) out of order), up to \([0-9]*\) in flight.*/\1 \2 \3/p' "$1" |
		awk -v w="$2" '{ d += $1; o += $2; if ($3 > m) m = $3 }
			END { print (w == "done" ? d : w == "ooo" ? o : m) + 0 }'
}

# run TAG MIN_ASYNC MIN_INFLIGHT BACKEND ARGS...: one guest run against one
# back-end
run() {
	tag=$1 min=$2 minf=$3
	shift 3
	mkdir -p "$T/$tag"
	rm -f "$SOCK"
	if ! start_backend --bin "$BB/vhost-user-accel" --sock "$SOCK" \
		"$T/$tag" --queues 2 "$@"; then
		not_ok "$tag: the back-end starts with $*"
		return
	fi
	rc=0
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout 900 \
		--path vhost-user --no-backend --socket "$SOCK" \
		--queues 2 --queue-size 256 --ko "$GUEST_KO" --module algif_hash \
		--bin "$T/vaccel-restart-load" --bin "$T/vaccel-afalg" \
		"$TOP/tests/vm/guest/t-pipeline-guest.sh" "$T/d.4096" \
		>"$T/$tag.out" 2>&1 || rc=$?
	tr -d '\r' <"$T/$tag.out" | grep -E '^(ok|not ok|#)' |
		sed "s/^\(not \)\{0,1\}ok [0-9]* - /&$tag: /"
	count_results "$T/$tag.out" "$rc"
	# the guest is gone: the device stopped, the back-end logged its counters
	wait_line 20 "$BACKEND_LOG" "completed asynchronously" || true
	stop_backend
	src=$?
	check "$tag: the back-end exits 0 on SIGTERM (status $src)" [ "$src" -eq 0 ]
	grep 'completed asynchronously' "$BACKEND_LOG" | sed 's/^/# backend: /'
	d=$(sum "$BACKEND_LOG" done) o=$(sum "$BACKEND_LOG" ooo)
	m=$(sum "$BACKEND_LOG" max)
	check "$tag: back-end: requests completed asynchronously ($d)" \
		[ "$d" -ge "$min" ]
	check "$tag: back-end: completions out of order ($o)" [ "$o" -ge 100 ]
	check "$tag: back-end: many requests in flight on one queue (up to $m)" \
		[ "$m" -ge "$minf" ]
	if san_report "$BACKEND_LOG"; then
		not_ok "$tag: sanitizer report in the back-end's log"
	fi
}

# the test engine: every one-shot request (NULL and SHA-256) 0.5 ms late
run engine 1000 16 --test-engine-latency-us "$LAT" --test-reorder
# the crypto PMD behind the pipeline: the SHA-256 half of the load (a
# software PMD finishes at enqueue: the worker polls it every 8 requests)
run pmd 500 4 --test-reorder
summary
