#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) of tests/vm/t-lib-run.sh: libvirtaccel over the
# kernel paths. Creates two vDPA devices of vdpa_accel, binds one to
# vhost_vdpa (the library drives /dev/vhost-vdpa-N) and one to virtio_vdpa
# (virtio_accel.ko gives /dev/vaccelN), then runs the CLI and the conformance
# suite over both device strings. References come from the host (files in
# /payload: in.N, ct.N, z.N, hmac.ref, sizes, bindir).
# One "ok N - ..." / "not ok N - ..." line per check; ends "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
n=0
failed=0
out=/tmp/tlib.out
B=$(cat bindir)
V=$B/vaccel
CONF=$B/conformance_suite
SIZES=$(cat sizes)
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
IV=cafebabefacedbaddecaf888
AAD=feedfacedeadbeeffeedfacedeadbeefabaddad2
W=/tmp/w

t() { # t NAME CMD...: one check, output shown on failure
	name=$1
	shift
	n=$((n + 1))
	if "$@" >$out 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/#   /' $out | head -40
		failed=$((failed + 1))
	fi
}

# cmp_err A B: cmp, and on a difference the CLI's stderr ($W/err) too
cmp_err() {
	cmp "$1" "$2" && return 0
	cat $W/err
	return 1
}

finish() {
	echo "$((n - failed)) passed, $failed failed"
	[ $failed -eq 0 ]
	exit $?
}

# bind NAME DRIVER: bind vDPA device NAME to DRIVER (vhost_vdpa/virtio_vdpa)
bind() {
	d=/sys/bus/vdpa/devices/$1
	if [ -e "$d/driver" ]; then
		cur=$(basename "$(readlink "$d/driver")")
		[ "$cur" = "$2" ] && return 0
		echo "$1" >"$d/driver/unbind" || return 1
	fi
	echo "$2" >"$d/driver_override" || return 1
	echo "$1" >/sys/bus/vdpa/drivers_probe || return 1
	[ "$(basename "$(readlink "$d/driver")")" = "$2" ]
}

# wait_for PATH: up to 5 s (udev-less guest: devtmpfs creates the node)
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144
mkdir -p $W

# --- devices ------------------------------------------------------------------
t "vdpa mgmtdev vdpa_accel is registered" sh -c 'vdpa mgmtdev show | grep -q vdpa_accel'
# no automatic driver choice: each device goes where the test puts it
echo 0 >/sys/bus/vdpa/drivers_autoprobe
t "vdpa dev add name libvh0" vdpa dev add name libvh0 mgmtdev vdpa_accel
t "vdpa dev add name libvc0" vdpa dev add name libvc0 mgmtdev vdpa_accel
before=$(ls /dev/vaccel* 2>/dev/null)
t "libvh0 bound to vhost_vdpa" bind libvh0 vhost_vdpa
t "libvc0 bound to virtio_vdpa" bind libvc0 virtio_vdpa
echo 1 >/sys/bus/vdpa/drivers_autoprobe

VH=""
for f in /sys/bus/vdpa/devices/libvh0/vhost-vdpa-*; do
	[ -e "$f" ] && VH=/dev/$(basename "$f")
done
t "vhost-vdpa node for libvh0 ($VH)" wait_for "${VH:-/nonexistent}"
VC=""
i=0
while [ -z "$VC" ] && [ $i -lt 50 ]; do
	for f in /dev/vaccel*; do
		[ -e "$f" ] || continue
		case " $before " in *" $f "*) continue ;; esac
		VC=$f
	done
	[ -n "$VC" ] || sleep 0.1
	i=$((i + 1))
done
t "character device for libvc0 ($VC)" test -c "${VC:-/nonexistent}"
t "character device mode is 0600" sh -c "[ \"\$(stat -c %a '$VC')\" = 600 ]"

# --- the same CLI checks over one device string ------------------------------
suite() {
	D=$1
	L=$2
	VDEV=$3		# the vdpa device, for its live-session counter
	"$V" info "$D" >$W/info 2>&1
	t "$L: info (device id 63)" grep -q "device id: *63" $W/info
	sed 's/^/#   /' $W/info | head -12
	for s in $SIZES; do
		t "$L: sha256 $s B equals busybox sha256sum" sh -c \
			"[ \"\$('$V' hash '$D' --alg sha256 in.$s | cut -d' ' -f1)\" = \"\$(sha256sum in.$s | cut -d' ' -f1)\" ]"
	done
	printf 123456789 >$W/nine
	t "$L: crc32c('123456789') = e3069283" sh -c \
		"[ \"\$('$V' hash '$D' --alg crc32c $W/nine | cut -d' ' -f1)\" = e3069283 ]"
	while read -r s ref; do
		t "$L: hmac-sha256 $s B equals Python hmac" sh -c \
			"[ \"\$('$V' hmac '$D' --alg sha256 --key $KEY in.$s | cut -d' ' -f1)\" = $ref ]"
	done <hmac.ref
	for s in $SIZES; do
		"$V" encrypt "$D" --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD \
			in.$s $W/ct 2>$W/err
		t "$L: gcm encrypt $s B equals cryptography's AESGCM" cmp_err $W/ct ct.$s
		"$V" decrypt "$D" --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD \
			ct.$s $W/pt 2>$W/err
		t "$L: gcm decrypt $s B of host ciphertext" cmp_err $W/pt in.$s
		rm -f $W/ct $W/pt
	done
	cp ct.4096 $W/bad.ct
	printf '\001' | dd of=$W/bad.ct bs=1 seek=4100 conv=notrunc 2>/dev/null
	t "$L: gcm tampered tag fails, no output" sh -c \
		"! '$V' decrypt '$D' --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD $W/bad.ct $W/bad.pt && [ ! -e $W/bad.pt ]"
	for s in $SIZES; do
		"$V" compress "$D" in.$s $W/z 2>$W/err
		"$V" decompress "$D" $W/z $W/u 2>>$W/err
		t "$L: deflate $s B round trip on the device" cmp_err $W/u in.$s
		"$V" decompress "$D" z.$s $W/u2 2>$W/err
		t "$L: zlib's raw DEFLATE of $s B inflates on the device" cmp_err $W/u2 in.$s
		rm -f $W/z $W/u $W/u2
	done
	t "$L: bench sha256 4K depth 8 (submit/poll, event mode)" \
		"$V" bench "$D" --op sha256 --size 4K --depth 8 --seconds 1
	t "$L: bench null 64 B depth 16 (poll mode)" \
		"$V" bench "$D" --op null --size 64 --depth 16 --seconds 1 --poll
	t "$L: no device session left behind by the CLI runs" \
		[ "$(cat /sys/bus/vdpa/devices/$VDEV/sessions)" -eq 0 ]
	"$CONF" "$D" >$W/conf 2>&1
	rc=$?
	grep -E "passed|failed|FAIL|not ok" $W/conf | tail -5 | sed 's/^/#   /'
	t "$L: conformance suite (exit $rc)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || grep -E "FAILED|^ +[0-9]+\. |spec says|stopped serving|: " $W/conf | head -60 | sed 's/^/#   /'
}

[ -n "$VH" ] && [ -e "$VH" ] && suite "vhost-vdpa:$VH" vhost-vdpa libvh0
# the suite fills the device's session table ([CTRL-CREATE] NOSPC): lift
# the driver's per-file quota (EDQUOT, default 64) above the device's limit
P=/sys/module/virtio_accel/parameters/max_sessions_per_file
quota=$(cat $P 2>/dev/null)
[ -n "$quota" ] && echo 1048576 >$P
[ -n "$VC" ] && [ -e "$VC" ] && suite "$VC" chardev libvc0
[ -n "$quota" ] && echo "$quota" >$P

# --- transport specifics -----------------------------------------------------
if [ -n "$VH" ] && [ -e "$VH" ]; then
	t "vhost-vdpa: a 1 MiB memlock limit refuses the 64 MiB mapping (ENOMEM)" sh -c \
		"ulimit -l 1024; '$V' info 'vhost-vdpa:$VH' 2>&1 | grep -q 'Cannot allocate memory'"
	t "vhost-vdpa: the device opens again after a refused open" "$V" info "vhost-vdpa:$VH"
	t "vhost-vdpa: the virtio_vdpa device is not a vhost-vdpa node" sh -c \
		"! '$V' info 'vhost-vdpa:$VC' >/dev/null 2>&1"
fi
if [ -n "$VC" ] && [ -e "$VC" ]; then
	t "chardev: chardev:PATH works too" "$V" info "chardev:$VC"
	t "chardev: two queues" "$V" bench "$VC" --op null --size 64 --depth 8 --seconds 1 --queues 2
fi

t "vdpa dev del libvh0" vdpa dev del libvh0
t "vdpa dev del libvc0" vdpa dev del libvc0
finish
