#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Containers under a real OCI runtime (issue 15): Debian's crun in the 6.12
# guest runs rootless containers (unprivileged users, own user, mount, PID,
# IPC, UTS and network namespaces, no capabilities) whose only device is one
# /dev/vhost-vdpa-N (path 4) or one /dev/vaccelN (path 3), given through
# the CDI spec `vaccel cdi generate` prints (containers/cdi-apply.sh puts
# it into the config containers/oci-config.sh writes). Guest payload:
# tests/vm/guest/t-container-guest.sh. Here: the references (Python,
# sha256sum), the programs, and the guest's CDI spec checked against the
# CDI schema (tests/cdi/cdi-check.py).
#
#   tests/vm/host/t-container-run.sh [BUILD_DIR]        default: build
#
# Environment: VDPA_KO, GUEST_KO, CTR_VM_TIMEOUT (900). Output ends
# "N passed, N failed"; 77 when crun or jq is missing or a module cannot
# be built.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
VDPA_KO=${VDPA_KO:-$TOP/vdpa-driver/vdpa_accel.ko}
GUEST_KO=${GUEST_KO:-$TOP/guest-driver/kernel/virtio_accel.ko}
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"

for b in crun jq openssl; do
	command -v $b >/dev/null ||
		skip_all "$b missing (scripts/setup.sh installs it)"
done
need_ko "$VDPA_KO"
need_ko "$GUEST_KO"
for f in vaccel libvirtaccel.a vaccelprov.so; do
	[ -e "$B/$f" ] || { echo "t-container-run: $B/$f missing: run make" >&2; exit 2; }
done
test_tmpdir tctr
mkdir "$T/p"
guest_prog "$TOP/tests/vm/progs/vaccel_ctr.c" "$T/vaccel-ctr" "$B/libvirtaccel.a" -lpthread
LIB_VM_SIZES="0 4096 1048579" "$TOP/tests/vm/harness/cli-refs.sh" "$T/p"
for n in 0 4096 1048579; do
	echo "$n $(sha256sum <"$T/p/in.$n" | cut -d' ' -f1)" >>"$T/p/sha.ref"
done
cp "$TOP/containers/oci-config.sh" "$TOP/containers/cdi-apply.sh" \
	"$TOP/containers/mkrootfs.sh" "$T/p/"

rc=0
"$TOP/tests/vm/harness/run-in-vm.sh" --timeout "${CTR_VM_TIMEOUT:-900}" \
	--ko "$VDPA_KO" --ko "$GUEST_KO" \
	--bin "$(command -v crun)" --bin "$(command -v jq)" \
	--bin "$(command -v openssl)" --bin "$B/vaccel" --bin "$T/vaccel-ctr" \
	--bin "$B/vaccelprov.so:/usr/local/lib/ossl-modules/vaccelprov.so" \
	"$TOP/tests/vm/guest/t-container-guest.sh" "$T"/p/* >"$T/out" 2>&1 || rc=$?
cat "$T/out"
count_results "$T/out" "$rc"

# the spec the guest generated, between markers on its console
sed -n '/^CDI-SPEC-BEGIN$/,/^CDI-SPEC-END$/p' "$T/out" | sed '1d;$d' |
	tr -d '\r' >"$T/cdi.json"
check "guest's CDI spec is valid (CDI JSON schema + loader rules), devices cva cvb present" \
	"$PY" "$TOP/tests/cdi/cdi-check.py" "$T/cdi.json" --kind vaccel.dev/accel --want cva cvb
check "guest's CDI spec: 2 vhost-vdpa and 2 /dev/vaccelN entries, each with VACCEL_DEVICE and its node" \
	sh -c "[ \"\$(jq '[.devices[] | select(.containerEdits.deviceNodes[0].path | test(\"^/dev/(vhost-vdpa-|vaccel)[0-9]+\$\")) | select(.containerEdits.env[0] | startswith(\"VACCEL_DEVICE=\"))] | length' '$T/cdi.json')\" = 4 ]"
summary
