#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# make bench's provider part: SHA-256 and AES-256-GCM through EVP
# (tests/provider/prov_test speed) with vaccelprov on path 5 and with
# OpenSSL's default provider, interleaved rounds, medians and ratios.
#
#   tests/provider/bench.sh [BUILD_DIR] [OUT.md]
#
# Environment: BENCH_ROUNDS (5), PROV_BENCH_SECS (0.4 per case and round).
set -u
B=$(cd "${1:-build}" && pwd)
OUTMD=${2:-/dev/stdout}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/lib.sh"
test_tmpdir provbench
host_prog "$TOP/tests/provider/prov_test.c" "$T/prov_test" -lcrypto -lpthread || exit 1
start_backend "$T" || exit 1
export OPENSSL_MODULES=$B VACCEL_DEVICE=$DEV
R=${BENCH_ROUNDS:-5}
S=${PROV_BENCH_SECS:-0.4}
: >"$T/raw"
for size in 64 4096 1048576; do
	for r in $(seq "$R"); do
		for p in vaccelprov default; do
			"$T/prov_test" speed $size "$S" provider=$p 2>>"$T/err" |
				sed -n "s/^\([a-z0-9-]*\) [0-9]* B: \([0-9]*\) ops\/s.*/$p \1 $size \2/p" >>"$T/raw"
		done
	done
done
stop_backend
$PY - "$T/raw" "$R" >"$OUTMD" <<'PYEOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    p, alg, size, ops = line.split()
    rows.setdefault((alg, int(size)), {}).setdefault(p, []).append(float(ops))
print("| case | vaccelprov ops/s | default ops/s | vaccelprov MB/s | default MB/s | ratio |")
print("|---|---|---|---|---|---|")
for (alg, size) in sorted(rows, key=lambda k: (k[0], k[1])):
    v = statistics.median(rows[(alg, size)].get("vaccelprov", [0]))
    d = statistics.median(rows[(alg, size)].get("default", [0]))
    print(f"| {alg} {size} B | {v:,.0f} | {d:,.0f} | {v*size/1e6:,.1f} | {d*size/1e6:,.1f} | {v/d if d else 0:.2f} |")
print(f"\nmedians of {sys.argv[2]} interleaved rounds; ratio = vaccelprov / default")
PYEOF
