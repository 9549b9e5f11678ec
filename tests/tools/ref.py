#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent reference implementations for the CLI tests.

Uses Python's hashlib/hmac/zlib and the 'cryptography' package (OpenSSL
through a different code path than the device's), plus a table-driven
CRC-32C written here from the polynomial.

  ref.py gen SIZE SEED OUT           deterministic test data (text + noise)
  ref.py crc32c FILE                 prints 8 hex digits
  ref.py hmac KEYHEX FILE            prints HMAC-SHA-256 hex
  ref.py gcm-enc KEY IV AAD IN OUT   ciphertext || tag (hex key/iv/aad, '' ok)
  ref.py gcm-dec KEY IV AAD IN OUT   exits 1 on a bad tag
  ref.py deflate IN OUT              raw DEFLATE (wbits -15)
  ref.py inflate IN OUT              raw inflate; exits 1 on bad data
"""
import hashlib
import hmac
import random
import sys
import zlib


def crc32c(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def gen(size, seed):
    rnd = random.Random(seed)
    words = [b"virtio", b"accel", b"queue", b"descriptor", b"ring", b"DEFLATE",
             b"session", b"vhost", b"\n", b"0123456789"]
    out = bytearray()
    while len(out) < size:
        if rnd.random() < 0.1:
            out += rnd.randbytes(min(4096, size - len(out)))
        else:
            out += b" ".join(rnd.choice(words) for _ in range(64))
    return bytes(out[:size])


def rd(p):
    with open(p, "rb") as f:
        return f.read()


def wr(p, b):
    with open(p, "wb") as f:
        f.write(b)


def main(a):
    cmd = a[0]
    if cmd == "gen":
        wr(a[3], gen(int(a[1]), int(a[2])))
    elif cmd == "crc32c":
        print("%08x" % crc32c(rd(a[1])))
    elif cmd == "hmac":
        print(hmac.new(bytes.fromhex(a[1]), rd(a[2]), hashlib.sha256).hexdigest())
    elif cmd in ("gcm-enc", "gcm-dec"):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.exceptions import InvalidTag
        g = AESGCM(bytes.fromhex(a[1]))
        iv, aad = bytes.fromhex(a[2]), bytes.fromhex(a[3]) or None
        if cmd == "gcm-enc":
            wr(a[5], g.encrypt(iv, rd(a[4]), aad))
        else:
            try:
                wr(a[5], g.decrypt(iv, rd(a[4]), aad))
            except InvalidTag:
                return 1
    elif cmd == "deflate":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        wr(a[2], c.compress(rd(a[1])) + c.flush())
    elif cmd == "inflate":
        d = zlib.decompressobj(-15)
        try:
            out = d.decompress(rd(a[1])) + d.flush()
        except zlib.error:
            return 1
        if not d.eof or d.unused_data:
            return 1
        wr(a[2], out)
    else:
        print("ref.py: unknown command", cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
