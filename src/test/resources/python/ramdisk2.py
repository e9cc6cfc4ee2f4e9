# API_VERSION 2 test plugin: a small RAM disk that records what it was called with.
import nbdkit
import errno

API_VERSION = 2

disk = bytearray(1024 * 1024)
calls = []
params = {}


def config(key, value):
    params[key] = value


def config_complete():
    calls.append("config_complete")


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    calls.append(("open", readonly, nbdkit.export_name()))
    return {"readonly": readonly, "name": nbdkit.export_name()}


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    calls.append(("pread", len(buf), offset, flags, nbdkit.export_name()))
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    calls.append(("pwrite", len(buf), offset, flags))
    disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    calls.append(("flush", flags))


def trim(h, count, offset, flags):
    calls.append(("trim", count, offset, flags))
    disk[offset:offset + count] = bytearray(count)


def zero(h, count, offset, flags):
    calls.append(("zero", count, offset, flags))
    disk[offset:offset + count] = bytearray(count)


def cache(h, count, offset, flags):
    calls.append(("cache", count, offset, flags))


def extents(h, count, offset, flags):
    calls.append(("extents", count, offset, flags))
    half = count // 2
    return [(offset, half, 0), (offset + half, count - half, nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO)]


def close(h):
    calls.append("close")


def _calls():
    r = repr(calls)
    calls.clear()
    return r


def _params():
    return repr(sorted(params.items()))
