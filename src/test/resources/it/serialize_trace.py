# A plugin whose callbacks must never overlap across connections (SERIALIZE_ALL_REQUESTS), with
# no zero callback (the server emulates zeroing with pwrites) and emulated FUA (pwrite, then
# flush). Every data callback appends "CALLBACK CONNECTION COUNT" to the file trace=PATH, so a
# test can check that one request's calls were never interleaved with another connection's.
import io
import threading
import time

import nbdkit

API_VERSION = 2
trace_path = None
disk = bytearray(48 * 1024 * 1024)
connections = 0
lock = threading.Lock()


def thread_model():
    return nbdkit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS


def config(key, value):
    global trace_path
    if key == "trace":
        trace_path = value
    else:
        raise RuntimeError("unknown parameter " + key)


def record(*fields):
    with io.open(trace_path, "a") as f:
        f.write(" ".join(str(x) for x in fields) + "\n")


def open(readonly):
    global connections
    with lock:
        connections += 1
        return connections


def get_size(h):
    return len(disk)


def can_write(h):
    return True


def can_flush(h):
    return True


def can_fua(h):
    return nbdkit.FUA_EMULATE


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    record("pwrite", h, len(buf))
    # Widen the window in which another connection's request could slip in.
    time.sleep(0.002)
    disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    record("flush", h, 0)
