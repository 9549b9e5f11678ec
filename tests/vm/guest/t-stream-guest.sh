#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload: crypto API digests longer than the device's max_data_len run
# on the device as stream sessions (issue 11, "any request shape"), not in
# software. Started by tests/vm/host/t-stream-run.sh with virtio_accel.ko
# and vaccel_kdigest.ko loaded (the test module: one whole-message digest
# of a file, as a kernel user makes it; AF_ALG hands a message over in
# steps of 64 KiB, so it cannot), vaccel-t on PATH, and in /payload: the
# data files d.SIZE, refs.txt ("sha256|hmac|crc SIZE KEY DIGEST", Python's
# hashlib/hmac and a CRC-32C on the host) and, on path 3, vdpa_accel.ko.
#
# /payload/mode: vdpa (data path 3: first with the parent's default
# max_data_len, then reloaded with max_data_len=65536, then the device
# removed during a long stream) or pci (data path 1, the back-end started
# with --max-data-len 65536, 3 ms per request; the back-end killed and
# restarted during a stream; the PCI function removed during a stream).
# shellcheck disable=SC2317 # functions run through t()
MODE=$(cat /payload/mode 2>/dev/null || echo vdpa)
C=/sys/class/vaccel
P=/payload
KD=/sys/module/vaccel_kdigest/parameters
V=vaccel-t
VT_SHOW_OK=2	# each check's figures
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

cnt() { cat "$C/crypto_$1"; }
completed() { cat "$C"/vaccel*/completed 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
# the device's max_data_len, and the requests of a stream of SIZE bytes
mdl() { $V /dev/vaccel0 info | sed -n 's/.*max_data_len \([0-9]*\).*/\1/p'; }
chunks() {
	m=$(mdl)
	[ "$m" -le 2097152 ] || m=2097152	# the driver's cap on a request
	echo $((($1 + m - 1) / m))
}

# kd DRIVER FILE KEY [finup] [atomic]: "DIGEST USEC" or "error ERRNO USEC"
kd() { echo "$*" >$KD/run && cat $KD/result; }

# want TYPE SIZE KEY: the host's reference
want() {
	awk -v t="$1" -v s="$2" -v k="$3" \
		'$1 == t && $2 == s && $3 == k { print $4 }' $P/refs.txt
}

# dev_ok TYPE SIZE KEY [finup] [atomic]: our driver's digest equals the
# reference; one more stream ran on the device (crypto_streams +1), the
# device completed at least as many requests as the stream has, nothing
# fell back to software; the stream's session is gone again
dev_ok() {
	ty=$1
	sz=$2
	key=$3
	shift 3
	case $ty in
	sha256) drv=sha256-virtio-accel ;;
	hmac) drv=hmac-sha256-virtio-accel ;;
	crc) drv=crc32c-virtio-accel ;;
	esac
	s0=$(cnt streams) f0=$(cnt fallback_stream) w0=$(cnt fallback_whole)
	c0=$(completed)
	r=$(kd "$drv" "$P/d.$sz" "$key" "$@") || return 1
	s1=$(cnt streams) f1=$(cnt fallback_stream) w1=$(cnt fallback_whole)
	c1=$(completed)
	n=$(chunks "$sz")
	got=${r%% *}
	exp=$(want "$ty" "$sz" "$key")
	echo "$drv $sz key $key $*: $r; streams +$((s1 - s0)), fallback_stream +$((f1 - f0)), fallback_whole +$((w1 - w0)), completed +$((c1 - c0)) (chunks $n)"
	[ -n "$exp" ] || { echo "no reference"; return 1; }
	[ "$got" = "$exp" ] || { echo "want $exp"; return 1; }
	[ $((s1 - s0)) -eq 1 ] && [ "$f1" -eq "$f0" ] && [ "$w1" -eq "$w0" ] &&
		[ $((c1 - c0)) -ge "$n" ] || return 1
	[ "$(cat $C/vaccel0/sessions)" = 0 ] || { echo "a session left"; return 1; }
}

# all_sizes: every size, sha256, hmac with keys of 0, 64 and 100 bytes,
# crc32c with the default seed; finup and a request that may not sleep
all_sizes() {
	for sz in $(awk '$2 > 1048576 { print $2 }' $P/refs.txt | sort -un); do
		t "$1: sha256-virtio-accel, $sz bytes: device stream, equals sha256" \
			dev_ok sha256 "$sz" -
		for k in $(awk -v s="$sz" '$1 == "hmac" && $2 == s { print $3 }' $P/refs.txt); do
			kl=$((${#k} / 2))
			[ "$k" != empty ] || kl=0
			t "$1: hmac-sha256-virtio-accel, $sz bytes, key of $kl bytes: device stream, equals Python's hmac" \
				dev_ok hmac "$sz" "$k"
		done
		t "$1: crc32c-virtio-accel, $sz bytes: device stream, equals the reference" \
			dev_ok crc "$sz" -
	done
	t "$1: sha256-virtio-accel, 3 MiB + 5 by init + finup: device stream" \
		dev_ok sha256 3145733 - finup
	t "$1: hmac-sha256-virtio-accel, 8 MiB by init + finup: device stream" \
		dev_ok hmac 8388608 "$(awk '$1 == "hmac" && $2 == 8388608 && length($3) == 200 { print $3 }' $P/refs.txt)" finup
	t "$1: crc32c-virtio-accel, 8 MiB, a request that may not sleep: device stream" \
		dev_ok crc 8388608 - atomic
}

# many [atomic]: 16 requests of 8 MiB at once on one tfm, all correct and
# all device streams; at most 8 stream works run at once (the driver's
# bound on stream memory), so the device never holds more than 8 of its
# sessions, and more than one ran at a time
many() {
	peak=0
	s0=$(cnt streams)
	(kd crc32c-virtio-accel $P/d.8388608 - par=16 "$@" >/tmp/many.out 2>&1) &
	b=$!
	while kill -0 "$b" 2>/dev/null; do
		n=$(cat $C/vaccel0/sessions)
		[ "$n" -le "$peak" ] || peak=$n
		sleep 0.05
	done
	wait "$b"
	echo "$(cat /tmp/many.out); peak sessions $peak; streams +$(($(cnt streams) - s0))"
	[ "$(cut -d' ' -f1 /tmp/many.out)" = "$(want crc 8388608 -)" ] &&
		[ "$peak" -le 8 ] && [ "$peak" -ge 2 ] &&
		[ $(($(cnt streams) - s0)) -eq 16 ]
}

# timing: 8 MiB, our driver against the kernel's own (the CPU's)
timing() {
	for a in sha256 crc32c; do
		d=$(kd "$a-virtio-accel" $P/d.8388608 -) &&
		s=$(kd "$a" $P/d.8388608 -) || return 1
		echo "$1 8 MiB $a: device ${d##* } us, software ${s##* } us"
		[ "${d%% *}" = "${s%% *}" ] || return 1
	done
}

# limit: the device's session budget full (a file holds one session,
# max_sessions_per_dev=1): the stream falls back to software, counted
limit() {
	$V /dev/vaccel0 sessions 1 hold >/tmp/hold.out 2>&1 &
	h=$!
	wait_line 20 /tmp/hold.out '1 created' || return 1
	echo 1 >/sys/module/virtio_accel/parameters/max_sessions_per_dev
	s0=$(cnt streams) f0=$(cnt fallback_stream)
	r=$(kd sha256-virtio-accel $P/d.3145733 -)
	echo 0 >/sys/module/virtio_accel/parameters/max_sessions_per_dev
	kill "$h"
	wait "$h" 2>/dev/null
	echo "$r; streams +$(($(cnt streams) - s0)), fallback_stream +$(($(cnt fallback_stream) - f0))"
	[ "${r%% *}" = "$(want sha256 3145733 -)" ] &&
		[ "$(cnt streams)" -eq "$s0" ] && [ "$(cnt fallback_stream)" -gt "$f0" ]
}

# removed DEL-CMD: a stream of 48 MiB in 64 KiB requests is running when
# DEL-CMD removes the device: the request completes with an error (not a
# digest), promptly; nothing hangs (the harness checks the log for splats)
# early C0: returns once the device completed 2 requests more than C0 (the
# stream is on it), polling without forking. A fixed sleep (0.3 s) here
# was a third of the 48 MiB stream of 64 KiB requests on path 3 under
# TCG: a machine 3 times faster, or KVM, ends the stream before the
# removal and the digest is right
early() { spin_count "$C/vaccel0/completed" "$1" 2; }
removed() {
	[ -e /tmp/big ] || dd if=/dev/urandom of=/tmp/big bs=1M count=48 2>/dev/null
	s0=$(cnt streams)
	c0=$(cat "$C/vaccel0/completed")
	(kd sha256-virtio-accel /tmp/big - >/tmp/rm.out 2>&1) &
	b=$!
	wait_until 60 sh -c "[ \$(cat $C/crypto_streams) -gt $s0 ]" ||
		{ echo "no stream started"; return 1; }
	early "$c0"
	sh -c "$1" || return 1
	wait_until 30 sh -c "! kill -0 $b 2>/dev/null" ||
		{ echo "the digest did not complete"; return 1; }
	wait "$b"
	echo "result: $(cat /tmp/rm.out)"
	grep -q '^error -' /tmp/rm.out
}

up() { wait_for 30 /dev/vaccel0 && crypto_settled 60; }

# restarted: the host kills the back-end during a 48 MiB stream and starts
# another (path 1; the request in flight is resubmitted to it): the
# stream's session is lost (spec 8.6, INVSESS), the request completes with
# an error, promptly
restarted() {
	[ -e /tmp/big ] || dd if=/dev/urandom of=/tmp/big bs=1M count=48 2>/dev/null
	s0=$(cnt streams)
	c0=$(cat "$C/vaccel0/completed")
	(kd sha256-virtio-accel /tmp/big - >/tmp/rs.out 2>&1) &
	b=$!
	wait_until 60 sh -c "[ \$(cat $C/crypto_streams) -gt $s0 ]" ||
		{ echo "no stream started"; return 1; }
	early "$c0"
	echo "STREAM: kill the back-end" >/dev/console
	wait_until 120 sh -c "! kill -0 $b 2>/dev/null" ||
		{ echo "the digest did not complete"; return 1; }
	wait "$b"
	echo "result: $(cat /tmp/rs.out)"
	grep -q '^error -' /tmp/rs.out
}

crypto_settled 60
if [ "$MODE" = vdpa ]; then
	vdpa_autoprobe 0
	t "path 3: vdpa dev add accel0, bound to virtio_vdpa" vdpa_add accel0 virtio_vdpa
	t "/dev/vaccel0 present, self-tests done" up
	echo "# path 3, max_data_len $(mdl)"
	all_sizes "max_data_len 1 MiB"
	t "max_data_len 1 MiB: 8 MiB timing, device and software agree" timing "path 3 (1 MiB requests):"
	t "session budget full: the stream falls back to software, counted in crypto_fallback_stream" limit
	t "16 crc32c streams of 8 MiB at once: all right, at most 8 sessions at a time" many
	reparent() {
		vdpa dev del accel0 && wait_for 20 /dev/vaccel0 gone &&
			rmmod vdpa_accel && insmod $P/vdpa_accel.ko max_data_len=65536 &&
			vdpa_add accel0 virtio_vdpa && wait_for 20 /dev/vaccel0 &&
			[ "$(mdl)" = 65536 ]
	}
	t "parent reloaded with max_data_len=65536" reparent
	all_sizes "max_data_len 64 KiB"
	t "max_data_len 64 KiB: 8 MiB timing, device and software agree" timing "path 3 (64 KiB requests):"
	t "max_data_len 64 KiB: 16 crc32c streams of 8 MiB at once, may not sleep: all right, <= 8 sessions" many atomic
	t "vdpa dev del during a 48 MiB stream: the request completes with an error" \
		removed "vdpa dev del accel0"
	t "... /dev/vaccel0 gone" wait_for 20 /dev/vaccel0 gone
	nodev() {
		f0=$(cnt fallback_whole)
		r=$(kd sha256-virtio-accel $P/d.3145733 -)
		echo "$r"
		[ "${r%% *}" = "$(want sha256 3145733 -)" ] &&
			[ "$(cnt fallback_whole)" -gt "$f0" ]
	}
	t "... no device: a long digest in software (crypto_fallback_whole, as any), correct" nodev
	again() { vdpa_add accel0 virtio_vdpa && up; }
	t "a device again" again
	t "... 8 MiB sha256 on it" dev_ok sha256 8388608 -
	t "rmmod virtio_accel after the streams (no work left)" sh -c \
		"vdpa dev del accel0 && rmmod virtio_accel && ! grep -q virtio_accel /proc/modules"
else
	echo "# path 1, max_data_len $(mdl)"
	all_sizes "path 1, max_data_len 64 KiB"
	t "path 1: 8 MiB timing, device and software agree" timing "path 1 (64 KiB requests):"
	t "path 1: session budget full: the stream falls back to software, counted" limit
	t "path 1: 16 crc32c streams of 8 MiB at once, may not sleep: all right, <= 8 sessions" many atomic
	t "path 1: back-end killed and restarted during a 48 MiB stream: the request completes with an error" \
		restarted
	t "... a stream after the restart" dev_ok sha256 8388608 -
	BDF=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1078 ] && BDF=$(basename "$d")
	done
	t "path 1: PCI function removed during a 48 MiB stream: the request completes with an error" \
		removed "echo 1 >/sys/bus/pci/devices/$BDF/remove"
	t "... /dev/vaccel0 gone" wait_for 20 /dev/vaccel0 gone
	rescan() { echo 1 >/sys/bus/pci/rescan && up; }
	t "... rescan: a device again" rescan
	t "... 8 MiB sha256 on it" dev_ok sha256 8388608 -
fi
finish
