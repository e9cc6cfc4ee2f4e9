# A RAM disk that fails on purpose, for the retry filters' tests: the first N opens
# (fail-open=N), the first N calls of a data callback (fail-pread=N, fail-pwrite=N,
# fail-flush=N, fail-zero=N, fail-trim=N, fail-extents=N), counted over the whole process so a
# reopen does not reset them. Every open, close and failure is appended to events=FILE, so a
# test can compare what the plugin saw under two servers (flushes are logged too). size=N (default 1M).
import builtins
import errno
import nbdkit

API_VERSION = 2

size = 1024 * 1024
data = None
budget = {}
align = 1      # check-align=N: refuse (and log) requests not aligned to N
max_data = 0   # check-max=N: refuse (and log) reads and writes longer than N
events = None
opens = 0


def log(line):
    if events:
        with builtins.open(events, "a") as f:
            f.write(line + "\n")


def config(key, value):
    global size, events
    if key == "size":
        size = int(value)
    elif key == "events":
        events = value
    elif key == "check-align":
        global align
        align = int(value)
    elif key == "check-max":
        global max_data
        max_data = int(value)
    elif key.startswith("fail-"):
        budget[key[5:]] = int(value)
    else:
        raise RuntimeError("unknown parameter " + key)


def config_complete():
    global data
    data = bytearray(size)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def maybe_fail(what):
    n = budget.get(what, 0)
    if n > 0:
        budget[what] = n - 1
        log("fail " + what)
        nbdkit.set_error(errno.EIO)
        raise RuntimeError(what + " failed on purpose")


def check(what, count, offset, data=False):
    if offset % align or count % align or (data and max_data and count > max_data):
        log("bad %s count=%d offset=%d" % (what, count, offset))
        nbdkit.set_error(errno.EINVAL)
        raise RuntimeError("%s of %d at %d breaks the limits" % (what, count, offset))


def open(readonly):
    global opens
    opens += 1
    log("open readonly=%d" % int(readonly))
    maybe_fail("open")
    return opens


def close(h):
    log("close %d" % h)


def get_size(h):
    return size


def can_write(h):
    return True


def can_flush(h):
    return True


def can_trim(h):
    return True


def can_zero(h):
    return True


def can_extents(h):
    return True


def pread(h, buf, offset, flags):
    maybe_fail("pread")
    check("pread", len(buf), offset, True)
    buf[:] = data[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    maybe_fail("pwrite")
    check("pwrite", len(buf), offset, True)
    data[offset:offset + len(buf)] = buf


def flush(h, flags):
    log("flush %d" % h)
    maybe_fail("flush")


def trim(h, count, offset, flags):
    maybe_fail("trim")
    check("trim", count, offset)
    data[offset:offset + count] = bytearray(count)


def zero(h, count, offset, flags):
    maybe_fail("zero")
    check("zero", count, offset)
    data[offset:offset + count] = bytearray(count)


def extents(h, count, offset, flags):
    maybe_fail("extents")
    check("extents", count, offset)
    return [(offset, count, 0)]
