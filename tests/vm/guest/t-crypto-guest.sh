#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload: virtio_accel.ko in the kernel crypto API (issue 11, first
# part: sha256, hmac(sha256) and crc32c as ahash). Started by tests/vm/host/t-crypto-run.sh
# with virtio_accel.ko (and on path 3 vdpa_accel.ko) loaded, algif_hash,
# vaccel-afalg and vaccel-t on PATH, and in /payload: virtio_accel.ko, the
# data files d.SIZE and refs.txt ("hmac SIZE KEYHEX DIGEST" lines made on
# the host with Python's hmac).
#
# /payload/mode says the path: vdpa (data path 3, vdpa_accel devices
# bound to virtio_vdpa, with the no-loop, device-removal and
# re-registration checks) or pci (data path 1, the device already bound). One "ok N - ..." line per check, then
# "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
MODE=$(cat /payload/mode 2>/dev/null || echo vdpa)
A=vaccel-afalg
C=/sys/class/vaccel
P=/payload
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

# add NAME: vdpa dev add + bind to virtio_vdpa
add() { vdpa_add "$1" virtio_vdpa; }

# field DRIVER KEY: the value of KEY in DRIVER's /proc/crypto block (not a
# larval: a lookup's placeholder of the same name may be listed for a moment)
field() {
	awk -v d="$1" -v k="$2" '
		function flush() {
			if (drv == d && typ != "larval" && (k in v)) {
				print v[k]
				found = 1
			}
		}
		/^name/ { if (!found) flush(); delete v; drv = ""; typ = "" }
		{
			key = $1
			val = $0
			sub(/^[^:]*: /, "", val)
			v[key] = val
			if (key == "driver") drv = val
			if (key == "type") typ = val
		}
		END { if (!found) flush() }' /proc/crypto | head -1
}

# proc_ok DRIVER NAME PRIO: registered as NAME, ahash, async, self-test passed
# (6.12 runs the self-tests after registration returns: up to 30 s for them)
proc_ok() {
	crypto_settled 30
	for k in selftest type async module priority; do
		echo "$1 $k: $(field "$1" "$k")"
	done
	if [ "$(field "$1" selftest)" = passed ] &&
	   [ "$(field "$1" type)" = ahash ] && [ "$(field "$1" async)" = yes ] &&
	   [ "$(field "$1" module)" = virtio_accel ] &&
	   [ "$(field "$1" priority)" = "$3" ] &&
	   awk -v d="$1" -v nm="$2" '$1 == "name" { cur = $3 }
		$1 == "driver" && $3 == d && cur == nm { f = 1 }
		END { exit !f }' /proc/crypto; then
		return 0
	fi
	grep -B2 -A12 "$1" /proc/crypto
	return 1
}

cnt() { cat "$C/crypto_$1"; }

# rises NAME CMD...: CMD succeeds and /sys/class/vaccel/crypto_NAME rises
rises() {
	c=$1
	shift
	b=$(cnt "$c")
	"$@" || return 1
	a=$(cnt "$c")
	[ "$a" -gt "$b" ] || { echo "crypto_$c stayed at $a"; return 1; }
}

# stays NAME CMD...: CMD succeeds and crypto_NAME does not move
stays() {
	c=$1
	shift
	b=$(cnt "$c")
	"$@" || return 1
	a=$(cnt "$c")
	[ "$a" -eq "$b" ] || { echo "crypto_$c moved $b -> $a"; return 1; }
}

# sha_ok NAME FILE [OPTS]: digest via AF_ALG equals busybox sha256sum
sha_ok() {
	nm=$1
	f=$2
	shift 2
	got=$($A "$@" "$nm" "$f") || return 1
	want=$(sha256sum "$f" | cut -d' ' -f1)
	[ "$got" = "$want" ] || { echo "$nm $f: $got, want $want"; return 1; }
}

# ref_ok TYPE NAME SIZE [OPTS]: every reference of that type (hmac, crc)
# and size equals AF_ALG's. Key "-": an empty HMAC key; crc32c's default
# seed (no setkey)
ref_ok() {
	ty=$1
	nm=$2
	sz=$3
	shift 3
	k=0
	while read -r r s key want; do
		if [ "$r" != "$ty" ] || [ "$s" != "$sz" ]; then
			continue
		fi
		if [ "$key" != - ]; then
			got=$($A "$@" -k "$key" "$nm" "$P/d.$sz") || return 1
		elif [ "$ty" = hmac ]; then
			got=$($A "$@" -k "" "$nm" "$P/d.$sz") || return 1
		else
			got=$($A "$@" "$nm" "$P/d.$sz") || return 1
		fi
		[ "$got" = "$want" ] ||
			{ echo "key ${#key} hex: $got, want $want"; return 1; }
		k=$((k + 1))
	done <"$P/refs.txt"
	[ "$k" -gt 0 ] || { echo "no reference for size $sz"; return 1; }
}
hmac_ok() { ref_ok hmac "$@"; }
crc_ok() { ref_ok crc "$@"; }

# iproute2's ip (busybox's has no netns or xfrm), shipped by the runner
IP=/usr/local/bin/ip

# completed SUM: requests completed by all devices
completed() {
	cat "$C"/vaccel*/completed | awk '{ s += $1 } END { print s + 0 }'
}

# ipsec: two network namespaces joined by a veth pair, ESP in transport
# mode with authenc(hmac(sha256),cbc(aes)), hmac(sha256) resolving to the
# device (crypto_priority raised): 20 pings pass, every ESP packet hashed
# by the device (at least 2 requests per ping: request and reply, each
# computed once on sending and checked once on receiving)
ipsec() {
	[ -x "$IP" ] || { echo "no iproute2 ip in the guest"; return 1; }
	AK=0x$(printf '%064d' 7)
	EK=0x$(printf '%032d' 9)
	$IP netns add a && $IP netns add b &&
		$IP link add va netns a type veth peer name vb netns b &&
		$IP -n a addr add 10.99.0.1/24 dev va &&
		$IP -n b addr add 10.99.0.2/24 dev vb &&
		$IP -n a link set va up && $IP -n b link set vb up &&
		$IP -n a link set lo up && $IP -n b link set lo up || return 1
	for ns in a b; do
		$IP -n "$ns" xfrm state add src 10.99.0.1 dst 10.99.0.2 proto esp \
			spi 0x101 mode transport auth-trunc 'hmac(sha256)' "$AK" 128 \
			enc 'cbc(aes)' "$EK" &&
		$IP -n "$ns" xfrm state add src 10.99.0.2 dst 10.99.0.1 proto esp \
			spi 0x102 mode transport auth-trunc 'hmac(sha256)' "$AK" 128 \
			enc 'cbc(aes)' "$EK" || return 1
	done
	$IP -n a xfrm policy add src 10.99.0.1 dst 10.99.0.2 dir out \
		tmpl proto esp mode transport &&
	$IP -n a xfrm policy add src 10.99.0.2 dst 10.99.0.1 dir in \
		tmpl proto esp mode transport &&
	$IP -n b xfrm policy add src 10.99.0.2 dst 10.99.0.1 dir out \
		tmpl proto esp mode transport &&
	$IP -n b xfrm policy add src 10.99.0.1 dst 10.99.0.2 dir in \
		tmpl proto esp mode transport || return 1
	c0=$(completed)
	$IP netns exec a ping -c 20 -i 0.2 -W 3 10.99.0.2 || return 1
	c1=$(completed)
	echo "device requests completed during 20 pings: $((c1 - c0))" |
		tee /tmp/ipsec.n
	$IP -n b -s xfrm state | grep -E 'src|replay-window|lifetime current' -A1 | head -8
	[ $((c1 - c0)) -ge 40 ] || return 1
	grep -q 'authenc(hmac-sha256-virtio-accel,' /proc/crypto ||
		{ grep -B1 -A3 authenc /proc/crypto; return 1; }
}

ipsec_down() {
	$IP -n a xfrm state flush; $IP -n b xfrm state flush
	$IP -n a xfrm policy flush; $IP -n b xfrm policy flush
	$IP netns del a; $IP netns del b
	# the states' tfms go in a work item
	i=0
	while [ "$(cat "$C"/crypto_tfms)" != 0 ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat "$C"/crypto_tfms)" = 0 ]
}

# flood: 60 sockets at once, each hashing 4 KiB eight times, on a device
# slower than them (path 1: the back-end sleeps 20 ms per request, rings of
# 16): the rings fill, AF_ALG's requests (CRYPTO_TFM_REQ_MAY_BACKLOG) wait
# on the backlog (-EBUSY, then -EINPROGRESS), all complete correctly
flood() {
	b0=$(cnt backlogged)
	i=0
	pids=
	while [ "$i" -lt 60 ]; do
		$A -n 8 sha256-virtio-accel "$P/d.4096" >"/tmp/fl.$i" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	want=$(sha256sum "$P/d.4096" | cut -d' ' -f1)
	wrong=$(cat /tmp/fl.* | grep -vc "^$want\$")
	rm -f /tmp/fl.*
	echo "backlogged: $(($(cnt backlogged) - b0)), failed: $bad, wrong: $wrong"
	[ "$bad" -eq 0 ] && [ "$wrong" -eq 0 ] && [ "$(cnt backlogged)" -gt "$b0" ]
}

SIZES=$(awk '{print $2}' "$P/refs.txt" | sort -un)

if [ "$MODE" = vdpa ]; then
	echo 0 >/sys/bus/vdpa/drivers_autoprobe
	t "path 3: vdpa dev add accel0, bound to virtio_vdpa" add accel0
fi
t "/dev/vaccel0 present" wait_for 10 /dev/vaccel0
t "algorithms registered with the first device" \
	sh -c "[ \"\$(cat $C/crypto_registered)\" = 1 ]"
t "/proc/crypto: sha256-virtio-accel, ahash, async, priority 50, selftest passed" \
	proc_ok sha256-virtio-accel sha256 50
t "/proc/crypto: hmac-sha256-virtio-accel, ahash, async, priority 50, selftest passed" \
	proc_ok hmac-sha256-virtio-accel "hmac(sha256)" 50
t "/proc/crypto: crc32c-virtio-accel, ahash, async, priority 50, selftest passed" \
	proc_ok crc32c-virtio-accel crc32c 50
t "default priority: 'sha256' is still the kernel's own (counter stays)" \
	stays offloaded sha_ok sha256 "$P/d.4096"
t "default priority: 'hmac(sha256)' is still the kernel's own (counter stays)" \
	stays offloaded hmac_ok "hmac(sha256)" 4096

# --- AF_ALG: whole messages go to the device ---------------------------------
S0=/sys/class/vaccel/vaccel0
# AF_ALG hands a message over in steps of 16 pages: above 64 KiB the
# driver sees init + update ... + finup, a partial state
for sz in $SIZES; do
	[ "$sz" -eq 0 ] && continue
	how=offloaded
	[ "$sz" -le 65536 ] || how=fallback_partial
	t "sha256-virtio-accel, $sz bytes in one send, equals sha256sum ($how)" \
		rises $how sha_ok sha256-virtio-accel "$P/d.$sz"
	t "hmac-sha256-virtio-accel, $sz bytes, keys of 0/20/64/100/200 bytes, equal Python's hmac ($how)" \
		rises $how hmac_ok hmac-sha256-virtio-accel "$sz"
	t "crc32c-virtio-accel, $sz bytes, default seed and 0x12345678 (software), equal the reference ($how)" \
		rises $how crc_ok crc32c-virtio-accel "$sz"
done
t "sha256-virtio-accel, 0 bytes" sha_ok sha256-virtio-accel "$P/d.0"
t "hmac-sha256-virtio-accel, 0 bytes" hmac_ok hmac-sha256-virtio-accel 0
t "crc32c-virtio-accel, 0 bytes" crc_ok crc32c-virtio-accel 0
# crc_seeded SIZE: crc32c with the seed 0x12345678 equals the reference
crc_seeded() {
	want=$(awk -v s="$1" '$1 == "crc" && $2 == s && $3 != "-" { print $4 }' \
		"$P/refs.txt")
	got=$($A -k 78563412 crc32c-virtio-accel "$P/d.$1") || return 1
	[ "$got" = "$want" ] || { echo "$got, want $want"; return 1; }
}
t "crc32c with a seed other than ~0 (the device has none): software, counted" \
	rises fallback_whole crc_seeded 4096
b=$(cat $S0/completed)
t "32 digests of 64 KiB on one socket agree and equal sha256sum" \
	sha_ok sha256-virtio-accel "$P/d.65536" -n 32
t "... and the device's completed counter rose by at least 32" sh -c \
	"[ \$(cat $S0/completed) -ge $((b + 32)) ]"

# --- partial states (update, export/import): software, counted ----------------
for sz in $SIZES; do
	[ "$sz" -ge 4096 ] || continue
	t "sha256-virtio-accel, $sz bytes in 1000-byte sends (update/finup): counted fallback, correct" \
		rises fallback_partial sha_ok sha256-virtio-accel "$P/d.$sz" -c 1000
	t "hmac-sha256-virtio-accel, $sz bytes in 4093-byte sends: correct" \
		hmac_ok hmac-sha256-virtio-accel "$sz" -c 4093
	t "crc32c-virtio-accel, $sz bytes in 777-byte sends: correct" \
		crc_ok crc32c-virtio-accel "$sz" -c 777
done


if [ "$MODE" = pci ]; then
	reload_pci() {
		rmmod virtio_accel &&
			insmod "$P/virtio_accel.ko" crypto_priority=2000 &&
			wait_for 10 /dev/vaccel0
	}
	t "reload virtio_accel with crypto_priority=2000 (PCI device rebinds)" reload_pci
	t "hmac-sha256-virtio-accel: priority 2000, selftest passed" \
		proc_ok hmac-sha256-virtio-accel "hmac(sha256)" 2000
	t "IPsec (ESP, authenc(hmac(sha256),cbc(aes))) between two namespaces: pings pass, the device hashes every packet" \
		ipsec
	sed 's/^/# IPsec: /' /tmp/ipsec.n 2>/dev/null
	t "IPsec torn down: no tfm of ours left" ipsec_down
	t "60 sockets at once on a slow device with rings of 16: requests backlogged (-EBUSY), all correct" \
		flood
	sed 's/^/# /' "$VT_OUT"
fi

if [ "$MODE" = vdpa ]; then
	# --- no loops on data path 3 -------------------------------------------
	reload() {
		vdpa dev del accel0 && rmmod virtio_accel &&
			insmod "$P/virtio_accel.ko" crypto_priority=2000 && add accel0
	}
	t "reload virtio_accel with crypto_priority=2000" reload
	t "sha256-virtio-accel: priority 2000, selftest passed" \
		proc_ok sha256-virtio-accel sha256 2000
	t "hmac-sha256-virtio-accel: priority 2000, selftest passed" \
		proc_ok hmac-sha256-virtio-accel "hmac(sha256)" 2000
	t "crc32c-virtio-accel: priority 2000, selftest passed" \
		proc_ok crc32c-virtio-accel crc32c 2000
	t "'crc32c' now resolves to the device" \
		rises offloaded crc_ok crc32c 4096
	t "'sha256' now resolves to the device (counter rises)" \
		rises offloaded sha_ok sha256 "$P/d.4096"
	t "'hmac(sha256)' now resolves to the device" \
		rises offloaded hmac_ok "hmac(sha256)" 4096
	t "IPsec (ESP, authenc(hmac(sha256),cbc(aes))) between two namespaces: pings pass, the device hashes every packet" \
		ipsec
	sed 's/^/# IPsec: /' /tmp/ipsec.n 2>/dev/null
	# --- faults under IPsec traffic -----------------------------------------
	ping_bg() {
		$IP netns exec a ping -c 100000 -i 0.05 -W 1 10.99.0.2 >/tmp/ping.bg 2>&1 &
		pbg=$!
		sleep 2
	}
	ping_ok() { $IP netns exec a ping -c 5 -i 0.2 -W 3 10.99.0.2; }
	ping_bg
	t "rmmod virtio_accel under IPsec traffic: refused (the SAs' tfms hold it)" \
		sh -c '! rmmod virtio_accel && grep -q "^virtio_accel " /proc/modules'
	t "vdpa dev del accel0 under IPsec traffic" vdpa dev del accel0
	t "... /dev/vaccel0 gone" wait_for 10 /dev/vaccel0 gone
	t "... pings still pass (software, counted)" \
		rises fallback_whole ping_ok
	kill "$pbg" 2>/dev/null
	wait "$pbg" 2>/dev/null
	t "... a device again: IPsec offloaded again" add accel0
	t "... pings hashed by the device" rises offloaded ping_ok
	t "IPsec torn down: no tfm of ours left" ipsec_down
	t "'sha256' with CRYPTO_ALG_KERN_DRIVER_ONLY masked (the parent's fallback when the best is ours): never ours" \
		stays offloaded sha_ok sha256 "$P/d.4096" -m
	t "'hmac(sha256)' masked the same way: never ours" \
		stays offloaded hmac_ok "hmac(sha256)" 4096 -m
	dmesg -c >/dev/null
	t "a second parent device created while ours are preferred" add accel1
	t "... its engines are none of ours (parent log)" sh -c \
		'dmesg | grep -E "hmac-sha256:|aes-256-gcm:" &&
		 ! dmesg | grep -E "(hmac-sha256|aes-256-gcm): .*virtio-accel"'
	t "... its SHA-256 requests (/dev/vaccel1) are right and never reach our algorithms" \
		stays offloaded sh -c "[ \"\$(vaccel-t /dev/vaccel1 sha256 $P/d.65537)\" = \
			\"\$(sha256sum $P/d.65537 | cut -d' ' -f1)\" ]"
	vdpa dev del accel1

	# --- removal with requests in flight -----------------------------------
	# four sockets (tfms) hashing 64 KiB messages on the device
	bg=
	for i in 1 2 3 4; do
		$A -n 100000 sha256-virtio-accel "$P/d.65536" >/tmp/bg.$i 2>&1 &
		bg="$bg $!"
	done
	sleep 2
	b=$(cat $C/vaccel0/inflight)
	echo "# in flight on the device: $b"
	t "vdpa dev del accel0 with 64 KiB digests in flight" vdpa dev del accel0
	t "/dev/vaccel0 gone" wait_for 10 /dev/vaccel0 gone
	sleep 1
	# shellcheck disable=SC2086 # a list of pids
	kill $bg 2>/dev/null
	# shellcheck disable=SC2086
	wait $bg 2>/dev/null
	cat /tmp/bg.? | sed 's/^/# in flight: /' | head -8
	t "a tfm was alive at removal: the algorithms stay (software), correct" \
		rises fallback_whole sha_ok sha256-virtio-accel "$P/d.4096"
	t "a device again" add accel0
	t "... digest offloaded" rises offloaded sha_ok sha256-virtio-accel "$P/d.4096"
	t "a second device" add accel1
	t "two devices share the load" sh -c \
		"a0=\$(cat $C/vaccel0/completed) && a1=\$(cat $C/vaccel1/completed) &&
		 $A -n 16 sha256-virtio-accel $P/d.4096 >/dev/null &&
		 b0=\$(cat $C/vaccel0/completed) && b1=\$(cat $C/vaccel1/completed) &&
		 echo \"vaccel0 +\$((b0 - a0)), vaccel1 +\$((b1 - a1))\" &&
		 [ \$((b0 - a0)) -ge 4 ] && [ \$((b1 - a1)) -ge 4 ]"
	t "both devices removed, no tfm alive: the algorithms go with the last" sh -c \
		"vdpa dev del accel0 && vdpa dev del accel1 &&
		 [ \"\$(cat $C/crypto_registered)\" = 0 ] && ! grep -q virtio-accel /proc/crypto"
	t "a device again" add accel0
	t "... registered again" sh -c "[ \"\$(cat $C/crypto_registered)\" = 1 ]"
	t "... sha256-virtio-accel selftest passed" \
		proc_ok sha256-virtio-accel sha256 2000
	t "... hmac-sha256-virtio-accel selftest passed" \
		proc_ok hmac-sha256-virtio-accel "hmac(sha256)" 2000
	t "rmmod virtio_accel with a device present: algorithms gone" sh -c \
		"rmmod virtio_accel && ! grep -q virtio-accel /proc/crypto"
	# ours at 2000 made the crypto API drop hmac(sha256-generic): back at
	# the default priority, the kernel's own must be the choice again
	t "reload at the default priority after 2000" insmod "$P/virtio_accel.ko"
	t "... accel0 (still there) bound again" wait_for 10 /dev/vaccel0
	crypto_settled 120
	t "... 'hmac(sha256)' is the kernel's own again (counter stays)" \
		stays offloaded hmac_ok "hmac(sha256)" 4096
	t "... 'sha256' is the kernel's own again (counter stays)" \
		stays offloaded sha_ok sha256 "$P/d.4096"
fi
finish
