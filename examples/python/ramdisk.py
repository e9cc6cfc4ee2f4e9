# A RAM disk written as an nbdkit Python plugin (runs unchanged on nbdkit and jnbdkit).
#
#   jnbdkit python examples/python/ramdisk.py size=1G
#
# The disk is a Python bytearray; it is lost when the server exits.
# Parameters:
#   size=SIZE   disk size, nbdkit syntax (100M, 1G, 512K...); default 100M

import threading

import nbdkit

API_VERSION = 2

size = 100 * 1024 * 1024
disk = None
lock = threading.Lock()


def config(key, value):
    global size
    if key == "size":
        size = nbdkit.parse_size(value)
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    global disk
    disk = bytearray(size)


def thread_model():
    # Requests may run in parallel; the lock keeps the bytearray consistent.
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    nbdkit.debug("ramdisk: open, export name %r" % nbdkit.export_name())
    return 1


def get_size(h):
    return len(disk)


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    with lock:
        buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    with lock:
        disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    pass


def trim(h, count, offset, flags):
    zero(h, count, offset, flags)


def zero(h, count, offset, flags):
    with lock:
        disk[offset:offset + count] = bytes(count)
