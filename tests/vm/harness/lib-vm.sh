# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
#
# Shared by the VM harness scripts (source it; VM_DIR must be set to
# tests/vm). Defines where the guest kernel lives and how to find it.
#
#   VM_CACHE    ${VACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtio-accel}
#   VM_KREL     the guest kernel release, e.g. 6.12.117+deb12-amd64
#   VM_KROOT    $VM_CACHE/kernel-$VM_KREL/root  (dpkg-deb -x of the packages)
#   VM_VMLINUZ  the kernel image (bzImage)
#   VM_PVH      the same kernel uncompressed, booted through its PVH entry
#               (faster under TCG); empty if setup-vm.sh could not extract it
#   VM_MODDIR   its modules (with modules.dep)
#   VM_KDIR     its headers: make -C "$VM_KDIR" M=... modules

VM_CACHE=${VACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtio-accel}

vm_die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# vm_series: sets VM_SERIES and VM_FLAVOUR from tests/vm/harness/kernel-version
vm_series() {
	VM_SERIES=$(sed -n 's/^series=//p' "$VM_DIR/kernel-version")
	VM_FLAVOUR=$(sed -n 's/^flavour=//p' "$VM_DIR/kernel-version")
	[ -n "$VM_SERIES" ] && [ -n "$VM_FLAVOUR" ] ||
		vm_die "$VM_DIR/kernel-version: no series= or flavour= line"
}

# vm_kernel_env: sets VM_KREL VM_KROOT VM_VMLINUZ VM_MODDIR VM_KDIR from the
# cache (what setup-vm.sh unpacked); returns 1 if it is not there.
vm_kernel_env() {
	VM_KREL=${VM_KERNEL_RELEASE:-}
	if [ -z "$VM_KREL" ] && [ -r "$VM_CACHE/kernel-release" ]; then
		VM_KREL=$(cat "$VM_CACHE/kernel-release")
	fi
	[ -n "$VM_KREL" ] || return 1
	VM_KROOT=$VM_CACHE/kernel-$VM_KREL/root
	[ -e "$VM_CACHE/kernel-$VM_KREL/.complete" ] || return 1
	VM_VMLINUZ=$VM_KROOT/boot/vmlinuz-$VM_KREL
	VM_PVH=$VM_CACHE/kernel-$VM_KREL/vmlinux-pvh
	[ -r "$VM_PVH" ] || VM_PVH=""
	VM_MODDIR=$VM_KROOT/lib/modules/$VM_KREL
	[ -d "$VM_MODDIR" ] || VM_MODDIR=$VM_KROOT/usr/lib/modules/$VM_KREL
	# shellcheck disable=SC2034 # used by the scripts that source this
	VM_KDIR=$VM_KROOT/usr/src/linux-headers-$VM_KREL
	return 0
}

# vm_need_kernel: vm_kernel_env or a clear message
vm_need_kernel() {
	vm_kernel_env || vm_die "no guest kernel in $VM_CACHE; run tests/vm/harness/setup-vm.sh first"
	[ -r "$VM_VMLINUZ" ] || vm_die "missing $VM_VMLINUZ; run tests/vm/harness/setup-vm.sh"
	[ -r "$VM_MODDIR/modules.dep" ] || vm_die "missing $VM_MODDIR/modules.dep; run tests/vm/harness/setup-vm.sh"
}
