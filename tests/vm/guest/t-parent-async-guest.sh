#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-parent-async-run.sh: the vDPA parent's
# requests in flight in the crypto API (issue 14). The parent is loaded
# with aead_alg=cryptd(gcm_base(...)): the kernel's cryptd daemon completes each
# AES-GCM request later, from its own worker, as a hardware driver would
# (software gcm(aes) completes at once: max_inflight stays 0, checked
# first). Over vhost-vdpa with the library's CLI and conformance suite
# (cli-checks.sh: references from the host in /payload); then QD32 load
# (max_inflight > 1), a SIGKILLed opener, lose_sessions and vdpa dev del +
# rmmod with requests in flight.
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/cli-checks.sh
. /payload/cli-checks.sh
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144
P=/payload
S=/sys/bus/vdpa/devices/pa0

# up [PARAM...]: the parent (re)loaded with PARAM, pa0 on vhost_vdpa, $D
up() {
	vdpa dev del pa0 2>/dev/null
	rmmod vdpa_accel 2>/dev/null
	insmod $P/vdpa_accel.ko "$@" || return 1
	vdpa_autoprobe 0
	vdpa dev add name pa0 mgmtdev vdpa_accel || return 1
	bind pa0 vhost_vdpa || return 1
	vdpa_autoprobe 1
	VH=$(vhost_node pa0)
	wait_for 5 "${VH:-/nonexistent}" || return 1
	D=vhost-vdpa:$VH
}

gcm_load() { # gcm_load SECONDS: AES-256-GCM 4 KiB at depth 32 on 2 queues
	"$V" bench "$D" --op aes-256-gcm --size 4K --depth 32 --queues 2 \
		--seconds "$1"
}

bg_load() { # bg_load SECONDS: gcm_load in the background, $pid the CLI's
	"$V" bench "$D" --op aes-256-gcm --size 4K --depth 32 --queues 2 \
		--seconds "$1" >/dev/null 2>&1 &
	pid=$!
}

t "parent loaded with aead_alg gcm(aes) (default)" up
t "gcm(aes) QD32 load" gcm_load 1
sw=$(cat $S/max_inflight 2>/dev/null || echo missing)
echo "# software gcm(aes): max_inflight $sw (completes at once)"

t "parent loaded with aead_alg=cryptd(gcm_base(ctr(aes-generic),ghash-generic))" up 'aead_alg=cryptd(gcm_base(ctr(aes-generic),ghash-generic))'
t "the parent uses cryptd for AES-256-GCM" sh -c \
	'dmesg | grep "aes-256-gcm: " | tail -1 | grep -q "cryptd("'
t "max_inflight starts at 0" [ "$(cat $S/max_inflight)" = 0 ]
t "QD32 AES-GCM 4 KiB load through cryptd" gcm_load 2
mi=$(cat $S/max_inflight)
echo "# cryptd: max_inflight $mi, reordered $(cat $S/reordered)"
t "requests overlap in the crypto API: max_inflight $mi > 1" [ "$mi" -gt 1 ]
t "no session left" [ "$(cat $S/sessions)" -eq 0 ]

# the CLI vs the host's references, and the conformance suite
cli_suite "$D" async $S/sessions

# a SIGKILLed opener under load: vhost-vdpa's release resets the device
# with requests in flight; the device serves the next opener
bg_load 30
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
t "after a SIGKILL under load: the device serves again" gcm_load 1
t "... and no session left" [ "$(cat $S/sessions)" -eq 0 ]

# [SESS-LOSS] with requests in flight
bg_load 5
sleep 2
t "lose_sessions under load" sh -c "echo 1 >$S/lose_sessions"
wait $pid 2>/dev/null
t "after lose_sessions: the device serves again (new open resets)" gcm_load 1

# vdpa dev del and rmmod with requests in flight (dev del waits for the
# opener to go: it is killed meanwhile)
bg_load 30
sleep 2
(sleep 1; kill -9 $pid) &
t "vdpa dev del under load" vdpa dev del pa0
t "rmmod vdpa_accel" rmmod vdpa_accel
wait 2>/dev/null

dmesg >/tmp/dmesg
t "no splat" no_splat /tmp/dmesg
finish
