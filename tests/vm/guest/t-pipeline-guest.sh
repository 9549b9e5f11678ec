#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload of tests/vm/host/t-pipeline-run.sh: virtio_accel.ko on data
# path 1 (vhost-user-accel-pci) whose back-end runs the asynchronous
# pipeline with the test engine and --test-reorder, so completions come
# late and out of order:
#  - vaccel-restart-load at depths 1, 32, 128 and 256 without kills: every
#    request (NULL with unique payloads, SHA-256 of unique buffers, over
#    both queues) completes exactly once with the right result;
#  - the crypto API: 16 parallel AF_ALG sha256-virtio-accel digests of 8
#    rounds each against sha256sum;
#  - no bad used-ring entry in the kernel log, nothing left in flight, the
#    driver's completed counter grew by what was submitted.
# /payload: virtio_accel.ko, d.4096 (data).
set -u
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
dev=/dev/vaccel0
S=/sys/class/vaccel/vaccel0

t "$dev exists (virtio_accel bound to the vhost-user-accel-pci device)" \
	wait_for 20 $dev
[ -c $dev ] || finish
echo 1024 >/sys/module/virtio_accel/parameters/max_inflight_per_file
c0=$(cat $S/completed)

for d in 1 32 128 256; do
	t "depth $d: every request completed once, with the right result" \
		vaccel-restart-load $dev "$d" 0
	echo "$VT_OUT" | grep 'RESTART: result' | sed 's/^/# /'
done

crypto_settled 30
want=$(sha256sum /payload/d.4096 | cut -d' ' -f1)
i=0
while [ $i -lt 16 ]; do
	vaccel-afalg -n 8 sha256-virtio-accel /payload/d.4096 >"/tmp/af.$i" 2>&1 &
	i=$((i + 1))
done
wait
bad=0
i=0
while [ $i -lt 16 ]; do
	[ "$(cat "/tmp/af.$i")" = "$want" ] || { bad=$((bad + 1)); cat "/tmp/af.$i"; }
	i=$((i + 1))
done
t "crypto API: 16 parallel AF_ALG sha256-virtio-accel x 8 equal sha256sum ($bad wrong)" \
	[ $bad -eq 0 ]

log=$(dmesg)
bad=$(echo "$log" | grep -E 'is not a head|out of range|BAD_RING|virtqueue.*broken|used len|unexpected used' || true)
t "no bad used-ring entry in the guest's kernel log" [ -z "$bad" ]
[ -z "$bad" ] || echo "$bad"
t "driver: nothing left in flight" wait_val 10 $S/inflight 0
c1=$(cat $S/completed)
echo "# driver: $((c1 - c0)) requests completed"
t "driver: more than 1000 requests completed ($((c1 - c0)))" \
	[ $((c1 - c0)) -gt 1000 ]
dmesg >/tmp/dmesg
t "no kernel splat" no_splat /tmp/dmesg
finish
