#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Second-level (L2) guest payload of data path 2 (busybox sh), run by
# tests/vm/guest/t-nested-l1.sh inside the first-level guest, which started
# QEMU with -device vhost-vdpa-device-pci on a vdpa_accel device:
#
#   L2 guest (this) <- QEMU vhost-vdpa-device-pci <- vhost_vdpa <- vdpa_accel.ko (L1)
#
# virtio_accel.ko is already loaded (mkinitramfs --ko). Checks the device on
# the PCI bus (1af4:1078), the driver binding and /dev/vaccel0, then the CLI:
# SHA-256 against busybox sha256sum, HMAC, AES-256-GCM and raw DEFLATE
# against references made on the host by tests/vm/harness/cli-refs.sh
# (files in /payload: in.N, ct.N, z.N, hmac.ref, cli.env). One "ok N"/
# "not ok N" line per check; ends "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
cd /payload || exit 125
# the guest library, cmp_err, and $V $W $SIZES $KEY $IV $AAD from cli.env
# shellcheck source=tests/vm/guest/cli-checks.sh
. /payload/cli-checks.sh
D=/dev/vaccel0

# --- the device on the PCI and virtio buses -----------------------------------
pdev=$(pci_dev 0x1af4 0x1078)
echo "# PCI function: ${pdev:-none}"
t "PCI function 1af4:1078 present" test -n "$pdev"
[ -n "$pdev" ] || finish
t "PCI class 0xff0000" sh -c "[ \"\$(cat $pdev/class)\" = 0xff0000 ]"
vdev=""
i=0
while [ -z "$vdev" ] && [ $i -lt 50 ]; do
	for d in /sys/bus/virtio/devices/*; do
		[ -e "$d/device" ] || continue
		[ "$(cat "$d/device")" = 0x0038 ] && vdev=$d
	done
	[ -n "$vdev" ] || sleep 0.1
	i=$((i + 1))
done
echo "# virtio device: ${vdev:-none}"
t "virtio device ID 0x0038 present" test -n "$vdev"
[ -n "$vdev" ] || finish
t "virtio_accel bound to ${vdev##*/}" [ "$(driver_of "$vdev")" = virtio_accel ]
wait_for 5 $D >/dev/null
t "$D is a character device" test -c $D
[ -c $D ] || finish
echo "# negotiated features: $(cat "$vdev/features")"

# --- the CLI over /dev/vaccel0 ------------------------------------------------
"$V" info $D >$W/info 2>&1
t "vaccel info (device id 56)" grep -q "device id: *56" $W/info
sed 's/^/#   /' $W/info | head -12
for s in $SIZES; do
	t "sha256 $s B equals busybox sha256sum" sh -c \
		"[ \"\$($V hash $D --alg sha256 in.$s | cut -d' ' -f1)\" = \"\$(sha256sum in.$s | cut -d' ' -f1)\" ]"
done
printf 123456789 >$W/nine
t "crc32c('123456789') = e3069283" sh -c \
	"[ \"\$($V hash $D --alg crc32c $W/nine | cut -d' ' -f1)\" = e3069283 ]"
while read -r s ref; do
	t "hmac-sha256 $s B equals Python hmac" sh -c \
		"[ \"\$($V hmac $D --alg sha256 --key $KEY in.$s | cut -d' ' -f1)\" = $ref ]"
done <hmac.ref
for s in $SIZES; do
	$V encrypt $D --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD \
		in.$s $W/ct 2>$W/err
	t "gcm encrypt $s B equals cryptography's AESGCM" cmp_err $W/ct ct.$s
	$V decrypt $D --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD \
		ct.$s $W/pt 2>$W/err
	t "gcm decrypt $s B of host ciphertext" cmp_err $W/pt in.$s
	rm -f $W/ct $W/pt
done
big=$(for s in $SIZES; do echo "$s"; done | sort -n | tail -1)
if [ "$big" -ge 32 ]; then
	cp ct.$big $W/bad.ct
	printf '\001' | dd of=$W/bad.ct bs=1 seek=$((big + 4)) conv=notrunc 2>/dev/null
	t "gcm tampered tag ($big B) fails, no output" sh -c \
		"! $V decrypt $D --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD $W/bad.ct $W/bad.pt && [ ! -e $W/bad.pt ]"
fi
for s in $SIZES; do
	$V compress $D in.$s $W/z 2>$W/err
	$V decompress $D $W/z $W/u 2>>$W/err
	t "deflate $s B round trip on the device" cmp_err $W/u in.$s
	$V decompress $D z.$s $W/u2 2>$W/err
	t "zlib's raw DEFLATE of $s B inflates on the device" cmp_err $W/u2 in.$s
	rm -f $W/z $W/u $W/u2
done
t "no driver session left behind by the CLI runs" \
	sh -c "[ \"\$(cat /sys/class/vaccel/vaccel0/sessions)\" -eq 0 ]"
finish
