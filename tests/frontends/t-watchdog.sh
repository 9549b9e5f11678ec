#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The worker's stuck-eventfd watchdog (issue 14, va_workers_watchdog() in
# vhost-user-backend/src/worker.c), from the outside: a hostile front-end
# (tests/robust/hostile-vu, case call-eventfd-full) gives the back-end a blocking
# call eventfd whose counter is full, has one request served (the worker's
# signal then blocks in eventfd_write) and stays connected for 7 s
# (HOSTILE_CALL_FULL_HOLD_MS). Another socket on the same worker
# (--workers 1) runs the CLI's bench at depth 1 meanwhile (5 s): every second of
# it must make progress (the watchdog interrupts the stuck write every
# ~100-200 ms; without it the worker, and so the other socket, would be
# stuck until the hostile front-end leaves).
#
#   tests/frontends/t-watchdog.sh [BUILD_DIR]
#
# Output ends "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
. "$TOP/tests/lib/lib.sh"

HV=$TOP/build/tests/robust/hostile-vu
[ -x "$B/vhost-user-accel" ] || { echo "$B/vhost-user-accel missing: run make"; exit 2; }
[ -x "$HV" ] || { echo "$HV missing: run make"; exit 2; }
KEEP_ON_FAIL=1
test_tmpdir watchdog

cat >"$T/be.sh" <<EOT
#!/bin/sh
exec "$B/vhost-user-accel" "\$@" --socket-path "$T/x.sock" --workers 1
EOT
chmod +x "$T/be.sh"

# the bench on x.sock, started as soon as the back-end is up
(wait_until 60 test -S "$T/x.sock" &&
	"$B/vaccel" bench "vhost-user:$T/x.sock" --op null --size 64 --depth 1 \
		--seconds 5 >"$T/bench.out" 2>&1) &
bp=$!
HOSTILE_CALL_FULL_HOLD_MS=7000 HOSTILE_KEEP_LOG=1 timeout 300 "$HV" \
	--backend "$T/be.sh" --vaccel "$B/vaccel" --case call-eventfd-full \
	>"$T/hv.out" 2>&1
hrc=$?
wait $bp
brc=$?
res=$(grep '^vu-result ' "$T/hv.out" | sed 's/ | .*//')
echo "# $res"
check "hostile-vu call-eventfd-full (held 7 s): the back-end survives and lets go (exit $hrc)" \
	eval "[ $hrc -eq 0 ] && echo '$res' | grep -q ' result=pass'"
sed 's/^/# /' "$T/bench.out" | tail -12
# per-second cumulative counts "N s: M ops": every second adds some
incs=$(sed -n 's/^ *[0-9]* s: \([0-9]*\) ops.*/\1/p' "$T/bench.out" |
	awk 'BEGIN { p = 0 } { printf "%d ", $1 - p; p = $1 }')
zero=$(echo "$incs" | tr ' ' '\n' | grep -c '^0$')
n=$(echo "$incs" | wc -w)
echo "# other socket, requests per second: $incs"
check "the other socket on the same worker progressed every second of 5 ($n seconds, $zero without progress; bench exit $brc)" \
	eval "[ $brc -eq 0 ] && [ $n -ge 5 ] && [ $zero -eq 0 ]"
hl=$(sed -n 's/^# back-end log kept: //p' "$T/hv.out")
if [ -n "$hl" ]; then
	san_report "$hl" && not_ok "sanitizer report in the back-end's log"
	cp "$hl" "$T/backend.log"
fi

summary
