# Several named exports: list_exports (tuples and bare names), default_export, export_name(),
# export_description. Each export is a small read-only disk filled with its first letter.
#
#   default=NAME   what default_export() answers (default "beta")
import builtins
import errno
import os

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")
SIZES = {"alpha": 1024 * 1024, "beta": 2 * 1024 * 1024, "gamma": 3 * 1024 * 1024}
default = "beta"


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def config(key, value):
    global default
    if key == "default":
        default = value
    else:
        raise RuntimeError("unknown parameter: " + key)


def list_exports(readonly, is_tls):
    trace("list_exports", "readonly=%s" % readonly, "is_tls=%s" % is_tls)
    return [("alpha", "the first disk"), "beta", ("gamma", "the third disk")]


def default_export(readonly, is_tls):
    trace("default_export", "readonly=%s" % readonly, "is_tls=%s" % is_tls)
    return default


def open(readonly):
    name = nbdkit.export_name()
    trace("open", repr(name))
    if name not in SIZES:
        nbdkit.set_error(errno.ENOENT)
        raise RuntimeError("no such export: %r" % name)
    return name


def export_description(h):
    return "export %s" % h


def get_size(h):
    return SIZES[h]


def pread(h, buf, offset, flags):
    buf[:] = h[0].encode() * len(buf)
