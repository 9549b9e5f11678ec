#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) of tests/vm/host/t-stream-limit-run.sh: the vDPA
# parent's DEFLATE stream limit ([STREAM-LIMIT]) with max_comp_streams=3
# over vhost-vdpa and /dev/vaccelN, then the default (64) under 1024 stream
# sessions x 64 KiB. /payload has vdpa_accel.ko. One "ok N - ..." /
# "not ok N - ..." line per check; ends "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

# devices: add zs0 (vhost-vdpa, $VH) and zs1 (virtio_vdpa, $VC)
devices() {
	before=$(ls /dev/vaccel* 2>/dev/null)
	VH=""
	VC=""
	vdpa_autoprobe 0
	vdpa_add zs0 vhost_vdpa && vdpa_add zs1 virtio_vdpa || return 1
	vdpa_autoprobe 1
	VH=$(vhost_node zs0) && VC=$(new_vaccel 5 "$before") &&
		wait_for 5 "$VH" && [ -c "$VC" ]
}

info_shows() { # info_shows DEV N
	vaccel info "$1" >/tmp/info || return 1
	cat /tmp/info
	grep -qE "^streams: +$2 " /tmp/info || return 1
	vaccel info "$1" --json | grep -q "\"max_comp_streams\": $2,"
}

# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144
P=/sys/module/virtio_accel/parameters/max_sessions_per_file

# --- max_comp_streams=3 ---------------------------------------------------------
t "vdpa_accel loaded with max_comp_streams=3" \
	[ "$(cat /sys/module/vdpa_accel/parameters/max_comp_streams)" = 3 ]
t "devices zs0 (vhost-vdpa) and zs1 (virtio_vdpa)" devices
t "vhost-vdpa: vaccel info shows 3 streams" info_shows "vhost-vdpa:$VH" 3
t "chardev: vaccel info shows 3 streams" info_shows "$VC" 3
t "vhost-vdpa: conformance suite (STREAM-LIMIT with 3)" \
	sh -c "conformance_suite vhost-vdpa:$VH >/tmp/c0 2>&1 || { tail -40 /tmp/c0; exit 1; }; grep -q 'STREAM-LIMIT ...passed' /tmp/c0"
# the suite fills the session table: lift the per-file quota (EDQUOT)
quota=$(cat $P)
echo 1048576 >$P
t "chardev: conformance suite (STREAM-LIMIT with 3)" \
	sh -c "conformance_suite $VC >/tmp/c1 2>&1 || { tail -40 /tmp/c1; exit 1; }; grep -q 'STREAM-LIMIT ...passed' /tmp/c1"
echo "$quota" >$P
t "vdpa dev del zs0 zs1" sh -c "vdpa dev del zs0 && vdpa dev del zs1"

# --- the parameter's range, then the default --------------------------------
KO=/lib/modules/extra/vdpa_accel.ko
[ -e $KO ] || KO=$(find /lib/modules -name vdpa_accel.ko | head -1)
t "rmmod vdpa_accel" rmmod vdpa_accel
t "insmod max_comp_streams=0 is refused" sh -c "! insmod $KO max_comp_streams=0"
t "insmod max_comp_streams=1025 is refused" sh -c "! insmod $KO max_comp_streams=1025"
t "insmod with the default" insmod "$KO"
t "default max_comp_streams is 64" \
	[ "$(cat /sys/module/vdpa_accel/parameters/max_comp_streams)" = 64 ]
t "devices again" devices
t "vhost-vdpa: vaccel info shows 64 streams" info_shows "vhost-vdpa:$VH" 64

# --- 1024 COMPRESS stream sessions x 64 KiB through vhost-vdpa ---------------
flood() {
	stream-flood "vhost-vdpa:$VH" vmalloc 1024 65536 >/tmp/flood || return 1
	cat /tmp/flood
	v() { sed -n "s/^$1 //p" /tmp/flood; }
	d=$(($(v mem_after) - $(v mem_before)))
	bound=$((64 * 288 + 6144))
	echo "VmallocUsed +$d KiB, bound $bound KiB"
	[ "$(v max_comp_streams)" = 64 ] && [ "$(v created)" = 64 ] &&
		[ "$(v refused)" = 960 ] && [ "$(v other)" = 0 ] &&
		[ "$(v fed)" = 64 ] && [ "$d" -le "$bound" ]
}
t "vhost-vdpa: 1024 stream sessions x 64 KiB: 64 made, 960 NOSPC, vmalloc bounded" flood
sed "s/^/# /" /tmp/flood 2>/dev/null
t "vhost-vdpa: served afterwards (conformance suite)" \
	sh -c "conformance_suite vhost-vdpa:$VH >/tmp/c2 2>&1; rc=\$?; grep -E 'FAIL|^ +[0-9]+\\. |passed,' /tmp/c2; exit \$rc"
t "no session left on zs0" [ "$(cat /sys/bus/vdpa/devices/zs0/sessions)" -eq 0 ]
t "vdpa dev del zs0 zs1" sh -c "vdpa dev del zs0 && vdpa dev del zs1"

finish
