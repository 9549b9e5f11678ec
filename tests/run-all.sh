#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The whole test suite (what `make check` runs after building build/ and the
# ASan+UBSan build in build-san/). Each part prints its own results; the last
# line is the total: "N passed, N failed".
#
# CHECK_SKIP=REGEX (grep -E) leaves out the parts whose name matches, listed
# at the end as left out, never counted as passed: `make check-fast` sets
# it to the guest parts ("(guest" or "guest)") for a host-only run.
set -u
# Debian's programs first: python3 is then the one with the python3-*
# packages setup.sh installs, whatever the caller's PATH puts before it
# (pyenv, /usr/local)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
. tests/lib/lib.sh
LOG=$(mktemp -d /tmp/vaccel-check.XXXXXX)
TOTAL_P=0
TOTAL_F=0
SKIPPED=
LEFT_OUT=
FAILED_PARTS=

# failed_part NAME: remember a part that failed, with its first failure
# lines ("not ok", CUnit's FAILED), for the list just above the total line
failed_part() {
	FAILED_PARTS="$FAILED_PARTS
  $1$(grep -E '^[[:space:]]*not ok|FAILED|^FAIL' "$LOG/part.out" |
		head -4 | cut -c1-160 | sed 's/^/    /; 1s/^/\n/')"
}

# part NAME CMD...: run one part, add up its "N passed, N failed" line
part() {
	name=$1; shift
	if [ -n "${CHECK_SKIP:-}" ] &&
		printf '%s\n' "$name" | grep -Eq -- "$CHECK_SKIP"; then
		LEFT_OUT="$LEFT_OUT
  $name"
		return
	fi
	echo "=== $name"
	start=$(date +%s)
	"$@" >"$LOG/part.out" 2>&1
	rc=$?
	cat "$LOG/part.out"
	if [ "$rc" -eq 77 ]; then
		echo "=== $name: SKIPPED (exit 77): see the reason above ***"
		SKIPPED="$SKIPPED
  $name"
		return
	fi
	line=$(grep -E '^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed' \
		"$LOG/part.out" | tail -1)
	line=${line#*: }
	if [ -z "$line" ]; then
		echo "=== $name: no result line (exit $rc): counted as 1 failure"
		TOTAL_F=$((TOTAL_F + 1))
		failed_part "$name"
		return
	fi
	p=${line%% passed*}
	f=${line#*, }; f=${f%% failed*}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "=== $name: exit $rc with no failed test: counted as 1 failure"
		f=1
	fi
	TOTAL_P=$((TOTAL_P + p))
	TOTAL_F=$((TOTAL_F + f))
	[ "$f" -eq 0 ] || failed_part "$name"
	echo "=== $name: $p passed, $f failed ($(( $(date +%s) - start )) s)"
}

# conformance BUILD TAP [SUITE-ARGS...]: the conformance suite against a
# back-end of that build, its results in $CONF_OUT/TAP.tap for
# docs/conformance.md (tests/conformance/run-report.sh); [STREAM-GCM-MAX]
# lowered to 1 MiB for the suite's check of it
CONF_OUT=${CONF_OUT:-$TOP/build/conformance}
export CONF_OUT
conformance() {
	B=$1
	tap=$2
	shift 2
	d=$(mktemp -d /tmp/vaccel-conf.XXXXXX)
	mkdir -p "$CONF_OUT"
	start_backend "$d" --test-gcm-stream-max 1048576 ||
		{ echo "0 passed, 1 failed"; return 1; }
	VACCEL_TEST_GCM_STREAM_MAX=1048576 "$B/tests/conformance_suite" \
		--queues 2 --tap "$CONF_OUT/$tap.tap" "$@" "$DEV"
	rc=$?
	stop_backend
	src=$?
	if [ $src -ne 0 ]; then
		echo "backend exit status $src after the conformance run"
		rc=1
	fi
	san_report "$BACKEND_LOG" && rc=1
	rm -rf "$d"
	return $rc
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

part "unit tests" build/tests/unit_tests
part "spec text: RFC 2119 clauses, md and description.tex agree" \
	tests/spec/check-spec.py
part "unit tests (ASan+UBSan)" build-san/tests/unit_tests
# Live migration (issue 16): every stream kind's state exported at cut
# points and finished in a fresh session, against OpenSSL/zlib (~10 s).
part "stream state export/import (engine_sw.c)" build/tests/engine_state_tests
part "stream state export/import (engine_sw.c, ASan+UBSan)" \
	build-san/tests/engine_state_tests
# The back-end with --test-stream-migrate (every continued stream moved
# through export and import first): conformance suite and CLI round trips
# against references, plain and ASan+UBSan (~15 s each).
part "streams moved before every request: conformance, CLI (back-end)" \
	tests/engine/t-stream-migrate.sh build
part "streams moved before every request (ASan+UBSan back-end)" \
	tests/engine/t-stream-migrate.sh build-san
part "conformance: vhost-user backend" conformance build dpdk
part "conformance: vhost-user backend (ASan+UBSan)" conformance build-san dpdk-san
# The suite with each feature bit not negotiated (~1 s each).
for m in MQ STATELESS STREAM EVENT_IDX INDIRECT_DESC; do
	part "conformance: vhost-user backend, $m masked" \
		conformance build "mask-$m" --mask-features "$m"
done
# The asynchronous engine pipeline (issue 14): the conformance suite with
# the test engine (--test-engine-latency-us 200) and with --test-reorder
# (plain and ASan+UBSan), the back-end's counters; a client SIGKILLed with
# 64 requests inside the engine (~30 s).
part "asynchronous pipeline: conformance with the test engine, --test-reorder, client killed mid-engine" \
	tests/pipeline/t-pipeline-host.sh build
# --max-inflight (issue 14): one device never holds more than N requests in
# the engines (log lines, telemetry) while another is served (~20 s).
part "asynchronous pipeline: per-device limit on requests in flight (--max-inflight)" \
	tests/pipeline/t-max-inflight.sh build
# --drain-timeout-ms (issue 14): a front-end killed with requests in a
# hung engine: abandoned after the timeout, dropped unwritten later (~45 s).
part "asynchronous pipeline: bounded drain of a hung engine (--drain-timeout-ms)" \
	tests/pipeline/t-drain-timeout.sh build
part "CLI round trips" tests/cli/cli_test.sh build full
part "CLI round trips (ASan+UBSan)" tests/cli/cli_test.sh build-san quick
# The OpenSSL provider on path 5: openssl dgst/mac/list, AES-256-GCM via EVP
# against cryptography's AESGCM, threads and fork, TLS 1.3 and 1.2 through
# s_server/s_client, back-end gone (~15 s each).
part "OpenSSL provider vaccelprov (path 5)" tests/provider/run.sh build
part "OpenSSL provider vaccelprov (path 5, ASan+UBSan)" \
	tests/provider/run.sh build-san quick
# Path 5 in a container (issue 15): crun as root with a user namespace,
# only a back-end's socket, given by the CDI spec `vaccel cdi generate`
# prints (schema-checked); CLI, provider, isolation, SIGKILL (~40 s).
part "containers: crun on the host, path 5, CDI spec (issue 15)" \
	tests/containers/t-host-container.sh build
# Fault injection on the host (client SIGKILLed mid-request; connect/
# disconnect cycles with fd and RSS read before/after: ~40 s for 10,000
# here, capped at 100 s on a busy machine) and the back-end's security
# checks (socket, paths, one front-end, keys in logs and memory: ~10 s).
part "fault injection: client killed, 10,000 connect/disconnect cycles" \
	tests/fault/t-host-faults.sh build 10000
part "fault injection, ASan+UBSan back-end (2,000 cycles)" \
	tests/fault/t-host-faults.sh build-san 2000
part "security: back-end socket, paths, front-ends, keys" \
	tests/security/t-backend-security.sh build
part "security: back-end, ASan+UBSan" \
	tests/security/t-backend-security.sh build-san
# DEFLATE stream state bounded ([STREAM-LIMIT]): 1024 and 2048 stream
# sessions x 64 KiB against the back-end, VmRSS read before/after (~10 s).
part "security: back-end stream memory bound (issue 10, defect 6)" \
	tests/security/t-stream-memory.sh build
# The malformed-input table on the DPDK back-end (as built, ASan+UBSan and
# TSan) with its TOCTOU test (~17 s), and the TOCTOU test of the back-end's
# code in one process under ASan+UBSan and ThreadSanitizer (~7 s).
part "malformed-input table and TOCTOU: DPDK back-end, plain, ASan+UBSan, TSan" \
	tests/robust/run-robust.sh host
part "TOCTOU: back-end worker and request code in one process, ASan and TSan" \
	tests/robust/run-robust.sh toctou
# A hostile vhost-user front-end (raw protocol) against the real back-end,
# plain and ASan+UBSan: 28 named lies, then 30 s + 15 s of seeded random
# message sequences; alive, VmRSS bounded, vaccel served after each (~2 min).
part "hostile vhost-user front-end: named cases and random sequences" \
	tests/robust/run-hostile.sh
# Migration, the back-end's vhost-user side (issue 16): sessions kept by a
# ring stop with RESET_DEVICE negotiated and destroyed by RESET_DEVICE (and
# not kept without it), GET_VRING_BASE drained and answered after one
# request, dirty logging (pages marked and not), hostile SET_LOG_BASE
# (~30 s each).
part "migration, vhost-user side: ring stop, RESET_DEVICE, drain, dirty log" \
	build/tests/robust/mig-vu --backend build/vhost-user-accel
part "migration, vhost-user side (ASan+UBSan back-end)" \
	build/tests/robust/mig-vu --backend build-san/vhost-user-accel
# Migration, the device-state transfer (issue 16, design 5.3): states the
# back-end saved, re-serialised with one lie each (truncations, header,
# sizes, duplicates, slots, keys, streams, CRC, bit flips, too big, sealed
# with another key or tampered), hostile SET_DEVICE_STATE_FD/CHECK
# messages; each refused, the back-end alive and taking a valid state
# after it; a loaded state's sessions serve with their IDs (~60 s each).
part "migration, device state: hostile states and messages, sessions kept" \
	build/tests/robust/state-vu --backend build/vhost-user-accel
part "migration, device state (ASan+UBSan back-end)" \
	build/tests/robust/state-vu --quick --backend build-san/vhost-user-accel
# Hardware readiness without the hardware (issue 14): EAL arguments after
# "--" (log level, -a, -m, --vdev picked by --crypto-pmd/--compress-pmd, bad
# ones: exit 2), guest memory registered under --test-dma-register: 50
# front-ends each replacing its memory table, hostile tables (~25 s each).
part "EAL arguments and guest memory DMA registration (issue 14)" \
	tests/hw/t-eal-dma.sh build 50
part "EAL arguments and guest memory DMA registration, ASan+UBSan" \
	tests/hw/t-eal-dma.sh build-san 10
# issue 14: many front-ends on one back-end (4 sockets, 2 workers): CLI and
# conformance on each, one killed mid-load, isolation, limits, telemetry
part "many front-ends on one back-end (issue 14)" \
	tests/frontends/t-many-frontends.sh build
part "many front-ends on one back-end (issue 14, ASan+UBSan)" \
	tests/frontends/t-many-frontends.sh build-san
# The worker's stuck-eventfd watchdog (issue 14): a front-end whose full
# blocking call eventfd would hold the worker keeps it 7 s; another socket
# on the same worker progresses every second (~15 s).
part "many front-ends: the worker's watchdog frees it from a front-end's blocking eventfd" \
	tests/frontends/t-watchdog.sh build
# libFuzzer targets (built by `make check`'s fuzz-build): every input of the
# checked-in corpora replayed, then 5 s of fuzzing each (~45 s); `make fuzz`
# runs them longer.
part "fuzz targets: corpus replay + 5 s each" tests/fuzz/run-fuzz.sh -t 5 \
	build/fuzz
# Deployment (issue 15): make deb, lintian, the packages unpacked into a
# clean root and used (back-end, CLI, provider, -dev), the systemd unit
# (verify, security, the back-end under its restrictions), the QEMU
# vhost-user descriptor, man pages, dkms build of both modules for the guest
# kernel, loaded and used in it, udev rules against its sysfs (~4 min).
part "deploy: packages, lintian, clean-root install, systemd unit, QEMU descriptor, man pages, DKMS modules (guest)" \
	tests/deploy/t-deploy.sh
part "VM harness self-test (Linux 6.12 guest)" tests/vm/harness/selftest.sh

# Kernel code: build, then the modules inside the 6.12 guest.
VDPA_KO=vdpa-driver/vdpa_accel.ko
CRYPTO_MODS="--module gcm --module ghash_generic --module crc32c_generic"
part "kernel modules: W=1 build and checkpatch" tests/vm/host/t-kbuild.sh
part "vDPA parent: management device, vdpa dev add/del (guest)" \
	tests/vm/harness/run-in-vm.sh --ko $VDPA_KO $CRYPTO_MODS \
	tests/vm/guest/t-parent-mgmt.sh $VDPA_KO
part "vDPA parent: requests through vhost-vdpa (guest)" \
	tests/vm/harness/run-in-vm.sh --ko $VDPA_KO $CRYPTO_MODS \
	--bin vdpa-driver/tests/vaccel-vhost-test tests/vm/guest/t-parent-vhost.sh
# A hostile /dev/vhost-vdpa-N opener: reaches only what it mapped (~20 s;
# its rows go into docs/robustness.md with the next part's).
part "vDPA parent: hostile vhost-vdpa opener reaches only what it mapped (guest)" \
	tests/vm/host/t-opener-run.sh
# The malformed-input table and TOCTOU test on the vDPA parent, then
# docs/robustness.md from all three parts' results (~20 s).
part "malformed-input table and TOCTOU: vDPA parent (guest); docs/robustness.md" \
	tests/robust/run-robust.sh vm
part "guest driver virtio_accel.ko over virtio_vdpa (guest)" \
	tests/vm/host/t-guest-run.sh
# The OpenSSL provider in the guest: openssl dgst/mac and prov_test over
# /dev/vaccelN (path 3) and vhost-vdpa (path 4), references from the host
# (~40 s).
part "OpenSSL provider over /dev/vaccelN and vhost-vdpa (guest, paths 3 and 4)" \
	tests/vm/host/t-provider-run.sh build
# Rootless crun containers in the guest (issue 15) on /dev/vhost-vdpa-N
# and /dev/vaccelN from the CDI spec: CLI, provider, confinement,
# isolation, SIGKILL, RLIMIT_MEMLOCK, memcg (~3.5 min under TCG, load 12).
part "containers: rootless crun in the guest, paths 3 and 4, CDI (guest)" \
	tests/vm/host/t-container-run.sh build
# [STREAM-LIMIT] on the vDPA parent: max_comp_streams=3 over vhost-vdpa
# and /dev/vaccelN, then 1024 stream sessions x 64 KiB (~50 s).
part "vDPA parent: DEFLATE stream limit and memory (guest)" \
	tests/vm/host/t-stream-limit-run.sh build
# What one user of /dev/vaccelN can make the guest hold or see: RAW stale
# bytes, the pinned-memory budget, memory cgroup charging (~15 s).
part "guest driver: stale memory, pinned-memory budget, memcg (guest)" \
	tests/vm/host/t-guest-mem-run.sh
# Fault injection and security of the kernel path (slub_debug, KFENCE):
# node permissions, session isolation, keys in dmesg, kills mid-ioctl,
# unbind/dev del/rmmod with users in flight, slab leak count, keys in RAM
# (~50 s).
part "kernel path: fault injection and security (guest, slub_debug)" \
	tests/vm/host/t-fault-run.sh
# The same with the parent's AES-GCM asynchronous through cryptd (issue 14).
part "kernel path: fault injection, parent's AES-GCM asynchronous (guest, slub_debug)" \
	env VDPA_PARAMS='aead_alg=cryptd(gcm_base(ctr(aes-generic),ghash-generic))' \
	tests/vm/host/t-fault-run.sh
# [SESS-LOSS]/[DRV-NEEDS-RESET]: the vDPA parent loses its sessions under
# /dev/vaccelN and AF_ALG load, the guest driver resets the device (ESTALE,
# ECANCELED, sysfs counters); libvirtaccel over vhost-vdpa: -ESTALE,
# reopen, HW_READY late ([DRV-READY]) (~25 s).
part "session loss and DEVICE_NEEDS_RESET, paths 3 and 4 (guest, slub_debug)" \
	tests/vm/host/t-loss-run.sh
part "library and CLI over vhost-vdpa and /dev/vaccel0 (guest)" \
	tests/vm/host/t-lib-run.sh build
# The parent's DEFLATE through the crypto API's acomp (issue 14): which
# engine ran (sysfs counters), outputs inflated by Python's zlib, zlib's
# streams through acomp (acomp=2), the fallbacks (~1 min).
part "vDPA parent: DEFLATE through acomp (guest)" \
	tests/vm/host/t-parent-acomp-run.sh build
# The parent's AES-GCM requests in flight in the crypto API (issue 14),
# asynchronous through cryptd: overlap at depth 32 (max_inflight), CLI and
# conformance suite, SIGKILL, lose_sessions, dev del + rmmod under load.
part "vDPA parent: requests in flight in the crypto API (guest)" \
	tests/vm/host/t-parent-async-run.sh build
# The kernel crypto API (issue 11): sha256, hmac(sha256), crc32c ahash,
# self-tests, AF_ALG digests vs references, IPsec between two namespaces,
# no loop through the parent, removal and rmmod under traffic (~50 s, ~25 s).
part "guest driver in the crypto API, path 3 (guest, slub_debug)" \
	tests/vm/host/t-crypto-run.sh vdpa
part "guest driver in the crypto API, path 1 (guest)" \
	tests/vm/host/t-crypto-run.sh vhost-user
# An unchanged AF_ALG consumer (Debian's kcapi-tools, libkcapi): kcapi-dgst
# with our driver names and the generic ones at crypto_priority=300, 0 B to
# 4 MiB + 5, against Python's references; which way each run went (the
# device or a software fallback); bad input (~30 s each).
part "crypto API through kcapi-tools (AF_ALG), path 3 (guest)" \
	tests/vm/host/t-kcapi-run.sh vdpa
part "crypto API through kcapi-tools (AF_ALG), path 1 (guest)" \
	tests/vm/host/t-kcapi-run.sh vhost-user

# Digests above max_data_len as device streams (issue 11): 1 MiB + 1 ..
# 8 MiB against references, max_data_len 1 MiB and 64 KiB, fallback when
# the session budget is full, removal (path 1: and a back-end restart)
# during a stream (~80 s and ~60 s under TCG).
part "crypto API digests above max_data_len as streams, path 3 (guest, slub_debug)" \
	tests/vm/host/t-stream-run.sh vdpa
part "crypto API digests above max_data_len as streams, path 1 (guest)" \
	tests/vm/host/t-stream-run.sh vhost-user
# deflate as acomp: self-test, round trips through a test module, Python
# zlib streams, corrupt streams, fallback counters, removal with a request in
# flight (path 3); 1 MiB + 1 .. 8 MiB as DEFLATE stream sessions (path 3
# also in 64 KiB requests, removal mid-stream); zswap, and on path 3 the
# device removed under it (~3.5 min, ~2 min).
part "guest driver in the crypto API: deflate and zswap, path 3 (guest, slub_debug)" \
	tests/vm/host/t-acomp-run.sh vdpa
part "guest driver in the crypto API: deflate and zswap, path 1 (guest)" \
	tests/vm/host/t-acomp-run.sh vhost-user

# gcm(aes) (AEAD): AF_ALG and kcapi-enc vs Python's cryptography, which
# fallback each case takes, AEAD streams above max_data_len (AF_ALG and a
# kernel user, the device removed during one), IPsec with
# rfc4106(gcm(aes)), removal under it (~2-4 min each under TCG).
part "guest driver in the crypto API: gcm(aes), IPsec rfc4106, path 3 (guest, slub_debug)" \
	tests/vm/host/t-crypto-run.sh vdpa aead
part "guest driver in the crypto API: gcm(aes), IPsec rfc4106, path 1 (guest)" \
	tests/vm/host/t-crypto-run.sh vhost-user aead
# The same with the parent's max_data_len=65536: AEAD streams of up to 49
# requests (256 for the removal's 16 MiB) (~3 min under TCG).
part "guest driver in the crypto API: gcm(aes) at max_data_len 64 KiB, path 3 (guest, slub_debug)" \
	tests/vm/host/t-crypto-run.sh vdpa aead 65536
part "user entry point tests/vm/harness/vaccel-vm.sh (guest)" tests/vm/host/t-vaccel-vm.sh
# Data path 1: QEMU (built once with vhost-user-accel-pci: the first run on
# a machine takes 3-6 min more) with the back-end on the host.
part "path 1: QEMU guest over vhost-user-accel-pci (guest)" \
	tests/vm/host/t-path1-run.sh build
part "path 1: QEMU guest over vhost-user-accel-pci, ASan+UBSan back-end (guest)" \
	tests/vm/host/t-path1-run.sh build-san
# Back-end SIGKILLed under load and restarted (inflight tracking): 12 kills,
# 3 at each of depths 1, 32, 128, 256 (~40 s), recovery time p50/p99; then 4
# with the ASan+UBSan back-end.
part "back-end SIGKILL and restart under load, path 1 (guest)" \
	tests/vm/host/t-restart-run.sh
part "back-end SIGKILL and restart under load, path 1, ASan+UBSan back-end (guest)" \
	env RESTART_PHASES="1:1 32:1 128:2" RESTART_MIN_INFLIGHT=200 \
	tests/vm/host/t-restart-run.sh build-san
# The asynchronous pipeline under the kernel driver (issue 14): the test
# engine at 500 us with --test-reorder, depths 1..256 and AF_ALG checked
# in the guest, the back-end's counters (~1 min); SIGKILL restart with the
# pipeline full (50 ms in the engine, 6 kills at depths 32..256: 0 lost,
# 0 duplicated, more than a batch resubmitted) (~1 min).
part "asynchronous pipeline: kernel driver on path 1, test engine, out of order (guest)" \
	tests/vm/host/t-pipeline-run.sh
part "back-end SIGKILL and restart with the asynchronous pipeline full, path 1 (guest)" \
	tests/vm/host/t-restart-pipeline-run.sh
# Live migration through vaccel-vm.sh --migrate-on (issue 16): a guest with
# SHA-256, AES-256-GCM and DEFLATE streams open migrates to a second QEMU
# and back-end; 10 migrations back and forth under a depth-32 load with
# sealed states (0 lost, 0 duplicated, downtime p50/p99); --no-migration
# refused at once (~8 min under TCG: a 768 MiB guest with 256 MiB streams).
part "path 1: live migration with open streams, ping-pong under load, refusal (guest)" \
	tests/vm/host/t-migrate-run.sh
# Path 1 with a slowed back-end: kills asleep in each ioctl, rmmod with a
# closed file's requests in flight, PCI remove/rescan under load (~30 s).
part "path 1: fault injection in the guest, slowed back-end (guest)" \
	tests/vm/host/t-fault-path1-run.sh build
# Path 1, 16-entry queues, slowed back-end: crypto API requests on the
# backlog when the PCI function goes get -EINPROGRESS, then -ENODEV (~60 s).
part "path 1: crypto API backlog at device removal (guest)" \
	tests/vm/host/t-backlog-run.sh build
# Data path 2, nested: the patched QEMU inside the first-level guest serves
# vhost-vdpa-device-pci from vdpa_accel.ko to a second-level guest (TCG in
# TCG: ~4 min here; also `make check-nested`).
part "path 2: L2 guest over vhost-vdpa-device-pci in an L1 guest (nested)" \
	tests/vm/host/t-nested-run.sh

# Every clause of the spec cited by a check or listed as untestable, and
# docs/conformance.md from the TAP files of the conformance runs above
# (DPDK back-end, vhost-vdpa and /dev/vaccelN in t-lib-run.sh, path 1).
part "conformance: clauses covered; docs/conformance.md" \
	tests/conformance/run-report.sh

rm -rf "$LOG"
if [ -n "$LEFT_OUT" ]; then
	echo
	echo "*** parts left out by CHECK_SKIP='$CHECK_SKIP' (not counted):$LEFT_OUT"
fi
if [ -n "$SKIPPED" ]; then
	echo
	echo "*** SKIPPED parts (not counted):$SKIPPED"
fi
# last before the total, so that a log's tail names what failed
if [ -n "$FAILED_PARTS" ]; then
	echo
	echo "*** FAILED parts, with their first failures:$FAILED_PARTS"
fi
echo
echo "$TOTAL_P passed, $TOTAL_F failed"
[ "$TOTAL_F" -eq 0 ]
