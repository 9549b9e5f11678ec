#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest payload (busybox sh) of tests/vm/host/t-provider-run.sh: the OpenSSL
# provider over /dev/vaccelN (path 3) and vhost-vdpa:/dev/vhost-vdpa-N (path
# 4). Inputs and references in /payload (in.N, ct.N, refs: "N SHA256
# HMAC", env). One "ok N - ..." line per check; ends "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
. /usr/lib/vaccel/guest-lib.sh
. /payload/env
cd /payload || exit 1
export OPENSSL_MODULES=/usr/local/lib/ossl-modules OPENSSL_CONF=/dev/null
PT=/usr/local/bin/prov_test
VP="-provider vaccelprov -provider default -propquery provider=vaccelprov"
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144

t "vdpa mgmtdev vdpa_accel is registered" sh -c 'vdpa mgmtdev show | grep -q vdpa_accel'
vdpa_autoprobe 0
t "vdpa dev add name pvh0" vdpa dev add name pvh0 mgmtdev vdpa_accel
t "vdpa dev add name pvc0" vdpa dev add name pvc0 mgmtdev vdpa_accel
before=$(ls /dev/vaccel* 2>/dev/null)
t "pvh0 bound to vhost_vdpa" bind pvh0 vhost_vdpa
t "pvc0 bound to virtio_vdpa" bind pvc0 virtio_vdpa
vdpa_autoprobe 1
VH=$(vhost_node pvh0)
t "vhost-vdpa node for pvh0 ($VH)" wait_for 5 "${VH:-/nonexistent}"
VC=$(new_vaccel 5 "$before")
t "character device for pvc0 ($VC)" test -c "${VC:-/nonexistent}"

dgst_ok() { # dgst_ok N REF
	[ "$(openssl dgst $VP -sha256 -r "in.$1" | cut -d' ' -f1)" = "$2" ]
}
# as a newcomer types it: no -propquery, no -provider default
dgst_np_ok() { # dgst_np_ok N REF
	[ "$(openssl dgst -provider vaccelprov -sha256 -r "in.$1" | cut -d' ' -f1)" = "$2" ]
}
mac_ok() { # mac_ok KEYHEX FILE REF
	[ "$(openssl mac $VP -digest SHA256 -macopt "hexkey:$1" -in "$2" HMAC | tr A-F a-f)" = "$3" ]
}
gcm_ok() { # gcm_ok N CHUNK
	$PT gcm-enc $K $IV $AAD "in.$1" /tmp/ct "$2" && cmp -s /tmp/ct "ct.$1" &&
		$PT gcm-dec $K $IV $AAD "ct.$1" /tmp/pt "$2" && cmp -s /tmp/pt "in.$1"
}
tampered() {
	cp ct.4096 /tmp/bad && printf '\001' | dd of=/tmp/bad bs=1 seek=4100 conv=notrunc 2>/dev/null
	$PT gcm-dec $K $IV $AAD /tmp/bad /tmp/pt 1000
	[ $? -eq 1 ]
}
suite() { # suite DEVICE LABEL [shared]
	export VACCEL_DEVICE=$1
	while read -r n sha hm; do
		t "$2: openssl dgst -sha256 $n B = sha256sum (host)" dgst_ok "$n" "$sha"
		t "$2: openssl mac HMAC-SHA256 $n B = Python hmac" mac_ok "$K" "in.$n" "$hm"
		t "$2: AES-256-GCM $n B in updates of 65536 = cryptography's" gcm_ok "$n" 65536
	done <refs
	t "$2: openssl dgst -provider vaccelprov -sha256 (no -propquery) 4096 B = sha256sum" \
		dgst_np_ok 4096 "$(sed -n 's/^4096 \([0-9a-f]*\) .*/\1/p' refs)"
	t "$2: HMAC-SHA-384 passed to the default provider, counted" $PT passon
	t "$2: AES-256-GCM 4096 B in updates of 1" gcm_ok 4096 1
	t "$2: HMAC with a 200-byte key = Python hmac" mac_ok "$LK" in.4096 "$LKREF"
	t "$2: AES-256-GCM tampered tag refused" tampered
	t "$2: IV/tag lengths refused, context copies" $PT refuse
	t "$2: threads and fork, every result checked" $PT threads-fork 2 5 $3
}
[ -n "$VC" ] && [ -e "$VC" ] && suite "$VC" "chardev $VC" shared
[ -n "$VH" ] && [ -e "$VH" ] && suite "vhost-vdpa:$VH" "vhost-vdpa $VH"
unset VACCEL_DEVICE
t "no device: the error names it" sh -c \
	"VACCEL_DEVICE=/dev/vaccel99 openssl dgst $VP -sha256 in.1 2>&1 | grep -q 'cannot open device /dev/vaccel99'"
t "no device, no -propquery: the error names it (vaccelprov computes, not the default provider)" sh -c \
	"VACCEL_DEVICE=/dev/vaccel99 openssl dgst -provider vaccelprov -sha256 in.1 2>&1 | grep -q 'cannot open device /dev/vaccel99'"

t "vdpa dev del pvh0" vdpa dev del pvh0
t "vdpa dev del pvc0" vdpa dev del pvc0
finish
