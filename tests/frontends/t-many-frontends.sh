#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Many front-ends on one vhost-user-accel process (issue 14): four sockets
# (--socket-path repeated), two workers.
#
#   tests/frontends/t-many-frontends.sh BUILD_DIR   (build or build-san)
#
# VACCEL_BACKEND=PATH runs that back-end binary instead of BUILD_DIR's (to
# show the test failing on another version).
#
# - the conformance suite and the CLI on every socket at once
# - one front-end SIGKILLed mid-load while the others run (every result
#   checked against OpenSSL/sha256sum); its socket serves a new front-end
# - vaccel-robust's malformed chains and broken rings on one socket while
#   two others serve
# - session isolation: A's session id is INVSESS on B
# - per-front-end limits: each socket has its own --max-sessions
# - a worker left with two devices more than another hands one over
# - DPDK telemetry (/vaccel/devices, /vaccel/stats,N) counts what each
#   front-end sent, per socket and per queue; read with dpdk-telemetry.py
#   too; a second back-end on the host has a telemetry socket of its own
#
# On a back-end with one front-end per process, the back-end listens only on
# the last --socket-path and refuses --workers: "back-end starts on 4
# sockets" fails, and with it everything after it.
set -u
B=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/lib.sh"
MF=$B/tests/vaccel-multife
V=$B/vaccel
TEL="$PY $TOP/tests/frontends/tel.py"
MAXS=100
test_tmpdir multife

start_backend ${VACCEL_BACKEND:+--bin "$VACCEL_BACKEND"} "$T" --socket-path "$T/b.sock" --socket-path "$T/c.sock" \
	--socket-path "$T/d.sock" --workers 2 --max-sessions $MAXS \
	--test-gcm-stream-max 1048576 || true
A=vhost-user:$T/accel.sock
DB=vhost-user:$T/b.sock
DC=vhost-user:$T/c.sock
DD=vhost-user:$T/d.sock
if [ -z "$BACKEND_PID" ] || ! wait_until 10 test -S "$T/d.sock"; then
	not_ok "back-end starts on 4 sockets"
	summary
	exit 1
fi
ok "back-end starts on 4 sockets"
wait_line 10 "$BACKEND_LOG" "telemetry: " || true
TSOCK=$(sed -n 's/.*telemetry: \([^ ]*\) .*/\1/p' "$BACKEND_LOG" | head -1)
check "telemetry socket announced ($TSOCK)" test -S "$TSOCK"

# ---- the conformance suite and the CLI on every socket at once -------------
$PY "$TOP/tests/tools/ref.py" gen 3000000 7 "$T/in"
(cd "$T" && sha256sum in) | cut -d' ' -f1 >"$T/in.sum"
cli_round() { # cli_round DEV TAG: hash, compress round trip; 0 if right
	"$V" hash "$1" --alg sha256 "$T/in" | cut -d' ' -f1 >"$T/$2.sum" &&
	cmp -s "$T/$2.sum" "$T/in.sum" &&
	"$V" compress "$1" "$T/in" "$T/$2.z" &&
	"$V" decompress "$1" "$T/$2.z" "$T/$2.out" &&
	cmp -s "$T/$2.out" "$T/in"
}
# (a socket serves one front-end at a time: the suite, then the CLI)
pids=
for s in a b c d; do
	dev=vhost-user:$T/$s.sock
	[ $s = a ] && dev=$A
	(VACCEL_TEST_GCM_STREAM_MAX=1048576 "$B/tests/conformance_suite" \
		--queues 2 "$dev" >"$T/conf.$s" 2>&1; echo "rc $?" >>"$T/conf.$s"
	 cli_round "$dev" cli$s; echo "rc $?" >"$T/cli.$s") &
	pids="$pids $!"
done
wait $pids
for s in a b c d; do
	r=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/conf.$s" | tail -1)
	check "conformance suite on socket $s, 4 at once ($r)" \
		grep -qE '^[1-9][0-9]* passed, 0 failed' "$T/conf.$s"
	check "CLI hash + compress round trip on socket $s, 4 at once" \
		grep -qx "rc 0" "$T/cli.$s"
done

# ---- one front-end killed mid-load, the others go on ----------------------
c0=$($TEL "$TSOCK" /vaccel/stats,0 connections)
"$MF" load "$A" 0 4096 16 11 >"$T/load.a" 2>&1 &
KA=$!
"$MF" load "$DB" 40000 1000 16 22 >"$T/load.b" 2>&1 &
LB=$!
"$MF" load "$DC" 40000 1000 1 33 >"$T/load.c" 2>&1 &
LC=$!
(for i in 1 2 3; do
	VACCEL_TEST_GCM_STREAM_MAX=1048576 "$B/tests/conformance_suite" \
		--queues 2 "$DD" >"$T/conf2.d.$i" 2>&1 || echo "fail $i"
	cli_round "$DD" kd$i || echo "cli fail $i"
done >"$T/during.d" 2>&1) &
LD=$!
sleep 1
check "front-end A is under load when killed" kill -0 $KA
kill -KILL $KA
wait $KA 2>/dev/null
wait $LB
rb=$?
wait $LC
rc=$?
wait $LD
check "B: 40000 SHA-256 requests, all right, while A was killed (depth 16)" \
	[ $rb -eq 0 -a "$(cat "$T/load.b")" = "load: 40000 requests, 40000000 bytes, 0 wrong" ]
check "C: 40000 SHA-256 requests, all right, while A was killed (depth 1)" \
	[ $rc -eq 0 -a "$(cat "$T/load.c")" = "load: 40000 requests, 40000000 bytes, 0 wrong" ]
check "D: conformance suite and CLI x3, all passed, while A was killed" \
	[ ! -s "$T/during.d" ]
check "the back-end saw A go" wait_line 10 "$BACKEND_LOG" "disconnected \(vid [0-9]+, device 0\)"
"$MF" load "$A" 3000 4096 8 44 >"$T/load.a2" 2>&1
check "A's socket serves a new front-end (3000 requests, all right)" \
	[ "$(cat "$T/load.a2")" = "load: 3000 requests, 12288000 bytes, 0 wrong" ]
check "the back-end is still running" kill -0 "$BACKEND_PID"

# ---- sessions and limits of each front-end ------------------------------
"$MF" isolation "$A" "$DB" >"$T/iso" 2>&1
count_results "$T/iso" $?
cat "$T/iso"
"$MF" limits "$DC" "$DD" $MAXS >"$T/lim" 2>&1
count_results "$T/lim" $?
cat "$T/lim"

# ---- telemetry: what each front-end sent ---------------------------------
"$MF" load "$DD" 5000 1000 8 55 >"$T/load.d" 2>&1
"$MF" load "$DC" 700 64 1 66 >"$T/load.c2" 2>&1
check "telemetry: /vaccel/devices lists 4 devices" \
	[ "$($TEL "$TSOCK" /vaccel/devices)" = "[0, 1, 2, 3]" ]
tv() { # tv N [KEY...]: a figure of /vaccel/stats,N
	_n=$1
	shift
	$TEL "$TSOCK" "/vaccel/stats,$_n" "$@"
}
check "telemetry: device 3 is socket d" [ "$(tv 3 socket)" = "$T/d.sock" ]
check "telemetry: device 3 counted 5000 requests" [ "$(tv 3 requests)" = 5000 ]
check "telemetry: device 3 counted 5000000 bytes in, 160000 out" \
	[ "$(tv 3 bytes_in)" = 5000000 -a "$(tv 3 bytes_out)" = 160000 ]
check "telemetry: device 3 counted 5000 OK, no error" \
	[ "$(tv 3 ok)" = 5000 -a "$(tv 3 err)$(tv 3 badmsg)$(tv 3 invsess)$(tv 3 nospc)$(tv 3 other)" = 00000 ]
check "telemetry: device 3's requests on its data queue 0 (q1: 5000, q2: 0)" \
	[ "$(tv 3 q1 requests)" = 5000 -a "$(tv 3 q2 requests)" = 0 ]
check "telemetry: device 2 counted its own 700 requests of 64 bytes" \
	[ "$(tv 2 requests)" = 700 -a "$(tv 2 bytes_in)" = 44800 ]
check "telemetry: device 0 counted 3 more front-ends (1 killed), none connected" \
	[ "$(tv 0 connections)" = $((c0 + 3)) -a "$(tv 0 connected)" = 0 ]
check "telemetry: nothing in flight, no session left" \
	[ "$(tv 3 inflight)$(tv 3 sessions)$(tv 0 inflight)" = 000 ]
# the operator's tool reads the same
pfx=$(basename "$(dirname "$TSOCK")")
echo /vaccel/stats,3 | dpdk-telemetry.py -f "$pfx" >"$T/dt.out" 2>&1
check "dpdk-telemetry.py -f $pfx reads /vaccel/stats,3" \
	grep -q '"requests": 5000' "$T/dt.out"

# ---- broken rings on one socket, the others go on ------------------------
# vaccel-robust's malformed-input table (tests/robust/robust.c) on socket a:
# its queues stopped and reset, row after row; b and c meanwhile
"$MF" load "$DB" 30000 1000 16 23 >"$T/rob.b" 2>&1 &
RB=$!
"$MF" load "$DC" 30000 4096 1 34 >"$T/rob.c" 2>&1 &
RC=$!
timeout 300 "$B/tests/robust/vaccel-robust" --impl multife \
	--log "$BACKEND_LOG" "$A" >"$T/rob.a" 2>&1
rrc=$?
wait $RB
wait $RC
r=$(grep -c ' result=pass ' "$T/rob.a")
check "vaccel-robust's table on socket a: every row as expected ($r rows)" \
	[ $rrc -eq 0 -a "$r" -gt 0 -a "$(grep -c ' result=FAIL ' "$T/rob.a")" = 0 ]
[ $rrc -eq 0 ] || grep -E 'result=FAIL|^#' "$T/rob.a" | head -5
check "meanwhile b: 30000 requests, all right" \
	[ "$(cat "$T/rob.b")" = "load: 30000 requests, 30000000 bytes, 0 wrong" ]
check "meanwhile c: 30000 requests (depth 1), all right" \
	[ "$(cat "$T/rob.c")" = "load: 30000 requests, 122880000 bytes, 0 wrong" ]

# a second back-end: a telemetry socket of its own
mkdir "$T/2"
"${VACCEL_BACKEND:-$B/vhost-user-accel}" --socket-path "$T/2/x.sock" >"$T/2/log" 2>&1 </dev/null &
P2=$!
at_exit "kill $P2 2>/dev/null; wait $P2 2>/dev/null"
wait_line 30 "$T/2/log" "telemetry: " || true
T2=$(sed -n 's/.*telemetry: \([^ ]*\) .*/\1/p' "$T/2/log" | head -1)
check "a second back-end's telemetry socket is another ($T2)" \
	[ -S "$T2" -a "$T2" != "$TSOCK" ]
check "each back-end's telemetry names its own socket" \
	[ "$($TEL "$T2" /vaccel/stats,0 socket)" = "$T/2/x.sock" -a \
	  "$($TEL "$TSOCK" /vaccel/stats,0 socket)" = "$T/accel.sock" ]
kill $P2
wait $P2

# ---- a device moves when a worker is left with two more than the other ----
# a, b, c, d connect in turn: workers 0, 1, 0, 1 (the one with fewer
# devices); b and d go: worker 1 has none, worker 0 two: one of a, c moves,
# under load, and every request of a and c is still right
w_of() { $TEL "$TSOCK" /vaccel/stats,$1 worker; }
i=0
BAL=
for s in a b c d; do
	dev=vhost-user:$T/$s.sock
	[ $s = a ] && dev=$A
	"$MF" load "$dev" 0 1000 4 $((90 + i)) >"$T/bal.$s" 2>&1 &
	BAL="$BAL $!"
	wait_until 20 sh -c "[ \"\$($TEL $TSOCK /vaccel/stats,$i worker)\" != -1 ]" || true
	i=$((i + 1))
done
wk="$(w_of 0) $(w_of 1) $(w_of 2) $(w_of 3)"
check "4 front-ends spread over the 2 workers: 0 1 0 1 (got $wk)" [ "$wk" = "0 1 0 1" ]
# shellcheck disable=SC2086 # BAL: the pids of a, b, c, d
set -- $BAL
kill -TERM "$2" "$4"
wait "$2" "$4"
check "rebalance: one of the first worker's two devices moved to the other" \
	wait_until 10 sh -c "[ \"\$($TEL $TSOCK /vaccel/stats,0 worker)\" != \"\$($TEL $TSOCK /vaccel/stats,2 worker)\" ]"
check "the back-end logged the move" grep -qE "device [02]: moved from worker 0 to worker 1" "$BACKEND_LOG"
sleep 1
kill -TERM "$1" "$3"
wait "$1" "$3"
for s in a b c d; do
	check "front-end $s: every request right across the move" \
		grep -qE '^load: [1-9][0-9]* requests, [0-9]+ bytes, 0 wrong$' "$T/bal.$s"
done

stop_backend
check "back-end exits cleanly" [ $? -eq 0 ]
if san_report "$BACKEND_LOG"; then
	not_ok "no sanitizer report in the back-end's log"
fi

# ---- a hostile front-end on one socket, an honest one on another ---------
# hostile-vu's 28 named lies (tests/robust/hostile_vu.c) against a back-end
# that also serves x.sock on the same worker (--workers 1), where four
# loads of 20000 requests run meanwhile
mkdir "$T/h"
cat >"$T/h/be.sh" <<EOT
#!/bin/sh
exec "${VACCEL_BACKEND:-$B/vhost-user-accel}" "\$@" --socket-path "$T/h/x.sock" --workers 1
EOT
chmod +x "$T/h/be.sh"
(wait_until 60 test -S "$T/h/x.sock" && for i in 1 2 3 4; do
	"$MF" load "vhost-user:$T/h/x.sock" 20000 1000 16 $((70 + i)) 2>&1
done >"$T/h/loads") &
LH=$!
timeout 900 "$B/tests/robust/hostile-vu" --backend "$T/h/be.sh" \
	--vaccel "$V" --impl multife >"$T/h/cases" 2>&1
hrc=$?
wait $LH
r=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/h/cases" | tail -1)
check "hostile-vu's named cases on one socket ($r)" \
	[ $hrc -eq 0 -a -n "$r" ]
[ $hrc -eq 0 ] || grep -E 'result=FAIL' "$T/h/cases" | head -5
check "meanwhile another socket served 4 x 20000 requests, all right" \
	[ "$(grep -c '^load: 20000 requests, 20000000 bytes, 0 wrong$' "$T/h/loads")" = 4 ]
summary
