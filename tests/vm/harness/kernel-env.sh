#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Print where the VM harness's guest kernel is (after tests/vm/harness/setup-vm.sh).
#
#   kernel-env.sh          VM_KREL=... VM_KDIR=... lines (eval-able)
#   kernel-env.sh --kdir   the headers directory, for make -C ... M=...
#   kernel-env.sh --krel   the kernel release
#
# In a Makefile: KDIR ?= $(shell tests/vm/harness/kernel-env.sh --kdir)
set -eu

VM_DIR=$(cd "$(dirname "$0")" && pwd)
. "$VM_DIR/lib-vm.sh"
vm_need_kernel
case ${1:-} in
--kdir) echo "$VM_KDIR" ;;
--krel) echo "$VM_KREL" ;;
'')
	for v in VM_KREL VM_KROOT VM_VMLINUZ VM_PVH VM_MODDIR VM_KDIR; do
		eval "echo $v=\\'\$$v\\'"
	done ;;
*) vm_die "usage: kernel-env.sh [--kdir|--krel]" ;;
esac
