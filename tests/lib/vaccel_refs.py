# SPDX-License-Identifier: BSD-3-Clause
"""Reference values host runners compute for the guest tests (one copy)."""
import struct

_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (0x82F63B78 if _c & 1 else 0)
    _T.append(_c)


def crc32c(data, seed=0xFFFFFFFF):
    """The kernel's crc32c (Castagnoli, reflected 0x82F63B78): the key is
    the seed (le32, default ~0), the digest le32 of the inverted CRC."""
    c = seed
    for b in data:
        c = _T[(c ^ b) & 0xff] ^ (c >> 8)
    return struct.pack("<I", c ^ 0xFFFFFFFF)
