#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# make bench's provider part: SHA-256 and AES-256-GCM through EVP
# (tests/provider/prov_test speed) with vaccelprov on path 5 and with
# OpenSSL's default provider, interleaved rounds, medians and ratios; in
# the same rounds the device alone (vaccel bench: one request from shared
# memory, no EVP, no copy; 1 s per round), the ceiling for the provider at 1 MiB; and
# SHA-256 of 4 KiB from 1, 2 and 4 threads at once (thread scaling).
#
#   tests/provider/bench.sh [BUILD_DIR] [OUT.md] [OUT.jsonl]
#
# OUT.jsonl: one JSON object per case (report.py --provider puts them into
# bench/results.json).
# Environment: BENCH_ROUNDS (5), PROV_BENCH_SECS (0.4 per case and round).
set -u
B=$(cd "${1:-build}" && pwd)
OUTMD=${2:-/dev/stdout}
OUTJS=${3:-/dev/null}
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
	for _ in $(seq "$R"); do
		for p in vaccelprov default; do
			"$T/prov_test" speed $size "$S" provider=$p 2>>"$T/err" |
				sed -n "s/^\([a-z0-9-]*\) [0-9]* B: \([0-9.]*\) ops\/s.*/$p \1 $size \2/p" >>"$T/raw"
		done
		if [ "$size" = 1048576 ]; then
			# the device alone; a GCM request carries max_data_len of
			# output at most (data || tag): 16 bytes less
			for op in sha256 aes-256-gcm; do
				n=$size
				[ $op = aes-256-gcm ] && n=$((size - 16))
				"$B/vaccel" bench "$DEV" --op $op --size $n --depth 1 \
					--seconds 1 --json 2>>"$T/err" |
					sed -n "s/.*\"ops_per_s\": \([0-9.]*\).*/device $op $size \1/p" >>"$T/raw"
			done
		fi
	done
done
for _ in $(seq "$R"); do
	for nt in 1 2 4; do
		for p in vaccelprov default; do
			"$T/prov_test" speed 4096 "$S" provider=$p $nt 2>>"$T/err" |
				sed -n "s/^sha256 4096 B, \([0-9]*\) threads: \([0-9.]*\) ops\/s/$p sha256-t\1 4096 \2/p" >>"$T/raw"
		done
	done
done
stop_backend
[ -s "$T/raw" ] || { cat "$T/err" >&2; exit 1; }
$PY - "$T/raw" "$R" "$OUTJS" >"$OUTMD" <<'PYEOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    p, alg, size, ops = line.split()
    rows.setdefault((alg, int(size)), {}).setdefault(p, []).append(float(ops))
js = open(sys.argv[3], "w")
med = lambda r, p: statistics.median(r[p]) if r.get(p) else 0
print("| case | vaccelprov ops/s | default ops/s | vaccelprov MB/s | default MB/s | ratio | device alone MB/s | vaccelprov / device alone |")
print("|---|---|---|---|---|---|---|---|")
for (alg, size) in sorted(rows, key=lambda k: (k[0], k[1])):
    if "-t" in alg:
        continue
    r = rows[(alg, size)]
    v, d, dev = med(r, "vaccelprov"), med(r, "default"), med(r, "device")
    devs = f"{dev*size/1e6:,.1f}" if dev else "-"
    devr = f"{v/dev:.2f}" if dev else "-"
    print(f"| {alg} {size} B | {v:,.0f} | {d:,.0f} | {v*size/1e6:,.1f} | {d*size/1e6:,.1f} | {v/d if d else 0:.2f} | {devs} | {devr} |")
    js.write(json.dumps({"case": f"{alg}_{size}", "alg": alg, "size": size,
                         "vaccelprov_ops_per_s": v, "default_ops_per_s": d,
                         "device_ops_per_s": dev or None,
                         "ratio": v / d if d else None,
                         "rounds": len(r.get("vaccelprov", []))}) + "\n")
print(f"\nmedians of {sys.argv[2]} interleaved rounds; ratio = vaccelprov / default;"
      " device alone = vaccel bench, one request of 1 MiB (GCM: 1 MiB - 16) from"
      " shared memory at depth 1, no EVP and no copy")
print("\nThreads: SHA-256 of 4096 B from N threads at once (one device handle, one lock)\n")
print("| threads | vaccelprov ops/s | default ops/s | vaccelprov vs 1 thread |")
print("|---|---|---|---|")
one = med(rows.get(("sha256-t1", 4096), {}), "vaccelprov")
for nt in (1, 2, 4):
    r = rows.get((f"sha256-t{nt}", 4096), {})
    v, d = med(r, "vaccelprov"), med(r, "default")
    print(f"| {nt} | {v:,.0f} | {d:,.0f} | {v/one if one else 0:.2f} |")
    js.write(json.dumps({"case": f"sha256_4096_threads{nt}", "alg": "sha256",
                         "size": 4096, "threads": nt,
                         "vaccelprov_ops_per_s": v, "default_ops_per_s": d,
                         "ratio": v / d if d else None,
                         "scaling": v / one if one else None}) + "\n")
PYEOF
