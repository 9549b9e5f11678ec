#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Data path 2 end to end, nested: a QEMU guest whose virtio-accel device is
# served by vhost-vdpa from the in-kernel vDPA parent.
#
#   host: run-in-vm.sh boots the L1 guest (6.12, vdpa_accel.ko, vhost_vdpa)
#     L1: tests/vm/guest/t-nested-l1.sh: vdpa dev add, bind to vhost_vdpa, then
#         qemu-system-x86_64 ... -device vhost-vdpa-device-pci,vhostdev=/dev/vhost-vdpa-0
#       L2: the same 6.12 kernel, virtio_accel.ko over virtio-pci (1af4:1078),
#           tests/vm/guest/t-nested-l2.sh: the CLI over /dev/vaccel0
#
# The QEMU inside L1 is the patched one from vhost-user-backend/qemu/
# build-qemu.sh (built here if missing, ~3-6 min): stock QEMU 10.0.2 aborts
# on device ID 56 in vhost-vdpa-device-pci. It goes into the L1 initramfs
# (stripped, with the libraries ldd lists) with the four ROMs it needs
# (bios-256k.bin, kvmvapic.bin, linuxboot_dma.bin, pvh.bin). Everything is
# TCG: L1 under TCG on the host, L2 under TCG inside L1.
#
#   tests/vm/host/t-nested-run.sh [--keep DIR] [--l2-boot pvh|bzimage]
#
# Environment: NESTED_SIZES (data sizes for the L2 CLI tests, default
# "0 1 4096 65537"), VM_MEM (L1 memory, default 3G), VM_SMP (L1 CPUs, 2),
# L2_MEM (512M), L2_SMP (1), L2_TIMEOUT (L2 run limit inside L1, 1500 s),
# NESTED_TIMEOUT (whole L1 run, 2400 s), VM_QEMU (the host's QEMU for L1,
# default Debian's: L1 has no virtio-accel device), NESTED_QEMU (the QEMU
# binary L1 runs, default build-qemu.sh's).
# Output: the L1 console with the L2 console in it (prefixed "L2| "), then
# timings and "N passed, N failed" (L1 checks + L2 checks; one failure more
# when run-in-vm.sh failed (L1 splat, timeout) with no failed check).
# Exit 0 when nothing failed, 77 when the patched QEMU cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
VMD=$TOP/tests/vm/harness
VMG=$TOP/tests/vm/guest
log() { echo "t-nested: $*" >&2; }
keep=""
l2boot=pvh
usage() {
	sed -n '4,31s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	--l2-boot) [ $# -ge 2 ] || usage; l2boot=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $l2boot in pvh|bzimage) ;; *) log "--l2-boot wants pvh or bzimage"; exit 2 ;; esac
SIZES=${NESTED_SIZES:-0 1 4096 65537}
t0=$(date +%s)

# --- build ------------------------------------------------------------------------
make -s -C "$TOP" all >&2
make -s -C "$TOP/vdpa-driver" modules >&2
make -s -C "$TOP/guest-driver/kernel" modules >&2
VDPA_KO=$TOP/vdpa-driver/vdpa_accel.ko
GUEST_KO=$TOP/guest-driver/kernel/virtio_accel.ko
if [ -n "${NESTED_QEMU:-}" ]; then
	QEMU=$NESTED_QEMU
else
	QEMU=$("$TOP/vhost-user-backend/qemu/build-qemu.sh" --print-path 2>/dev/null) ||
		QEMU=$("$TOP/vhost-user-backend/qemu/build-qemu.sh") || {
		log "SKIP: the patched QEMU (vhost-user-backend/qemu/build-qemu.sh) cannot be built"
		exit 77
	}
fi
"$QEMU" -device help 2>/dev/null | grep -q '"vhost-vdpa-device-pci"' || {
	log "$QEMU has no vhost-vdpa-device-pci"
	exit 1
}
t1=$(date +%s)

. "$VMD/lib-vm.sh"
vm_need_kernel
. "$TOP/tests/lib/lib.sh"

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	T=$(cd "$keep" && pwd)
else
	test_tmpdir nested
fi
mkdir -p "$T/l1" "$T/ref" "$T/fw"

# --- what L1 carries --------------------------------------------------------------
# QEMU without its symbols (74 MB -> ~20 MB of initramfs that TCG unpacks)
strip -o "$T/qemu-system-x86_64" "$QEMU" 2>/dev/null || cp "$QEMU" "$T/qemu-system-x86_64"
for rom in bios-256k.bin kvmvapic.bin linuxboot_dma.bin pvh.bin; do
	found=""
	for dir in /usr/share/qemu /usr/share/seabios; do
		if [ -e "$dir/$rom" ]; then
			cp -L "$dir/$rom" "$T/fw/$rom"
			found=1
			break
		fi
	done
	[ -n "$found" ] || { log "no $rom in /usr/share/qemu or /usr/share/seabios (qemu-system-data, seabios)"; exit 1; }
done
if [ $l2boot = pvh ] && [ -n "${VM_PVH:-}" ]; then
	cp "$VM_PVH" "$T/l1/l2-kernel"
else
	cp "$VM_VMLINUZ" "$T/l1/l2-kernel"
fi
cat >"$T/l1/nested.conf" <<EOF
L2_MEM=${L2_MEM:-512M}
L2_SMP=${L2_SMP:-1}
L2_TIMEOUT=${L2_TIMEOUT:-1500}
EOF

# --- the L2 initramfs, built here -------------------------------------------------
# the references of every guest data path's CLI checks (cli-refs.sh) and
# the checks' helpers (cli-checks.sh: cmp_err, cli.env)
LIB_VM_SIZES=$SIZES "$VMD/cli-refs.sh" "$T/ref"
cp "$VMG/cli-checks.sh" "$T/ref/"
set --
for f in "$T"/ref/*; do
	set -- "$@" --add "$f:/payload/${f##*/}"
done
"$VMD/mkinitramfs.sh" -o "$T/l1/l2.cpio.gz" --no-default-modules \
	--payload "$VMG/t-nested-l2.sh" --ko "$GUEST_KO" --bin "$TOP/build/vaccel" "$@"
t2=$(date +%s)
log "L2: $(du -h "$T/l1/l2-kernel" | cut -f1) kernel ($l2boot), $(du -h "$T/l1/l2.cpio.gz" | cut -f1) initramfs; L1 QEMU $(du -h "$T/qemu-system-x86_64" | cut -f1); sizes $SIZES"

# --- run ----------------------------------------------------------------------------
export VM_MEM=${VM_MEM:-3G} VM_SMP=${VM_SMP:-2}
log "booting L1 (VM_MEM=$VM_MEM, VM_SMP=$VM_SMP) at $(date +%T)"
{
	rc=0
	"$VMD/run-in-vm.sh" --timeout "${NESTED_TIMEOUT:-2400}" \
		${keep:+--keep "$T/l1-run"} \
		--ko "$VDPA_KO" \
		--module gcm --module ghash_generic --module crc32c_generic --module deflate \
		--bin "$T/qemu-system-x86_64:/usr/local/bin/qemu-system-x86_64" \
		--add "$T/fw:/usr/share/qemu" \
		"$VMG/t-nested-l1.sh" "$T"/l1/* || rc=$?
	echo "$rc" >"$T/rc"
} 2>&1 | tee "$T/run.log"
rc=$(cat "$T/rc")
t3=$(date +%s)

# --- results --------------------------------------------------------------------------
echo
echo "t-nested: times: build and QEMU $((t1 - t0)) s, staging $((t2 - t1)) s, L1 run $((t3 - t2)) s, total $((t3 - t0)) s"
sed -n 's/^run-in-vm: \(.*guest reached.*\)/t-nested: L1 \1/p' "$T/run.log"
sed -n 's/^\(t-nested-l1: L2 .*\)/t-nested: \1/p' "$T/run.log"
# the L1 guest's line (L1 and L2 checks); run-in-vm.sh failing (L1 splat,
# timeout, harness) with no failed check is one failure
count_results "$T/run.log" "$rc" || :
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
