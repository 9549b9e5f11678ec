#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The user-facing entry point tests/vm/harness/vaccel-vm.sh: a script runs in the
# guest with /dev/vaccel0 and /dev/vhost-vdpa-0 up and vaccel on PATH, its
# FILES beside it, its output shown and its exit status returned.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
. "$TOP/tests/lib/lib.sh"
test_tmpdir tvm

head -c 100000 /dev/urandom >"$T/blob"
want=$(sha256sum "$T/blob" | cut -d' ' -f1)
cat >"$T/user.sh" <<'EOS'
test -c /dev/vaccel0 && echo "have /dev/vaccel0"
test -c /dev/vhost-vdpa-0 && echo "have /dev/vhost-vdpa-0"
echo "chardev $(vaccel hash $VACCEL_CHARDEV --alg sha256 blob)"
echo "vhost-vdpa $(vaccel hash $VACCEL_VHOST_VDPA --alg sha256 blob)"
echo "crypto_priority $(cat /sys/module/virtio_accel/parameters/crypto_priority)"
grep -q "^xfrm_user " /proc/modules && echo "module xfrm_user loaded"
exit 42
EOS
"$TOP/tests/vm/harness/vaccel-vm.sh" --driver-param crypto_priority=77 \
	--module xfrm_user "$T/user.sh" "$T/blob" >"$T/out" 2>&1
rc=$?
[ $rc -eq 42 ] && ok "the script's exit status (42) is returned" ||
	{ not_ok "exit status $rc, expected 42"; tail -30 "$T/out"; }
grep -q "have /dev/vaccel0" "$T/out" && ok "/dev/vaccel0 exists" || not_ok "/dev/vaccel0 missing"
grep -q "have /dev/vhost-vdpa-0" "$T/out" && ok "/dev/vhost-vdpa-0 exists" ||
	not_ok "/dev/vhost-vdpa-0 missing"
grep -q "^chardev $want  blob" "$T/out" && ok "sha256 over /dev/vaccel0 of a FILE" ||
	not_ok "sha256 over /dev/vaccel0"
grep -q "^vhost-vdpa $want  blob" "$T/out" && ok "sha256 over vhost-vdpa of a FILE" ||
	not_ok "sha256 over vhost-vdpa"
grep -q "^crypto_priority 77$" "$T/out" && ok "--driver-param reaches virtio_accel.ko" ||
	not_ok "--driver-param crypto_priority=77 not seen"
grep -q "^module xfrm_user loaded$" "$T/out" && ok "--module loads a guest kernel module" ||
	not_ok "--module xfrm_user not loaded"
summary
