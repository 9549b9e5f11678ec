#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-migrate-run.sh (data path 1, issue 16):
# the device is used, the line "migrate-here" tells the host harness
# (run-in-vm.sh --migrate-on migrate-here) to migrate the guest, and the
# device is used again after it, wherever the guest runs by then. In
# /payload: blob and its SHA-256 in sum. MIG_WAIT (seconds, default 6):
# how long the guest idles after the line, the harness's moment to act.
# One "ok N - ..." line per check, then "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
P=/payload
ref=$(cat $P/sum)

same_sum() { [ "$(vaccel hash "$VACCEL_CHARDEV" --alg sha256 $P/blob | cut -d' ' -f1)" = "$ref" ]; }
t "SHA-256 over $VACCEL_CHARDEV before the migration point" same_sum
echo "migrate-here"
sleep "${MIG_WAIT:-6}"
t "SHA-256 over $VACCEL_CHARDEV after the migration point" same_sum
t "the driver did not reset the device" sh -c \
	"[ \"\$(cat /sys/class/vaccel/${VACCEL_CHARDEV#/dev/}/resets)\" = 0 ]"
finish
