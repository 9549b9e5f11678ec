#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Fault injection and security checks of the kernel path (issue 6 items 4
# and 5): builds virtio_accel.ko, vdpa_accel.ko (if missing), vaccel-t and
# vaccel-fault (static), checks the drivers' key hygiene in their source,
# then runs tests/vm/guest/t-fault-guest.sh in the 6.12 guest booted with
# slub_debug=FZPU (red zones, poisoning, sanity checks, allocation
# tracking for the leak count) and KFENCE sampling every 5 ms. Output ends
# "N passed, N failed"; exit 1 also when the guest's kernel log has a splat.
#
#   tests/vm/host/t-fault-run.sh
#
# Environment: VDPA_KO (default vdpa-driver/vdpa_accel.ko), VDPA_PARAMS (its
# module parameters, e.g. aead_alg=cryptd(...) for issue 14's asynchronous
# AES-GCM), FAULT_VM_TIMEOUT
# (default 600). Exit 77 when a module is missing and cannot be built.
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
K=$TOP/guest-driver/kernel
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
. "$TOP/tests/lib/lib.sh"
test_tmpdir fault-vm

make -s -C "$K" modules tests >&2
need_ko "$VDPA_KO"
for p in fault kscan; do
	guest_prog "$TOP/tests/vm/progs/vaccel_$p.c" "$T/vaccel-$p"
done

# Key hygiene in the source (the kernel has no kmemleak or KASAN here, and
# a freed buffer's contents cannot be looked at from user space): every
# buffer or structure that holds a key is freed with kfree_sensitive() or
# wiped with memzero_explicit() first.
src_check() { # NAME FILE PATTERN
	if grep -qE "$3" "$2"; then
		ok "source: $1"
	else
		not_ok "source: $1 ($2: no match for '$3')"
	fi
}
src_check "guest driver: request buffers holding a key are wiped before they are freed" \
	"$K/virtio_accel_vq.c" 'if \(sensitive\)[[:space:]]*$'
src_check "guest driver: ... with memzero_explicit()" \
	"$K/virtio_accel_vq.c" 'memzero_explicit\(p, len\)'
src_check "guest driver: requests with a key (ops, SESSION_CREATE) are marked sensitive" \
	"$K/virtio_accel_cdev.c" 'req->sensitive = (op->)?key_len != 0'
src_check "vDPA parent: sessions freed with kfree_sensitive()" \
	"$TOP/vdpa-driver/vdpa_accel_ops.c" 'kfree_sensitive\(s\)'
src_check "vDPA parent: stream state freed with kfree_sensitive()" \
	"$TOP/vdpa-driver/vdpa_accel_engine.c" 'kfree_sensitive\(st\)'
src_check "device core (both hosts): the inline-key copy wiped" \
	"$TOP/virtio-accel-spec/lib/virtio_accel_dev.c" 'virtio_accel_wipe\(r->key_buf, sizeof\(r->key_buf\)\)'
n=$(grep -cE '\bkfree\((s|st|sess|key)\)' "$TOP/vdpa-driver/vdpa_accel_ops.c" \
	"$TOP/vdpa-driver/vdpa_accel_engine.c" | awk -F: '{s += $2} END {print s + 0}')
check "source: no plain kfree() of a session, stream state or key ($n)" [ "$n" -eq 0 ]

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${FAULT_VM_TIMEOUT:-600}" \
	--append "slub_debug=FZPU kfence.sample_interval=5" \
	--ko "$VDPA_KO${VDPA_PARAMS:+:$VDPA_PARAMS}" --ko "$K/virtio_accel.ko" \
	--module gcm --module ghash_generic --module crc32c_generic \
	--module deflate --module cryptd \
	--bin "$K/tests/vaccel-t" --bin "$T/vaccel-fault" --bin "$T/vaccel-kscan" \
	"$TOP/tests/vm/guest/t-fault-guest.sh" "$K/virtio_accel.ko" "$VDPA_KO" \
	>"$T/out" 2>&1 || rc=$?
cat "$T/out"
# a splat (exit 1 with no failed check) or a harness failure counts too
count_results "$T/out" "$rc" || :
summary
