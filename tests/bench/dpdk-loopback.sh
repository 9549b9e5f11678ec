#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Transport floor: DPDK virtio-user <-> vhost-user loopback packet rate.
# Two Debian dpdk-testpmd processes, each forwarding on its own core: the
# vhost-user side (net_vhost, rxonly) owns the socket, the virtio-user side
# (net_virtio_user, txonly, 64-byte packets, burst 32) connects to it and
# shares its memfd-backed --no-huge memory. The rate is read on the RX side:
# packets over time of the whole ~1 s stats intervals of steady forwarding
# (about SECONDS of them; ramp-up and the interval TX stopped in are left out).
#
# Usage: dpdk-loopback.sh [SECONDS]   (default 5)
# Prints one JSON line on stdout; diagnostics go to stderr.
# Exit 0 on success, 77 if it cannot run here, 1 on an unexpected failure.
# dpdk-testpmd is in Debian's dpdk-dev package (not in dpdk); override the
# binary with DPDK_TESTPMD and the two CPUs with DPDK_LOOPBACK_CPUS="A B".

SECS=${1:-5}
PKT=64
BURST=32
NAME=dpdk_virtio_user_loopback

say() { echo "dpdk-loopback: $*" >&2; }
skip() { say "SKIP: $*"; exit 77; }
die() { say "ERROR: $*"; exit 1; }

case $SECS in
''|*[!0-9]*) die "SECONDS must be a positive integer, got '$SECS'" ;;
esac
if [ "$SECS" -lt 1 ] || [ "$SECS" -gt 600 ]; then
	die "SECONDS must be 1..600"
fi

TESTPMD=${DPDK_TESTPMD:-$(command -v dpdk-testpmd)}
if [ -z "$TESTPMD" ] || [ ! -x "$TESTPMD" ]; then
	skip "dpdk-testpmd not found (Debian package dpdk-dev; or set DPDK_TESTPMD)"
fi
command -v timeout >/dev/null 2>&1 || skip "timeout(1) not found"

# Two CPUs from our affinity set: one per forwarding lcore.
if [ -n "${DPDK_LOOPBACK_CPUS:-}" ]; then
	CPUS=$DPDK_LOOPBACK_CPUS
else
	CPUS=$(awk '/^Cpus_allowed_list:/ {
		n = split($2, r, ",")
		for (i = 1; i <= n; i++) {
			m = split(r[i], b, "-"); hi = (m > 1) ? b[2] : b[1]
			for (c = b[1]; c <= hi; c++) printf "%d ", c
		}
	}' /proc/self/status 2>/dev/null)
fi
# shellcheck disable=SC2086 # word splitting wanted
set -- $CPUS
[ $# -ge 2 ] || skip "needs 2 CPUs, have: ${CPUS:-none}"
CPU_VH=$1
CPU_VU=$2

STDBUF=
command -v stdbuf >/dev/null 2>&1 && STDBUF="stdbuf -oL"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/dpdk-loopback.XXXXXX") || die "mktemp failed"
SOCK=$DIR/vhost.sock
VH_OUT=$DIR/vhost.out
VU_OUT=$DIR/virtio.out
PFX_VH=va-bench-vh-$$
PFX_VU=va-bench-vu-$$
VH_PID=
VU_PID=

# EAL's runtime dir for our prefixes (root: /var/run/dpdk, else XDG or /tmp).
# shellcheck disable=SC2317 # called from the EXIT trap
rm_runtime_dirs() {
	for base in /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk" /tmp/dpdk; do
		for p in "$PFX_VH" "$PFX_VU"; do
			[ -d "$base/$p" ] && rm -rf "${base:?}/$p"
		done
	done
}

# stop PID: SIGTERM to timeout(1), which passes it on to testpmd (testpmd
# then prints its final statistics) and sends SIGKILL 2 s later if needed.
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT HUP INT TERM
	stop "$VU_PID"
	stop "$VH_PID"
	rm -rf "$DIR"
	rm_runtime_dirs
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

# nap SECONDS: a sleep that a trapped signal interrupts at once.
nap() {
	sleep "$1" &
	wait $!
}

# samples run|final: reads the RX side's stats prints. Each gives the
# cumulative RX-packets and the rate since the previous print (testpmd times
# it with its own clock), so a sample's length is its packet delta over its
# rate. While TX runs, every sample after the first non-zero one is a whole
# interval of steady forwarding: "run" prints their summed length. After
# TX has stopped, "final" takes the samples strictly between the first and
# the last non-zero one and prints "MPPS COUNT SECONDS" for them.
samples() {
	tr -d '\033' <"$VH_OUT" | awk -v mode="$1" '
	/RX-packets:/ { rx = $2 }
	/Rx-pps:/ { c[n] = rx; v[n] = $2; n++ }
	END {
		f = -1; l = -1
		for (i = 0; i < n; i++) if (v[i] > 0) { if (f < 0) f = i; l = i }
		if (mode == "run") l = n
		k = 0; p = 0; t = 0
		for (i = f + 1; f >= 0 && i < l; i++) {
			if (v[i] <= 0) continue
			d = c[i] - c[i - 1]; p += d; t += d / v[i]; k++
		}
		if (mode == "run") printf "%.3f\n", t
		else if (k > 0 && t > 0) printf "%.3f %d %.3f\n", p / t / 1e6, k, t
	}'
}

log_tail() {
	say "--- tail of $1 ---"
	tr -d '\033' <"$1" | tail -n 15 >&2
}

# Known reasons why DPDK cannot run on this machine at all.
env_failure() {
	grep -E -q 'Cannot init EAL|failed to parse device|Cannot allocate memory|Cannot create memfd|Driver cannot attach|Failed to probe' "$1"
}

fail_start() { # fail_start LOG WHAT
	log_tail "$1"
	if env_failure "$1"; then
		skip "$2 (DPDK cannot run here, see log above)"
	fi
	die "$2"
}

# --no-huge memory is a memfd mapped shared (EAL does this itself), so the
# vhost-user side can map the front-end's memory from the fds it is sent.
# --in-memory is rejected with --no-huge in 22.11 (--no-huge implies
# --legacy-mem), hence --file-prefix + --no-shconf.
EAL="--no-huge -m 256 --no-pci --no-shconf --no-telemetry"
APP="--nb-cores=1 --rxq=1 --txq=1 --burst=$BURST --total-num-mbufs=16384 --stats-period=1"
HARD=$((SECS + 10))

# shellcheck disable=SC2086 # word splitting of EAL, APP and STDBUF wanted
timeout -k 2 "$HARD" $STDBUF "$TESTPMD" -l "$CPU_VU,$CPU_VH" --main-lcore "$CPU_VU" \
	$EAL --file-prefix "$PFX_VH" \
	--vdev "net_vhost0,iface=$SOCK,queues=1" \
	-- $APP --forward-mode=rxonly </dev/null >"$VH_OUT" 2>&1 &
VH_PID=$!

i=0
while [ ! -S "$SOCK" ]; do
	kill -0 "$VH_PID" 2>/dev/null || fail_start "$VH_OUT" "vhost-user testpmd exited early"
	i=$((i + 1))
	[ $i -le 100 ] || fail_start "$VH_OUT" "vhost-user socket did not appear"
	sleep 0.1
done

# shellcheck disable=SC2086
timeout -k 2 $((HARD - 2)) $STDBUF "$TESTPMD" -l "$CPU_VH,$CPU_VU" --main-lcore "$CPU_VH" \
	$EAL --file-prefix "$PFX_VU" \
	--vdev "net_virtio_user0,path=$SOCK,queues=1" \
	-- $APP --forward-mode=txonly --txpkts=$PKT </dev/null >"$VU_OUT" 2>&1 &
VU_PID=$!

i=0
until grep -q 'start packet forwarding' "$VU_OUT" 2>/dev/null; do
	kill -0 "$VU_PID" 2>/dev/null || fail_start "$VU_OUT" "virtio-user testpmd exited early"
	i=$((i + 1))
	[ $i -le 100 ] || fail_start "$VU_OUT" "virtio-user testpmd did not start forwarding"
	sleep 0.1
done
# The clock starts once the vhost side has the rings (link up).
i=0
until grep -q 'virtio is now ready for processing' "$VH_OUT" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 50 ] || fail_start "$VH_OUT" "vhost-user side never became ready"
	sleep 0.1
done
say "forwarding: vhost on CPU $CPU_VH, virtio-user on CPU $CPU_VU, ${SECS}s"

# Forward until the whole samples add up to SECS (testpmd prints about once
# a second, later when the cores are busy), at most SECS+3 s; then let the
# RX side print the sample in which TX stopped.
T0=$(date +%s)
while :; do
	nap 0.5
	kill -0 "$VU_PID" 2>/dev/null || fail_start "$VU_OUT" "virtio-user testpmd died"
	kill -0 "$VH_PID" 2>/dev/null || fail_start "$VH_OUT" "vhost-user testpmd died"
	COVER=$(samples run)
	awk -v c="$COVER" -v s="$SECS" 'BEGIN { exit !(c >= s) }' && break
	if [ $(($(date +%s) - T0)) -ge $((SECS + 3)) ]; then
		say "warning: only ${COVER}s of whole samples (busy machine?)"
		break
	fi
done
stop "$VU_PID"; VU_PID=
nap 1.2
stop "$VH_PID"; VH_PID=

RX=$(tr -d '\033' <"$VH_OUT" | awk '/RX-packets:/ { x = $2 } END { print x + 0 }')
TX=$(tr -d '\033' <"$VU_OUT" | awk '/TX-packets:/ { x = $2 } END { print x + 0 }')

RESULT=$(samples final)
say "RX Mpps per sample: $(tr -d '\033' <"$VH_OUT" |
	awk '/Rx-pps:/ { printf "%.2f ", $2 / 1e6 }')"
if [ -z "$RESULT" ]; then
	log_tail "$VU_OUT"
	log_tail "$VH_OUT"
	die "no whole RX samples (rx_pkts=$RX tx_pkts=$TX)"
fi
# shellcheck disable=SC2086 # word splitting wanted
set -- $RESULT
MPPS=$1
say "$2 whole samples over $3 s, rx_pkts=$RX tx_pkts=$TX"
[ "$RX" -gt 0 ] || die "RX side counted no packets"

printf '{"name":"%s","pkt_size":%d,"seconds":%d,"mpps":%s,"burst":%d,"tx_pkts":%d,"rx_pkts":%d}\n' \
	"$NAME" "$PKT" "$SECS" "$MPPS" "$BURST" "$TX" "$RX"
exit 0
