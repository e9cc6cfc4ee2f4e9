# Every global callback, traced in order, plus the per-connection ones nbdinfo shows:
# export_description, block_size, is_rotational. cleanup() writes a marker file.
#
#   size=SIZE     disk size (nbdkit.parse_size)
#   refuse=1      preconnect raises: every client is refused
#   marker=FILE   cleanup() writes "cleaned up" to FILE
import builtins
import os

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")
size = 1024 * 1024
refuse = False
marker = None


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def dump_plugin():
    print("lifecycle_dump_plugin=called")


def config(key, value):
    global size, refuse, marker
    trace("config", key, value)
    if key == "size":
        size = nbdkit.parse_size(value)
    elif key == "refuse":
        refuse = value == "1"
    elif key == "marker":
        marker = value
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    trace("config_complete")


def thread_model():
    trace("thread_model")
    return nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS


def get_ready():
    trace("get_ready")


def after_fork():
    trace("after_fork")


def cleanup():
    trace("cleanup")
    if marker:
        with builtins.open(marker, "w") as f:
            f.write("cleaned up\n")


def preconnect(readonly):
    trace("preconnect", "readonly=%s" % readonly)
    if refuse:
        raise RuntimeError("go away")


def open(readonly):
    trace("open", "readonly=%s" % readonly)
    nbdkit.debug("lifecycle: open(readonly=%s)" % readonly)
    return {"n": 0}


def close(h):
    trace("close")


def export_description(h):
    return "a disk for the conformance suite"


def get_size(h):
    return size


def block_size(h):
    return (512, 4096, 1024 * 1024)


def is_rotational(h):
    return True


def pread(h, buf, offset, flags):
    buf[:] = bytes([0x42]) * len(buf)
