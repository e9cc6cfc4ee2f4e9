import time
import nbdkit

API_VERSION = 2


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return 1 << 20


def pread(h, buf, offset, flags):
    time.sleep(1)
    buf[:] = bytes(len(buf))
