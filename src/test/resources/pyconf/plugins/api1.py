# API_VERSION 1 (the default when a script sets none): pread returns the data, pwrite, flush,
# trim and zero take no flags (zero gets may_trim as a bool). Every call is traced.
import builtins
import os

import nbdkit

TRACE = os.environ.get("PYCONF_TRACE")
disk = bytearray(64 * 1024)


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def can_fua(h):
    # API 1 callbacks get no flags, so a FUA request reaches pwrite without its flag. nbdkit
    # 1.32 does not turn NATIVE into EMULATE for Python scripts (no flush follows); nor does jnbdkit.
    return nbdkit.FUA_NATIVE


def pread(h, count, offset):
    trace("pread", count, offset)
    return disk[offset:offset + count]


def pwrite(h, buf, offset):
    trace("pwrite", len(buf), offset, type(buf).__name__)
    disk[offset:offset + len(buf)] = buf


def flush(h):
    trace("flush")


def trim(h, count, offset):
    trace("trim", count, offset)
    disk[offset:offset + count] = bytes(count)


def zero(h, count, offset, may_trim):
    trace("zero", count, offset, "may_trim=%r" % may_trim)
    disk[offset:offset + count] = bytes(count)


def cache(h, count, offset, flags):
    trace("cache", count, offset, flags)


def extents(h, count, offset, flags):
    trace("extents", count, offset, flags)
    return [(0, 4096, 0), (4096, len(disk) - 4096, nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO)]
