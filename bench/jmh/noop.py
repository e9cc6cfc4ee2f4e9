# Callbacks that do nothing: PythonCallBench's "noop" measures the server's path into Python alone.
import nbdkit

API_VERSION = 2


def config(key, value):
    pass


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return 64 * 1024 * 1024


def pread(h, buf, offset, flags):
    pass


def pwrite(h, buf, offset, flags):
    pass
