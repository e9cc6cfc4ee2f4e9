# An API_VERSION 1 plugin in the shape of nbdkit's old examples/file.py: no API_VERSION
# constant, a file opened per connection, pread returning the data, pwrite/flush/trim/zero
# without flags (zero gets may_trim).
import builtins
import errno
import os

import nbdkit

filename = None


def config(key, value):
    global filename
    if key == "file":
        filename = os.path.abspath(value)
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    if filename is None:
        raise RuntimeError("file parameter is required")


def open(readonly):
    flags = os.O_RDONLY if readonly else os.O_RDWR
    return {"fd": os.open(filename, flags)}


def close(h):
    os.close(h["fd"])


def get_size(h):
    return os.fstat(h["fd"]).st_size


def pread(h, count, offset):
    return os.pread(h["fd"], count, offset)


def pwrite(h, buf, offset):
    n = os.pwrite(h["fd"], buf, offset)
    if n != len(buf):
        nbdkit.set_error(errno.EIO)
        raise RuntimeError("short write")


def flush(h):
    os.fsync(h["fd"])


def trim(h, count, offset):
    pass


def zero(h, count, offset, may_trim):
    os.pwrite(h["fd"], bytes(count), offset)
