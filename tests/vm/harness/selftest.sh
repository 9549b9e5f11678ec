#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Self-test of the VM harness: boots the 6.12 guest a few times through
# run-in-vm.sh and checks the smoke payload, exit status pass-through, the
# kernel splat scan and the timeout. Last line: "N passed, N failed".
# Exits 77 (skip) with a loud message when the harness cannot run here.
set -eu

VM_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$VM_DIR/../../.." && pwd)
. "$VM_DIR/lib-vm.sh"
. "$TOP/tests/lib/lib.sh"
RUN=$VM_DIR/run-in-vm.sh

if ! command -v "${VM_QEMU:-qemu-system-x86_64}" >/dev/null || ! vm_kernel_env; then
	echo "SKIP: VM tests cannot run: no QEMU or no guest kernel (run tests/vm/harness/setup-vm.sh)"
	echo "0 passed, 0 failed"
	exit 77
fi

test_tmpdir vmself
tmp=$T

# vm NAME EXPECTED_STATUS [run-in-vm args...]: output in $tmp/NAME.out/.err
vm() {
	name=$1
	want=$2
	shift 2
	rc=0
	"$RUN" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	sed 's/^/  | /' "$tmp/$name.out"
	sed 's/^/  ! /' "$tmp/$name.err"
	if [ "$rc" -eq "$want" ]; then
		ok "$name: exit status $rc"
	else
		not_ok "$name: exit status $rc, wanted $want"
	fi
}

# 1. the smoke payload; each of its checks counts
vm smoke 0 "$VM_DIR/../guest/smoke.sh"
p=$(grep -c '^ok [0-9]' "$tmp/smoke.out" || true)
f=$(grep -c '^not ok [0-9]' "$tmp/smoke.out" || true)
PASS=$((PASS + p))
FAIL=$((FAIL + f))
[ "$p" -gt 0 ] || not_ok "smoke: no check ran"

# 2. the payload's exit status comes back, files reach /payload
printf 'data\n' >"$tmp/file.txt"
printf '#!/bin/sh\ngrep -q data /payload/file.txt || exit 1\nexit 7\n' >"$tmp/exit7.sh"
vm exit-status 7 "$tmp/exit7.sh" "$tmp/file.txt"

# 3. a kernel warning in the guest's log fails a passing payload
printf '#!/bin/sh\necho "WARNING: CPU: 0 PID: 1 at selftest.c:1 harness_selftest" >/dev/kmsg\n' \
	>"$tmp/warn.sh"
vm splat 1 "$tmp/warn.sh"
if grep -q 'kernel splat' "$tmp/splat.err" && grep -q 'harness_selftest' "$tmp/splat.err"; then
	ok "splat: reported on stderr"
else
	not_ok "splat: not reported"
fi

# 4. a hung payload is stopped by --timeout
printf '#!/bin/sh\nsleep 1000\n' >"$tmp/hang.sh"
vm timeout 124 --timeout 15 "$tmp/hang.sh"

# a boot that does not reach /init in time is retried once, then given up
# (a 1 s limit: no guest boots that fast under TCG)
VM_TCG_BOOT_TIMEOUT=1 vm boot-hang 124 --accel tcg "$VM_DIR/../guest/smoke.sh"
if [ "$(grep -c 'did not reach /init' "$tmp/boot-hang.err")" -eq 2 ] &&
	grep -q 'booting again, once' "$tmp/boot-hang.err"; then
	ok "boot-hang: retried once, then reported"
else
	not_ok "boot-hang: not retried and reported"
fi

summary
