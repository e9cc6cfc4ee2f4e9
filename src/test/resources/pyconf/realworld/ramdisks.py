#!/usr/sbin/nbdkit python
# Several named RAM disks in one server, in the style of nbdkit's Python examples.
#
#   nbdkit python ramdisks.py disks=boot:1M,data:4M,scratch:512K
#
# Each disk is a separate export (nbdinfo --list shows them); the first one is the default.
# Disks live until the server exits, shared by all connections.
import errno
import threading

import nbdkit

API_VERSION = 2

disks = {}
order = []
lock = threading.Lock()


def config(key, value):
    if key != "disks":
        raise RuntimeError("unknown parameter: %s" % key)
    for item in value.split(","):
        name, size = item.split(":")
        disks[name] = bytearray(nbdkit.parse_size(size))
        order.append(name)


def config_complete():
    if not disks:
        raise RuntimeError("disks=NAME:SIZE,... is required")


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def list_exports(readonly, is_tls):
    return [(name, "RAM disk %s (%d bytes)" % (name, len(disks[name]))) for name in order]


def default_export(readonly, is_tls):
    return order[0]


def open(readonly):
    name = nbdkit.export_name() or order[0]
    if name not in disks:
        nbdkit.set_error(errno.ENOENT)
        raise RuntimeError("no disk called %s" % name)
    return disks[name]


def get_size(h):
    return len(h)


def can_multi_conn(h):
    return True


def can_fua(h):
    return nbdkit.FUA_NATIVE


def pread(h, buf, offset, flags):
    end = offset + len(buf)
    with lock:
        buf[:] = h[offset:end]


def pwrite(h, buf, offset, flags):
    end = offset + len(buf)
    with lock:
        h[offset:end] = buf


def zero(h, count, offset, flags):
    with lock:
        h[offset:offset + count] = bytearray(count)


def trim(h, count, offset, flags):
    zero(h, count, offset, flags)


def flush(h, flags):
    pass
