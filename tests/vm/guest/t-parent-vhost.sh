#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Payload: real requests through a vdpa_accel device bound to vhost_vdpa,
# driven by vaccel-vhost-test (vdpa-driver/tests/vaccel_vhost_test.c):
#
#   make -C vdpa-driver
#   tests/vm/harness/run-in-vm.sh --ko vdpa-driver/vdpa_accel.ko \
#       --module crc32c_generic --module gcm --module ghash_generic \
#       --bin vdpa-driver/tests/vaccel-vhost-test tests/vm/guest/t-parent-vhost.sh
set -u
echo 0 >/sys/bus/vdpa/drivers_autoprobe
vdpa dev add name accel0 mgmtdev vdpa_accel || exit 1
echo vhost_vdpa >/sys/bus/vdpa/devices/accel0/driver_override
echo accel0 >/sys/bus/vdpa/drivers_probe
dev=$(ls -d /sys/bus/vdpa/devices/accel0/vhost-vdpa-* 2>/dev/null | head -1)
[ -n "$dev" ] || { echo "not ok - accel0 not bound to vhost_vdpa"; exit 1; }
node=/dev/$(basename "$dev")
echo "# $node"
SESSIONS_FILE=/sys/bus/vdpa/devices/accel0/sessions vaccel-vhost-test "$node"
rc=$?
echo "# after close: sessions $(cat /sys/bus/vdpa/devices/accel0/sessions)," \
	"requests $(cat /sys/bus/vdpa/devices/accel0/requests)," \
	"errors $(cat /sys/bus/vdpa/devices/accel0/errors)"
[ "$(cat /sys/bus/vdpa/devices/accel0/sessions)" = 0 ] ||
	{ echo "not ok - sessions left after the device reset"; rc=1; }
vdpa dev del accel0 || rc=1
rmmod vdpa_accel || rc=1
exit $rc
