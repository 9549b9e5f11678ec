#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# VM payload of tests/vm/host/t-loss-run.sh: a device that loses its
# sessions ([SESS-LOSS]) under load, and the guest driver's reaction
# ([DRV-NEEDS-RESET]), on data path 3 (vdpa_accel bound to virtio_vdpa).
# vdpa_accel.ko and virtio_accel.ko are loaded, algif_hash too; on PATH:
# vaccel-loss, vaccel-lib-loss, vaccel-afalg; vaccel_kdigest.ko (whole
# messages through the crypto API from the kernel: d.big goes as a stream
# session, AF_ALG would hand it over in 64 KiB steps); in /payload:
# d.65536 and d.big (3 MiB + 5) with their SHA-256 in sum.65536 and
# sum.big.
#
# The loss comes from the parent's lose_sessions attribute while
# vaccel-loss has requests in flight on /dev/vaccelN and AF_ALG digests of
# sha256-virtio-accel (whole messages and streams) run in the background.
# Then libvirtaccel over vhost-vdpa: vaccel-lib-loss (HW_READY late by
# the parent's hw_ready_delay_ms, [DRV-READY]; a loss: -ESTALE, reopen).
# One "ok N - ..." line per check, then "N passed, N failed".
# shellcheck disable=SC2317 # functions run through t()
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
P=/payload
A=vaccel-afalg
NAME=loss0
V=/sys/bus/vdpa/devices/$NAME

dmesg -c >/dev/null
before=$(ls /dev/vaccel* 2>/dev/null)
t "vdpa dev add $NAME, bound to virtio_vdpa" vdpa_add $NAME virtio_vdpa
dev=$(new_vaccel 30 "$before") || { not_ok "a /dev/vaccelN for $NAME"; finish; }
S=/sys/class/vaccel/${dev#/dev/}
t "the parent has lose_sessions and losses" \
	sh -c "[ -w $V/lose_sessions ] && [ \"\$(cat $V/losses)\" = 0 ]"
t "the driver has resets and sessions_lost, both 0" \
	sh -c "[ \"\$(cat $S/resets)\" = 0 ] && [ \"\$(cat $S/sessions_lost)\" = 0 ]"
crypto_settled 60 || skip "self-tests still running"
ref=$(cat $P/sum.65536)
refbig=$(cat $P/sum.big)
t "AF_ALG sha256-virtio-accel before the loss" \
	sh -c "[ \"\$($A sha256-virtio-accel $P/d.65536)\" = $ref ]"

# background: whole messages and streams through the crypto API
$A -n 1000000 sha256-virtio-accel $P/d.65536 >/tmp/bg.whole 2>&1 &
bgw=$!
KD=/sys/module/vaccel_kdigest/parameters
(
	while :; do
		echo "sha256-virtio-accel $P/d.big -" >$KD/run
		cut -d" " -f1-2 $KD/result | grep .
	done
) >/tmp/bg.stream 2>&1 &
bgs=$!
sleep 2

t "vaccel-loss: lost sessions under load (ESTALE, ECANCELED, exactly once)" \
	vaccel-loss "$dev" $V/lose_sessions "$S/resets" 256
sed -n 's/^/# /p' $VT_OUT | grep 'LOSS:'

sleep 2
kill $bgw $bgs 2>/dev/null
wait $bgw
rcw=$?
wait $bgs
for f in /tmp/bg.whole /tmp/bg.stream; do
	echo "# $f: $(wc -l <$f) lines: $(sort $f | uniq -c | tr '\n' ';')"
done
echo "# crypto API: offloaded $(cat /sys/class/vaccel/crypto_offloaded 2>/dev/null), streams $(cat /sys/class/vaccel/crypto_streams 2>/dev/null)"
# bg_ok FILE RC REF: still running (killed: rc > 128) with only the right
# digest printed, or stopped by an error the loss explains
bg_ok() {
	cat "$1"
	if grep -v -e "^$3\$" "$1" | grep -qv -E 'Operation canceled|Stale file handle|No such file or directory|Terminated'; then
		echo "unexpected output"
		return 1
	fi
	[ "$2" -gt 128 ] || grep -q -E 'Operation canceled|Stale file handle|No such file' "$1"
}
t "AF_ALG whole messages during the loss: right digests, or a clear error" bg_ok /tmp/bg.whole $rcw "$ref"
# kdigest: "DIGEST US" or "error -ERRNO US"; ECANCELED 125, ESTALE 116,
# ENOENT 2 (INVSESS answered before the reset)
kd_ok() {
	cat /tmp/bg.stream
	[ "$(grep -c "^$refbig" /tmp/bg.stream)" -ge 1 ] || { echo "no right digest"; return 1; }
	! grep -v -E "^$refbig|^error -(125|116|2)\$|Terminated" /tmp/bg.stream
}
t "kernel crypto API streams during the loss: right digests, or ECANCELED/ESTALE/ENOENT" kd_ok

t "parent: losses 1" sh -c "[ \"\$(cat $V/losses)\" = 1 ]"
t "driver: resets 1" sh -c "[ \"\$(cat $S/resets)\" = 1 ]"
t "driver: sessions_lost 1 (vaccel-loss's session)" \
	sh -c "cat $S/sessions_lost; [ \"\$(cat $S/sessions_lost)\" -ge 1 ]"
t "driver: no session left" sh -c "[ \"\$(cat $S/sessions)\" = 0 ]"
t "AF_ALG whole message after the reset" \
	sh -c "[ \"\$($A -n 20 sha256-virtio-accel $P/d.65536)\" = $ref ]"
t "kernel crypto API stream after the reset" \
	sh -c "echo 'sha256-virtio-accel $P/d.big -' >$KD/run; cut -d' ' -f1 $KD/result | grep -qx $refbig"

# a second loss, idle: the driver resets again
echo 1 >$V/lose_sessions
t "a second loss: resets 2" wait_val 20 "$S/resets" 2
t "AF_ALG after the second reset" \
	sh -c "[ \"\$($A sha256-virtio-accel $P/d.65536)\" = $ref ]"
t "vdpa dev del $NAME after the resets" vdpa_del $NAME
wait_for 20 "$dev" gone >/dev/null

# libvirtaccel over vhost-vdpa
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l 262144
t "vdpa dev add loss1, bound to vhost_vdpa" vdpa_add loss1 vhost_vdpa
VH=$(vhost_node loss1)
t "vaccel-lib-loss: HW_READY late, lost sessions -ESTALE, reopen" \
	vaccel-lib-loss "$VH" /sys/bus/vdpa/devices/loss1
sed -n 's/^/#   /p' $VT_OUT | grep -E 'ok|#'
t "vdpa dev del loss1" vdpa_del loss1
dmesg >/tmp/dmesg.all
t "the driver logged the reset" grep -q "needs a reset" /tmp/dmesg.all
t "no splat (slub_debug, KFENCE)" no_splat /tmp/dmesg.all
finish
