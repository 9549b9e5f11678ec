#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) of tests/vm/host/t-path1-run.sh: data path 1, QEMU's
# vhost-user-accel-pci device backed by the DPDK back-end on the host, with
# virtio_accel.ko loaded. Checks that the device is on the PCI bus
# (1af4:1078, bound to virtio-pci) and that its virtio device (0x0038) is
# bound to virtio_accel with /dev/vaccel0, then runs the shared CLI checks
# (tests/vm/guest/cli-checks.sh: SHA-256 against busybox sha256sum, GCM, DEFLATE
# and HMAC byte for byte against the host's references, benchmarks) and the
# conformance suite over /dev/vaccel0.
# One "ok N - ..." / "not ok N - ..." line per check; ends "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()

# the guest library (t, finish, pci_dev, ...), cli_suite, and
# $V $CONF $SIZES $KEY... from cli.env
# shellcheck source=tests/vm/guest/cli-checks.sh
. /payload/cli-checks.sh
NUM_QUEUES=2
# shellcheck disable=SC1091 # written by t-path1-run.sh
[ ! -r /payload/expect ] || . /payload/expect

# --- the device: PCI function, virtio device, driver, character device --------
pdev=$(pci_dev 0x1af4 0x1078)
t "PCI function 1af4:1078 on the guest's PCI bus (${pdev##*/})" test -n "$pdev"
pdev=${pdev:-/nonexistent}
t "the PCI function is bound to virtio-pci" [ "$(driver_of "$pdev")" = virtio-pci ]
vdev=""
for d in "$pdev"/virtio*; do
	[ -e "$d/device" ] && vdev=$d
done
t "its virtio device (${vdev##*/}) has device ID 0x0038" \
	sh -c "[ \"\$(cat ${vdev:-/nonexistent}/device)\" = 0x0038 ]"
vdev=${vdev:-/nonexistent}
t "${vdev##*/} is bound to virtio_accel" [ "$(driver_of "$vdev")" = virtio_accel ]
echo "# negotiated features: $(cat "$vdev/features" 2>/dev/null)"
t "/dev/vaccel0 is a character device, mode 0600" \
	sh -c "[ -c /dev/vaccel0 ] && [ \"\$(stat -c %a /dev/vaccel0)\" = 600 ]"
C=/sys/class/vaccel/vaccel0
t "vaccel0 is the device of ${vdev##*/}" \
	sh -c "[ \"\$(basename \"\$(readlink -f $C/device)\")\" = ${vdev##*/} ]"
t "MSI-X: one vector per queue plus config ($((NUM_QUEUES + 2)) in use)" \
	sh -c "[ \"\$(ls $pdev/msi_irqs | wc -l)\" -eq $((NUM_QUEUES + 2)) ]"

# --- the CLI and the conformance suite over /dev/vaccel0 ------------------------
# the suite fills the device's session table ([CTRL-CREATE] NOSPC): lift
# the driver's per-file quota (EDQUOT, default 64) above the device's limit
P=/sys/module/virtio_accel/parameters/max_sessions_per_file
quota=$(cat $P 2>/dev/null)
[ -z "$quota" ] || echo 1048576 >$P
[ ! -c /dev/vaccel0 ] || cli_suite /dev/vaccel0 path1 $C/sessions
[ -z "$quota" ] || echo "$quota" >$P

t "path1: $NUM_QUEUES data queues in use (bench --queues $NUM_QUEUES)" \
	"$V" bench /dev/vaccel0 --op null --size 64 --depth 8 --seconds 1 --queues "$NUM_QUEUES"
t "path1: no session left in the driver after the conformance suite" \
	[ "$(cat $C/sessions)" -eq 0 ]
finish
