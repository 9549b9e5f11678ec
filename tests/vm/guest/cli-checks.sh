# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
#
# The CLI checks every guest data path runs, written once. Sourced by guest
# payloads (busybox sh) from /payload, where tests/vm/harness/cli-refs.sh's files
# are (in.N, ct.N, z.N, hmac.ref, cli.env):
#
#   . /payload/cli-checks.sh     (sources the guest library: t, finish, ...)
#   cli_suite DEV LABEL SESSIONS the CLI over device string DEV: info,
#                                SHA-256 (busybox sha256sum), CRC32C, HMAC,
#                                AES-256-GCM and raw DEFLATE byte for byte
#                                against the host's references, a tampered
#                                tag, two benchmarks, no session left in
#                                file SESSIONS, and the conformance suite
#
# Used by t-lib-transports.sh (vhost-vdpa, /dev/vaccelN over virtio_vdpa)
# and t-path1-guest.sh (/dev/vaccel0 over virtio-pci from vhost-user).
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
# shellcheck disable=SC1091 # written by cli-refs.sh
. /payload/cli.env
V=$B/vaccel
CONF=$B/conformance_suite
W=/tmp/w
mkdir -p $W

# cmp_err A B: cmp, and on a difference the CLI's stderr ($W/err) too
cmp_err() {
	cmp "$1" "$2" && return 0
	cat $W/err
	return 1
}

# cli_suite DEV LABEL SESSIONS: the same CLI checks over one device string
cli_suite() {
	D=$1
	L=$2
	SESS=$3		# a live-session counter of the device (sysfs)
	"$V" info "$D" >$W/info 2>&1
	t "$L: info (device id 56)" grep -q "device id: *56" $W/info
	sed 's/^/#   /' $W/info | head -12
	for s in $SIZES; do
		t "$L: sha256 $s B equals busybox sha256sum" sh -c \
			"[ \"\$('$V' hash '$D' --alg sha256 in.$s | cut -d' ' -f1)\" = \"\$(sha256sum in.$s | cut -d' ' -f1)\" ]"
	done
	printf 123456789 >$W/nine
	t "$L: crc32c('123456789') = e3069283" sh -c \
		"[ \"\$('$V' hash '$D' --alg crc32c $W/nine | cut -d' ' -f1)\" = e3069283 ]"
	while read -r s ref; do
		t "$L: hmac-sha256 $s B equals Python hmac" sh -c \
			"[ \"\$('$V' hmac '$D' --alg sha256 --key $KEY in.$s | cut -d' ' -f1)\" = $ref ]"
	done <hmac.ref
	for s in $SIZES; do
		"$V" encrypt "$D" --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD \
			in.$s $W/ct 2>$W/err
		t "$L: gcm encrypt $s B equals cryptography's AESGCM" cmp_err $W/ct ct.$s
		"$V" decrypt "$D" --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD \
			ct.$s $W/pt 2>$W/err
		t "$L: gcm decrypt $s B of host ciphertext" cmp_err $W/pt in.$s
		rm -f $W/ct $W/pt
	done
	cp ct.4096 $W/bad.ct
	printf '\001' | dd of=$W/bad.ct bs=1 seek=4100 conv=notrunc 2>/dev/null
	t "$L: gcm tampered tag fails, no output" sh -c \
		"! '$V' decrypt '$D' --alg aes-256-gcm --key $KEY --iv $IV --aad $AAD $W/bad.ct $W/bad.pt && [ ! -e $W/bad.pt ]"
	for s in $SIZES; do
		"$V" compress "$D" in.$s $W/z 2>$W/err
		"$V" decompress "$D" $W/z $W/u 2>>$W/err
		t "$L: deflate $s B round trip on the device" cmp_err $W/u in.$s
		"$V" decompress "$D" z.$s $W/u2 2>$W/err
		t "$L: zlib's raw DEFLATE of $s B inflates on the device" cmp_err $W/u2 in.$s
		rm -f $W/z $W/u $W/u2
	done
	t "$L: bench sha256 4K depth 8 (submit/poll, event mode)" \
		"$V" bench "$D" --op sha256 --size 4K --depth 8 --seconds 1
	t "$L: bench null 64 B depth 16 (poll mode)" \
		"$V" bench "$D" --op null --size 64 --depth 16 --seconds 1 --poll
	t "$L: no device session left behind by the CLI runs" \
		[ "$(cat "$SESS")" -eq 0 ]
	# a vDPA parent's [STREAM-GCM-MAX] within the suite's reach (1 MiB)
	# for the suite only: the CLI's gcm above 1 MiB runs as streams
	G=/sys/module/vdpa_accel/parameters/test_gcm_stream_max
	if [ -w $G ]; then
		echo 1048576 >$G
		VACCEL_TEST_GCM_STREAM_MAX=1048576 "$CONF" --queues 2 \
			--tap $W/conf.tap "$D" >$W/conf 2>&1
		rc=$?
		echo 0 >$G
	else
		"$CONF" --queues 2 --tap $W/conf.tap "$D" >$W/conf 2>&1
		rc=$?
	fi
	# the suite's TAP, for docs/conformance.md (the host keeps these lines)
	sed "s|^|conf-tap $L: |" $W/conf.tap 2>/dev/null
	grep -E "passed|failed|FAIL|not ok" $W/conf | tail -5 | sed 's/^/#   /'
	t "$L: conformance suite (exit $rc)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || grep -E "FAILED|^ +[0-9]+\. |spec says|stopped serving|: " $W/conf | head -60 | sed 's/^/#   /'
}
