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
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
vdpa_autoprobe 0
if ! vdpa_add accel0 vhost_vdpa || ! node=$(vhost_node accel0); then
	echo "not ok - accel0 not added or not bound to vhost_vdpa"
	exit 1
fi
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
