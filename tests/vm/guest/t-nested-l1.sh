#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# First-level (L1) guest payload of data path 2 (busybox sh), run by
# tests/vm/host/t-nested-run.sh through run-in-vm.sh. vdpa_accel.ko and the vDPA
# modules are loaded; the self-built QEMU (build-qemu.sh) is
# /usr/local/bin/qemu-system-x86_64 with its ROMs in /usr/share/qemu.
#
# Creates a vdpa_accel device bound to vhost_vdpa (/dev/vhost-vdpa-N),
# starts QEMU on it with -device vhost-vdpa-device-pci,vhostdev=... booting
# the L2 guest (/payload/l2-kernel, /payload/l2.cpio.gz, whose payload is
# tests/vm/guest/t-nested-l2.sh), prints the L2 console prefixed "L2| ", checks
# the L2 exit sentinel and scans the L2 kernel log for splats with the
# harness's own patterns (no_splat of the guest library).
# /payload/nested.conf sets L2_MEM, L2_SMP, L2_TIMEOUT.
# One "ok N"/"not ok N" line per L1 check; the last line adds the L2
# guest's own counts: "N passed, N failed".
# shellcheck source=tests/vm/guest/guest-lib.sh
. /usr/lib/vaccel/guest-lib.sh
L2_MEM=512M
L2_SMP=1
L2_TIMEOUT=1500
# shellcheck disable=SC1091
[ -r /payload/nested.conf ] && . /payload/nested.conf
R=/tmp/l2
mkdir -p $R
QEMU=/usr/local/bin/qemu-system-x86_64

up() { cut -d' ' -f1 /proc/uptime; }
# ms since boot
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
secs() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

l2_p=0
l2_f=0
finish() { # the L1 checks and the L2 guest's
	echo "t-nested-l1: L1 checks $((VT_N - VT_FAILED)) passed, $VT_FAILED failed; L2 guest $l2_p passed, $l2_f failed"
	echo "$((VT_N - VT_FAILED + l2_p)) passed, $((VT_FAILED + l2_f)) failed"
	[ $((VT_FAILED + l2_f)) -eq 0 ]
	exit $?
}

# --- the vDPA device for QEMU ---------------------------------------------------
echo "# L1: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo), uptime $(up) s"
t "vdpa mgmtdev vdpa_accel is registered" sh -c 'vdpa mgmtdev show | grep -q vdpa_accel'
vdpa_autoprobe 0
t "vdpa dev add name accel0 mgmtdev vdpa_accel" vdpa dev add name accel0 mgmtdev vdpa_accel
d=/sys/bus/vdpa/devices/accel0
bind accel0 vhost_vdpa 2>/dev/null
vdpa_autoprobe 1
t "accel0 bound to vhost_vdpa" [ "$(driver_of $d)" = vhost_vdpa ]
VH=$(vhost_node accel0)
[ -z "$VH" ] || wait_for 5 "$VH" >/dev/null
t "vhost-vdpa node for accel0 (${VH:-none})" test -c "${VH:-/nonexistent}"
[ -c "${VH:-/nonexistent}" ] || finish
vdpa dev show accel0 | sed 's/^/# /'

# vhost-vdpa pins all of the L2 guest's memory
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null || ulimit -l $((1024 * 1024))
t "QEMU runs here ($QEMU --version)" "$QEMU" --version
"$QEMU" --version | head -1 | sed 's/^/# /'

# --- the L2 guest -----------------------------------------------------------------
set -- -machine q35 -accel tcg -m "$L2_MEM" -smp "$L2_SMP" \
	-nic none -vga none -display none -monitor none -no-reboot \
	-L /usr/share/qemu \
	-serial stdio -serial "file:$R/kmsg.log" \
	-kernel /payload/l2-kernel -initrd /payload/l2.cpio.gz \
	-append "console=ttyS0 quiet panic=-1" \
	-device "vhost-vdpa-device-pci,vhostdev=$VH,disable-legacy=on"
echo "# L2 command: $QEMU $*"
CR=$(printf '\r')
: >$R/console.log
start=$(now_ms)
echo "t-nested-l1: starting the L2 guest at $(up) s (L1 uptime), timeout $L2_TIMEOUT s"
# the console goes through a shell loop: line by line, prefixed, no
# buffering; the first lines are timed
{
	timeout "$L2_TIMEOUT" "$QEMU" "$@" </dev/null 2>$R/qemu.err
	echo "QEMU_STATUS=$?" >$R/qemu.status
} | {
	boot=""
	while IFS= read -r l; do
		l=${l%"$CR"}
		echo "$l" >>$R/console.log
		if [ -z "$boot" ]; then
			case $l in
			"vm-init: up"*)
				boot=$(now_ms)
				echo "t-nested-l1: L2 reached /init $(secs $((boot - start))) s after QEMU started"
				echo $((boot - start)) >$R/boot_ms ;;
			esac
		fi
		printf 'L2| %s\n' "$l"
	done
}
end=$(now_ms)
qst=$(sed -n 's/^QEMU_STATUS=//p' $R/qemu.status 2>/dev/null)
echo "t-nested-l1: L2 QEMU ended after $(secs $((end - start))) s (status ${qst:-?})"
sed 's/^/L2 qemu: /' $R/qemu.err | head -30

t "L2 QEMU ran with vhost-vdpa-device-pci (nothing but warnings on its stderr)" \
	sh -c "! grep -v ': warning: ' $R/qemu.err | grep -q . || { cat $R/qemu.err; false; }"
t "L2 guest reached /init" test -s $R/boot_ms
l2st=$(sed -n 's/.*VACCEL_VM_EXIT=\([0-9]*\)$/\1/p' $R/console.log | tail -1)
t "L2 exit sentinel present (VACCEL_VM_EXIT=${l2st:-none})" test -n "$l2st"
t "L2 payload exit status 0" test "${l2st:-x}" = 0
t "L2 QEMU exit status 0 (${qst:-?}; 143 = killed at the $L2_TIMEOUT s timeout)" test "${qst:-x}" = 0

line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' $R/console.log | tail -1)
if [ -n "$line" ]; then
	l2_p=${line%% passed*}
	l2_f=${line#*, }
	l2_f=${l2_f%% failed*}
fi
t "L2 result line present (${line:-none})" test -n "$line"

# the L2 kernel's splats: its whole dmesg (second serial port) and the
# kernel's own lines on its console, as run-in-vm.sh does for L1
grep -E '^\[ *[0-9]+\.[0-9]+\]' $R/console.log >$R/console-kernel.log
cat $R/kmsg.log $R/console-kernel.log >$R/kernel.log
echo "# L2 kernel log: $(wc -l <$R/kmsg.log) lines from dmesg"
t "splat patterns (the guest library's, as run-in-vm.sh's) are set" test -n "$VT_SPLAT"
t "no kernel splat in the L2 guest's log" no_splat $R/kernel.log
grep -E 'virtio_accel|vaccel' $R/kmsg.log | head -10 | sed 's/^/# L2 dmesg: /'

# --- the parent after L2 went away ----------------------------------------------
echo "# accel0 sessions after the L2 guest: $(cat $d/sessions 2>/dev/null)"
t "no device session left in the parent after the L2 guest" \
	sh -c "[ \"\$(cat $d/sessions)\" -eq 0 ]"
t "vdpa dev del accel0" vdpa dev del accel0
finish
