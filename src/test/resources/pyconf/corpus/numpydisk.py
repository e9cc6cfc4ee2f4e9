# A RAM disk held in a numpy array: reads and writes through the buffer protocol, zero as a
# slice assignment, extents from count_nonzero per 64 KiB chunk.
import numpy as np

import nbdkit

API_VERSION = 2
CHUNK = 64 * 1024
disk = None


def config(key, value):
    global disk
    if key != "size":
        raise RuntimeError("unknown parameter %s" % key)
    disk = np.zeros(nbdkit.parse_size(value), dtype=np.uint8)


def thread_model():
    return nbdkit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS


def open(readonly):
    return 1


def get_size(h):
    return disk.size


def can_zero(h):
    return True


def can_trim(h):
    return True


def can_extents(h):
    return True


def pread(h, buf, offset, flags):
    np.frombuffer(buf, dtype=np.uint8)[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = np.frombuffer(buf, dtype=np.uint8)


def zero(h, count, offset, flags):
    disk[offset:offset + count] = 0


def trim(h, count, offset, flags):
    disk[offset:offset + count] = 0


def extents(h, count, offset, flags):
    out = []
    start = offset - offset % CHUNK
    end = offset + count
    while start < end:
        n = min(CHUNK, disk.size - start)
        kind = 0 if np.count_nonzero(disk[start:start + n]) else nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO
        if out and out[-1][2] == kind:
            out[-1] = (out[-1][0], out[-1][1] + n, kind)
        else:
            out.append((start, n, kind))
        start += n
    return out
