# Conformance plugin: a RAM disk whose callbacks, capabilities and failures are chosen by
# environment variables, and which records every callback it sees in a trace file. The same
# script runs under nbdkit and jnbdkit; the tests compare what clients and the trace observe.
#
#   size=SIZE                   (config) disk size, through nbdkit.parse_size; default 1M
#   PYCONF_TRACE=FILE           append one line per callback to FILE
#   PYCONF_CAPS=can_x=V,...     define can_x returning V: 1/0 (True/False), none/emulate/native
#                               (can_fua, can_cache), or any Python literal (e.g. 7 or "yes")
#   PYCONF_OMIT=cb,...          leave these callbacks undefined (pwrite, flush, trim, zero, ...)
#   PYCONF_FAIL=cb=ERR,...      make cb fail: ERR is an errno name (set_error then raise),
#                               "raise" (raise without set_error), a number, "byoffset"
#                               (errno = offset // 512) or "noraise" (set_error(EPERM), no raise)
#   PYCONF_ZERO=MODE            eopnotsupp: zero sets EOPNOTSUPP and raises;
#                               eopnotsupp-return: sets it and returns; fastfail: with
#                               FLAG_FAST_ZERO sets ENOTSUP and raises
#   PYCONF_THREAD=MODEL         thread_model() returns THREAD_MODEL_<MODEL>
import ast
import builtins
import errno
import os
import threading

import nbdkit

API_VERSION = 2

BLOCK = 4096
size = 1024 * 1024
disk = None
state = None           # per-4K-block extent type
lock = threading.Lock()
TRACE = os.environ.get("PYCONF_TRACE")


def env_map(name):
    out = {}
    for item in filter(None, os.environ.get(name, "").split(",")):
        k, _, v = item.partition("=")
        out[k] = v
    return out


CAPS = env_map("PYCONF_CAPS")
FAIL = env_map("PYCONF_FAIL")
OMIT = set(filter(None, os.environ.get("PYCONF_OMIT", "").split(",")))
ZERO_MODE = os.environ.get("PYCONF_ZERO", "")


def trace(*words):
    if TRACE:
        with lock, builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def fl(flags):
    names = [n for n in ("MAY_TRIM", "FUA", "REQ_ONE", "FAST_ZERO")
             if flags & getattr(nbdkit, "FLAG_" + n)]
    return "flags=" + ("|".join(names) or "0")


def maybe_fail(cb, offset=0):
    how = FAIL.get(cb)
    if how is None:
        return
    if how == "noraise":
        nbdkit.set_error(errno.EPERM)
        return
    if how == "byoffset":
        nbdkit.set_error(offset // 512)
    elif how != "raise":
        nbdkit.set_error(int(how) if how.isdigit() else getattr(errno, how))
    raise RuntimeError("%s failed on purpose (%s)" % (cb, how))


def config(key, value):
    trace("config", key, value)
    global size
    if key == "size":
        size = nbdkit.parse_size(value)
    else:
        raise RuntimeError("unknown parameter " + key)


def config_complete():
    trace("config_complete")
    global disk, state
    disk = bytearray(size)
    state = [nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO] * ((size + BLOCK - 1) // BLOCK)


def thread_model():
    return getattr(nbdkit, "THREAD_MODEL_" + os.environ.get("PYCONF_THREAD", "SERIALIZE_ALL_REQUESTS"))


def open(readonly):
    trace("open", "readonly=%s" % readonly, "export=%r" % nbdkit.export_name())
    maybe_fail("open")
    return {"readonly": readonly}


def close(h):
    trace("close")


def get_size(h):
    maybe_fail("get_size")
    return size


def mark(offset, count, typ):
    for b in range(offset // BLOCK, (offset + count + BLOCK - 1) // BLOCK):
        state[b] = typ


def pread(h, buf, offset, flags):
    trace("pread", offset, len(buf), fl(flags))
    maybe_fail("pread", offset)
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    trace("pwrite", offset, len(buf), fl(flags))
    maybe_fail("pwrite", offset)
    disk[offset:offset + len(buf)] = buf
    mark(offset, len(buf), 0)


def flush(h, flags):
    trace("flush", fl(flags))
    maybe_fail("flush")


def trim(h, count, offset, flags):
    trace("trim", offset, count, fl(flags))
    maybe_fail("trim")
    disk[offset:offset + count] = bytes(count)
    mark(offset, count, nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO)


def zero(h, count, offset, flags):
    trace("zero", offset, count, fl(flags))
    maybe_fail("zero")
    if ZERO_MODE == "eopnotsupp":
        nbdkit.set_error(errno.EOPNOTSUPP)
        raise RuntimeError("zero not supported here")
    if ZERO_MODE == "eopnotsupp-return":
        nbdkit.set_error(errno.EOPNOTSUPP)
        return
    if ZERO_MODE == "fastfail" and flags & nbdkit.FLAG_FAST_ZERO:
        nbdkit.set_error(errno.ENOTSUP)
        raise RuntimeError("fast zero not possible")
    disk[offset:offset + count] = bytes(count)
    may_trim = flags & nbdkit.FLAG_MAY_TRIM
    mark(offset, count, nbdkit.EXTENT_ZERO | (nbdkit.EXTENT_HOLE if may_trim else 0))


def cache(h, count, offset, flags):
    trace("cache", offset, count, fl(flags))
    maybe_fail("cache")


def extents(h, count, offset, flags):
    trace("extents", offset, count, fl(flags))
    maybe_fail("extents")
    out = []
    b = offset // BLOCK
    end = min(offset + count, size)
    while b * BLOCK < end:
        start, typ = b, state[b]
        while b * BLOCK < end and state[b] == typ:
            b += 1
        out.append((start * BLOCK, (b - start) * BLOCK, typ))
    return out


def make_cap(name, value):
    if value in ("none", "emulate", "native"):
        prefix = "FUA_" if name == "can_fua" else "CACHE_"
        result = getattr(nbdkit, prefix + value.upper())
    elif value in ("0", "1"):
        result = value == "1"
    else:
        result = ast.literal_eval(value)

    def cap(h):
        trace(name)
        maybe_fail(name)
        return result
    return cap


for _name, _value in CAPS.items():
    globals()[_name] = make_cap(_name, _value)
for _name in OMIT:
    globals().pop(_name, None)
