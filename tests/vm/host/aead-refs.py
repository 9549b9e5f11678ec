#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The gcm(aes) cases of tests/vm/guest/t-aead-guest.sh and their references,
# computed here with Python's `cryptography` (AESGCM), the files in DIR:
#
#   aead-refs.py DIR MAX_DATA_LEN MAX_AAD_LEN
#
# p.SIZE plaintexts, a.LEN AADs, k.LEN binary keys, i.ID inputs, and
# DIR/cases, one case a line:
#
#   ID TOOL OP KEYLEN IVHEX AADLEN TAGLEN SPLIT SIZE WANT ROUTE TAGHEX
#
# TOOL afalg (tests/vm/progs/vaccel_aead.c) or kcapi (kcapi-enc); OP enc,
# dec, or bad (decryption of a tampered tag: EBADMSG, no plaintext);
# SPLIT the receive buffer's piece size (0: whole); WANT the SHA-256 of the
# output (the data after the AAD); ROUTE the /sys/class/vaccel/crypto_*
# counter that must rise: offloaded (the device, one request), streams (the
# device, an AEAD stream) or fallback_gcm_{key,tag,size}; TAGHEX the tag
# (kcapi-enc takes it apart from the ciphertext).
# The device does AES-256-GCM with 16-byte tags, src and dst up to
# MAX_DATA_LEN (an encryption's dst is src + 16), AAD up to MAX_AAD_LEN;
# longer data as a stream (AAD still up to MAX_AAD_LEN, decryption only
# with 16-byte tags). DIR/rmcase: the ID of a tampered 16 MiB decryption
# (a long stream) for the removal test, not in DIR/cases.
import hashlib
import os
import random
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

d, maxdata, maxaad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(4106)


def put(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def sha(b):
    return hashlib.sha256(b).hexdigest()


keys = {n: rnd.randbytes(n) for n in (16, 24, 32)}
for n, k in keys.items():
    put("k.%d" % n, k)
pts = {}
aads = {}
cases = []


def pt(size):
    if size not in pts:
        pts[size] = rnd.randbytes(size)
        put("p.%d" % size, pts[size])
    return pts[size]


def aad(n):
    if n not in aads:
        aads[n] = rnd.randbytes(n)
        put("a.%d" % n, aads[n])
    return aads[n]


def case(tool, op, size, klen=32, alen=13, tlen=16, split=0, into=None):
    cid = len(cases) if into is None else 1000 + len(into)
    iv = rnd.randbytes(12)
    p, a = pt(size), aad(alen)
    full = AESGCM(keys[klen]).encrypt(iv, p, a)
    ct, tag = full[:size], full[size:size + tlen]
    if op == "enc":
        inp, want = p, sha(ct + tag)
        big = size + 16 > maxdata
    else:
        if op == "bad":
            tag = tag[:-1] + bytes([tag[-1] ^ 1])
        inp, want = ct + tag, sha(p) if op == "dec" else "EBADMSG"
        big = size + 16 > maxdata
    # kcapi-enc takes the ciphertext and the tag apart
    put("i.%d" % cid, ct if tool == "kcapi" and op != "enc" else inp)
    if klen != 32:
        route = "fallback_gcm_key"
    elif op != "enc" and tlen != 16:
        route = "fallback_gcm_tag"
    elif alen > maxaad:
        route = "fallback_gcm_size"
    elif big:
        route = "streams"
    else:
        route = "offloaded"
    (cases if into is None else into).append("%d %s %s %d %s %d %d %d %d %s %s %s" % (
        cid, tool, op, klen, iv.hex(), alen, tlen, split, size, want, route,
        tag.hex()))


# sizes from 0 to several MiB: the device's largest, one past it
for size in (0, 1, 16, 17, 4095, 65536, maxdata - 16, maxdata - 15,
             3 * 1048576 + 5):
    for op in ("enc", "dec"):
        case("afalg", op, size)
for alen in (0, 13, maxaad, maxaad + 1):
    for op in ("enc", "dec"):
        case("afalg", op, 4095, alen=alen)
case("afalg", "enc", 0, alen=0)
case("afalg", "dec", 0, alen=0)
for tlen in (4, 8, 12, 13, 14, 15, 16):
    for op in ("enc", "dec"):
        case("afalg", op, 4095, tlen=tlen)
for klen in (16, 24, 32):
    for op in ("enc", "dec"):
        case("afalg", op, 4095, klen=klen)
        case("afalg", op, 65536, klen=klen, alen=0)
# destination scatterlists of odd pieces
for split in (1000, 4093):
    for op in ("enc", "dec"):
        case("afalg", op, 65536, alen=13, split=split)
# a tag that does not verify: on the device and in software
case("afalg", "bad", 4095)
case("afalg", "bad", 65536, alen=0)
case("afalg", "bad", 4095, tlen=8)
case("afalg", "bad", 4095, klen=16)
# AEAD streams: just past one request's data, past max_data_len, several;
# no AAD and 13 bytes, 16- and 8-byte tags (decryption with 8: software),
# odd destination pieces, tampered tags (no plaintext in the whole buffer),
# AAD too long for the stream's first request (software)
for size in (maxdata - 15, maxdata + 1, 3 * 1048576 + 5):
    for alen in (0, 13):
        for op in ("enc", "dec"):
            case("afalg", op, size, alen=alen)
        case("afalg", "enc", size, alen=alen, tlen=8)
    case("afalg", "bad", size, alen=13)
case("afalg", "dec", maxdata + 1, tlen=8)
case("afalg", "bad", maxdata + 1, alen=0)
for op in ("enc", "dec"):
    case("afalg", op, maxdata + 1, split=4093)
    case("afalg", op, maxdata + 1, alen=maxaad + 1)
rm = []
case("afalg", "bad", 16 * 1048576, alen=13, into=rm)
with open(os.path.join(d, "rmcase"), "w") as f:
    f.write(rm[0] + "\n")
# kcapi-enc (Debian's kcapi-tools): one step of at most 64 KiB, AAD needed
for size in (1, 17, 4095, 65536):
    for op in ("enc", "dec"):
        case("kcapi", op, size)
for tlen in (4, 12, 16):
    case("kcapi", "enc", 4095, tlen=tlen)
    case("kcapi", "dec", 4095, tlen=tlen)
for klen in (16, 24):
    case("kcapi", "enc", 4095, klen=klen)
    case("kcapi", "dec", 4095, klen=klen)
case("kcapi", "enc", 4095, alen=maxaad)
case("kcapi", "bad", 4095)
with open(os.path.join(d, "cases"), "w") as f:
    f.write("\n".join(cases) + "\n")
