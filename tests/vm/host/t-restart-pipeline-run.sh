#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Back-end SIGKILL and restart with the asynchronous pipeline full (issue
# 14), data path 1: tests/vm/host/t-restart-run.sh (a 6.12 guest keeping up
# to 256 requests in flight over two queues, every completion checked in
# the guest, the back-end SIGKILLed mid-load and restarted on the same
# socket) with the back-end's test engine holding each one-shot request
# PIPE_RESTART_LATENCY_US (50000) inside the engine and --test-reorder: a
# kill finds a queue's requests inside the engine, more than the one
# batch (64) a synchronous back-end has taken at any time. Every request
# must complete exactly once with the right result (0 lost, 0 duplicated)
# and a restarted back-end must have resubmitted more than 64 requests of
# one queue at some kill.
#
#   tests/vm/host/t-restart-pipeline-run.sh [BACKEND_BUILD_DIR]
#
# Environment: RESTART_PHASES ("32:2 128:2 256:2"), PIPE_RESTART_LATENCY_US,
# and those of t-restart-run.sh. Output ends "N passed, N failed"; exit 77
# as t-restart-run.sh.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
. "$TOP/tests/lib/lib.sh"
test_tmpdir restartpipe
export RESTART_DELAY_US=0
export RESTART_BACKEND_ARGS="--test-engine-latency-us ${PIPE_RESTART_LATENCY_US:-50000} ${RESTART_BACKEND_ARGS:-}"
export RESTART_PHASES=${RESTART_PHASES:-"32:2 128:2 256:2"}
export RESTART_MIN_INFLIGHT=${RESTART_MIN_INFLIGHT:-300}
rc=0
"$TOP/tests/vm/host/t-restart-run.sh" "${1:-$TOP/build}" >"$T/out" 2>&1 || rc=$?
cat "$T/out"
[ "$rc" -eq 77 ] && exit 77
count_results "$T/out" "$rc"
# "queue N: resubmitting K requests in flight at the previous back-end's end"
max=$(sed -n 's/.*resubmitting \([0-9]*\) request.*/\1/p' "$T/out" | sort -n | tail -1)
echo "# most requests of one queue inside the killed back-end: ${max:-none}"
check "a kill found more than one batch (64) of a queue's requests inside the engine, all resubmitted (${max:-none})" \
	[ "${max:-0}" -gt 64 ]
summary
