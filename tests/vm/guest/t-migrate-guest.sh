#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-migrate-run.sh (data path 1, issue 16):
# streams read from pipes are open on the device (`vaccel hash ... -`,
# `vaccel encrypt ... - -`, `vaccel decrypt ... - -`, `vaccel compress`,
# `vaccel decompress`) when the line "migrate-here" tells the host harness
# (run-in-vm.sh --migrate-on migrate-here) to migrate the guest; their
# second half arrives W seconds later, wherever the guest runs by then,
# and every result must equal the references. The big streams come from
# vaccel-gen (the same bytes as the host's run): SHA-256 of GEN_N bytes of
# seed 1 and AES-256-GCM of GEN_N bytes of seed 2 (the CLI stages its
# output in /tmp until the tag: the guest needs RAM for it). In /payload:
# gen_n, gsum1 (SHA-256 of seed 1's bytes), gctsum2 (SHA-256 of
# AES-256-GCM(key, iv, seed 2's bytes) || tag, from Python's cryptography),
# key and iv (hex), blob (3 MiB + 7) and sum (its SHA-256), ct (AES-256-GCM
# of blob twice || tag, decrypted by a stream across the migration), z1
# and z2 (raw DEFLATE of blob twice, from Python's zlib, cut in two), and
# lost: 1 when the guest will have moved by the time z2 arrives, 0 when
# not. A DEFLATE compression stream travels; a decompression stream cannot
# ([MIG-STREAM-LOST]): with lost 1 it must fail, with 0 succeed.
# One "ok N - ..." line per check, then "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
P=/payload
D=$VACCEL_CHARDEV
W=20
ref=$(cat $P/sum)

same_sum() { [ "$(vaccel hash "$D" --alg sha256 $P/blob | cut -d' ' -f1)" = "$ref" ]; }
t "SHA-256 over $D before the migration point" same_sum

# streams whose second half comes after the migration
N=$(cat $P/gen_n)
IV=$(cat $P/iv)
CTH=$(($(stat -c %s $P/ct) / 2))
vaccel-gen 1 "$N" $((N / 2)) $W |
	vaccel hash "$D" --alg sha256 - >/tmp/h.out 2>/tmp/h.err &
ph=$!
{ vaccel-gen 2 "$N" $((N / 2)) $W |
	vaccel encrypt "$D" --alg aes-256-gcm --key-file $P/key --iv "$IV" - - ||
	echo "encrypt failed: $?" >&2; } 2>/tmp/ct.err | sha256sum >/tmp/ct.sum &
pe=$!
{ head -c $CTH $P/ct; sleep $W; tail -c +$((CTH + 1)) $P/ct; } |
	vaccel decrypt "$D" --alg aes-256-gcm --key-file $P/key --iv "$IV" - - \
	>/tmp/pt 2>/tmp/pt.err &
pp=$!
{ cat $P/blob; sleep $W; cat $P/blob; } |
	vaccel compress "$D" - /tmp/z >/tmp/z.err 2>&1 &
pz=$!
{ cat $P/z1; sleep $W; cat $P/z2; } |
	vaccel decompress "$D" - /tmp/dz >/tmp/dz.err 2>&1 &
pd=$!
sleep 3
echo "migrate-here"
wait $ph
rh=$?
wait $pe
wait $pp
rp=$?
wait $pz
rz=$?
wait $pd
rd=$?
cat /tmp/h.err /tmp/ct.err /tmp/pt.err /tmp/z.err /tmp/dz.err
t "a SHA-256 stream of $N bytes cut by the migration equals the reference" \
	sh -c "[ $rh = 0 ] && [ \"\$(cut -d' ' -f1 /tmp/h.out)\" = $(cat $P/gsum1) ]"
t "an AES-256-GCM stream of $N bytes cut by the migration equals the reference" \
	sh -c "[ ! -s /tmp/ct.err ] && [ \"\$(cut -d' ' -f1 /tmp/ct.sum)\" = $(cat $P/gctsum2) ]"
t "an AES-256-GCM decryption stream cut by it gives the plaintext back" \
	sh -c "[ $rp = 0 ] && cat $P/blob $P/blob | cmp - /tmp/pt"
t "a DEFLATE compression stream cut by the migration inflates to its input" \
	sh -c "[ $rz = 0 ] && vaccel decompress $D /tmp/z /tmp/zz && cat $P/blob $P/blob | cmp - /tmp/zz"
if [ "$(cat $P/lost)" = 1 ]; then
	t "a DEFLATE decompression stream cut by the migration fails (lost)" \
		sh -c "[ $rd != 0 ] && grep -qi 'error\|fail' /tmp/dz.err"
else
	t "a DEFLATE decompression stream equals its input" \
		sh -c "[ $rd = 0 ] && cat $P/blob $P/blob | cmp - /tmp/dz"
fi
t "SHA-256 over $D after the migration point" same_sum
t "the driver did not reset the device" sh -c \
	"[ \"\$(cat /sys/class/vaccel/${D#/dev/}/resets)\" = 0 ]"
finish
