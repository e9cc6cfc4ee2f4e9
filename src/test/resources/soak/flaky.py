# A RAM disk whose callbacks raise at random (before touching the disk, so the data stays
# predictable), for the fault tests. Every open and close is appended to the file named by
# counts=PATH, so the test can check that no Python handle is leaked.
# params: size=BYTES rate=PROBABILITY counts=PATH
import builtins
import random
import threading

import nbdkit

API_VERSION = 2

size = 16 * 1024 * 1024
rate = 0.1
counts = None
disk = None
lock = threading.Lock()
handles = 0


def config(key, value):
    global size, rate, counts
    if key == "size":
        size = nbdkit.parse_size(value)
    elif key == "rate":
        rate = float(value)
    elif key == "counts":
        counts = value
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    global disk
    disk = bytearray(size)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def note(what):
    with lock:
        with builtins.open(counts, "a") as f:
            f.write(what + "\n")


def open(readonly):
    global handles
    handles += 1
    h = {"id": handles}
    note("open %d" % h["id"])
    return h


def close(h):
    note("close %d" % h["id"])


def get_size(h):
    return len(disk)


def maybe_fail(what):
    if random.random() < rate:
        raise RuntimeError("flaky: %s failed on purpose" % what)


def pread(h, buf, offset, flags):
    maybe_fail("pread")
    with lock:
        buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    maybe_fail("pwrite")
    with lock:
        disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    maybe_fail("flush")
