# Serve a local file (or block device) as an nbdkit Python plugin.
#
#   jnbdkit python examples/python/file.py file=disk.img [readonly=true]
#
# Parameters:
#   file=PATH        the file to serve (required)
#   readonly=BOOL    open it read-only (default false)

import errno
import os

import nbdkit

API_VERSION = 2

filename = None
readonly_param = False


def config(key, value):
    global filename, readonly_param
    if key == "file":
        filename = os.path.abspath(value)
    elif key == "readonly":
        readonly_param = value.lower() in ("1", "true", "yes", "on")
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    if filename is None:
        raise RuntimeError("file parameter is required")


def thread_model():
    # os.pread/os.pwrite carry their own offsets, so requests may overlap.
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    flags = os.O_RDONLY if readonly or readonly_param else os.O_RDWR
    return {"fd": os.open(filename, flags)}


def close(h):
    os.close(h["fd"])


def get_size(h):
    return os.fstat(h["fd"]).st_size


def can_write(h):
    return not readonly_param


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    n = len(buf)
    done = 0
    while done < n:
        data = os.pread(h["fd"], n - done, offset + done)
        if not data:
            nbdkit.set_error(errno.EIO)
            raise IOError("short read at offset %d" % (offset + done))
        buf[done:done + len(data)] = data
        done += len(data)


def pwrite(h, buf, offset, flags):
    done = 0
    while done < len(buf):
        done += os.pwrite(h["fd"], buf[done:], offset + done)
    if flags & nbdkit.FLAG_FUA:
        os.fdatasync(h["fd"])


def flush(h, flags):
    os.fdatasync(h["fd"])


def can_fua(h):
    return nbdkit.FUA_NATIVE
