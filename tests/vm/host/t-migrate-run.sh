#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Live migration of a guest on data path 1 (issue 16), through the user
# entry point: tests/vm/harness/vaccel-vm.sh --path vhost-user
# --migrate-on migrate-here with tests/vm/guest/t-migrate-guest.sh, whose
# SHA-256 and AES-256-GCM streams are open on the device when the guest
# moves to a second QEMU and a second back-end.
#
# 1. The back-ends transfer their state (VHOST_USER_PROTOCOL_F_DEVICE_STATE):
#    the migration completes, the source back-end saves the guest's five
#    sessions and the destination loads them; the SHA-256 and AES-256-GCM
#    encryption streams of 256 MiB (MIGRATE_GEN_BYTES), an AES-256-GCM
#    decryption stream of 6 MiB, and a DEFLATE compression stream
#    finish on the destination equal to the references; with
#    --migrate-lost-streams abort the DEFLATE decompression stream is
#    lost and fails ([MIG-STREAM-LOST]).
# 2. Ping-pong: 10 migrations back and forth (a new QEMU each time) while
#    tests/vm/progs/restart_load.c keeps 32 requests in flight with one
#    session (tests/vm/guest/t-migrate-load-guest.sh), the states sealed
#    (--state-key-file on both back-ends): nothing lost or duplicated, the
#    session kept, the kernel crypto API's driver still there; the
#    downtime's p50/p99 printed (QEMU's figure: from the source's stop to
#    the destination's start).
# 3. The default policy: the open decompression stream makes the source
#    back-end refuse the save, the migration fails and the guest goes on
#    on the source, every stream correct.
# 4. --no-migration: QEMU refuses the migration at once, naming the missing
#    feature, and the guest goes on with the device on the source.
# Output ends "N passed, N failed".
#
#   tests/vm/host/t-migrate-run.sh
#
# Environment: MIGRATE_VM_TIMEOUT (default 600), MIGRATE_GEN_BYTES (the big
# streams, default 256 MiB), MIGRATE_PINGPONG (migrations, default 10).
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=tests/lib/lib.sh
. "$TOP/tests/lib/lib.sh"
test_tmpdir mig
P=$T/payload
mkdir "$P"
head -c $((3 * 1048576 + 7)) /dev/urandom >"$P/blob"
sha256sum <"$P/blob" | cut -d' ' -f1 >"$P/sum"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$P/key"
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$P/iv"
# the big streams: made in the guest by vaccel-gen, the references here
GEN_N=${MIGRATE_GEN_BYTES:-268435456}
echo "$GEN_N" >"$P/gen_n"
gcc -O2 -Wall -Wextra -Werror -o "$T/vaccel-gen-host" "$TOP/tests/vm/progs/vaccel_gen.c" ||
	{ echo "t-migrate-run: cannot build vaccel-gen" >&2; exit 2; }
guest_prog "$TOP/tests/vm/progs/vaccel_gen.c" "$T/vaccel-gen" ||
	{ echo "t-migrate-run: cannot build vaccel-gen for the guest" >&2; exit 2; }
"$T/vaccel-gen-host" 1 "$GEN_N" | sha256sum | cut -d' ' -f1 >"$P/gsum1"
python3 - "$P" "$T/vaccel-gen-host" "$GEN_N" <<'PY' || { echo "t-migrate-run: no Python cryptography" >&2; exit 77; }
import hashlib, subprocess, sys, zlib
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
d, gen, n = sys.argv[1], sys.argv[2], sys.argv[3]
key = bytes.fromhex(open(f"{d}/key").read())
iv = bytes.fromhex(open(f"{d}/iv").read())
blob = open(f"{d}/blob", "rb").read()
data = subprocess.run([gen, "2", n], check=True, stdout=subprocess.PIPE).stdout
ct = AESGCM(key).encrypt(iv, data, None)
open(f"{d}/gctsum2", "w").write(hashlib.sha256(ct).hexdigest() + "\n")
open(f"{d}/ct", "wb").write(AESGCM(key).encrypt(iv, blob + blob, None))
c = zlib.compressobj(6, zlib.DEFLATED, -15)
z = c.compress(blob + blob) + c.flush()
open(f"{d}/z1", "wb").write(z[:len(z) // 2])
open(f"{d}/z2", "wb").write(z[len(z) // 2:])
PY

guest_prog "$TOP/tests/vm/progs/restart_load.c" "$T/vaccel-restart-load" ||
	{ echo "t-migrate-run: cannot build vaccel-restart-load" >&2; exit 2; }
guest_prog "$TOP/tests/vm/progs/vaccel_afalg.c" "$T/vaccel-afalg" ||
	{ echo "t-migrate-run: cannot build vaccel-afalg" >&2; exit 2; }
PINGPONG=${MIGRATE_PINGPONG:-10}
echo $((PINGPONG * 6 + 30)) >"$P/load_s"

# run NAME MEM SCRIPT [vaccel-vm.sh options]: $T/NAME.out, $T/NAME.rc;
# MEM: the guest's RAM, all of which a migration copies (TCG: keep it small)
run() {
	_n=$1
	_m=$2
	_s=$3
	shift 3
	rc=0
	VM_MEM=$_m "$TOP/tests/vm/harness/vaccel-vm.sh" --path vhost-user \
		--timeout "${MIGRATE_VM_TIMEOUT:-600}" --migrate-on migrate-here "$@" \
		"$TOP/tests/vm/guest/$_s" "$P"/* >"$T/$_n.out" 2>&1 || rc=$?
	echo $rc >"$T/$_n.rc"
	if [ $rc -eq 0 ]; then
		grep -E '^(ok|not ok|# RESTART|vaccel-vm:|run-in-vm: (migrat|backend(-b)?: .*state))' "$T/$_n.out"
	else	# the whole guest side, and the back-ends' state lines
		grep -Ev '^run-in-vm: backend(-b)?: ' "$T/$_n.out"
		grep -E '^run-in-vm: backend(-b)?: .*(state|error|refus)' "$T/$_n.out"
	fi | sed "s/^/# $_n: /"
	[ $rc -ne 77 ] || { echo "t-migrate-run: SKIP: no QEMU for path 1" >&2; exit 77; }
}

echo 1 >"$P/lost"
# 768 MiB: the CLI stages the 256 MiB ciphertext in the guest's /tmp
run migrate 768M t-migrate-guest.sh --bin "$T/vaccel-gen" \
	--backend-arg --migrate-lost-streams --backend-arg abort
check "migration: the guest's checks passed (exit $(cat "$T/migrate.rc"))" \
	[ "$(cat "$T/migrate.rc")" = 0 ]
check "migration: 8 checks across the migration passed" \
	grep -q '^8 passed, 0 failed' "$T/migrate.out"
check "migration: the decompression stream was recorded as lost, only it" \
	grep -Eq '^run-in-vm: backend: .*: 1 open streams cannot travel' "$T/migrate.out"
check "migration: completed, QEMU's time and downtime printed" \
	grep -Eq '^vaccel-vm: migration completed in [0-9]+ ms, downtime [0-9]+ ms$' "$T/migrate.out"
check "migration: the source back-end saved the open sessions" \
	grep -Eq '^run-in-vm: backend: .*state saved: [0-9]+ bytes, 5 sessions' "$T/migrate.out"
check "migration: the destination back-end loaded them" \
	grep -Eq '^run-in-vm: backend-b: .*state loaded: [0-9]+ bytes, 5 sessions' "$T/migrate.out"
check "migration: the streams' requests after it reached the destination" \
	grep -Eq '^run-in-vm: backend-b: .*disconnected.* [1-9][0-9]* data requests served' "$T/migrate.out"

# the ping-pong's states are sealed (both back-ends have the key)
head -c 32 /dev/urandom >"$T/state.key"
chmod 600 "$T/state.key"
run pingpong 384M t-migrate-load-guest.sh --migrate-after 3 \
	--backend-arg --state-key-file --backend-arg "$T/state.key" \
	--migrate-count "$PINGPONG" --migrate-every 2 \
	--bin "$T/vaccel-restart-load" --bin "$T/vaccel-afalg" --module algif_hash
check "ping-pong: the guest's checks passed (exit $(cat "$T/pingpong.rc"))" \
	[ "$(cat "$T/pingpong.rc")" = 0 ]
check "ping-pong: 4 checks across $PINGPONG migrations passed" \
	grep -q '^4 passed, 0 failed' "$T/pingpong.out"
check "ping-pong: $PINGPONG migrations completed" \
	[ "$(grep -c '^vaccel-vm: migration completed in' "$T/pingpong.out")" = "$PINGPONG" ]
check "ping-pong: 0 lost, 0 duplicated, 0 wrong at depth 32" \
	grep -Eq '^# RESTART: result depth=32 kills=0 submitted=[1-9][0-9]* completed=[0-9]+ wrong=0 errors=0 duplicates=0 lost=0 ' "$T/pingpong.out"
check "ping-pong: the states were sealed (--state-key-file) and loaded" \
	grep -Eq '^run-in-vm: backend-b: .*state loaded: [0-9]+ bytes \(sealed\), [1-9][0-9]* sessions' "$T/pingpong.out"
check "ping-pong: the downtime's p50/p99 printed" \
	grep -Eq "^vaccel-vm: $PINGPONG migrations: downtime p50 [0-9]+ ms, p99 [0-9]+ ms" "$T/pingpong.out"
# the back-ends' share of the downtime: SET_DEVICE_STATE_FD to CHECK
share() { # share WHAT: p50 and max of the us figures of WHAT's log lines
	sed -n "s/.*$1.* \([0-9][0-9]*\) us from SET_DEVICE_STATE_FD.*/\1/p" "$T/pingpong.out" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "p50 %d us, max %d us (%d)", v[int((NR + 1) / 2)], v[NR], NR }'
}
echo "# ping-pong: the back-ends' share: save $(share 'state save complete'), load $(share 'state loaded')"
check "ping-pong: every save and load timed by the back-ends" \
	[ "$(share 'state save complete' | sed 's/.*(\(.*\))/\1/')" = "$PINGPONG" ]

# the default: a stream that cannot travel makes the back-end refuse the save
echo 0 >"$P/lost"
VM_MIGRATE_MAY_FAIL=1 run lostrefused 768M t-migrate-guest.sh --bin "$T/vaccel-gen"
check "lost stream, default policy: the guest's checks passed (exit $(cat "$T/lostrefused.rc"))" \
	[ "$(cat "$T/lostrefused.rc")" = 0 ]
check "lost stream, default policy: 8 checks passed on the source" \
	grep -q '^8 passed, 0 failed' "$T/lostrefused.out"
check "lost stream, default policy: the source back-end refused the save, naming the stream" \
	grep -Eq '^run-in-vm: backend: .*SET_DEVICE_STATE_FD refused: session 0x[0-9a-f]+: its open decompress stream cannot travel' "$T/lostrefused.out"
check "lost stream, default policy: the migration failed, none completed" \
	sh -c "grep -q '^vaccel-vm: migration failed:' '$T/lostrefused.out' && ! grep -q '^vaccel-vm: migration completed' '$T/lostrefused.out'"

VM_MIGRATE_MAY_FAIL=1 run refused 768M t-migrate-guest.sh --bin "$T/vaccel-gen" \
	--backend-arg --no-migration
check "--no-migration: the guest's checks passed (exit $(cat "$T/refused.rc"))" \
	[ "$(cat "$T/refused.rc")" = 0 ]
check "--no-migration: 8 checks passed on the source" \
	grep -q '^8 passed, 0 failed' "$T/refused.out"
check "--no-migration: QEMU refused at once, naming DEVICE_STATE" \
	grep -q '^vaccel-vm: migration failed: vhost-user-accel .* does not offer VHOST_USER_PROTOCOL_F_DEVICE_STATE' "$T/refused.out"
check "--no-migration: no migration completed" \
	sh -c "! grep -q '^vaccel-vm: migration completed' '$T/refused.out'"
summary
