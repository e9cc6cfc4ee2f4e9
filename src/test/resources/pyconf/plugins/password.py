# nbdkit.read_password(password=...) at config time; the trace gets what it returned or raised.
import builtins
import os

import nbdkit

API_VERSION = 2


def config(key, value):
    try:
        r = repr(nbdkit.read_password(value))
    except Exception as e:
        r = "%s: %s" % (type(e).__name__, e)
    with builtins.open(os.environ["PYCONF_TRACE"], "a") as f:
        f.write("read_password %r -> %s\n" % (value, r))


def open(readonly):
    return 1


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    buf[:] = bytes(len(buf))
