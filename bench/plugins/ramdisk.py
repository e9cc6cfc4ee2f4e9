# A RAM disk as an nbdkit Python plugin, used by bench/ for both servers.
#
#   nbdkit  python bench/plugins/ramdisk.py size=1G
#   jnbdkit python bench/plugins/ramdisk.py size=1G
#
# The disk is one bytearray (default 256 MiB); pread and pwrite are the two
# slice copies every Python RAM disk does, so what is measured is the server's
# path into and out of Python, not the plugin.
import nbdkit

API_VERSION = 2

size = 256 * 1024 * 1024
disk = None

_units = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def config(key, value):
    global size
    if key == "size":
        v = value.strip().lower()
        unit = v[-1] if v and v[-1] in _units else ""
        size = int(v[:len(v) - len(unit)]) * _units[unit]
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
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf
