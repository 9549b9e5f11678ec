#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Smoke payload for the VM harness (runs inside the guest, busybox sh):
# the 6.12 guest has the vDPA stack loaded and the vdpa tool talks to the
# kernel's "vdpa" generic netlink family. One "ok N - ..." / "not ok N - ..."
# line per check; exit status 0 only if all passed.
#
#   tests/vm/harness/run-in-vm.sh tests/vm/guest/smoke.sh
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

t "guest kernel is 6.12 ($(uname -r))" sh -c 'uname -r | grep -q "^6\.12\."'
for m in irqbypass vhost_iotlb vdpa vhost vhost_vdpa virtio_vdpa; do
	t "module $m loaded" grep -q "^$m " /proc/modules
done
for d in vhost_vdpa virtio_vdpa; do
	t "vdpa bus driver $d registered" test -d /sys/bus/vdpa/drivers/$d
done
# "vdpa" resolves its generic netlink family first and fails with "Failed
# to connect to vdpa Netlink" (or similar) when the family is missing, so a
# clean exit with JSON output proves the family is registered
t "vdpa genl family answers (vdpa -j mgmtdev show)" \
	sh -c 'vdpa -j mgmtdev show | grep -q "\"mgmtdev\""'
t "vdpa mgmtdev show runs" vdpa mgmtdev show
t "vdpa dev show runs" vdpa dev show
# a round trip that needs the kernel to answer: an unknown management
# device must be refused by the kernel with ENODEV
t "kernel refuses an unknown mgmtdev" \
	sh -c 'vdpa dev add name smoke0 mgmtdev nonexistent 2>&1 | grep -q "No such device"'

finish_as smoke
