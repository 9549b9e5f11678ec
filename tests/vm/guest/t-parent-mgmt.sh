#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Payload: the vdpa_accel parent's management device and device life cycle.
# Runs inside the guest (busybox sh) with vdpa_accel.ko loaded at boot and
# the .ko itself in /payload for the unload/reload check:
#
#   make -C vdpa-driver
#   tests/vm/harness/run-in-vm.sh --ko vdpa-driver/vdpa_accel.ko \
#       --module crc32c_generic --module gcm --module ghash_generic \
#       tests/vm/guest/t-parent-mgmt.sh vdpa-driver/vdpa_accel.ko
#
# Binding: vhost_vdpa and virtio_vdpa both match every vDPA device, and the
# first registered driver takes a new one. To choose, turn autoprobe off,
# add the device, set driver_override, then probe:
#   echo 0 > /sys/bus/vdpa/drivers_autoprobe
#   vdpa dev add name accel0 mgmtdev vdpa_accel
#   echo virtio_vdpa > /sys/bus/vdpa/devices/accel0/driver_override
#   echo accel0 > /sys/bus/vdpa/drivers_probe
# Moving a bound device: echo accel0 > /sys/bus/vdpa/drivers/virtio_vdpa/unbind,
# change driver_override, echo accel0 > /sys/bus/vdpa/drivers_probe.
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh

# virtio devices with device id 0x0038 bound through virtio_vdpa
accel_virtio() {
	grep -l '^0x0038$' /sys/bus/virtio/devices/*/device 2>/dev/null | wc -l
}

t "vdpa_accel loaded" grep -q '^vdpa_accel ' /proc/modules
t "vdpa mgmtdev show lists vdpa_accel" \
	sh -c 'vdpa mgmtdev show | tee /dev/stderr | grep -q "^vdpa_accel:"'
t "mgmtdev supports class 56 and 17 queues" \
	sh -c 'vdpa -j mgmtdev show | tee /dev/stderr | grep -q "\"max_supported_vqs\":17"'

vdpa_autoprobe 0
t "vdpa dev add accel0" vdpa dev add name accel0 mgmtdev vdpa_accel
t "vdpa dev add accel1" vdpa dev add name accel1 mgmtdev vdpa_accel
t "duplicate name refused" sh -c '! vdpa dev add name accel0 mgmtdev vdpa_accel'
t "vdpa dev show lists both" \
	sh -c 'vdpa dev show | tee /dev/stderr | grep -c "mgmtdev vdpa_accel" | grep -qx 2'
# iproute2 6.1 prints no device id ("type <unknown type>"); the id is
# checked on the virtio bus below
t "accel0: 3 queues (control + 2 data), vq size 256" \
	sh -c 'vdpa -j dev show accel0 | tee /dev/stderr | grep -q "\"max_vqs\":3,\"max_vq_size\":256"'
t "max_vqp is refused by the 6.12 core for a non-net mgmtdev" \
	sh -c '! vdpa dev add name accelq mgmtdev vdpa_accel max_vqp 4'
t "session counter reads 0" \
	sh -c 'test "$(cat /sys/bus/vdpa/devices/accel0/sessions)" = 0'
t "accel0 binds to virtio_vdpa" bind accel0 virtio_vdpa
t "accel1 binds to virtio_vdpa" bind accel1 virtio_vdpa
t "two virtio devices with id 0x0038" test "$(accel_virtio)" = 2
t "virtio device features negotiated" \
	sh -c 'cat /sys/bus/virtio/devices/*/features | tee /dev/stderr | grep -q .'
t "unbind accel1 from virtio_vdpa" unbind accel1
t "one virtio device left" test "$(accel_virtio)" = 1
t "accel1 binds to vhost_vdpa" bind accel1 vhost_vdpa
t "/dev/vhost-vdpa-* appears" sh -c 'ls /dev/vhost-vdpa-* | tee /dev/stderr | grep -q .'
# device_features provisioning (VDPA_ATTR_DEV_FEATURES) is accepted by the
# module but Debian 12's iproute2 6.1 has no "device_features" option
if vdpa dev help 2>&1 | grep -q device_features; then
	t "device_features provisioning (no MQ, no STREAM)" \
		sh -c 'vdpa dev add name accel2 mgmtdev vdpa_accel device_features 0x300000002 &&
		       vdpa -j dev show accel2 | tee /dev/stderr | grep -q "\"max_vqs\":2" &&
		       vdpa dev del accel2'
	t "unknown device_features refused" \
		sh -c '! vdpa dev add name accel3 mgmtdev vdpa_accel device_features 0x300000010'
else
	skip "this vdpa tool has no device_features option"
fi
t "vdpa dev del accel0 (bound to virtio_vdpa)" vdpa dev del accel0
t "vdpa dev del accel1 (bound to vhost_vdpa)" vdpa dev del accel1
t "no virtio-accel devices left" test "$(accel_virtio)" = 0
t "vdpa dev show is empty" sh -c '[ -z "$(vdpa dev show)" ]'
vdpa_autoprobe 1
t "vdpa dev add with autoprobe" vdpa dev add name accel4 mgmtdev vdpa_accel
t "rmmod with a live device" rmmod vdpa_accel
t "mgmtdev gone" sh -c '! vdpa mgmtdev show | grep -q vdpa_accel'
t "insmod again" insmod ./vdpa_accel.ko dataqueues=4
t "dataqueues=4 gives 5 queues" \
	sh -c 'vdpa dev add name accel5 mgmtdev vdpa_accel &&
	       vdpa -j dev show accel5 | tee /dev/stderr | grep -q "\"max_vqs\":5"'
t "rmmod again" rmmod vdpa_accel
t "kernel log has the device lines" \
	sh -c 'dmesg | grep "virtio-accel device" | tee /dev/stderr | grep -q .'

finish_as t-parent-mgmt
