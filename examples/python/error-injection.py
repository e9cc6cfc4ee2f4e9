# A RAM disk that fails on purpose, to test how clients cope with I/O errors.
#
#   jnbdkit python examples/python/error-injection.py size=64M rate=0.1 error=EIO
#   jnbdkit python examples/python/error-injection.py bad=1M-2M,10M-11M error=ENOSPC
#
# Parameters:
#   size=SIZE       disk size (default 64M)
#   rate=FLOAT      probability that any read or write fails (default 0)
#   bad=RANGES      comma-separated START-END byte ranges (nbdkit sizes) where every
#                   read and write fails
#   error=NAME      the errno to report: EIO (default), ENOSPC, EPERM, EINVAL...
#   seed=N          random seed, for repeatable runs

import errno
import random
import threading

import nbdkit

API_VERSION = 2

size = 64 * 1024 * 1024
rate = 0.0
bad = []
err = errno.EIO
rng = random.Random()
disk = None
lock = threading.Lock()


def config(key, value):
    global size, rate, err
    if key == "size":
        size = nbdkit.parse_size(value)
    elif key == "rate":
        rate = float(value)
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
    elif key == "bad":
        for r in value.split(","):
            start, _, end = r.partition("-")
            bad.append((nbdkit.parse_size(start), nbdkit.parse_size(end)))
    elif key == "error":
        err = getattr(errno, value.upper())
    elif key == "seed":
        rng.seed(int(value))
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    global disk
    disk = bytearray(size)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return size


def maybe_fail(what, count, offset):
    hit = any(offset < end and offset + count > start for start, end in bad)
    if hit or (rate > 0 and rng.random() < rate):
        nbdkit.debug("error-injection: failing %s of %d bytes at %d" % (what, count, offset))
        nbdkit.set_error(err)
        raise OSError(err, "injected %s error at offset %d" % (what, offset))


def pread(h, buf, offset, flags):
    maybe_fail("read", len(buf), offset)
    with lock:
        buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    maybe_fail("write", len(buf), offset)
    with lock:
        disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    pass
