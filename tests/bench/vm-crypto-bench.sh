#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs inside the 6.12 test guest (tests/vm/harness/vaccel-vm.sh, started by
# tests/bench/run-bench.sh): virtio_accel.ko's crypto API algorithms against
# the guest kernel's own software, measured in the same run.
#
#  1. AF_ALG (afalg-bench, interleaved rounds): sha256-virtio-accel vs
#     "sha256" and hmac-sha256-virtio-accel vs "hmac(sha256)" at 64 B,
#     4 KiB, 64 KiB and 1 MiB. virtio_accel.ko is at its default priority
#     (below the kernel's own), so the generic names are the guest's
#     software (which driver is printed); for our side, which way the
#     digests went (device or software fallback) is read from the counters.
#  1b. tcrypt (mode=400 sec=0, /payload/tcrypt.ko): the same drivers in the
#     kernel, digests of 16 B .. 8 KiB, cycles per operation.
#  2. IPsec: two network namespaces joined by a veth pair, ESP in
#     transport mode with the algorithm in /payload/ipsec-algs (one or more
#     of "authenc" = authenc(hmac(sha256),cbc(aes)), "rfc4106" =
#     rfc4106(gcm(aes))), iperf3 (or, without it, a timed nc transfer)
#     from one namespace to the other: first with virtio_accel.ko at its
#     default priority (software), then at crypto_priority=300 (re-registered
#     by rebinding the device: the device does the ESP crypto it has).
#
# Results: JSON lines between "@@BENCH-JSON-BEGIN vm-crypto-api" and
# "@@BENCH-JSON-END vm-crypto-api" for run-bench.sh. Environment
# (payload files): /payload/crypto-bench-args overrides afalg-bench's
# "-r 3 -t 300".
C=/sys/class/vaccel
IP=/usr/local/bin/ip
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
ARGS=$(cat /payload/crypto-bench-args 2>/dev/null || echo "-r 3 -t 300")
ALGS=$(cat /payload/ipsec-algs 2>/dev/null || echo authenc)
SECS=$(cat /payload/ipsec-seconds 2>/dev/null || echo 5)
OUT=/tmp/crypto.jsonl
: >"$OUT"
log() { echo "vm-crypto-bench: $*" >&2; }

cnt() { cat "$C/crypto_$1"; }
completed() {
	cat "$C"/vaccel*/completed 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
snap() { echo "$(completed) $(cnt offloaded) $(cnt fallback_partial) $(cnt fallback_whole)"; }
# way BEFORE AFTER: device, software-partial, software-whole or a mix
way() {
	# shellcheck disable=SC2086 # two snapshots of four words
	set -- $1 $2
	w=
	if [ "$5" -gt "$1" ] && [ "$6" -gt "$2" ]; then w=device; fi
	[ "$7" -eq "$3" ] || w=${w:+$w+}software-partial
	[ "$8" -eq "$4" ] || w=${w:+$w+}software-whole
	echo "${w:-none}"
}
# best NAME: the highest priority driver of NAME in /proc/crypto
best() {
	awk -v n="$1" '
		$1 == "name" { nm = substr($0, index($0, ":") + 2); drv = ""; pr = -1; ty = "" }
		$1 == "driver" { drv = $3 }
		$1 == "priority" { pr = $3 }
		$1 == "type" { ty = $3 }
		/^$/ { if (nm == n && ty != "larval" && pr > bp) { bp = pr; bd = drv } }
		END { if (nm == n && ty != "larval" && pr > bp) bd = drv; print bd }' /proc/crypto
}
# json_add KEY=VALUE... <LINE: the JSON object LINE with string fields added
json_add() {
	extra=
	for kv in "$@"; do
		extra="$extra, \"${kv%%=*}\": \"${kv#*=}\""
	done
	sed "s/}\$/$extra}/"
}

crypto_settled 60 || log "self-tests still running"
PRIO0=$(cat /sys/module/virtio_accel/parameters/crypto_priority)
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
accel=tcg
grep -q '^flags.* hypervisor' /proc/cpuinfo && dmesg | grep -q 'Hypervisor detected: KVM' && accel=kvm
log "guest CPU: $cpu; accelerator: $accel"
echo "{\"machine\": {\"guest_cpu\": \"$cpu\", \"accel\": \"$accel\", \"kernel\": \"$(uname -r)\", \"vcpus\": $(grep -c ^processor /proc/cpuinfo)}}" >>"$OUT"

# ---- 1. AF_ALG ----------------------------------------------------------------
KEY=$(printf '%064x' 0x5a5a)
rc=0
for sz in 64 4096 65536 1048576; do
	for pair in "sha256 sha256-virtio-accel sha256" \
		"hmac-sha256 hmac-sha256-virtio-accel hmac(sha256)"; do
		# shellcheck disable=SC2086 # three words
		set -- $pair
		k=
		[ "$1" = sha256 ] || k="-k $KEY"
		b=$(snap)
		# shellcheck disable=SC2086 # options
		if ! afalg-bench $ARGS $k -s "$sz" "$2" "$3" >/tmp/ab.out 2>/tmp/ab.err; then
			log "afalg-bench $1 $sz failed: $(cat /tmp/ab.err)"
			rc=1
			continue
		fi
		w=$(way "$b" "$(snap)")
		sw=$(best "$3")
		log "$1 $sz bytes: ours went $w; software is $sw"
		grep "\"name\": \"$2\"" /tmp/ab.out |
			json_add alg="$1" side=device driver="$2" way="$w" >>"$OUT"
		grep "\"name\": \"$3\"" /tmp/ab.out |
			json_add alg="$1" side=software driver="$sw" >>"$OUT"
	done
done

# ---- 1b. tcrypt -----------------------------------------------------------------
# The kernel's own speed test, no system call in the way: tcrypt mode=400
# (ahash speed, async drivers included) sec=0 (4 + 8 digests per case,
# cycles: cheap), 16 B .. 8 KiB. Only its one-update cases (digest, a whole
# message) are kept: the others are update/final, our software fallback.
# tcrypt always "fails" to load (EAGAIN) once it has run.
# tcrypt_run ALG DRIVER SIDE [KLEN]
tcrypt_run() {
	dmesg -c >/dev/null
	insmod /payload/tcrypt.ko mode=400 sec=0 alg="$2" klen="${4:-0}" 2>/dev/null
	dmesg | awk -v a="$1" -v d="$2" -v s="$3" '
		/tcrypt: test *[0-9]+ \(/ && / 1 updates\)/ {
			sub(/.*\( */, ""); size = $1
			c = $0; sub(/.*: */, "", c); sub(/ cycles.*/, "", c)
			printf "{\"tcrypt\": \"%s\", \"side\": \"%s\", \"driver\": \"%s\", \"size\": %d, \"cycles_per_op\": %d}\n", a, s, d, size, c
		}'
}
if [ -r /payload/tcrypt.ko ]; then
	sw=$(best sha256)
	b=$(snap)
	tcrypt_run sha256 sha256-virtio-accel device >>"$OUT"
	log "tcrypt sha256-virtio-accel: ours went $(way "$b" "$(snap)")"
	tcrypt_run sha256 "$sw" software >>"$OUT"
	# hmac: a key (klen), and the software one by its driver name
	afalg-bench -r 1 -t 1 -k 00 -s 64 "hmac(sha256)" >/dev/null
	sw=$(best "hmac(sha256)")
	b=$(snap)
	tcrypt_run hmac-sha256 hmac-sha256-virtio-accel device 32 >>"$OUT"
	log "tcrypt hmac-sha256-virtio-accel: ours went $(way "$b" "$(snap)")"
	tcrypt_run hmac-sha256 "$sw" software 32 >>"$OUT"
	grep -c '"tcrypt"' "$OUT" | sed 's/^/vm-crypto-bench: tcrypt results: /' >&2
else
	log "no /payload/tcrypt.ko: no tcrypt figures"
fi

# ---- 2. IPsec -------------------------------------------------------------------
AK=0x$(printf '%064d' 7)
EK=0x$(printf '%032d' 9)
GK=0x$(printf '%072d' 5)	# rfc4106: 32-byte AES key + 4-byte salt
# ipsec_up ALG: namespaces a and b, veth, ESP transport SAs and policies
ipsec_up() {
	$IP netns add a && $IP netns add b &&
		$IP link add va netns a type veth peer name vb netns b &&
		$IP -n a addr add 10.99.0.1/24 dev va &&
		$IP -n b addr add 10.99.0.2/24 dev vb &&
		$IP -n a link set va up && $IP -n b link set vb up &&
		$IP -n a link set lo up && $IP -n b link set lo up || return 1
	case $1 in
	authenc) sa="auth-trunc hmac(sha256) $AK 128 enc cbc(aes) $EK" ;;
	rfc4106) sa="aead rfc4106(gcm(aes)) $GK 128" ;;
	*) log "unknown IPsec algorithm $1"; return 1 ;;
	esac
	for ns in a b; do
		# shellcheck disable=SC2086 # the algorithm's words
		$IP -n "$ns" xfrm state add src 10.99.0.1 dst 10.99.0.2 proto esp \
			spi 0x101 mode transport $sa &&
		$IP -n "$ns" xfrm state add src 10.99.0.2 dst 10.99.0.1 proto esp \
			spi 0x102 mode transport $sa || return 1
	done
	$IP -n a xfrm policy add src 10.99.0.1 dst 10.99.0.2 dir out \
		tmpl proto esp mode transport &&
	$IP -n a xfrm policy add src 10.99.0.2 dst 10.99.0.1 dir in \
		tmpl proto esp mode transport &&
	$IP -n b xfrm policy add src 10.99.0.2 dst 10.99.0.1 dir out \
		tmpl proto esp mode transport &&
	$IP -n b xfrm policy add src 10.99.0.1 dst 10.99.0.2 dir in \
		tmpl proto esp mode transport &&
	$IP netns exec a ping -c 2 -W 3 10.99.0.2 >/dev/null
}
ipsec_down() {
	for ns in a b; do
		$IP -n "$ns" xfrm state flush 2>/dev/null
		$IP -n "$ns" xfrm policy flush 2>/dev/null
		$IP netns del "$ns" 2>/dev/null
	done
	# the states' tfms go in a work item
	wait_val 60 "$C/crypto_tfms" 0 >&2
}
# transfer: Mbit/s from a to b for SECS seconds with $TOOL
TOOL=nc
command -v iperf3 >/dev/null && TOOL=iperf3
transfer() {
	if [ "$TOOL" = iperf3 ]; then
		$IP netns exec b iperf3 -s -1 >/tmp/iperf-s.log 2>&1 &
		spid=$!
		sleep 1
		$IP netns exec a iperf3 -c 10.99.0.2 -t "$SECS" -J >/tmp/iperf.json 2>&1
		wait "$spid"
		# end.sum_received.bits_per_second
		awk '/"sum_received"/ { r = 1 } r && /"bits_per_second"/ {
			gsub(/[",]/, ""); printf "%.3f\n", $2 / 1e6; exit }' /tmp/iperf.json
	else
		$IP netns exec b nc -l -p 5001 >/dev/null &
		spid=$!
		sleep 1
		t0=$(cut -d' ' -f1 /proc/uptime)
		head -c $((SECS * 1048576)) /dev/zero |
			$IP netns exec a nc -w 5 10.99.0.2 5001
		t1=$(cut -d' ' -f1 /proc/uptime)
		wait "$spid"
		awk -v b=$((SECS * 1048576)) -v a="$t0" -v z="$t1" \
			'BEGIN { printf "%.3f\n", b * 8 / (z - a) / 1e6 }'
	fi
}
# set_priority P: re-register the algorithms at P (rebind our devices)
set_priority() {
	echo "$1" >/sys/module/virtio_accel/parameters/crypto_priority || return 1
	for d in /sys/bus/virtio/drivers/virtio_accel/virtio*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		echo "$n" >/sys/bus/virtio/drivers/virtio_accel/unbind || return 1
		echo "$n" >/sys/bus/virtio/drivers/virtio_accel/bind || return 1
	done
	wait_for 10 /dev/vaccel0 >/dev/null && crypto_settled 60 || return 1
	# registered again, at P (a tfm alive at the unbind keeps the old ones)
	p=$(awk '$1 == "driver" { d = $3 }
		$1 == "priority" && d == "hmac-sha256-virtio-accel" { print $3; exit }' /proc/crypto)
	[ "$p" = "$1" ] || { log "priority $p after the rebind, want $1"; return 1; }
	[ "$1" = "$PRIO0" ] || return 0
	# Registering our hmac(sha256) above hmac(sha256-generic) removed that
	# template instance; with ours back below it, "hmac(sha256)" still
	# resolves to ours (the only one) until the generic one is made again
	afalg-bench -r 1 -t 1 -k 00 -s 64 "hmac(sha256-generic)" >/dev/null
	case $(best "hmac(sha256)") in
	*virtio-accel) log "'hmac(sha256)' still resolves to ours"; return 1 ;;
	esac
}
# A/B/A: software, the device, software again (the baseline is the mean
# of the two software runs: a TCG guest on a shared machine drifts)
cur=$PRIO0
for alg in $ALGS; do
	for mode in software device software; do
		want=$PRIO0
		[ "$mode" = software ] || want=300
		if [ "$want" != "$cur" ]; then
			set_priority "$want" || { log "re-registration failed"; rc=1; break; }
			cur=$want
		fi
		if ! ipsec_up "$alg"; then
			log "IPsec $alg ($mode): set-up failed"
			ipsec_down
			rc=1
			continue
		fi
		c0=$(completed)
		b=$(snap)
		mbit=$(transfer)
		n=$(($(completed) - c0))
		w=$(way "$b" "$(snap)")
		# the ESP algorithms in use (the SAs hold them: refcnt > 1)
		used=$(awk '$1 == "driver" { d = $3 }
			$1 == "refcnt" && $3 > 1 && d ~ /^(authenc|rfc4106)/ { printf "%s ", d }' /proc/crypto)
		log "IPsec $alg, $mode: ${mbit:-?} Mbit/s ($TOOL, $SECS s), device requests $n, ours went $w; drivers: $used"
		echo "{\"ipsec\": \"$alg\", \"side\": \"$mode\", \"tool\": \"$TOOL\", \"seconds\": $SECS, \"mbit_per_s\": ${mbit:-null}, \"device_requests\": $n, \"way\": \"$w\", \"drivers\": \"$used\"}" >>"$OUT"
		ipsec_down
	done
done

echo "@@BENCH-JSON-BEGIN vm-crypto-api"
cat "$OUT"
echo "@@BENCH-JSON-END vm-crypto-api"
exit $rc
