# Threads and locks: a RAM disk under THREAD_MODEL_PARALLEL whose writes are checksummed by a
# background thread started in after_fork (a queue of block numbers; a Condition tells flush
# when the queue is done). Reads and writes of one block never interleave (a lock per stripe of
# blocks). cleanup stops the thread and reports what it did.
import builtins
import hashlib
import os
import queue
import threading

import nbdkit

API_VERSION = 2
BLOCK = 4096
STRIPES = 16
TRACE = os.environ.get("PYCONF_TRACE")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


size = 8 * 1024 * 1024
disk = None
locks = [threading.Lock() for _ in range(STRIPES)]
work = queue.Queue()
sums = {}
sums_lock = threading.Lock()
worker = None
STOP = object()


def config(key, value):
    global size
    if key != "size":
        raise RuntimeError("unknown parameter %s" % key)
    size = nbdkit.parse_size(value)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def checksummer():
    while True:
        n = work.get()
        try:
            if n is STOP:
                return
            with locks[n % STRIPES]:
                data = bytes(disk[n * BLOCK:(n + 1) * BLOCK])
            with sums_lock:
                sums[n] = hashlib.sha256(data).hexdigest()
        finally:
            work.task_done()


def get_ready():
    global disk
    disk = bytearray(size)


def after_fork():
    global worker
    worker = threading.Thread(target=checksummer, name="checksummer", daemon=True)
    worker.start()
    trace("after_fork worker alive", worker.is_alive())


def open(readonly):
    return 1


def get_size(h):
    return size


def can_multi_conn(h):
    return True


def blocks(offset, count):
    return range(offset // BLOCK, (offset + count - 1) // BLOCK + 1)


def pread(h, buf, offset, flags):
    for n in blocks(offset, len(buf)):
        with locks[n % STRIPES]:
            lo, hi = max(offset, n * BLOCK), min(offset + len(buf), (n + 1) * BLOCK)
            buf[lo - offset:hi - offset] = disk[lo:hi]


def pwrite(h, buf, offset, flags):
    for n in blocks(offset, len(buf)):
        with locks[n % STRIPES]:
            lo, hi = max(offset, n * BLOCK), min(offset + len(buf), (n + 1) * BLOCK)
            disk[lo:hi] = buf[lo - offset:hi - offset]
        work.put(n)


def flush(h, flags):
    work.join()


def cleanup():
    work.put(STOP)
    worker.join(60)
    # the checksums the thread kept, over the disk as it is now: a torn or lost update shows
    with sums_lock:
        stale = sum(1 for n, s in sums.items()
                    if s != hashlib.sha256(bytes(disk[n * BLOCK:(n + 1) * BLOCK])).hexdigest())
        trace("cleanup blocks checksummed", len(sums), "stale", stale, "worker alive", worker.is_alive())
