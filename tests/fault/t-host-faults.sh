#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Fault injection against the DPDK back-end over vhost-user (host, no VM):
#
# 1. Client killed mid-request: vaccel-fault-client (libvirtaccel, a
#    vhost-user front-end) creates sessions and keeps requests in flight on
#    a back-end that takes --test-delay-us per request; it is SIGKILLed,
#    three times at different depths. The back-end must notice (its log:
#    front-end disconnected, N sessions destroyed, within 5 s), the next
#    client must be served, and must get ENOENT for the dead client's
#    session ids (use and destroy).
# 2. Connect/disconnect churn: CYCLES open/close cycles (some with a
#    session, some with requests left in flight at close); the back-end's
#    open fds (/proc/PID/fd) and VmRSS are read after a warm-up, half-way
#    and at the end, with no client connected: fds may not grow at all (+1
#    slack), RSS by at most RSS_SLACK_KB (default 4096) in total and half
#    of it over the second half (not judged for an ASan build, whose
#    quarantine grows RSS: LeakSanitizer at exit checks that one). A control request right after an open must
#    not stall (at most 1 % of them over 150 ms: the back-end once slept
#    200 ms with a notification pending).
#
# Then: the back-end still alive, exit 0 on SIGTERM, no sanitizer report
# in its log (the ASan+UBSan build also runs LeakSanitizer at exit).
#
#   tests/fault/t-host-faults.sh [BUILD_DIR] [CYCLES]
#
# BUILD_DIR: the back-end's build (default build; build-san for ASan+UBSan).
# CYCLES: connect/disconnect cycles (default 10000; 30 s on an idle 2-core
# machine here). CHURN_SECONDS (default 100) caps the churn's time: on a
# busy machine fewer cycles run, the output says so loudly, and at least
# min(CYCLES, 2000) must. CHURN_SECONDS=0: no cap. Output ends
# "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
CYCLES=${2:-10000}
CHURN_SECONDS=${CHURN_SECONDS:-100}
RSS_SLACK_KB=${RSS_SLACK_KB:-4096}
. "$TOP/tests/lib/lib.sh"

[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
[ -e "$TOP/build/libvirtaccel.a" ] || { echo "build/libvirtaccel.a missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir fault
at_exit '[ -z "${HOLD_PID:-}" ] || kill -KILL "$HOLD_PID" 2>/dev/null'

C=$T/vaccel-fault-client
host_prog "$TOP/tests/fault/fault_client.c" "$C" "$TOP/build/libvirtaccel.a" -lpthread ||
	{ echo "building the client failed"; echo "0 passed, 1 failed"; exit 1; }

san_env
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# wait_log PATTERN COUNT SECONDS: the back-end log has COUNT lines matching
wait_log() { wait_count "$3" "$BACKEND_LOG" "$1" "$2"; }

fds() { ls "/proc/$BACKEND_PID/fd" 2>/dev/null | wc -l; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$BACKEND_PID/status"; }

echo "# back-end: $B/vhost-user-accel"
# ---- 1. client killed mid-request -------------------------------------------
start_backend "$T" -v --test-delay-us 2000 || { echo "0 passed, 1 failed"; exit 1; }
disc=0
for run in "1 1" "4 32" "8 64"; do
	set -- $run
	ns=$1 depth=$2
	nd0=$(grep -c "^vhost-user-accel: $ns sessions destroyed" "$BACKEND_LOG")
	"$C" hold "$DEV" "$ns" "$depth" "$KEY" >"$T/hold.out" 2>&1 &
	HOLD_PID=$!
	ready() { grep -q ready "$T/hold.out" || ! kill -0 "$HOLD_PID" 2>/dev/null; }
	wait_until 60 ready
	if ! grep -q ready "$T/hold.out"; then
		not_ok "client ($ns sessions, depth $depth) running within 60 s"
		cat "$T/hold.out"
		{ kill -KILL "$HOLD_PID"; wait "$HOLD_PID"; } 2>/dev/null
		HOLD_PID=
		disc=$((disc + 1))
		wait_log 'front-end disconnected' $disc 30
		continue
	fi
	sleep 0.$((1 + RANDOM % 4))
	{ kill -KILL "$HOLD_PID"; tk=$(now_ms); wait "$HOLD_PID"; } 2>/dev/null
	HOLD_PID=
	disc=$((disc + 1))
	if wait_log 'front-end disconnected' $disc 30; then
		ok "client with $ns session(s), depth $depth, SIGKILLed: back-end noticed in $(($(now_ms) - tk)) ms"
	else
		not_ok "client with $ns session(s), depth $depth, SIGKILLed: no disconnect in the back-end log within 30 s"
	fi
	nd=$(grep -c "^vhost-user-accel: $ns sessions destroyed" "$BACKEND_LOG")
	check "its $ns session(s) destroyed with it" [ "$nd" -eq $((nd0 + 1)) ]
	sids=$(sed -n 's/^sid //p' "$T/hold.out" | tr '\n' ' ')
	# shellcheck disable=SC2086 # a list of ids
	if "$C" probe "$DEV" $sids >"$T/probe.out" 2>&1; then
		ok "next client served; the dead client's ids give ENOENT (use and destroy)"
	else
		not_ok "next client after the kill"
		sed 's/^/#   /' "$T/probe.out"
	fi
	disc=$((disc + 1))
	wait_log 'front-end disconnected' $disc 30
done
check "back-end still running after the kills" kill -0 "$BACKEND_PID"
stop_backend
rc=$?
check "back-end exit 0 on SIGTERM (got $rc)" [ $rc -eq 0 ]
if grep -qiE 'AddressSanitizer|LeakSanitizer|runtime error' "$BACKEND_LOG"; then
	not_ok "sanitizer report in the back-end log (client kills)"
	grep -iE -A10 'AddressSanitizer|LeakSanitizer|runtime error' "$BACKEND_LOG" | head -40
else
	ok "no sanitizer report in the back-end log (client kills)"
fi
mv "$BACKEND_LOG" "$T/backend-kill.log"

# ---- 2. connect/disconnect churn ----------------------------------------------
start_backend "$T" || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
warm=200
[ "$CYCLES" -lt 2000 ] && warm=50
"$C" churn "$DEV" $warm 7 >"$T/warm.out" 2>&1 || { cat "$T/warm.out"; not_ok "warm-up cycles"; }
idle() { # no client connected: the last disconnect has been handled
	wait_log 'front-end disconnected' "$1" 5
	sleep 0.2
}
n0=$(grep -c 'front-end connected' "$BACKEND_LOG")
idle "$n0"
f0=$(fds); r0=$(rss)
half=$((CYCLES / 2))
t0=$(now_ms)
"$C" churn "$DEV" $half 1 $((CHURN_SECONDS / 2)) >"$T/churn1.out" 2>&1
rc1=$?
idle "$(grep -c 'front-end connected' "$BACKEND_LOG")"
f1=$(fds); r1=$(rss)
"$C" churn "$DEV" $((CYCLES - half)) 2 $((CHURN_SECONDS / 2)) >"$T/churn2.out" 2>&1
rc2=$?
t1=$(now_ms)
idle "$(grep -c 'front-end connected' "$BACKEND_LOG")"
f2=$(fds); r2=$(rss)
grep -h '^churn: .* cycles in\|time limit' "$T/churn1.out" "$T/churn2.out" | sed 's/^/# /'
done_c=$(cat "$T/churn1.out" "$T/churn2.out" | sed -n 's/^churn: \([0-9]*\) cycles in.*/\1/p' | awk '{s+=$1} END {print s+0}')
if [ "$done_c" -lt "$CYCLES" ]; then
	echo "# *** only $done_c of $CYCLES cycles within the ${CHURN_SECONDS} s limit (machine busy?): judged on those ***"
fi
check "$done_c connect/disconnect cycles without a failure" [ $((rc1 + rc2)) -eq 0 ]
[ $((rc1 + rc2)) -eq 0 ] || cat "$T/churn1.out" "$T/churn2.out" | grep -v '^churn: [0-9]* cycles,' | head -20
MINC=$((CYCLES < 2000 ? CYCLES : 2000))
check "at least $MINC cycles ($done_c)" [ "$done_c" -ge $MINC ]
ms=$((t1 - t0))
[ $ms -gt 0 ] || ms=1
echo "# $done_c cycles in $((ms / 1000)).$(((ms % 1000) / 100)) s: $((done_c * 1000 / ms)) cycles/s"
echo "# back-end fds: $f0 before, $f1 half-way, $f2 after; VmRSS (kB): $r0 before, $r1 half-way, $r2 after"
CYCLES=$done_c
check "no fd growth over $CYCLES cycles ($f0 -> $f2, slack 1)" [ "$f2" -le $((f0 + 1)) ]
if ldd "$B/vhost-user-accel" | grep -q libasan; then
	# ASan keeps freed memory in quarantine: RSS grows without a leak;
	# LeakSanitizer at exit (below) is the leak check of this build
	echo "# ASan build: VmRSS not judged (quarantine), LeakSanitizer is"
else
	check "VmRSS growth $((r2 - r0)) kB over $CYCLES cycles (slack $RSS_SLACK_KB kB)" \
		[ $((r2 - r0)) -le "$RSS_SLACK_KB" ]
	check "VmRSS growth $((r2 - r1)) kB over the second half (slack $((RSS_SLACK_KB / 2)) kB)" \
		[ $((r2 - r1)) -le $((RSS_SLACK_KB / 2)) ]
fi
conn=$(grep -c 'front-end connected' "$BACKEND_LOG")
check "every cycle reached the back-end ($conn connections >= $((CYCLES + warm)))" \
	[ "$conn" -ge $((CYCLES + warm)) ]
slow=$(cat "$T/churn1.out" "$T/churn2.out" | sed -n 's/.*, \([0-9]*\) slow session creates.*/\1/p' | awk '{s+=$1} END {print s+0}')
sess=$(cat "$T/churn1.out" "$T/churn2.out" | sed -n 's/.*, \([0-9]*\) with a session.*/\1/p' | awk '{s+=$1} END {print s+0}')
check "control requests right after an open do not stall ($slow of $sess session creates over 150 ms)" \
	[ $((slow * 100)) -le "$sess" ]
check "back-end still running after the churn" kill -0 "$BACKEND_PID"
stop_backend
rc=$?
check "back-end exit 0 on SIGTERM (got $rc)" [ $rc -eq 0 ]
if grep -qiE 'AddressSanitizer|LeakSanitizer|runtime error' "$BACKEND_LOG"; then
	not_ok "sanitizer report in the back-end log (churn)"
	grep -iE -A10 'AddressSanitizer|LeakSanitizer|runtime error' "$BACKEND_LOG" | head -40
else
	ok "no sanitizer report in the back-end log (churn)"
fi
summary
