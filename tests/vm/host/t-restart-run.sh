#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Back-end SIGKILL and restart under load, data path 1: a 6.12 guest with
# virtio_accel.ko on a vhost-user-accel-pci device (patched QEMU, shared
# memfd memory, chardev reconnect-ms=1000) keeps requests in flight
# (tests/vm/progs/restart_load.c: NULL ops with unique payloads and SHA-256 of
# unique buffers, checked in the guest), while this script SIGKILLs the
# back-end (build/vhost-user-accel) in the middle of the load and starts a
# new one on the same socket, several times per queue depth. With inflight
# tracking (VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD) every request must
# complete exactly once with the right result. The recovery time of each
# kill (SIGKILL to the guest's first completion after the restart, host
# clock) is reported as p50/p99 over the kills.
#
#   tests/vm/host/t-restart-run.sh [BACKEND_BUILD_DIR]
#
# BACKEND_BUILD_DIR: where vhost-user-accel comes from (default build).
# Environment:
#   RESTART_PHASES    "DEPTH:KILLS ..." (default "1:3 32:3 128:3 256:3")
#   RESTART_DELAY_US  back-end --test-delay-us (default 200): each request
#                     takes that long, so a kill finds a batch taken and
#                     not completed (resubmitted by the next back-end)
#   RESTART_BACKEND_ARGS  more back-end arguments (e.g. --no-inflight, to
#                     see what the test catches without inflight tracking)
#   RESTART_MIN_INFLIGHT  requests in flight at the kills, summed, the run
#                     must reach (default 1000)
#   RESTART_VM_TIMEOUT  guest run limit in seconds (default 900)
#   RESTART_MAX_RECOVERY_MS  bound on the recovery time's p99 (default
#                     30000): SIGKILL to the guest's first completion after
#                     the restart (host clock; the guest's console line)
#   VM_QEMU           QEMU with vhost-user-accel-pci (default: build-qemu.sh
#                     --print-path)
#   GUEST_KO          virtio_accel.ko (default guest-driver/kernel/, built
#                     if missing)
# Output ends "N passed, N failed". Exit 77 (SKIP, loudly) when the patched
# QEMU (vhost-user-backend/qemu/build-qemu.sh) is not built, or the module
# cannot be built.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BB=$(cd "${1:-$TOP/build}" && pwd)
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
PHASES=${RESTART_PHASES:-"1:3 32:3 128:3 256:3"}
DELAY=${RESTART_DELAY_US:-200}
QUEUES=2
QSIZE=256
log() { echo "t-restart-run: $*" >&2; }
. "$TOP/tests/lib/lib.sh"

if [ -n "${VM_QEMU:-}" ]; then
	QEMU=$VM_QEMU
elif ! QEMU=$("$TOP/vhost-user-backend/qemu/build-qemu.sh" --print-path); then
	skip_all "no QEMU with vhost-user-accel-pci is built; run vhost-user-backend/qemu/build-qemu.sh once (3-6 min), then this test"
fi
export VM_QEMU=$QEMU
need_ko "$GUEST_KO"
[ -x "$BB/vhost-user-accel" ] || { log "$BB/vhost-user-accel missing: run make"; exit 2; }

KEEP_ON_FAIL=1	# the back-end logs, the guest console in vm/
test_tmpdir restart
SOCK=$T/accel.sock
VMPID=""
at_exit '[ -z "$VMPID" ] || kill "$VMPID" 2>/dev/null'

guest_prog "$TOP/tests/vm/progs/restart_load.c" "$T/vaccel-restart-load" ||
	{ log "building the guest program failed"; exit 1; }
echo "PHASES=\"$PHASES\"" >"$T/phases"

san_env

NB=0	# back-ends started
restart_backend() { # the next back-end on $SOCK, log $T/backend.$NB.log
	NB=$((NB + 1))
	# a killed back-end leaves its socket: wait for the new one's
	rm -f "$SOCK"
	# shellcheck disable=SC2086 # RESTART_BACKEND_ARGS are words
	start_backend --bin "$BB/vhost-user-accel" --sock "$SOCK" \
		--log "$T/backend.$NB.log" --wait 15 "$T" --queues $QUEUES \
		--test-delay-us "$DELAY" --test-reorder ${RESTART_BACKEND_ARGS:-}
}

restart_backend || exit 1
log "back-end 1 (pid $BACKEND_PID) on $SOCK, --test-delay-us $DELAY; phases $PHASES"
t0=$(date +%s)
{
	rc=0
	"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${RESTART_VM_TIMEOUT:-900}" \
		--path vhost-user --no-backend --socket "$SOCK" \
		--queues $QUEUES --queue-size $QSIZE \
		--keep "$T/vm" --ko "$GUEST_KO" --bin "$T/vaccel-restart-load" \
		"$TOP/tests/vm/guest/t-restart-guest.sh" "$T/phases" 2>&1 || rc=$?
	echo "$rc" >"$T/rc"
} | tee "$T/out" &
VMPID=$!
# run-in-vm.sh's own output is buffered: watch QEMU's console file
CON=$T/vm/console.log

# the guest's stall lines: one per kill so far
stalled() { [ "$(grep -c 'RESTART: stall depth=' "$CON" 2>/dev/null)" -ge "$kills" ]; }
stalled_or_gone() { stalled || ! kill -0 "$VMPID" 2>/dev/null; }

# Kill the back-end each time the guest says the load is steady.
# QEMU's eventfds after each recovery: a restart must not leave the old
# connection's notifiers behind (QEMU patch 0009)
qemu_eventfds() {
	local pid
	pid=$(pgrep -f "qemu-system.*$SOCK" | head -1)
	[ -n "$pid" ] || return 0
	find "/proc/$pid/fd" -mindepth 1 -lname 'anon_inode:\[eventfd\]' 2>/dev/null | wc -l
}
efds=""

kills=0
rec_ms=""	# host: kill -> new back-end's device started
first_ms=""	# host: kill -> the guest's first completion after the restart
while kill -0 "$VMPID" 2>/dev/null; do
	want=$(grep -c 'RESTART: load depth=' "$CON" 2>/dev/null)
	if [ "${want:-0}" -gt $kills ]; then
		# somewhere in the middle of the load: 0.2-0.7 s later
		sleep "0.$((2 + RANDOM % 6))"
		line=$(grep 'RESTART: load depth=' "$CON" | tail -1 | tr -d '\r')
		kill -KILL "$BACKEND_PID"
		tk=$(now_ms)
		wait "$BACKEND_PID" 2>/dev/null
		kills=$((kills + 1))
		log "kill $kills: SIGKILL back-end $NB (pid $BACKEND_PID) [${line#*RESTART: }]"
		BACKEND_PID=""
		restart_backend || break
		# how long until the new back-end runs the device again
		if wait_line 12 "$T/backend.$NB.log" 'device started'; then
			ts=$(now_ms)
			rec_ms="$rec_ms $((ts - tk))"
			log "kill $kills: back-end $NB (pid $BACKEND_PID) running the device $((ts - tk)) ms after the kill"
		else
			log "kill $kills: back-end $NB did not start the device within 12 s"
		fi
		# the guest prints its stall line at the first completion
		# after the restart: kill -> that line is the recovery time
		WAIT_POLL=0.01 wait_until 60 stalled_or_gone
		if stalled; then
			tf=$(now_ms)
			first_ms="$first_ms $((tf - tk))"
			log "kill $kills: first completion in the guest $((tf - tk)) ms after the kill"
			efds="$efds $(qemu_eventfds)"
		else
			log "kill $kills: no completion in the guest within 60 s of the kill"
		fi
	fi
	sleep 0.05
done
wait "$VMPID"
VMPID=""
vmrc=$(cat "$T/rc" 2>/dev/null || echo 125)
# the last back-end: SIGTERM, exit 0
stop_backend
brc=$?
log "guest run: exit $vmrc, $(($(date +%s) - t0)) s, $kills kills, $NB back-ends"

tr -d '\r' <"$T/out" >"$T/out.txt"
echo
echo "--- back-end logs (inflight lines)"
for i in $(seq 1 $NB); do
	grep -hE 'inflight|resubmit|corrected|error' "$T/backend.$i.log" | sed "s/^/  [$i] /"
done

# results
[ "$vmrc" -eq 0 ] && ok "guest run exit 0 (no kernel splat)" || not_ok "guest run exit $vmrc"
while read -r l; do
	case $l in
	*"RESTART-CHECK: ok "*) ok "guest: ${l#*ok }" ;;
	*"RESTART-CHECK: FAIL "*) not_ok "guest: ${l#*FAIL }" ;;
	esac
done < <(grep 'RESTART-CHECK:' "$T/out.txt")
nexp=0
for ph in $PHASES; do nexp=$((nexp + ${ph#*:})); done
[ $kills -eq $nexp ] && ok "$kills SIGKILLs under load, as planned" || not_ok "$kills SIGKILLs, $nexp planned"
st=0
for i in $(seq 2 $NB); do
	grep -q 'inflight tracking on' "$T/backend.$i.log" || st=1
done
[ $st -eq 0 ] && ok "every restarted back-end ran with inflight tracking on" || not_ok "a restarted back-end ran without inflight tracking"
if grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' "$T"/backend.*.log; then
	not_ok "sanitizer report in a back-end log"
	grep -hiE -A8 'AddressSanitizer|runtime error' "$T"/backend.*.log | head -40
else
	ok "no sanitizer report in the back-end logs"
fi
[ "$brc" -eq 0 ] && ok "last back-end exit 0 on SIGTERM" || not_ok "last back-end exit $brc on SIGTERM"
# shellcheck disable=SC2086 # a list of counts
set -- $efds
if [ $# -ge 2 ]; then
	first=$1
	eval "last=\${$#}"
	[ "$last" -le $((first + 2)) ] &&
		ok "QEMU's eventfds after each restart stay flat ($efds)" ||
		not_ok "QEMU's eventfds grow with each restart ($efds): notifiers of the old connection leaked"
else
	not_ok "QEMU's eventfds counted after $# restarts, need 2 or more"
fi

# figures
resub=$(cat "$T"/backend.*.log | sed -n 's/.*resubmitting \([0-9]*\) request.*/\1/p' | awk '{s+=$1} END {print s+0}')
done_resub=$(cat "$T"/backend.*.log | sed -n 's/.* \([0-9]*\) resubmitted requests\? completed.*/\1/p' | awk '{s+=$1} END {print s+0}')
[ "$resub" -eq "$done_resub" ] && ok "back-ends: $resub requests taken and not completed at a kill were resubmitted and completed" \
	|| not_ok "back-ends: $resub to resubmit, $done_resub completed"
echo
echo "--- summary"
sub=0; comp=0; wrong=0; err=0; dup=0; lost=0; infl=0
while read -r l; do
	v() { echo "$l" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
	sub=$((sub + $(v submitted))); comp=$((comp + $(v completed)))
	wrong=$((wrong + $(v wrong))); err=$((err + $(v errors)))
	dup=$((dup + $(v duplicates))); lost=$((lost + $(v lost)))
	infl=$((infl + $(v inflight_at_kills)))
	echo "  ${l#*RESTART: result }"
done < <(grep 'RESTART: result depth=' "$T/out.txt" | grep -v 'kills=0 ')
gaps=$(sed -n 's/.*RESTART: stall .*gap_ms=\([0-9]*\).*/\1/p' "$T/out.txt" | tr '\n' ' ')
echo "  total: submitted $sub, completed $comp, lost $lost, duplicated $dup, wrong $wrong, errors $err"
echo "  requests in flight in the guest at the kills: $infl (sum over $kills kills); taken by the back-end and resubmitted: $resub"
echo "  recovery, guest (last completion before the kill -> first after), ms: $gaps"
echo "  recovery, host (SIGKILL -> new back-end running the device), ms:$rec_ms"
echo "  recovery, SIGKILL -> first completion in the guest after the restart, ms:$first_ms"
# pct P LIST: nearest-rank percentile
pct() {
	echo "$2" | tr ' ' '\n' | grep -v '^$' | sort -n |
		awk -v p="$1" '{v[NR] = $1} END {
			if (!NR) { print "-"; exit }
			r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }'
}
set -- $first_ms
for ph in $PHASES; do
	l=""
	for _ in $(seq 1 "${ph#*:}"); do
		[ $# -gt 0 ] || break
		l="$l $1"
		shift
	done
	echo "    depth ${ph%%:*}:$l ms"
done
nrec=$(echo "$first_ms" | wc -w)
echo "  recovery time (SIGKILL -> first completion after the restart) over $nrec kills: p50 $(pct 50 "$first_ms") ms, p99 $(pct 99 "$first_ms") ms, max $(pct 100 "$first_ms") ms"
[ "$nrec" -eq "$kills" ] && [ "$kills" -gt 0 ] &&
	ok "recovery time measured for every kill ($nrec): p50 $(pct 50 "$first_ms") ms, p99 $(pct 99 "$first_ms") ms" ||
	not_ok "recovery time measured for $nrec of $kills kills"
RMAX=${RESTART_MAX_RECOVERY_MS:-30000}
p99=$(pct 99 "$first_ms")
[ "$p99" != - ] && [ "$p99" -le "$RMAX" ] &&
	ok "recovery p99 $p99 ms <= $RMAX ms" || not_ok "recovery p99 $p99 ms > $RMAX ms"
MIN=${RESTART_MIN_INFLIGHT:-1000}
[ "$infl" -ge "$MIN" ] && ok "at least $MIN requests in flight across the kills ($infl)" \
	|| not_ok "only $infl requests in flight across the kills (want >= $MIN)"
[ "$lost" -eq 0 ] && [ "$dup" -eq 0 ] && [ "$sub" -gt 0 ] && [ "$sub" -eq "$comp" ] &&
	ok "zero lost, zero duplicated over $sub requests" || not_ok "lost $lost, duplicated $dup, submitted $sub, completed $comp"
summary
