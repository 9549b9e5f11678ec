#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload: deflate-virtio-accel, the acomp algorithm of virtio_accel.ko
# (issue 11). Started by tests/vm/host/t-acomp-run.sh with virtio_accel.ko
# (and on path 3 vdpa_accel.ko) loaded, brd, vaccel-memfill on PATH, and in
# /payload: virtio_accel.ko, vaccel_acomp_kt.ko (acomp requests from user
# space through /sys/kernel/debug/vaccel_acomp_kt), c.N (compressible) and
# r.N (random) files, z.c.N and z.r.N (c.N, r.N as raw DEFLATE by Python's
# zlib), bad.* and zbad.* (corrupt streams Python's zlib rejects) and, for
# path 3, vdpa_accel.ko.
#
# src above max_data_len, and output that does not fit max_data_len, run
# on the device as DEFLATE stream sessions (crypto_streams; sizes 1 MiB + 1,
# 3 MiB + 5 and 8 MiB; on path 3 also with the parent reloaded with
# max_data_len=65536, and the device removed during a long compression).
#
# /payload/mode says the path: vdpa (data path 3; also the software
# fallback with no device) or pci (data path 1). Then zswap with compressor
# deflate on the device. One "ok N - ..." line per check, then
# "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
MODE=$(cat /payload/mode 2>/dev/null || echo vdpa)
C=/sys/class/vaccel
P=/payload
KT=/sys/kernel/debug/vaccel_acomp_kt
MAX=1048576		# the devices' max_data_len (both hosts' default)
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

add() { vdpa_add "$1" virtio_vdpa; }
cnt() { cat "$C/crypto_$1"; }
completed() {
	cat "$C"/vaccel*/completed 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# proc_deflate PRIO: deflate-virtio-accel in /proc/crypto (not a larval):
# name deflate, type acomp, our module, priority PRIO, self-test passed
proc_deflate() {
	crypto_settled 60 || return 1
	awk '/^name/ { if (b ~ /driver *: deflate-virtio-accel\n/ &&
			   b !~ /type *: larval/) print b; b = "" }
	     { b = b $0 "\n" }
	     END { if (b ~ /driver *: deflate-virtio-accel\n/) print b }' \
		/proc/crypto >/tmp/proc.b
	cat /tmp/proc.b
	grep -Eq '^name +: deflate$' /tmp/proc.b &&
		grep -Eq '^type +: acomp$' /tmp/proc.b &&
		grep -Eq '^module +: virtio_accel$' /tmp/proc.b &&
		grep -Eq "^priority +: $1\$" /tmp/proc.b &&
		grep -Eq '^selftest +: passed$' /tmp/proc.b
}

# ---- requests through the test module ------------------------------------

put() { cat "$1" >"$KT/src"; }
# req OP DLEN LAYOUT [FLAGS]: one request; RET and OUT set from "RET DLEN"
req() {
	echo "$*" >"$KT/run" || return 1
	read -r RET OUT <"$KT/result"
}
bound() { echo $(($1 + 5 * ($1 / 16383 + 1) + 16)); }

# rt FILE LAYOUT [FLAGS] (rt_* its variables): FILE compresses; the output is a raw DEFLATE stream
# busybox's own inflater (gunzip, of it framed with FILE's CRC-32 and size)
# turns back into FILE; and it decompresses to FILE with dlen = FILE's size
rt() {
	rt_f=$1
	rt_l=$2
	rt_fl=${3:-}
	sz=$(wc -c <"$rt_f")
	put "$rt_f" || return 1
	# shellcheck disable=SC2086 # rt_fl: zero or more words
	req comp "$(bound "$sz")" "$rt_l" $rt_fl || return 1
	[ "$RET" = 0 ] || { echo "compress $rt_f ($rt_l $rt_fl): $RET"; return 1; }
	echo "compressed $sz -> $OUT bytes"
	gunzip -c "$KT/gz" >/tmp/rt.out || { echo "busybox gunzip rejects it"; return 1; }
	cmp "$rt_f" /tmp/rt.out || return 1
	cat "$KT/dst" >/tmp/rt.z && put /tmp/rt.z || return 1
	# shellcheck disable=SC2086
	req decomp "$sz" "$rt_l" $rt_fl || return 1
	if [ "$RET" != 0 ] || [ "$OUT" != "$sz" ]; then
		echo "decompress ($rt_l $rt_fl): $RET, $OUT bytes of $sz"
		return 1
	fi
	cmp "$rt_f" "$KT/dst"
}

# dec STREAM WANT DLEN LAYOUT: STREAM decompresses to the file WANT
dec() {
	put "$1" && req decomp "$3" "$4" || return 1
	[ "$RET" = 0 ] || { echo "decompress $1: $RET"; return 1; }
	cmp "$2" "$KT/dst"
}

# fails ERRNO OP FILE DLEN LAYOUT: the request fails with -ERRNO, no output
fails() {
	put "$3" && req "$2" "$4" "$5" || return 1
	if [ "$RET" != "-$1" ] || [ "$OUT" != 0 ]; then
		echo "$2 $3 dlen $4: $RET, $OUT bytes (want -$1)"
		return 1
	fi
}

# on_dev CMD...: CMD succeeds, the devices completed requests for it and
# nothing fell back
on_dev() {
	c0=$(completed)
	f0=$(cnt fallback_comp)
	"$@" || return 1
	c1=$(completed)
	f1=$(cnt fallback_comp)
	echo "device +$((c1 - c0)), fallback +$((f1 - f0))"
	[ "$c1" -gt "$c0" ] && [ "$f1" -eq "$f0" ]
}

# on_stream CMD...: CMD succeeds, ran as (one or more) DEFLATE stream
# sessions on the device (crypto_streams rose, the devices completed
# requests), nothing fell back to software (crypto_fallback_comp and
# crypto_fallback_stream unchanged); the stream sessions are gone again
ms() { awk '{ print int($1 * 1000) }' /proc/uptime; }
on_stream() {
	c0=$(completed)
	f0=$(cnt fallback_comp)
	g0=$(cnt fallback_stream)
	s0=$(cnt streams)
	t0=$(ms)
	"$@" || return 1
	t1=$(ms)
	c1=$(completed)
	f1=$(cnt fallback_comp)
	g1=$(cnt fallback_stream)
	s1=$(cnt streams)
	echo "streams +$((s1 - s0)), device +$((c1 - c0)), fallback +$((f1 - f0)), fallback_stream +$((g1 - g0)), $((t1 - t0)) ms"
	[ "$s1" -gt "$s0" ] && [ "$c1" -gt "$c0" ] && [ "$f1" -eq "$f0" ] &&
		[ "$g1" -eq "$g0" ] && [ "$(cat "$C"/vaccel0/sessions)" = 0 ]
}

# on_sw CMD...: CMD succeeds and the software fallback counted it
on_sw() {
	c0=$(completed)
	f0=$(cnt fallback_comp)
	"$@" || return 1
	c1=$(completed)
	f1=$(cnt fallback_comp)
	echo "device +$((c1 - c0)), fallback +$((f1 - f0))"
	[ "$f1" -gt "$f0" ]
}

# inflight_once: a 1 MiB compression sent to the device, which is deleted
# as soon as the request is on its ring (crypto_offloaded rose); the device
# added again. 0: the request was still in flight and was done again in
# software (crypto_fallback_comp rose), correctly; 1: it had completed
# first; 2: it failed or came back wrong
inflight_once() {
	o0=$(cnt offloaded)
	f0=$(cnt fallback_comp)
	put "$P/c.$MAX" || return 2
	echo "comp $(bound "$MAX") page" >"$KT/run" &
	bg=$!
	i=0
	while [ "$(cnt offloaded)" = "$o0" ] && [ "$i" -lt 5000 ]; do
		i=$((i + 1))
	done
	vdpa dev del accel0
	wait "$bg"
	read -r RET OUT <"$KT/result"
	f1=$(cnt fallback_comp)
	add accel0 || return 2
	[ "$RET" = 0 ] || { echo "the request failed: $RET"; return 2; }
	gunzip -c "$KT/gz" >/tmp/if.out && cmp "$P/c.$MAX" /tmp/if.out || return 2
	[ "$f1" -gt "$f0" ]
}

# inflight: inflight_once until the request was in flight (8 tries)
inflight() {
	n=1
	while [ "$n" -le 8 ]; do
		inflight_once
		case $? in
		0) echo "in flight at the removal on try $n: done in software"; return 0 ;;
		2) return 1 ;;
		esac
		n=$((n + 1))
	done
	echo "the request completed before the removal 8 times"
	return 1
}

dmesg -c >/dev/null
if [ "$MODE" = vdpa ]; then
	echo 0 >/sys/bus/vdpa/drivers_autoprobe
	t "path 3: vdpa dev add accel0, bound to virtio_vdpa" add accel0
fi
t "/dev/vaccel0 present" wait_for 10 /dev/vaccel0
t "/proc/crypto: deflate-virtio-accel, acomp, priority 50, selftest passed" \
	proc_deflate 50
t "no self-test failure in the kernel log" sh -c '! dmesg | grep -E "alg: .*(deflate|acomp)"'
t "insmod vaccel_acomp_kt (a tfm of deflate-virtio-accel)" \
	insmod "$P/vaccel_acomp_kt.ko"
t "... its requests reach our driver" \
	sh -c "dmesg | grep -q 'deflate-virtio-accel is deflate-virtio-accel'"

# --- round trips: the device up to max_data_len, software above ------------
for f in c.0 c.1 c.4096 c.65537 c.$MAX r.0 r.1 r.4096 r.65537; do
	t "$f: compress, gunzip and decompress round trip, one entry per page (device)" \
		on_dev rt "$P/$f" page
done
for f in c.0 c.4096 c.65537 r.65537; do
	for l in one odd; do
		t "$f: round trip, layout $l (device)" on_dev rt "$P/$f" "$l"
	done
done
t "r.$MAX: does not compress within max_data_len: device NOSPC, then a device stream" \
	on_stream rt "$P/r.$MAX" page
t "c.$((MAX + 5)): above max_data_len, a device stream (layout page)" \
	on_stream rt "$P/c.$((MAX + 5))" page
t "c.$((MAX + 5)): above max_data_len, a device stream (layout odd)" \
	on_stream rt "$P/c.$((MAX + 5))" odd
t "r.$((MAX + 5)): above max_data_len, a device stream (layout one)" \
	on_stream rt "$P/r.$((MAX + 5))" one
t "c.65537 without CRYPTO_TFM_REQ_MAY_SLEEP (device)" \
	on_dev rt "$P/c.65537" odd atomic
t "c.$((MAX + 5)) without CRYPTO_TFM_REQ_MAY_SLEEP (a device stream)" \
	on_stream rt "$P/c.$((MAX + 5))" page atomic

# NULL dst (CRYPTO_ACOMP_ALLOC_OUTPUT): the driver allocates, dst_free frees
null_rt() {
	put "$P/c.65537" && req comp 0 page null || return 1
	[ "$RET" = 0 ] || { echo "compress, NULL dst: $RET"; return 1; }
	gunzip -c "$KT/gz" >/tmp/null.out && cmp "$P/c.65537" /tmp/null.out ||
		return 1
	cat "$KT/dst" >/tmp/null.z && put /tmp/null.z && req decomp 0 odd null ||
		return 1
	if [ "$RET" != 0 ] || [ "$OUT" != 65537 ]; then
		echo "decompress, NULL dst: $RET $OUT"
		return 1
	fi
	cmp "$P/c.65537" "$KT/dst"
}
t "NULL dst: allocated by the driver (128 KiB), round trip" on_dev null_rt
t "NULL dst, output too small: -ENOSPC, nothing left allocated" \
	fails 28 comp "$P/r.$MAX" 0 page null

# --- streams made by Python's zlib -------------------------------------------
for n in 1 4096 65537 $MAX; do
	t "Python zlib raw DEFLATE (wbits -15) of c.$n decompresses to c.$n (device)" \
		on_dev dec "$P/z.c.$n" "$P/c.$n" "$n" page
done
t "... with dlen larger than the output (device)" \
	on_dev dec "$P/z.c.65537" "$P/c.65537" 300000 odd
t "... with dlen above max_data_len: the device is asked for max_data_len (device)" \
	on_dev dec "$P/z.c.65537" "$P/c.65537" 4000000 page
t "Python's 3 MiB stream: device NOSPC within max_data_len, then a device stream" \
	on_stream dec "$P/z.c.3145728" "$P/c.3145728" 4000000 page

# --- errors -------------------------------------------------------------------
for b in btype trunc trail flip; do
	t "corrupt stream ($b): -EINVAL, no output (device)" \
		on_dev fails 22 decomp "$P/bad.$b" 300000 page
done
t "empty src: not a stream, -EINVAL" fails 22 decomp "$P/c.0" 4096 page
t "compress into 10 bytes: -ENOSPC (device)" \
	fails 28 comp "$P/c.65537" 10 page
t "decompress into one byte less than the data: -ENOSPC (device)" \
	fails 28 decomp "$P/z.c.65537" 65536 odd
t "decompress into exactly the data's size: OK (device)" \
	on_dev dec "$P/z.c.65537" "$P/c.65537" 65537 one
t "compress above max_data_len into 100 bytes: -ENOSPC (a device stream)" \
	on_stream fails 28 comp "$P/c.$((MAX + 5))" 100 page
t "decompress 3 MiB into 3 MiB - 1: -ENOSPC (device capped, then a device stream)" \
	on_stream fails 28 decomp "$P/z.c.3145728" 3145727 page

# --- long requests: DEFLATE stream sessions --------------------------------------
# exact FILE: FILE compresses to L bytes; again into exactly L bytes: OK,
# the same stream (the driver probes one byte past a full dst); into L - 1:
# -ENOSPC
exact() {
	sz=$(wc -c <"$1")
	put "$1" && req comp "$(bound "$sz")" page || return 1
	[ "$RET" = 0 ] || { echo "compress: $RET"; return 1; }
	L=$OUT
	cat "$KT/dst" >/tmp/ex.z
	req comp "$L" page || return 1
	if [ "$RET" != 0 ] || [ "$OUT" != "$L" ]; then
		echo "into $L bytes: $RET, $OUT bytes"
		return 1
	fi
	cmp /tmp/ex.z "$KT/dst" || return 1
	req comp $((L - 1)) odd || return 1
	echo "$sz -> $L bytes; into $((L - 1)): $RET $OUT"
	[ "$RET" = -28 ] && [ "$OUT" = 0 ]
}

# streams LABEL: the long sizes, compressible and random, through streams
streams() {
	for n in 1048577 3145733 8388608; do
		for k in c r; do
			t "$1: $k.$n: compress, gunzip, decompress round trip (device streams)" \
				on_stream rt "$P/$k.$n" page
			t "$1: Python's raw DEFLATE of $k.$n decompresses to it (device stream)" \
				on_stream dec "$P/z.$k.$n" "$P/$k.$n" "$n" page
		done
	done
	t "$1: c.3145733, layout odd, may not sleep: round trip (device streams)" \
		on_stream rt "$P/c.3145733" odd atomic
	t "$1: r.1048577, dst NULL (128 KiB): -ENOSPC, nothing left allocated (device stream)" \
		on_stream fails 28 comp "$P/r.1048577" 0 page null
	t "$1: compress c.8388608 into 1000 bytes: -ENOSPC (device stream)" \
		on_stream fails 28 comp "$P/c.8388608" 1000 page
	t "$1: compress r.3145733 into its own size: -ENOSPC (device stream)" \
		on_stream fails 28 comp "$P/r.3145733" 3145733 page
	t "$1: decompress Python's c.8388608 into 8 MiB - 1: -ENOSPC (device stream)" \
		on_stream fails 28 decomp "$P/z.c.8388608" 8388607 odd
	t "$1: decompress Python's r.8388608 into exactly 8 MiB: OK (device stream)" \
		on_stream dec "$P/z.r.8388608" "$P/r.8388608" 8388608 page
	t "$1: compress into exactly the output's size: OK; one byte less: -ENOSPC (device streams)" \
		on_stream exact "$P/r.3145733"
	for b in trunc trail; do
		t "$1: Python's c.8388608, corrupt ($b): -EINVAL, no output (device stream)" \
			on_stream fails 22 decomp "$P/zbad.$b" 9000000 page
	done
}
VT_SHOW_OK=3
streams "max_data_len 1 MiB"

# path 3: the parent again with max_data_len=65536, so that every stream
# has many requests; then removal during a long compression
mdl_parent() {
	if [ -e /dev/vaccel0 ]; then
		vdpa dev del accel0 && wait_for 20 /dev/vaccel0 gone || return 1
	fi
	rmmod vdpa_accel && insmod "$P/vdpa_accel.ko" "$@" &&
		add accel0 && wait_for 20 /dev/vaccel0 && crypto_settled 60
}
# removed_once: r.8388608 compressing as a stream of 64 KiB requests when
# the device is deleted: the request completes, done again in software
# (crypto_fallback_comp rose), its output right (gunzip); the stream had
# reached the device (crypto_streams rose, requests completed before the
# removal). REMOVED_LATE=1 when it failed only because the device had done
# the whole stream before the removal took effect (right output, no
# fallback)
removed_once() {
	REMOVED_LATE=0
	put "$P/r.8388608" || return 1
	s0=$(cnt streams)
	f0=$(cnt fallback_comp)
	c0=$(completed)
	echo "comp $(bound 8388608) page" >"$KT/run" &
	bg=$!
	wait_until 60 sh -c "[ \$(cat $C/crypto_streams) -gt $s0 ]" ||
		{ echo "no stream started"; wait "$bg"; return 1; }
	# early in the stream's 128+ requests: under KVM it lasts ~0.1 s, so
	# poll and time without forking (a fixed sleep, or the forks of
	# completed and ms between the poll and the removal, let it end
	# first)
	spin_count "$C/vaccel0/completed" "$c0" 4
	c1=$SPIN_COUNT
	read -r t0 _ </proc/uptime
	t0=$((${t0%.*} * 1000 + 1${t0#*.} * 10 - 1000))
	vdpa dev del accel0 || { wait "$bg"; return 1; }
	wait "$bg"
	read -r RET OUT <"$KT/result"
	echo "removed after $((c1 - c0)) requests of the stream; completed $(($(ms) - t0)) ms later: $RET, $OUT bytes; fallback +$(($(cnt fallback_comp) - f0))"
	[ $((c1 - c0)) -gt 1 ] || return 1
	[ "$RET" = 0 ] || return 1
	gunzip -c "$KT/gz" >/tmp/rm.out && cmp "$P/r.8388608" /tmp/rm.out ||
		return 1
	[ "$(cnt fallback_comp)" -gt "$f0" ] && return 0
	REMOVED_LATE=1
	return 1
}
# removed: removed_once; a busy TCG host can stall the guest's shell
# between the poll and the removal for as long as the device needs for the
# rest of the stream (once here: "removed after 127 requests", the
# stream done on the device). Then the device is added again and it is
# tried again, at most 3 times; every other failure counts at once
removed() {
	n=1
	until removed_once; do
		[ "$REMOVED_LATE" = 1 ] && [ "$n" -lt 3 ] || return 1
		n=$((n + 1))
		echo "the device finished the stream before its removal: added again, try $n"
		add accel0 && wait_for 20 /dev/vaccel0 && crypto_settled 60 ||
			return 1
	done
}
# zlimit: the device's max_comp_streams (1) DEFLATE stream sessions all
# held by a user of /dev/vaccel0: CREATE_SESSION gets NOSPC
# ([STREAM-LIMIT]); a long round trip is done in software, counted in
# crypto_fallback_stream and crypto_fallback_comp, correct
zlimit() {
	vaccel-t /dev/vaccel0 zstreams 1 >/tmp/zs.out 2>&1 &
	h=$!
	if ! wait_line 20 /tmp/zs.out '1 created'; then
		kill "$h"
		return 1
	fi
	s0=$(cnt streams)
	f0=$(cnt fallback_comp)
	g0=$(cnt fallback_stream)
	rt "$P/c.1048577" page
	r=$?
	kill "$h"
	wait "$h" 2>/dev/null
	echo "streams +$(($(cnt streams) - s0)), fallback +$(($(cnt fallback_comp) - f0)), fallback_stream +$(($(cnt fallback_stream) - g0))"
	[ "$r" = 0 ] && [ "$(cnt streams)" = "$s0" ] &&
		[ "$(cnt fallback_comp)" -gt "$f0" ] &&
		[ "$(cnt fallback_stream)" -gt "$g0" ]
}
zlimit_after() {
	wait_until 20 sh -c "[ \$(cat $C/vaccel0/sessions) = 0 ]" &&
		on_stream rt "$P/c.1048577" page
}
if [ "$MODE" = pci ]; then
	t "max_comp_streams 1, held by another user: NOSPC, software, counted" zlimit
	t "... released: streams on the device again" zlimit_after
fi
if [ "$MODE" = vdpa ]; then
	t "parent reloaded with max_data_len=65536 max_comp_streams=1" \
		mdl_parent max_data_len=65536 max_comp_streams=1
	streams "max_data_len 64 KiB"
	t "max_comp_streams 1, held by another user: NOSPC, software, counted" zlimit
	t "... released: streams on the device again" zlimit_after
	t "max_data_len 64 KiB: vdpa dev del during an 8 MiB compression stream: it completes, done again in software, correct" \
		removed
	t "... the parent again with its default max_data_len" mdl_parent
fi
# shellcheck disable=SC2034 # read by t() (guest-lib.sh)
VT_SHOW_OK=0

# --- path 3: no device, the algorithm stays (a tfm is held): software ---------
if [ "$MODE" = vdpa ]; then
	t "vdpa dev del accel0 while a tfm is held: algorithms stay" sh -c \
		"vdpa dev del accel0 && grep -q deflate-virtio-accel /proc/crypto"
	t "no device: c.65537 round trip in software" on_sw rt "$P/c.65537" odd
	for b in btype trunc trail flip; do
		t "no device: corrupt stream ($b) still -EINVAL (software)" \
			on_sw fails 22 decomp "$P/bad.$b" 300000 odd
	done
	t "no device: decompress into one byte less: -ENOSPC (software)" \
		on_sw fails 28 decomp "$P/z.c.65537" 65536 page
	t "no device: Python's stream of c.65537 (software)" \
		on_sw dec "$P/z.c.65537" "$P/c.65537" 65537 odd
	t "no device: c.3145733 round trip in software (no stream)" \
		on_sw rt "$P/c.3145733" page
	t "vdpa dev add accel0: the device again" add accel0
	t "... c.65537 round trip on the device" on_dev rt "$P/c.65537" page
	t "vdpa dev del with a 1 MiB compression in flight: done again in software, correct" \
		inflight
fi
t "rmmod vaccel_acomp_kt" rmmod vaccel_acomp_kt

# --- zswap with compressor deflate, the device preferred --------------------------
if [ "$MODE" = vdpa ]; then
	reload() {
		vdpa dev del accel0 && rmmod virtio_accel &&
			insmod "$P/virtio_accel.ko" crypto_priority=2000 && add accel0
	}
else
	reload() {
		rmmod virtio_accel && insmod "$P/virtio_accel.ko" crypto_priority=2000 &&
			wait_for 10 /dev/vaccel0
	}
fi
t "reload virtio_accel with crypto_priority=2000" reload
t "deflate-virtio-accel: priority 2000, selftest passed" proc_deflate 2000

# swap: a 256 MiB brd RAM disk (its default is 4 MiB; zswap takes a swap
# slot for every page it stores)
zswap_on() {
	rmmod brd 2>/dev/null
	modprobe brd rd_nr=1 rd_size=262144 &&
		mkswap /dev/ram0 >/dev/null && swapon /dev/ram0 &&
		echo deflate >/sys/module/zswap/parameters/compressor &&
		echo 1 >/sys/module/zswap/parameters/enabled || return 1
	grep . /sys/module/zswap/parameters/compressor \
		/sys/module/zswap/parameters/enabled /sys/module/zswap/parameters/zpool
	[ "$(cat /sys/module/zswap/parameters/compressor)" = deflate ] &&
		[ "$(cat /sys/module/zswap/parameters/enabled)" = Y ] &&
		[ "$(cnt tfms)" -gt 0 ]
}
t "zswap: swap on a brd RAM disk, compressor deflate, enabled; its per-CPU tfms are ours" \
	zswap_on

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# 32 MiB of compressible pages in a memory cgroup of 12 MiB: they go out
# through zswap (compressed by the device) and come back (decompressed)
# mf_filled PID OUT: vaccel-memfill has filled its memory, or is gone
mf_filled() { grep -q filled "$2" || ! kill -0 "$1" 2>/dev/null; }

zswap_run() {
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control &&
		mkdir -p /sys/fs/cgroup/zt &&
		echo 12M >/sys/fs/cgroup/zt/memory.max || return 1
	o0=$(vmstat zswpout)
	i0=$(vmstat zswpin)
	c0=$(completed)
	f0=$(cnt fallback_comp)
	rm -f /tmp/go
	sh -c 'echo $$ >/sys/fs/cgroup/zt/cgroup.procs && exec vaccel-memfill 32 /tmp/go' \
		>/tmp/mf.out 2>&1 &
	pid=$!
	if ! wait_until 900 mf_filled "$pid" /tmp/mf.out; then
		kill "$pid" 2>/dev/null
		cat /tmp/mf.out
		dmesg | tail -40
		return 1
	fi
	stored=$(cat /sys/kernel/debug/zswap/stored_pages)
	o1=$(vmstat zswpout)
	touch /tmp/go
	wait "$pid"
	rc=$?
	i1=$(vmstat zswpin)
	c1=$(completed)
	f1=$(cnt fallback_comp)
	cat /tmp/mf.out
	grep . /sys/kernel/debug/zswap/* 2>/dev/null | sed 's|.*/||'
	echo "zswap stored $stored pages; zswpout +$((o1 - o0)), zswpin +$((i1 - i0))"
	echo "device completed +$((c1 - c0)), software fallback +$((f1 - f0))"
	echo "$stored $((o1 - o0)) $((i1 - i0)) $((c1 - c0)) $((f1 - f0))" >/tmp/zswap.n
	[ "$rc" -eq 0 ] || dmesg | tail -40
	[ "$rc" -eq 0 ] && grep -q ', 0 bad' /tmp/mf.out &&
		[ "$stored" -gt 0 ] && [ $((o1 - o0)) -gt 0 ] &&
		[ $((c1 - c0)) -ge $((o1 - o0)) ]
}
t "zswap: 32 MiB through a 12 MiB cgroup: pages stored compressed, device requests >= pages swapped out, every byte read back intact" \
	zswap_run
sed 's/^/# zswap: /' "$VT_OUT"
t "rmmod virtio_accel refused while zswap holds its tfms" \
	sh -c '! rmmod virtio_accel 2>/dev/null && grep -q "^virtio_accel " /proc/modules'

# path 3: the device removed while zswap compresses through it: requests in
# flight and after are done in software, pages the device compressed are
# decompressed there (its 32 KiB window), none lost (zswap BUG()s on a
# failed decompression)
zswpout_rose() { [ "$(vmstat zswpout)" -gt "$1" ]; }
zswap_del() {
	o0=$(vmstat zswpout)
	f0=$(cnt fallback_comp)
	rm -f /tmp/go
	sh -c 'echo $$ >/sys/fs/cgroup/zt/cgroup.procs && exec vaccel-memfill 32 /tmp/go' \
		>/tmp/mf2.out 2>&1 &
	pid=$!
	if ! wait_until 300 zswpout_rose $((o0 + 500)) ||
	   ! vdpa dev del accel0 ||
	   ! wait_until 900 mf_filled "$pid" /tmp/mf2.out; then
		kill "$pid" 2>/dev/null
		cat /tmp/mf2.out
		return 1
	fi
	touch /tmp/go
	wait "$pid"
	rc=$?
	f1=$(cnt fallback_comp)
	cat /tmp/mf2.out
	echo "zswpout +$(($(vmstat zswpout) - o0)), software fallback +$((f1 - f0))"
	[ "$rc" -eq 0 ] && grep -q ', 0 bad' /tmp/mf2.out && [ "$f1" -gt "$f0" ]
}
if [ "$MODE" = vdpa ]; then
	t "zswap: vdpa dev del under zswap traffic: software takes over, every byte read back intact" \
		zswap_del
	sed 's/^/# zswap, device removed: /' "$VT_OUT"
fi
splat_free() { dmesg >/tmp/dmesg.txt && no_splat /tmp/dmesg.txt; }
t "no splat in the kernel log" splat_free
finish
