#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Live migration of a guest on data path 1 (issue 16), through the user
# entry point: tests/vm/harness/vaccel-vm.sh --path vhost-user
# --migrate-on migrate-here with tests/vm/guest/t-migrate-guest.sh.
#
# Today's back-end does not offer VHOST_USER_PROTOCOL_F_DEVICE_STATE, so
# QEMU's vhost-user-accel device (patch 0011) must refuse the migration at
# once, naming the reason, and the guest must go on using the device on the
# source as if nothing happened. Output ends "N passed, N failed".
#
#   tests/vm/host/t-migrate-run.sh
#
# Environment: MIGRATE_VM_TIMEOUT (default 600).
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
test_tmpdir mig
mkdir "$T/payload"
head -c 300007 /dev/urandom >"$T/payload/blob"
sha256sum <"$T/payload/blob" | cut -d' ' -f1 >"$T/payload/sum"

VM_MIGRATE_MAY_FAIL=1 "$TOP/tests/vm/harness/vaccel-vm.sh" --path vhost-user \
	--timeout "${MIGRATE_VM_TIMEOUT:-600}" --migrate-on migrate-here \
	"$TOP/tests/vm/guest/t-migrate-guest.sh" "$T/payload"/* >"$T/out" 2>&1
rc=$?
sed 's/^/# /' "$T/out" | grep -v '^# run-in-vm: backend' | tail -40
[ $rc -ne 77 ] || { echo "t-migrate-run: SKIP: no QEMU for path 1" >&2; exit 77; }
check "the guest script passed (exit $rc)" [ $rc -eq 0 ]
check "the guest's checks before and after the migration point passed" \
	grep -q '^3 passed, 0 failed' "$T/out"
check "the harness tried to migrate at the guest's line" \
	grep -q '^run-in-vm: migrating the guest to a second QEMU' "$T/out"
check "QEMU refused the migration: the back-end has no DEVICE_STATE" \
	grep -q '^vaccel-vm: migration failed: vhost-user-accel .* does not offer VHOST_USER_PROTOCOL_F_DEVICE_STATE' "$T/out"
check "no migration completed" sh -c "! grep -q '^vaccel-vm: migration completed' '$T/out'"
summary
