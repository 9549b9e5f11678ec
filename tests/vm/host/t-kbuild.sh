#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The kernel modules build warning-free with W=1 against the guest kernel's
# headers, with their static test programs, and are checkpatch --strict clean.
#
#   tests/vm/host/t-kbuild.sh           ends "N passed, N failed"; 77 if no headers
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
. "$TOP/tests/lib/lib.sh"
test_tmpdir kbuild

if ! "$TOP/tests/vm/harness/kernel-env.sh" --kdir >/dev/null 2>&1; then
	echo "t-kbuild: SKIP: no guest kernel headers (run make setup)"
	exit 77
fi

for d in vdpa-driver guest-driver/kernel; do
	# from clean, so that every file is compiled and its warnings seen
	make -C "$TOP/$d" clean >/dev/null 2>&1
	if make -C "$TOP/$d" modules tests >"$T/out" 2>&1; then
		ok "$d: builds (W=1)"
	else
		not_ok "$d: build failed"
		tail -30 "$T/out"
	fi
	if grep -E "warning:|error:" "$T/out"; then
		not_ok "$d: compiler warnings"
	else
		ok "$d: no compiler warnings"
	fi
	if make -C "$TOP/$d" checkpatch >"$T/cp" 2>&1; then
		ok "$d: checkpatch --strict clean"
	else
		not_ok "$d: checkpatch"
		tail -40 "$T/cp"
	fi
done
summary
