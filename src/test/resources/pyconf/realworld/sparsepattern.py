#!/usr/sbin/nbdkit python
# A large, mostly empty disk computed on the fly: every 8-byte word of a data block holds its
# own offset (big-endian), like nbdkit's pattern plugin, but only some blocks have data; the
# others are holes that read as zeroes and are reported as such by extents.
#
#   nbdkit python sparsepattern.py size=1G percent=10 seed=42 [blocksize=64K]
import random
import struct

import nbdkit

API_VERSION = 2

size = 64 * 1024 * 1024
percent = 10
seed = 1
blocksize = 64 * 1024
allocated = None


def config(key, value):
    global size, percent, seed, blocksize
    if key == "size":
        size = nbdkit.parse_size(value)
    elif key == "percent":
        percent = float(value)
    elif key == "seed":
        seed = int(value)
    elif key == "blocksize":
        blocksize = nbdkit.parse_size(value)
    else:
        raise RuntimeError("unknown parameter: %s" % key)


def config_complete():
    global allocated
    rng = random.Random(seed)
    nblocks = (size + blocksize - 1) // blocksize
    allocated = [rng.random() * 100 < percent for _ in range(nblocks)]


def open(readonly):
    return 1


def get_size(h):
    return size


def block_size(h):
    return (1, 4096, 0xffffffff)


def can_extents(h):
    return True


def pattern(start, length):
    first = start - start % 8
    words = (start + length - first + 7) // 8
    data = b"".join(struct.pack(">Q", first + 8 * i) for i in range(words))
    skip = start - first
    return data[skip:skip + length]


def pread(h, buf, offset, flags):
    pos = 0
    while pos < len(buf):
        o = offset + pos
        b = o // blocksize
        n = min(len(buf) - pos, (b + 1) * blocksize - o)
        buf[pos:pos + n] = pattern(o, n) if allocated[b] else bytes(n)
        pos += n


def extents(h, count, offset, flags):
    out = []
    b = offset // blocksize
    end = min(offset + count, size)
    while b * blocksize < end:
        start = b
        a = allocated[b]
        while b * blocksize < end and allocated[b] == a:
            b += 1
        typ = 0 if a else nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO
        out.append((start * blocksize, min(b * blocksize, size) - start * blocksize, typ))
        if flags & nbdkit.FLAG_REQ_ONE:
            break
    return out
