#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-migrate-run.sh's ping-pong (issue 16): the
# guest is migrated back and forth (run-in-vm.sh --migrate-on migrate-here
# --migrate-count K) while vaccel-restart-load keeps 32 requests in flight
# on /dev/vaccel0 with one session it made before the first migration
# (KILLS 0: a stall that loses the session fails it). Every request must
# complete exactly once with the right result; the kernel crypto API's
# sha256-virtio-accel (AF_ALG, vaccel-afalg) must give busybox's digest
# before and after. In /payload: blob and its SHA-256 in sum; LOAD_S in
# /payload/load_s (seconds of load). One "ok N - ..." line per check, then
# "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
P=/payload
D=$VACCEL_CHARDEV
ref=$(cat $P/sum)

afalg_sum() { [ "$(vaccel-afalg sha256-virtio-accel $P/blob)" = "$ref" ]; }
crypto_settled 60 || skip "crypto self-tests still running"
t "AF_ALG sha256-virtio-accel before" afalg_sum
echo 1024 >/sys/module/virtio_accel/parameters/max_inflight_per_file
echo "migrate-here"
t "depth 32 across the migrations: every request completed once, correct, the session kept" \
	vaccel-restart-load "$D" 32 0 "$(cat $P/load_s)"
sed 's/^/# /' "$VT_OUT"
t "AF_ALG sha256-virtio-accel after" afalg_sum
t "the driver did not reset the device" sh -c \
	"[ \"\$(cat /sys/class/vaccel/${D#/dev/}/resets)\" = 0 ]"
finish
