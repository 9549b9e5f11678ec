#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the libFuzzer targets: tests/fuzz/corpus/<name>/.

Each seed is built the way its target reads its input (see the header
comment of tests/fuzz/fuzz_<name>.c: every target reads little-endian
values in order and zeros once the input runs out, so a short input is a
well-behaved peer). Seeds are meaningful cases: a valid request of every
opcode, control requests, chains with indirect tables split over memory
regions, inflight regions, a back-end killed mid-batch, a hostile device,
a vhost-user back-end and a vDPA parent that misbehave at one step.

Run it after changing an input format; it rewrites only the files it
makes (names not starting with "regress-found-"), so reproducers of fixed
crashes stay. Usage: tests/fuzz/gen-corpus.py [CORPUS_DIR]
"""
import os
import struct
import sys
import zlib

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v & 0xffffffffffffffff)


def s8(v):
    return struct.pack("<b", v)


def pick(ok):
    """The smallest byte value for which ok(value) holds."""
    for v in range(256):
        if ok(v):
            return v
    raise ValueError("no byte value fits")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# spec 7.3: (name, op, algo, key, iv, aad allowed, out)
ROWS = [
    ("null", 0, 0, 0, 0, 0, 0),
    ("sha256", 1, 1, 0, 0, 0, 32),
    ("crc32c", 1, 2, 0, 0, 0, 4),
    ("hmac", 2, 3, 32, 0, 0, 32),
    ("gcm-enc", 3, 4, 32, 12, 1, 16),
    ("gcm-dec", 4, 4, 32, 12, 1, 16),
    ("deflate", 5, 5, 0, 0, 0, 0),
    ("inflate", 6, 5, 0, 0, 0, 0),
]


def dst_for(op, src, out, stream=False, final=True):
    if op == 0:
        return src
    if op in (1, 2):
        return 0 if stream and not final else out
    if op == 3:
        return src if stream and not final else src + 16
    if op == 4:
        return src if stream and not final else src - 16
    return 2 * src + 64


def op_hdr(op, algo, sid=0, flags=0, key=0, iv=0, aad=0, src=0, dst=0,
           rid=0x1234, rsvd=b""):
    h = (u32(op) + u32(algo) + u64(sid) + u64(rid) + u32(flags) + u32(key) +
         u32(iv) + u32(aad) + u32(src) + u32(dst))
    return h + (rsvd + bytes(16))[:16]


def ctrl_hdr(opcode, op=0, algo=0, sid=0, flags=0, key=0, rsvd=0):
    return (u32(opcode) + u32(algo) + u64(sid) + u32(op) + u32(flags) +
            u32(key) + u32(rsvd))


# ---- fuzz_req ---------------------------------------------------------

def gen_req():
    lim = u64(0) + u32(0) + u32(0) + u8(0)     # everything, 64 KiB, 4 KiB
    for name, op, algo, key, iv, aad, out in ROWS:
        src = 48 if op == 4 else 16
        a = 8 if aad else 0
        h = op_hdr(op, algo, key=key, iv=iv, aad=a, src=src,
                   dst=dst_for(op, src, out))
        sess = u8(0) * 3
        write("req", "op-%s" % name,
              u8(0) + lim + sess + h + s8(0) + s8(0) + u8(0) + u8(0) + u32(0))
        # with a session (one-shot), then a stream session mid-stream
        h = op_hdr(op, algo, sid=0x100001, src=src, iv=iv, aad=a,
                   dst=dst_for(op, src, out))
        write("req", "op-%s-session" % name,
              u8(4) + lim + u8(op) + u8(algo) + u8(0) + h + s8(0) + s8(0) +
              u8(0))
        if op:
            h = op_hdr(op, algo, sid=0x200002, flags=1, src=src,
                       dst=dst_for(op, src, out, stream=True))
            write("req", "op-%s-stream-final" % name,
                  u8(4) + lim + u8(op) + u8(algo) + u8(1) + u8(1) + h +
                  s8(0) + s8(0) + u8(1))
            h = op_hdr(op, algo, sid=0x200002, src=src,
                       dst=dst_for(op, src, out, True, False))
            write("req", "op-%s-stream-next" % name,
                  u8(4) + lim + u8(op) + u8(algo) + u8(1) + u8(1) + h +
                  s8(0) + s8(0) + u8(0))
    # malformed: reserved, unknown opcode, lengths off by one, short header
    sess = u8(0) * 3
    h = op_hdr(1, 1, src=16, dst=32, rsvd=b"\x01")
    write("req", "bad-reserved", u8(0) + lim + sess + h + s8(0) + s8(0))
    h = op_hdr(9, 0, src=16, dst=16)
    write("req", "bad-opcode", u8(0) + lim + sess + h + s8(0) + s8(0))
    h = op_hdr(1, 1, src=16, dst=32)
    write("req", "bad-rd-len", u8(0) + lim + sess + h + s8(-1) + s8(0))
    write("req", "bad-wr-len", u8(0) + lim + sess + h + s8(0) + s8(1))
    write("req", "bad-short-hdr", u8(2) + lim + sess + h + u32(40) + u32(48))
    h = op_hdr(3, 4, key=16, iv=12, src=16, dst=32)
    write("req", "bad-key-len", u8(0) + lim + sess + h + s8(0) + s8(0))
    h = op_hdr(4, 4, key=32, iv=12, src=8, dst=0)
    write("req", "bad-gcm-dec-short", u8(0) + lim + sess + h + s8(0) + s8(0))
    # not stateless: keyed session-0 ops are NOTSUPP
    h = op_hdr(2, 3, key=32, src=16, dst=32)
    write("req", "notsupp-stateless",
          u8(0) + u64(0) + u32(0) + u32(0) + u8(1) + sess + h + s8(0) + s8(0))
    # control
    write("req", "ctrl-get-caps",
          u8(1) + lim + ctrl_hdr(0) + s8(0) + s8(0) + u8(0))
    write("req", "ctrl-get-caps-room",
          u8(3) + lim + ctrl_hdr(0) + u32(32) + u32(16 + 256))
    for name, op, algo, key, iv, aad, out in ROWS:
        for fl in (0, 1):
            write("req", "ctrl-create-%s%s" % (name, "-stream" if fl else ""),
                  u8(1) + lim + ctrl_hdr(1, op, algo, flags=fl, key=key) +
                  s8(0) + s8(0))
    write("req", "ctrl-destroy",
          u8(1) + lim + ctrl_hdr(2, sid=0x100001) + s8(0) + s8(0))
    write("req", "ctrl-bad-reserved",
          u8(1) + lim + ctrl_hdr(2, sid=1, rsvd=1) + s8(0) + s8(0))


# ---- fuzz_zlib --------------------------------------------------------

TEXT = b"virtio-accel: raw DEFLATE, RFC 1951, no zlib wrapper. "


def data_tiled(n, chunk=TEXT):
    """n bytes tiled from the first min(n, 255) bytes given (as read)."""
    big = 0x80 if n > 1023 else 0
    ln = n >> 1 if big else n
    k = min(n, 255)
    return u8(big | 0) + u16(ln) + (chunk * (k // len(chunk) + 1))[:k]


def data_random(n, seed=0x1234567):
    big = 0x80 if n > 1023 else 0
    return u8(big | 1) + u16(n >> 1 if big else n) + u64(seed)


def data_runs(n, run=7):
    big = 0x80 if n > 1023 else 0
    return u8(big | 2) + u16(n >> 1 if big else n) + u8(run)


def gen_zlib():
    # one-shot COMPRESS: dst exactly the bound, one byte less, any
    for tag, d in (("text", data_tiled(1000)), ("random", data_random(1000)),
                   ("random-64k", data_random(65536)),
                   ("runs-100k", data_runs(100000)), ("empty", data_tiled(0))):
        write("zlib", "compress-%s-bound" % tag, u8(0) + d + u8(0))
        write("zlib", "compress-%s-short" % tag, u8(0) + d + u8(1) + u8(1))
        write("zlib", "compress-%s-any" % tag, u8(0) + d + u8(2) + u32(100))
    # one-shot DECOMPRESS: made from data, edited, or given raw
    for tag, how, d in (("text", 0, data_tiled(1000)),
                        ("stored", 0x40, data_random(3000)),
                        ("random-64k", 0, data_random(65536))):
        write("zlib", "decompress-%s" % tag, u8(1) + u8(how) + d + u8(0))
        write("zlib", "decompress-%s-short" % tag,
              u8(1) + u8(how) + d + u8(1) + u8(1))
        write("zlib", "decompress-%s-truncated" % tag,
              u8(1) + u8(how | 1) + d + u16(3) + u8(0))
        write("zlib", "decompress-%s-flipped" % tag,
              u8(1) + u8(how | 2) + d + u8(2) + u16(10) + u8(0x55) + u16(40) +
              u8(1) + u8(0))
        write("zlib", "decompress-%s-trailing" % tag,
              u8(1) + u8(how | 4) + d + u8(2) + b"xyz" + u8(0))
    for tag, lvl in (("fixed", 1), ("dynamic", 9), ("stored", 0)):
        c = zlib.compressobj(lvl, zlib.DEFLATED, -15)
        raw = c.compress(TEXT * 20) + c.flush()
        write("zlib", "decompress-raw-%s" % tag, u8(1) + u8(3) + raw)
    # streams: requests of (src, dst capacity, not-final bit)
    def steps(lst):
        return b"".join(u16(s) + u16(d) + u8(nf) for s, d, nf in lst)
    write("zlib", "stream-compress-text",
          u8(2) + data_tiled(1000) + steps([(300, 100, 1), (300, 100, 1),
                                            (400, 2000, 0)]))
    write("zlib", "stream-compress-small-dst",
          u8(2) + data_random(5000) + steps([(5000, 64, 0)] * 8))
    write("zlib", "stream-compress-final-no-room",
          u8(2) + data_tiled(2000) + steps([(2000, 0, 0), (0, 10, 0),
                                            (0, 4000, 0)]))
    write("zlib", "stream-decompress-text",
          u8(3) + u8(0) + data_tiled(3000) + steps([(10, 100, 1),
                                                    (50, 1000, 1),
                                                    (0, 8000, 0)]))
    write("zlib", "stream-decompress-truncated",
          u8(3) + u8(1) + data_tiled(3000) + u16(7) + steps([(20, 5000, 0)]))
    write("zlib", "stream-decompress-trailing",
          u8(3) + u8(4) + data_tiled(300) + u8(0) + b"!" +
          steps([(1000, 5000, 0)]))


# ---- fuzz_vring -------------------------------------------------------

F_NEXT, F_WRITE, F_IND = 1, 2, 4


def desc(addr, ln, flags=0, nxt=0):
    return u64(addr) + u32(ln) + u16(flags) + u16(nxt)


def vring_walk(size, head, table, regions, opt=0, piece=0, cap=32,
               iov=(0, 64, 0, 32, 0, 16)):
    """regions: [(gpa, size, contents)]; gpa must be a multiple of 16."""
    t = b"".join(table)
    t = (t + bytes(16 * size))[:16 * size]
    b = u8(0) + u8(size - 1) + u16(head) + u8(opt) + u8(piece) + u8(cap - 1)
    b += t + u8(len(regions))
    for gpa, sz, _ in regions:
        b += u16(gpa >> 4) + u16(sz - 1)
    for _, sz, data in regions:
        b += (data + bytes(sz))[:sz]
    return b + b"".join(u16(x) for x in iov)


def gen_vring():
    R0, R1 = 0x1000, 0x2000
    hdr = op_hdr(1, 1, src=16, dst=32)
    write("vring", "direct-rd-wr",
          vring_walk(8, 0, [desc(R0, 80, F_NEXT, 1), desc(R1, 48, F_WRITE)],
                     [(R0, 256, hdr), (R1, 256, b"")]))
    write("vring", "direct-4-descs",
          vring_walk(8, 2, [desc(0, 0), desc(0, 0),
                            desc(R0, 64, F_NEXT, 5), desc(R1, 16, F_WRITE),
                            desc(0, 0), desc(R0 + 64, 16, F_NEXT, 7),
                            desc(0, 0), desc(R1 + 16, 48, F_WRITE | F_NEXT, 3)],
                     [(R0, 256, hdr), (R1, 256, b"")]))
    # an indirect table in region 0 at +0x80, pointing into both regions
    ind = desc(R0, 64, F_NEXT, 1) + desc(R0 + 64, 16, F_NEXT, 2) + \
        desc(R1, 48, F_WRITE)
    write("vring", "indirect",
          vring_walk(4, 1, [desc(0, 0), desc(R0 + 0x80, 48, F_IND)],
                     [(R0, 256, hdr + bytes(64) + ind), (R1, 256, b"")]))
    # two adjacent regions: one buffer spans both (two pieces); a piece
    # limit splits further
    write("vring", "span-regions",
          vring_walk(2, 0, [desc(R0 + 0xf0, 64, F_NEXT, 1),
                            desc(R1 - 8, 32, F_WRITE)],
                     [(R0, 256, b""), (R0 + 256, 256, b""),
                      (R1 - 16, 64, b"")], piece=24))
    # broken chains ([RING-BROKEN])
    write("vring", "bad-loop",
          vring_walk(4, 0, [desc(R0, 8, F_NEXT, 1), desc(R0, 8, F_NEXT, 0)],
                     [(R0, 64, b"")]))
    write("vring", "bad-next-range",
          vring_walk(4, 0, [desc(R0, 8, F_NEXT, 9)], [(R0, 64, b"")]))
    write("vring", "bad-rd-after-wr",
          vring_walk(4, 0, [desc(R0, 8, F_WRITE | F_NEXT, 1), desc(R0, 8)],
                     [(R0, 64, b"")]))
    write("vring", "bad-outside",
          vring_walk(4, 0, [desc(R0 + 60, 8)], [(R0, 64, b"")]))
    write("vring", "bad-nested-indirect",
          vring_walk(2, 0, [desc(R0, 16, F_IND)],
                     [(R0, 64, desc(R0 + 16, 16, F_IND))]))
    write("vring", "bad-indirect-next",
          vring_walk(2, 0, [desc(R0, 16, F_IND | F_NEXT, 1)],
                     [(R0, 64, desc(R0 + 32, 8))]))
    write("vring", "bad-indirect-len",
          vring_walk(2, 0, [desc(R0, 24, F_IND)], [(R0, 64, b"")]))
    write("vring", "bad-indirect-off",
          vring_walk(2, 0, [desc(R0, 16, F_IND)], [(R0, 64, b"")], opt=1))
    write("vring", "bad-huge-len",
          vring_walk(2, 0, [desc(R0, 0xffffffff, F_NEXT, 1),
                            desc(R0, 0xffffffff, F_WRITE)], [(R0, 64, b"")]))
    write("vring", "bad-too-many-pieces",
          vring_walk(2, 0, [desc(R0, 64)], [(R0, 64, b"")], piece=4, cap=4))
    write("vring", "bad-head",
          vring_walk(4, 9, [desc(R0, 8)], [(R0, 64, b"")], opt=2))

    # va_inflight_recover(): (inflight, counter) per head
    def infl(desc_num, size, used_idx, lbh, region_used, entries):
        b = u8(3) + u16(desc_num) + u16(used_idx) + u16(size - 1) + u64(0) + \
            u16(1) + u16(lbh) + u16(region_used ^ used_idx)
        for fl, ctr in entries:
            if ctr < 32:
                b += u8((ctr << 1) | fl)
            else:
                b += u8(0x40 | fl) + u64(ctr)
        return b
    e = [(1, 15), (0, 0), (1, 12), (0, 0), (1, 11), (0, 0), (1, 30), (1, 13)]
    write("vring", "inflight-order", infl(8, 8, 5, 0, 5, e))
    write("vring", "inflight-last-batch-head", infl(8, 8, 11, 6, 10, e))
    write("vring", "inflight-desc-num-small", infl(4, 8, 0, 0, 0, e[:4]))
    write("vring", "inflight-big-counters",
          infl(4, 4, 0, 0, 0, [(1, 1 << 40), (1, 1 << 40), (1, 99), (0, 7)]))


# ---- fuzz_backend -----------------------------------------------------

class Backend:
    """Events of fuzz_backend.c (see its LLVMFuzzerTestOneInput)."""

    def __init__(self, opt=0, sizes=(8, 8, 8), start=0, small_infl=0):
        self.b = u8(opt)
        for n in sizes:
            self.b += u8(n.bit_length() - 1) + u16(start) + u8(small_infl)
        self.nsess = 0

    def ctrl(self, kind, row=0, flags=0, key=b"", sess=None, caps_room=None):
        self.b += u8(0) + u8(0)                 # request on queue 0
        # opcode = sel % 3; CREATE: flags = bit 2; DESTROY: bit 2 = any id
        bit2 = flags if kind == 1 else int(kind == 2 and sess is None)
        sel = pick(lambda v: v % 3 == kind and (v >> 2) & 1 == bit2)
        self.b += u8(sel) + u8(row)
        if kind == 0:
            self.b += u8(1) + u16(caps_room) if caps_room else u8(0)
        elif kind == 1:
            self.b += key.ljust(ROWS[row][3], b"k")
        elif kind == 2:
            self.b += u8(sess) if sess is not None else u64(0xdead00001)
        self.b += u8(0)                         # layout: direct, 1+1
        return self

    def op(self, q, row, src=16, sess=None, final=0, aad=0, lie=None,
           lay=0, dst=None, short=None):
        sel = row
        if sess is not None:
            sel |= 0x10 | (final << 5)
        if aad:
            sel |= 0x40
        if lie:
            sel |= 0x80
        self.b += u8(0) + u8(q) + u8(sel)
        if sess is not None:
            self.b += u8(sess)
        if aad:
            self.b += u8(aad)
        self.b += u8(1) + u16(src) if src > 255 else u8(0) + u8(src)
        if ROWS[row][1] in (5, 6):
            self.b += u16(dst if dst is not None else 2 * src + 64)
        self.b += u32(0x7000 + row)
        k = ROWS[row][3] + ROWS[row][4] + aad + src if sess is None else \
            aad + src
        if ROWS[row][1] == 4:
            k += 16
        self.b += bytes(range(min(k, 64)))
        if lie:
            self.b += u8(lie[0]) + u8(lie[1])
        self.b += u8(lay)
        if lay & 0x80:
            self.b += u8(short)
        nrd = lay % 3 + 1
        self.b += b"".join(u16(8 * (i + 1)) for i in range(nrd - 1))
        return self

    def run(self, q, kill=None):
        self.b += u8(3) + u8(q) + u8(0x80 | kill if kill is not None else 0)
        return self

    def restart(self):
        self.b += u8(6)
        return self

    def engine(self, status, dst_used=0):
        self.b += u8(7) + u8(status) + u16(dst_used)
        return self

    def raw(self, kind):
        self.b += u8(pick(lambda v: v % 10 == 5 and (v >> 4) % 3 == kind))

    def raw_avail(self, q, heads, jump=None):
        self.raw(2)
        self.b += u8(q) + u8(len(heads))
        self.b += b"".join(u16(h) for h in heads)
        self.b += u8(1) + u16(jump) if jump is not None else u8(0)
        return self

    def raw_desc(self, q, idx, d):
        self.raw(0)
        self.b += u8(q) + u8(idx) + d
        return self

    def kicks(self, q, enable):
        self.b += u8(pick(lambda v: v % 10 == 8 and v >> 7 == enable))
        self.b += u8(q)
        return self

    def spurious(self):
        self.b += u8(9)
        return self


def gen_backend():
    key = bytes(range(32))
    # every data opcode, stateless, on data queue 0 (queue 1)
    b = Backend()
    for row in range(len(ROWS)):
        b.op(1, row, src=16, aad=8 if ROWS[row][4] else 0)
    write("backend", "ops-every-opcode", b.run(1).b)
    # sessions: create (MAC, stream SHA-256), use, destroy
    b = Backend().ctrl(1, row=3, key=key).ctrl(1, row=1, flags=1).run(0)
    b.op(1, 3, src=40, sess=0).op(1, 1, src=40, sess=1)
    b.op(1, 1, src=8, sess=1, final=1).run(1)
    b.ctrl(2, sess=0).ctrl(0).run(0)
    write("backend", "sessions", b.b)
    # control: GET_CAPS with too little room (NOSPC), DESTROY unknown
    write("backend", "ctrl-caps-nospc",
          Backend().ctrl(0, caps_room=40).ctrl(2).run(0).b)
    # layouts: indirect, split readable parts, two writable pieces
    b = Backend(sizes=(8, 64, 8))
    for lay in (0x20, 0x21, 0x22, 0x24, 0x26, 0x02, 0x05):
        b.op(1, 4, src=100, lay=lay)
    write("backend", "layouts-indirect-split", b.run(1).b)
    # big requests straddling the two memory regions
    b = Backend(sizes=(8, 64, 8))
    for i in range(40):
        b.op(1, 0, src=4000, lay=0x20 if i & 1 else 0)
    write("backend", "big-straddle", b.run(1).b)
    # [REQ-SHORT] / [REQ-HUGE] writable parts, a lying header
    b = Backend().op(1, 1, lay=0xc0, short=7).op(1, 0, lay=0x80, short=3)
    b.op(1, 1, lie=(16 + 20, 0x40)).op(1, 6, src=100, dst=0)
    write("backend", "short-huge-lies", b.run(1).b)
    # engine failures and output sizes
    b = Backend().engine(1).op(1, 1).engine(7).op(1, 5, src=32)
    b.engine(0, 100).op(1, 6, src=50).engine(0, 0).run(1)
    write("backend", "engine-results", b.b)
    # killed at each store of the inflight protocol, restarted
    for kill in (0, 1, 3, 5, 8, 13):
        b = Backend()
        for _ in range(4):
            b.op(1, 0, src=16)
        write("backend", "kill-at-%d" % kill, b.run(1, kill=kill).run(1).b)
    b = Backend(opt=0x40)        # --test-reorder
    for _ in range(4):
        b.op(1, 2, src=30)
    write("backend", "reorder-kill", b.run(1, kill=6).run(1).b)
    # no inflight, restart between batches; no MQ; no indirect
    b = Backend(opt=0x08).op(1, 0).run(1).restart().op(1, 0).run(1)
    write("backend", "no-inflight-restart", b.b)
    write("backend", "no-mq-no-indirect",
          Backend(opt=0x05).op(1, 1, lay=0x20).op(1, 2).run(1).b)
    # rings starting near the index wrap; queue of one entry
    b = Backend(start=0xfffe)
    for _ in range(4):
        b.op(1, 0).run(1)
    write("backend", "index-wrap", b.b)
    # the smallest queue a request fits: 2 entries, one indirect chain of
    # two (its descriptors count towards the queue size)
    write("backend", "queue-size-2-indirect",
          Backend(sizes=(2, 2, 2)).op(1, 0, lay=0x21).run(1)
          .op(1, 0, lay=0x21).run(1).op(1, 6, lay=0x21).run(1).b)
    # hostile driver: avail index jump, head out of range, duplicate head,
    # a descriptor loop
    write("backend", "bad-avail-jump",
          Backend().op(1, 0).raw_avail(1, [], jump=40).run(1).b)
    write("backend", "bad-head",
          Backend().raw_avail(1, [9]).run(1).b)
    write("backend", "bad-duplicate-head",
          Backend().op(1, 0).raw_avail(1, [0, 0]).run(1).b)
    write("backend", "bad-loop",
          Backend().raw_desc(1, 3, desc(0x100000, 16, F_NEXT, 3))
          .raw_avail(1, [3]).run(1).b)
    write("backend", "kicks-spurious",
          Backend(opt=0x02).kicks(1, 1).op(1, 0).kicks(1, 0).spurious().b)


# ---- fuzz_virtqueue ---------------------------------------------------

class Vq:
    def __init__(self, shift=3, event_idx=0, no_indirect=0):
        self.b = u8(pick(lambda v: v % 9 == shift and
                         (v >> 4) & 3 == event_idx | (no_indirect << 1)))

    def add(self, nrd, nwr, lens=None, ind_cap=0):
        self.b += u8(0) + u8(pick(lambda v: v % 5 == nrd and
                                  (v >> 3) % 4 == nwr and v < 0x80))
        for i in range(nrd + nwr):
            ln = lens[i] if lens else 64
            self.b += u64(0x10000 + 0x100 * i) + u16(ln)
        self.b += u8(ind_cap)
        return self

    def flush(self, no_notify=0, event=0):
        self.b += u8(2) + u8(no_notify) + u16(event)
        return self

    def used(self, elems, jump=None):
        """elems: ("ok", head_hint, len) or ("raw", id, len)."""
        self.b += u8(3) + u8(len(elems)) + u8(0x80 if jump is not None else 0)
        for kind, a, ln in elems:
            if kind == "raw":
                self.b += u8(1) + u16(0) + u32(a) + u32(ln)
            else:
                self.b += u8(0) + u16(a) + u32(ln)
        if jump is not None:
            self.b += u16(jump)
        return self

    def get(self, n=1):
        self.b += u8(4) * n
        return self

    def scribble(self, at, data=b"\xff" * 32):
        self.b += u8(6) + u32(at) + data
        return self

    def cb(self, enable):
        self.b += u8(7 | (enable << 7))
        return self


def gen_virtqueue():
    write("virtqueue", "add-complete",
          Vq().add(1, 1).add(2, 2).flush().used([("ok", 0, 64), ("ok", 1, 10)])
          .get(3).b)
    write("virtqueue", "indirect",
          Vq().add(3, 2, ind_cap=8).add(1, 1, ind_cap=8).flush()
          .used([("ok", 0, 128), ("ok", 1, 0)]).get(2).b)
    write("virtqueue", "fill-and-drain",
          Vq(shift=2).add(1, 1).add(1, 1).add(1, 0).add(1, 1).add(1, 1)
          .flush().used([("ok", i, 1) for i in range(4)]).get(4)
          .add(2, 1).flush().b)
    write("virtqueue", "event-idx",
          Vq(event_idx=1).cb(1).add(1, 1).flush(event=0).cb(0).add(1, 1)
          .flush(event=5).used([("ok", 0, 1)]).cb(1).get().b)
    write("virtqueue", "no-notify",
          Vq(no_indirect=1).add(4, 3).flush(no_notify=1).b)
    write("virtqueue", "bad-id",
          Vq().add(1, 1).flush().used([("raw", 99, 0)]).get().add(1, 1).get().b)
    write("virtqueue", "bad-not-inflight",
          Vq().add(1, 1).flush().used([("raw", 5, 0)]).get().b)
    write("virtqueue", "bad-len",
          Vq().add(1, 1).flush().used([("raw", 0, 65)]).get().b)
    write("virtqueue", "bad-idx-jump",
          Vq().add(1, 1).flush().used([], jump=7).get().cb(1).b)
    write("virtqueue", "bad-double-complete",
          Vq().add(1, 1).flush().used([("ok", 0, 1), ("raw", 0, 1)]).get(2).b)
    write("virtqueue", "scribble-desc-avail",
          Vq().add(2, 1).flush().scribble(0).scribble(128)
          .used([("ok", 0, 64)]).get().add(1, 1).flush().b)


# ---- fuzz_vhost_user --------------------------------------------------

def vhu_script(steps):
    """steps: bytes for each message the library sends, in order."""
    return b"".join(steps)


def gen_vhost_user():
    R = u8(0)                                   # a proper reply

    def ack(v=0):
        return (u8(1) + u64(v) if v else u8(0)) + R
    head = u8(0) + u8(0) + u8(0)                # opts, mem, connect
    feat = u64(0) + R                           # GET_FEATURES
    proto = u64(0) + R                          # GET_PROTOCOL_FEATURES
    qnum = u64(0) + R                           # GET_QUEUE_NUM
    cfg = bytes(44) + R                         # GET_CONFIG
    rings = ack() * 12                          # 2 queues x 6 messages
    good = [head, feat, proto, qnum, cfg, ack(), ack(), rings]
    write("vhost_user", "good", vhu_script(good))
    write("vhost_user", "good-4-queues-poll",
          vhu_script([u8(0x13) + u8(3) + u8(0)] + good[1:] + [ack() * 24]))
    # no REPLY_ACK (nothing acked), no MQ (no GET_QUEUE_NUM)
    write("vhost_user", "no-reply-ack",
          vhu_script([head, feat, u64(1 << 3) + R, qnum, cfg]))
    write("vhost_user", "no-mq",
          vhu_script([head, feat, u64(1 << 0) + R, cfg, ack(), ack(), rings]))
    write("vhost_user", "no-protocol-features",
          vhu_script([head, u64(1 << 30) + R]))
    write("vhost_user", "no-version-1",
          vhu_script([head, u64(1 << 32) + R, proto, qnum, cfg]))
    write("vhost_user", "refused-connect", u8(0) + u8(0) + u8(0xff))
    # reset during the first exchange: the library connects again
    write("vhost_user", "reset-at-hello-retried",
          vhu_script([head, u64(0) + u8(7), u8(0)] + good[1:]))
    # misbehaving replies at one message
    write("vhost_user", "reply-wrong-request",
          vhu_script([head, u64(0) + u8(4) + u32(3) + u32(0) + u16(0)]))
    write("vhost_user", "reply-huge-size",
          vhu_script([head, feat, proto, u64(0) + u8(4) + u32(0) + u32(0) +
                      u16(0x7fff)]))
    write("vhost_user", "reply-split",
          vhu_script([head, u64(0) + u8(0x10) + u8(5), proto,
                      u64(0) + u8(0x10) + u8(13), cfg]))
    write("vhost_user", "reply-with-fds",
          vhu_script([head, u64(0) + u8(0x08) + u8(3), proto, qnum,
                      bytes(44) + u8(0x08) + u8(16), ack()]))
    write("vhost_user", "reply-stray-message",
          vhu_script([head, feat, u64(0) + u8(0x20)]))
    write("vhost_user", "reply-raw",
          vhu_script([head, u64(0) + u8(5) + u8(12) + u32(1) + u32(5) +
                      u32(8)]))
    write("vhost_user", "no-reply", vhu_script([head, feat, u64(0) + u8(6)]))
    write("vhost_user", "hang-up-at-config",
          vhu_script([head, feat, proto, qnum, bytes(44) + u8(7)]))
    write("vhost_user", "nack-mem-table",
          vhu_script([head, feat, proto, qnum, cfg, ack(), ack(1)]))
    write("vhost_user", "queue-num-1",
          vhu_script([head, feat, proto, u64(3 ^ 1) + R]))
    write("vhost_user", "queue-num-huge",
          vhu_script([head, feat, proto, u64(3 ^ 100000) + R]))
    # configuration lies: not ready, 0 queues, max_data_len too small
    for tag, off, x in (("not-ready", 12, 1), ("no-queues", 16, 2),
                        ("tiny-data", 12 + 16 + 2, 1), ("bad-offset", 0, 4)):
        c = bytearray(44)
        c[off] ^= x
        write("vhost_user", "config-" + tag,
              vhu_script([head, feat, proto, qnum, bytes(c) + R]))


# ---- fuzz_vdpa --------------------------------------------------------

def gen_vdpa():
    ok = u8(0)                                  # the ioctl succeeds

    def steps(changes=None, queues=2):
        s = [("opts", u8(0) + u8(0)), ("open", u8(0)),
             ("set_owner", ok), ("get_backend", ok + u64(0)),
             ("set_backend", ok), ("device_id", ok + u32(0)),
             ("reset", ok), ("ack", ok + u8(0)), ("ack_rd", ok + u8(0)),
             ("driver", ok + u8(0)), ("driver_rd", ok + u8(0)),
             ("features", ok + u64(0)), ("cfg_size", ok + u32(0)),
             ("config", ok + bytes(32)), ("vqs", ok + u32(0)),
             ("vring_num", ok + u16(0)), ("iova", ok + u64(0) + u64(0)),
             ("set_features", ok), ("feat_ok", ok + u8(0)),
             ("feat_ok_rd", ok + u8(0)),
             ("map_begin", u8(0) + ok), ("map", u8(0) + ok),
             ("map_end", u8(0) + ok)]
        for q in range(queues):
            for k in ("num", "addr", "base", "kick", "call", "enable"):
                s.append(("%s%d" % (k, q), ok))
        s += [("driver_ok", ok + u8(0)), ("driver_ok_rd", ok + u8(0)),
              ("close_reset", ok), ("unmap_begin", u8(0) + ok),
              ("unmap", u8(0) + ok), ("unmap_end", u8(0) + ok)]
        d = dict(changes or {})
        return b"".join(d.get(k, v) for k, v in s)
    fail = u8(0xe2)                             # EIO
    write("vdpa", "good", steps())
    write("vdpa", "refuses-features-ok", steps({"feat_ok": ok + u8(1)}))
    write("vdpa", "needs-reset", steps({"driver_ok": ok + u8(2)}))
    write("vdpa", "status-readback-lies",
          steps({"ack_rd": ok + u8(0x80) + u8(0x01)}))
    write("vdpa", "eintr", steps({"get_backend": u8(0xe5) + ok + u64(0)}))
    write("vdpa", "no-iotlb-v2", steps({"get_backend": ok + u64(1 << 1)}))
    write("vdpa", "no-batch", steps({"get_backend": ok + u64(1 << 2)}))
    write("vdpa", "wrong-device-id", steps({"device_id": ok + u32(1)}))
    write("vdpa", "no-access-platform",
          steps({"features": ok + u64(1 << 33)}))
    write("vdpa", "no-version-1", steps({"features": ok + u64(1 << 32)}))
    write("vdpa", "config-small", steps({"cfg_size": ok + u32(32 ^ 8)}))
    write("vdpa", "vring-max-4",
          steps({"opts": u8(0x80) + u8(5) + u8(0),
                 "vring_num": ok + u16(256 ^ 4)}))
    write("vdpa", "iova-range-low",
          steps({"iova": ok + u64(0x1000) + u64(~0x40000000)}))
    write("vdpa", "iova-range-tiny",
          steps({"iova": ok + u64(0x1000) + u64(~0x2000)}))
    write("vdpa", "vqs-count-fails", steps({"vqs": fail}))
    write("vdpa", "map-fails", steps({"map": u8(0) + fail}))
    write("vdpa", "map-short-write", steps({"map": u8(0xff) + ok}))
    write("vdpa", "set-features-fails", steps({"set_features": fail}))
    write("vdpa", "ring-fails", steps({"kick1": fail}))
    write("vdpa", "close-reset-fails", steps({"close_reset": fail}))
    write("vdpa", "open-fails", steps({"open": u8(0xff)}))
    write("vdpa", "not-a-char-device", steps({"open": u8(0xfe)}))


# ---- fuzz_vhost_msg ---------------------------------------------------

class Vmsg:
    def __init__(self, queues=2, no_inflight=0):
        self.b = u8((queues - 1) | (no_inflight << 7))

    def ev(self, kind, vid=0, hi=0):
        self.b += u8(kind | (vid << 4) | (hi << 5))
        return self

    def connect(self, vid=0):
        return self.ev(0, vid)

    def disconnect(self, vid=0):
        return self.ev(1, vid)

    def start(self, vid=0, features=(1 << 1) | (1 << 2), fails=0):
        self.ev(2, vid, 7 if fails else 0)
        self.b += u64(features) + u64(0)
        return self

    def stop(self, vid=0):
        return self.ev(3, vid)

    def vring(self, qid, enable, vid=0):
        self.b += u8(4 | (vid << 4) | (enable << 7)) + u16(qid)
        return self

    def msg(self, req_index=None, req=None, vid=0, post=1, need_reply=0,
            size=None, off=0, ln=32, payload=b""):
        """req_index: index into fuzz_vhost_msg.c's requests[]."""
        hi = (0 if post else 0x80) | (0x40 if req is not None else 0)
        sel = pick(lambda v: v & 0xe0 == hi and
                   (req is not None or v % 19 == req_index))
        self.ev(6, vid)
        self.b += u8(sel)
        if req is not None:
            self.b += u32(req)
        self.b += u8(need_reply << 3)
        self.b += u8(1) + u16(size) if size is not None else u8(0)
        self.b += (payload + bytes(268))[:268]
        if req is None and req_index == 0:
            self.b += u8(off) + u8(ln)
        return self


def gen_vhost_msg():
    GET_CONFIG, SET_CONFIG, GET_QUEUE_NUM, SET_MEM_TABLE, SET_VRING_KICK = \
        0, 3, 4, 8, 13
    v = Vmsg().connect()
    for off, ln in ((0, 32), (4, 8), (31, 1), (30, 4), (32, 0), (0, 33)):
        v.msg(GET_CONFIG, off=off, ln=ln)
    write("vhost_msg", "get-config", v.b)
    write("vhost_msg", "get-config-short-msg",
          Vmsg().connect().msg(GET_CONFIG, size=8).b)
    write("vhost_msg", "set-config",
          Vmsg().connect().msg(SET_CONFIG).msg(SET_CONFIG, need_reply=1).b)
    write("vhost_msg", "get-queue-num",
          Vmsg(queues=16).connect().msg(GET_QUEUE_NUM).b)
    v = Vmsg().connect().vring(0, 1).vring(1, 1).start()
    v.msg(SET_MEM_TABLE).msg(SET_VRING_KICK).vring(1, 0).vring(40, 1)
    write("vhost_msg", "running-device", v.stop().disconnect().b)
    write("vhost_msg", "second-connection",
          Vmsg().connect().connect(1).msg(GET_QUEUE_NUM, vid=1).b)
    write("vhost_msg", "failed-message-then-next",
          Vmsg().connect().start().msg(SET_VRING_KICK, post=0)
          .vring(1, 1).msg(GET_QUEUE_NUM).b)
    write("vhost_msg", "start-fails",
          Vmsg().connect().start(fails=1).msg(SET_VRING_KICK).start().b)
    # the crash fixed in ed5f69f: parked by a failed message, the device
    # stopped and started again, then the next message
    write("vhost_msg", "regress-msg-paused-destroy",
          Vmsg().connect().start().msg(SET_VRING_KICK, post=0).stop()
          .start().msg(GET_QUEUE_NUM).b)


# ---- state (fuzz_state.c): spec 7.11 device states ----
# The seeds leave END's CRC-32C zero and set the mode byte's bit 0 (the
# target computes the CRC: no second CRC-32C implementation here) and bit 1
# (it recounts body_len and nrecords), so mutations reach every rule.

def st_rec(typ, payload, rflags=1):
    pad = (-len(payload)) % 8
    return u16(typ) + u16(rflags) + u32(len(payload)) + payload + b"\0" * pad


def st_device(nr_vq=3, max_sessions=16, max_comp=4, nsessions=0,
              next_gen=1000, features=(1 << 32) | 7, max_data=1 << 20,
              max_aad=4096):
    impl = 0
    for _, op, algo, _, _, _, _ in ROWS:
        impl |= 1 << (op * 8 + algo)
    cfg = (u32(1) + u16(nr_vq - 1) + u16(64) + u32(0x1f) + u32(max_sessions) +
           u32(max_data) + u32(64) + u32(max_aad) + u32(max_comp))
    return st_rec(1, u64(features) + u16(nr_vq) + u16(0) + u32(32) + cfg +
                  u64(impl) + u32(max_sessions) + u32(max_comp) +
                  u32(max_data) + u32(max_aad) + u32(64) + u32(nsessions) +
                  u64(next_gen))


def st_queue(i, broken=0):
    return st_rec(2, u16(i) + u16(broken) + u16(100 * i + 7) + u16(100 * i + 5))


def st_session(gen, slot, op, algo, stream, key_len, active, slen):
    key = bytes((0xa0 + i) & 0xff for i in range(key_len)) + \
        b"\0" * (64 - key_len)
    return st_rec(3, u64(gen << 20 | slot) + u32(op) + u32(algo) +
                  u32(stream) + u32(key_len) + u32(active) + u32(0) +
                  u64(slen) + key)


def st_state(records, sealed=False, minor=0):
    body = b"".join(records) + st_rec(0xffff, u32(len(records)) + u32(0))
    hdr = (b"VACCSTAT" + u16(1) + u16(minor) + u32(1 if sealed else 0) +
           u32(48 if sealed else 32) + u32(len(body)) +
           u32(len(records) + 1) + u32(0))
    if sealed:
        hdr += b"\x5c" * 12 + b"\xc5" * 4
    return hdr + body + (b"\0" * 16 if sealed else b"")


def gen_state():
    sha = st_session(999, 1, 1, 1, 1, 0, 1, 100) + st_rec(
        16, u64(999 << 20 | 1) + bytes(range(32)) + u64(100) + u32(36) +
        u32(0) + b"a" * 36 + b"\0" * 28)
    hmac = st_session(5, 2, 2, 3, 1, 20, 1, 64) + st_rec(
        17, u64(5 << 20 | 2) + b"\x33" * 32 + u64(64) + u32(0) + u32(0) +
        b"\0" * 64)
    crc = st_session(6, 3, 1, 2, 1, 0, 1, 9) + st_rec(
        18, u64(6 << 20 | 3) + u32(0x1234abcd) + u32(0))
    gcm = st_session(7, 4, 3, 4, 1, 32, 1, 50007) + st_rec(
        19, u64(7 << 20 | 4) + b"\x11" * 12 + u32(7) + u64(37) + u64(50007) +
        b"\x22" * 16 + b"\x44" * 7 + b"\0" * 9)
    dec = st_session(8, 5, 4, 4, 0, 32, 0, 0)
    dict_ = bytes((i * 7) & 0xff for i in range(100))
    pend = bytes(range(0x50, 0x5d))
    defl = st_session(9, 6, 5, 5, 1, 0, 1, 123456) + st_rec(
        20, u64(9 << 20 | 6) + u32(0xffffffff) + u32(0) + u32(8) +
        u32(len(dict_)) + u32(len(pend)) + u32(0) + dict_ + pend)
    lost = st_session(10, 7, 6, 5, 1, 0, 1, 4096) + st_rec(
        31, u64(10 << 20 | 7) + u32(1) + u32(0))
    idle = st_session(11, 8, 5, 5, 1, 0, 0, 0)
    mac = st_session(12, 15, 2, 3, 0, 64, 0, 0)
    sessions = [sha, hmac, crc, gcm, dec, defl, lost, idle, mac]
    queues = [st_queue(0), st_queue(1), st_queue(2, 1)]
    full = [st_device(nsessions=len(sessions))] + queues + sessions
    write("state", "empty-device", u8(3) + st_state([st_device()]))
    write("state", "every-record-kind", u8(3) + st_state(full))
    write("state", "every-record-kind-sealed-opened",
          u8(7) + st_state(full, sealed=True))
    write("state", "sealed-not-opened", u8(3) + st_state(full, sealed=True))
    write("state", "minor-1-optional-record",
          u8(3) + st_state([st_device(nsessions=1)] + queues +
                           [st_rec(0x1234, b"future", 0), sha], minor=1))
    write("state", "unknown-critical",
          u8(3) + st_state([st_device(), st_rec(0x1234, b"future")]))
    for i, s in enumerate(sessions):
        write("state", "session-%d" % i,
              u8(3) + st_state([st_device(nsessions=1), st_queue(1), s]))
    write("state", "many-sessions-1024",
          u8(0x13) + st_state(
              [st_device(nr_vq=9, max_sessions=1024, max_comp=64,
                         nsessions=40, max_data=1 << 24, max_aad=65536)] +
              [st_queue(i) for i in range(9)] +
              [st_session(3, 10 * i + 1, 1, 2, 1, 0, 1, i) +
               st_rec(18, u64(3 << 20 | (10 * i + 1)) + u32(i) + u32(0))
               for i in range(40)]))
    bigd = bytes((i * 13) & 0xff for i in range(32768))
    write("state", "deflate-full-dictionary",
          u8(3) + st_state([st_device(nsessions=1), st_session(
              9, 6, 5, 5, 1, 0, 1, 99999) + st_rec(
              20, u64(9 << 20 | 6) + u32(6) + u32(1) + u32(9) +
              u32(len(bigd)) + u32(5) + u32(0) + bigd + b"\x01\x02\x03\x04\x05")]))
    write("state", "raw-garbage", u8(0) + b"VACCSTAT" + bytes(range(64)))
    # bit 3: sealed and loaded back; bit 6: loaded with a key configured
    write("state", "every-record-kind-seal-roundtrip", u8(0x0b) + st_state(full))
    write("state", "load-with-key-plaintext", u8(0x43) + st_state(full))
    write("state", "load-with-key-sealed", u8(0x43) + st_state(full, sealed=True))


def main():
    gen_req()
    gen_zlib()
    gen_vring()
    gen_backend()
    gen_virtqueue()
    gen_vhost_user()
    gen_vdpa()
    gen_vhost_msg()
    gen_state()


if __name__ == "__main__":
    main()
