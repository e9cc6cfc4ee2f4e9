# Classes as handles, as most real plugins are written: one Disk per export (shared by every
# connection to it), one Connection object per client returned by open() and passed to every
# callback. close() reports what the connection did.
import builtins
import os
import threading

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


class Disk:
    def __init__(self, name, size):
        self.name = name
        self.data = bytearray(size)
        self.lock = threading.Lock()

    def read(self, buf, offset):
        with self.lock:
            buf[:] = self.data[offset:offset + len(buf)]

    def write(self, buf, offset):
        with self.lock:
            self.data[offset:offset + len(buf)] = buf

    def zero(self, count, offset):
        with self.lock:
            self.data[offset:offset + count] = bytes(count)


class Connection:
    def __init__(self, disk, readonly):
        self.disk = disk
        self.readonly = readonly
        self.reads = self.writes = self.zeroes = 0

    def __repr__(self):
        return "<Connection %s reads=%d writes=%d zeroes=%d>" % (self.disk.name, self.reads, self.writes, self.zeroes)


class Config:
    def __init__(self):
        self.sizes = {}

    def add(self, key, value):
        if key != "disk":
            raise RuntimeError("unknown parameter %s" % key)
        name, size = value.split(":")
        self.sizes[name] = nbdkit.parse_size(size)


cfg = Config()
disks = {}


def config(key, value):
    cfg.add(key, value)


def config_complete():
    if not cfg.sizes:
        raise RuntimeError("disk=NAME:SIZE is required")
    for name, size in cfg.sizes.items():
        disks[name] = Disk(name, size)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def list_exports(readonly, is_tls):
    return [(name, "%s (%d bytes)" % (name, len(d.data))) for name, d in sorted(disks.items())]


def default_export(readonly, is_tls):
    return sorted(disks)[0]


def open(readonly):
    name = nbdkit.export_name() or sorted(disks)[0]
    if name not in disks:
        raise RuntimeError("no such disk %r" % name)
    return Connection(disks[name], readonly)


def close(h):
    trace("close", repr(h))


def export_description(h):
    return "disk %s" % h.disk.name


def get_size(h):
    return len(h.disk.data)


def can_multi_conn(h):
    return True


def can_zero(h):
    return True


def pread(h, buf, offset, flags):
    h.reads += 1
    h.disk.read(buf, offset)


def pwrite(h, buf, offset, flags):
    h.writes += 1
    h.disk.write(buf, offset)


def zero(h, count, offset, flags):
    h.zeroes += 1
    h.disk.zero(count, offset)


def flush(h, flags):
    pass
