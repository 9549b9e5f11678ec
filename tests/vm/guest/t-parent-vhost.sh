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
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
vdpa_autoprobe 0
if ! vdpa_add accel0 vhost_vdpa || ! node=$(vhost_node accel0); then
	echo "not ok - accel0 not added or not bound to vhost_vdpa"
	exit 1
fi
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
