#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload of tests/robust/run-robust.sh vm: the malformed-input table
# and the time-of-check/time-of-use test against the vDPA parent, driven by
# vaccel-robust through /dev/vhost-vdpa-N. Every case prints its
# "robust-result" line; the host side turns them into docs/robustness.md.
# The harness (run-in-vm.sh) fails the run on any kernel splat.
set -u
TOCTOU_SECONDS=${1:-3}
echo 0 >/sys/bus/vdpa/drivers_autoprobe
vdpa dev add name accel0 mgmtdev vdpa_accel || exit 1
echo vhost_vdpa >/sys/bus/vdpa/devices/accel0/driver_override
echo accel0 >/sys/bus/vdpa/drivers_probe
# shellcheck disable=SC2012
dev=$(ls -d /sys/bus/vdpa/devices/accel0/vhost-vdpa-* 2>/dev/null | head -1)
[ -n "$dev" ] || { echo "not ok - accel0 not bound to vhost_vdpa"; exit 1; }
node=/dev/$(basename "$dev")
# vhost-vdpa pins the library's memory against RLIMIT_MEMLOCK (8 MiB here)
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited
rc=0
vaccel-robust --impl vdpa "vhost-vdpa:$node" || rc=1
vaccel-robust --impl vdpa --toctou "$TOCTOU_SECONDS" "vhost-vdpa:$node" ||
	rc=1
s=/sys/bus/vdpa/devices/accel0
echo "# vDPA parent afterwards: sessions $(cat $s/sessions)," \
	"requests $(cat $s/requests), errors $(cat $s/errors)"
[ "$(cat $s/sessions)" = 0 ] ||
	{ echo "not ok - sessions left after the last close"; rc=1; }
vdpa dev del accel0 || rc=1
rmmod vdpa_accel || rc=1
exit $rc
