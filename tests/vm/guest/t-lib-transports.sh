#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) of tests/vm/host/t-lib-run.sh: libvirtaccel over the
# kernel paths. Creates two vDPA devices of vdpa_accel, binds one to
# vhost_vdpa (the library drives /dev/vhost-vdpa-N) and one to virtio_vdpa
# (virtio_accel.ko gives /dev/vaccelN), then runs the CLI and the conformance
# suite over both device strings. References come from the host (files in
# /payload: in.N, ct.N, z.N, hmac.ref, cli.env from tests/vm/harness/cli-refs.sh;
# the checks themselves are tests/vm/guest/cli-checks.sh, shared with path 1).
# One "ok N - ..." / "not ok N - ..." line per check; ends "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()

# the guest library (t, bind, finish, ...), cmp_err, cli_suite, and
# $V $CONF $SIZES $KEY... from cli.env
# shellcheck source=tests/vm/guest/cli-checks.sh
. /payload/cli-checks.sh

# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144

# --- devices ------------------------------------------------------------------
t "vdpa mgmtdev vdpa_accel is registered" sh -c 'vdpa mgmtdev show | grep -q vdpa_accel'
# no automatic driver choice: each device goes where the test puts it
vdpa_autoprobe 0
t "vdpa dev add name libvh0" vdpa dev add name libvh0 mgmtdev vdpa_accel
t "vdpa dev add name libvc0" vdpa dev add name libvc0 mgmtdev vdpa_accel
before=$(ls /dev/vaccel* 2>/dev/null)
t "libvh0 bound to vhost_vdpa" bind libvh0 vhost_vdpa
t "libvc0 bound to virtio_vdpa" bind libvc0 virtio_vdpa
vdpa_autoprobe 1

VH=$(vhost_node libvh0)
t "vhost-vdpa node for libvh0 ($VH)" wait_for 5 "${VH:-/nonexistent}"
VC=$(new_vaccel 5 "$before")
t "character device for libvc0 ($VC)" test -c "${VC:-/nonexistent}"
t "character device mode is 0600" sh -c "[ \"\$(stat -c %a '$VC')\" = 600 ]"

[ -n "$VH" ] && [ -e "$VH" ] &&
	cli_suite "vhost-vdpa:$VH" vhost-vdpa /sys/bus/vdpa/devices/libvh0/sessions
# the suite fills the device's session table ([CTRL-CREATE] NOSPC): lift
# the driver's per-file quota (EDQUOT, default 64) above the device's limit
P=/sys/module/virtio_accel/parameters/max_sessions_per_file
quota=$(cat $P 2>/dev/null)
[ -n "$quota" ] && echo 1048576 >$P
[ -n "$VC" ] && [ -e "$VC" ] &&
	cli_suite "$VC" chardev /sys/bus/vdpa/devices/libvc0/sessions
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
