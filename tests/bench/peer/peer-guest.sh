#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload of tests/bench/peer/run-peer.sh (busybox sh, cwd /payload,
# virtio_crypto and algif_skcipher loaded by the VM harness). Shows what the
# virtio-crypto device registered in the kernel crypto API, then runs
# afalg_bench against it and against the guest's software implementations.
# JSON result lines are prefixed "PEER_JSON " on the console (run-peer.sh
# strips the prefix); everything else is commentary.
# Settings come from /payload/peer.env: PEER_SECONDS, PEER_SIZES,
# PEER_VIRTIO_MAX.
set -u
# shellcheck disable=SC1091 # written by run-peer.sh
. ./peer.env

# AES-NI baseline: only on a vCPU model with AES (the files are in
# modules.dep order; "File exists" when the kernel loaded one already)
if grep -qw aes /proc/cpuinfo; then
	for ko in ko/*.ko; do
		[ -e "$ko" ] || continue
		insmod "$ko" 2>/dev/null || grep -q "^$(basename "$ko" .ko | sed 's/^[0-9]*-//; s/-/_/g') " /proc/modules ||
			echo "peer-guest: insmod $ko failed"
	done
fi
echo "peer-guest: kernel $(uname -r), $(grep -c '^processor' /proc/cpuinfo) vCPU," \
	"aes flag: $(grep -qw aes /proc/cpuinfo && echo yes || echo no)"
echo "peer-guest: modules: $(cut -d' ' -f1 /proc/modules | grep -E 'virtio_crypto|crypto_engine|algif|af_alg|aesni' | tr '\n' ' ')"
dmesg | grep -iE 'virtio_crypto|virtio-crypto' | sed 's/^/peer-guest: dmesg: /'
for d in /sys/bus/virtio/devices/*; do
	[ "$(cat "$d/device" 2>/dev/null)" = 0x0014 ] || continue
	echo "peer-guest: virtio device ${d##*/} (ID 20, crypto) driver:" \
		"$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
done

# /proc/crypto: the device's algorithms and every cbc(aes)
crypto_table() {
	awk -F' *: ' '
		function out() {
			if (n != "")
				print n "|" d "|" p "|" t "|" s
			n = ""; s = "-"
		}
		/^name/ { n = $2 } /^driver/ { d = $2 } /^priority/ { p = $2 }
		/^type/ { t = $2 } /^selftest/ { s = $2 }
		/^$/ { out() }
		END { out() }' /proc/crypto >/tmp/crypto.tab
}
has_driver() { awk -F'|' -v d="$1" '$2 == d { f = 1 } END { exit !f }' /tmp/crypto.tab; }
# the device's algorithm is usable once the kernel's self-test of it passed
tested() {
	awk -F'|' -v d="$1" '$2 == d && $4 == "larval" { l = 1 }
		$2 == d && $4 != "larval" && $5 == "passed" { p = 1 }
		END { exit !(p && !l) }' /tmp/crypto.tab
}
crypto_table
if ! has_driver virtio_crypto_aes_cbc; then
	echo "peer-guest: *** SKIP: no virtio_crypto_aes_cbc in /proc/crypto (device missing or driver not bound) ***"
	exit 77
fi
i=0
while ! tested virtio_crypto_aes_cbc; do
	if [ $i -ge 600 ]; then
		echo "peer-guest: the kernel's self-test of virtio_crypto_aes_cbc did not pass within 60 s:"
		grep 'virtio' /tmp/crypto.tab | sed 's/^/peer-guest:   /'
		dmesg | tail -20 | sed 's/^/peer-guest: dmesg: /'
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
	crypto_table
done
echo "peer-guest: self-test of virtio_crypto_aes_cbc passed (waited $((i / 10)).$((i % 10)) s)"
echo "peer-guest: /proc/crypto (name | driver | priority | type | selftest), virtio and cbc(aes):"
grep -E 'virtio|^cbc\(aes\)\||^pkcs1pad|^rsa\|' /tmp/crypto.tab | sed 's/^/peer-guest:   /'

status=0
# bench SIZES PEER DRIVER [REF]
bench() {
	sizes=$1
	shift
	ref=""
	[ $# -lt 3 ] || ref="--ref $3"
	# In the background with a deadline (checked once a second, not to
	# take CPU from the benchmark): a request the device never completes
	# leaves afalg_bench in uninterruptible sleep for good.
	# shellcheck disable=SC2086
	afalg_bench --peer "$1" --alg 'cbc(aes)' --seconds "$PEER_SECONDS" \
		--sizes "$sizes" $ref "$2" >/tmp/bench.out 2>&1 &
	pid=$!
	nsizes=$(echo "$sizes" | tr ',' '\n' | grep -c .)
	limit=$(awk -v s="$PEER_SECONDS" -v n="$nsizes" 'BEGIN { printf "%d", (s * n + 60) * 2 }')
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt "$limit" ]; do
		sleep 0.5
		i=$((i + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		sed 's/^{/PEER_JSON {/' /tmp/bench.out
		echo "peer-guest: afalg_bench $2 still running after $((limit / 2)) s: the device stopped completing requests"
		dmesg | tail -20 | sed 's/^/peer-guest: dmesg: /'
		exit 1
	fi
	wait $pid
	rc=$?
	sed 's/^{/PEER_JSON {/' /tmp/bench.out
	if [ $rc -ne 0 ]; then
		echo "peer-guest: afalg_bench $2 exited $rc"
		[ $status -ne 0 ] || status=$rc
	fi
}
# The 6.12 driver hands each scatterlist entry of a request to
# virtqueue_add_sgs() as a list of its own, which walks each to the end of
# the chain: a request of n source and m destination pages takes
# n(n+1)/2 + m(m+1)/2 + 3 descriptors, and QEMU takes at most 1024 per
# request. Beyond ~120 KiB QEMU calls virtio_error(), the device stops and
# the request never completes, so larger sizes are left out for it.
vsizes=$(echo "$PEER_SIZES" | tr ',' '\n' |
	awk -v m="$PEER_VIRTIO_MAX" '$1 <= m' | paste -sd, -)
skipped=$(echo "$PEER_SIZES" | tr ',' '\n' |
	awk -v m="$PEER_VIRTIO_MAX" '$1 > m' | paste -sd, -)
[ -z "$skipped" ] ||
	echo "peer-guest: virtio_crypto_aes_cbc: sizes $skipped left out (> $PEER_VIRTIO_MAX bytes: the device would stop, see run-peer.sh)"
if [ -n "$vsizes" ]; then
	bench "$vsizes" virtio-crypto virtio_crypto_aes_cbc 'cbc(aes-generic)'
fi
bench "$PEER_SIZES" guest-native 'cbc(aes-generic)'
if has_driver cbc-aes-aesni; then
	bench "$PEER_SIZES" guest-native cbc-aes-aesni
else
	echo "peer-guest: no cbc-aes-aesni (the vCPU model has no AES-NI): native baseline is cbc(aes-generic) only"
fi
# which implementation the kernel picks for plain "cbc(aes)"
awk -F'|' '$1 == "cbc(aes)" && $3 > p { p = $3; d = $2 }
	END { print "peer-guest: cbc(aes) resolves to " d " (priority " p ")" }' /tmp/crypto.tab
exit $status
