# A RAM disk whose reads in the upper half never return (the thread waits on an event nobody
# sets, without holding the GIL), for the fault tests: other requests and connections must still
# be served, and SIGTERM must still end the server.
import threading

import nbdkit

API_VERSION = 2

size = 8 * 1024 * 1024
disk = bytearray(size)
lock = threading.Lock()
never = threading.Event()


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return size


def pread(h, buf, offset, flags):
    if offset >= size // 2:
        never.wait()
    with lock:
        buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    with lock:
        disk[offset:offset + len(buf)] = buf
