#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-migrate-run.sh (data path 1, issue 16): a
# SHA-256 stream and an AES-256-GCM stream read from pipes are open on the
# device (`vaccel hash ... -`, `vaccel encrypt ... - -`) when the line
# "migrate-here" tells the host harness (run-in-vm.sh --migrate-on
# migrate-here) to migrate the guest; their second half arrives MIG_WAIT
# seconds later, wherever the guest runs by then, and both results must
# equal the references. In /payload: blob (3 MiB + 7), sum (its SHA-256),
# sum2 (SHA-256 of blob twice), key and iv (hex), ctsum (SHA-256 of
# AES-256-GCM(key, iv, blob twice) || tag, from Python's cryptography).
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

# two streams whose second half comes after the migration
{ cat $P/blob; sleep $W; cat $P/blob; } |
	vaccel hash "$D" --alg sha256 - >/tmp/h.out 2>/tmp/h.err &
ph=$!
{ cat $P/blob; sleep $W; cat $P/blob; } |
	vaccel encrypt "$D" --alg aes-256-gcm --key-file $P/key --iv "$(cat $P/iv)" \
	- - >/tmp/ct 2>/tmp/ct.err &
pe=$!
sleep 3
echo "migrate-here"
wait $ph
rh=$?
wait $pe
re=$?
cat /tmp/h.err /tmp/ct.err
t "a SHA-256 stream cut by the migration equals the reference" \
	sh -c "[ $rh = 0 ] && [ \"\$(cut -d' ' -f1 /tmp/h.out)\" = $(cat $P/sum2) ]"
t "an AES-256-GCM stream cut by the migration equals the reference" \
	sh -c "[ $re = 0 ] && [ \"\$(sha256sum </tmp/ct | cut -d' ' -f1)\" = $(cat $P/ctsum) ]"
t "its ciphertext decrypts after the migration point" \
	sh -c "vaccel decrypt $D --alg aes-256-gcm --key-file $P/key --iv $(cat $P/iv) /tmp/ct /tmp/pt &&
		cat $P/blob $P/blob | cmp - /tmp/pt"
t "SHA-256 over $D after the migration point" same_sum
t "the driver did not reset the device" sh -c \
	"[ \"\$(cat /sys/class/vaccel/${D#/dev/}/resets)\" = 0 ]"
finish
