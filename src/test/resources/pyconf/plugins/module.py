# The nbdkit module's functions: parse_size (each config value), export_name (in open),
# debug, shutdown (a read at offset 4096), disconnect (a read at offset 8192; jnbdkit and
# newer nbdkit only).
import builtins
import os

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def config(key, value):
    try:
        trace("parse_size", repr(value), "->", nbdkit.parse_size(value))
    except Exception as e:
        trace("parse_size", repr(value), "->", type(e).__name__)


def open(readonly):
    name = nbdkit.export_name()
    trace("export_name", type(name).__name__, repr(name))
    nbdkit.debug("module: export %r" % name)
    return name


def get_size(h):
    return 64 * 1024


def pread(h, buf, offset, flags):
    if offset == 4096:
        trace("shutdown requested")
        nbdkit.shutdown()
    elif offset == 8192:
        nbdkit.disconnect(True)
    buf[:] = bytes(len(buf))


def cleanup():
    trace("cleanup")
