# numpy views of request buffers: a C extension taking buffer exports of its own.
import numpy as np

API_VERSION = 2
kept = None


def open(readonly):
    return 1


def get_size(h):
    return 1 << 20


def pread(h, buf, offset, flags):
    global kept
    a = np.frombuffer(buf, dtype=np.uint8)
    a[:] = offset // 4096 + 1
    if offset == 0:
        kept = a


def _kept_sum():
    return str(int(kept.sum()))


def _drop():
    global kept
    kept = None
    return "dropped"
