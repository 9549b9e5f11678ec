#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-backlog-run.sh: virtio_accel.ko on a
# vhost-user-accel-pci device (data path 1) with 16-entry queues and a
# back-end that takes --test-delay-us per request, so crypto API requests
# made with CRYPTO_TFM_REQ_MAY_BACKLOG wait on a queue's backlog (-EBUSY).
# The PCI function is removed while they wait: each must end with
# -ENODEV, and a backlogged one only after the -EINPROGRESS that says it
# left the backlog (the test module vaccel_kdigest.ko answers -EPROTO
# otherwise; dm-crypt, for one, waits for it before it submits again).
# One "ok N - ..." / "not ok N - ..." line per check, then
# "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
D0=/dev/vaccel0
KD=/sys/module/vaccel_kdigest/parameters
C=/sys/class/vaccel

kd() { echo "$*" >$KD/run && cat $KD/result; }
kd_ok() { kd sha256-virtio-accel /tmp/d.4096 - "$@" | grep -q "^$ref "; }
backlogged() { [ "$(cat "$C/crypto_backlogged")" -gt "$b0" ]; }
rescan() {
	echo 1 >/sys/bus/pci/rescan && wait_until 20 test -c "$D0" &&
		crypto_settled 120
}

t "/dev/vaccel0 (virtio_accel on the PCI device)" wait_for 20 $D0
t "  crypto self-tests done" crypto_settled 120
BDF=$(basename "$(pci_dev 0x1af4 0x1078)")
echo "# PCI function $BDF"
head -c 4096 /dev/urandom >/tmp/d.4096
ref=$(sha256sum </tmp/d.4096 | cut -d' ' -f1)
t "16 digests at once: right" kd_ok par=16
b0=$(cat $C/crypto_backlogged)

# 64 at once, and the device removed while most of them wait
(kd sha256-virtio-accel /tmp/d.4096 - par=64 >/tmp/kd.out 2>&1
 echo "kd done" >>/tmp/kd.out) &
t "64 digests at once: requests on the backlog (crypto_backlogged above $b0)" \
	wait_until 30 backlogged
echo "# crypto_backlogged $(cat $C/crypto_backlogged), in flight $(cat $C/vaccel0/inflight)"
t "remove PCI function $BDF with them on the ring and the backlog" \
	sh -c "echo 1 >/sys/bus/pci/devices/$BDF/remove"
t "every request completed" wait_line 60 /tmp/kd.out "kd done"
sed 's/^/# /' /tmp/kd.out
t "  with -ENODEV; each backlogged one after its -EINPROGRESS (not -EPROTO)" \
	grep -q '^error -19 ' /tmp/kd.out
t "rescan: the function and /dev/vaccel0 back" rescan
t "  a digest after the rescan: right" kd_ok
finish
