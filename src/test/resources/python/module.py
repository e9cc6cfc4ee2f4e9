# Exercises the nbdkit module's functions.
import nbdkit

API_VERSION = 2


def _constants():
    names = ["THREAD_MODEL_SERIALIZE_CONNECTIONS", "THREAD_MODEL_SERIALIZE_ALL_REQUESTS",
             "THREAD_MODEL_SERIALIZE_REQUESTS", "THREAD_MODEL_PARALLEL",
             "FLAG_MAY_TRIM", "FLAG_FUA", "FLAG_REQ_ONE", "FLAG_FAST_ZERO",
             "FUA_NONE", "FUA_EMULATE", "FUA_NATIVE",
             "CACHE_NONE", "CACHE_EMULATE", "CACHE_NATIVE", "EXTENT_HOLE", "EXTENT_ZERO"]
    return ",".join("%s=%d" % (n, getattr(nbdkit, n)) for n in names)


def _sizes():
    out = [nbdkit.parse_size("100M"), nbdkit.parse_size("1k"), nbdkit.parse_size("512")]
    for bad in ["abc", "-1", "1Q"]:
        try:
            nbdkit.parse_size(bad)
            out.append("accepted " + bad)
        except ValueError as e:
            out.append("ValueError")
    try:
        nbdkit.parse_size(42)
    except TypeError:
        out.append("TypeError")
    return repr(out)


def _debug():
    nbdkit.debug("hello from python")
    return "ok"


def _shutdown():
    nbdkit.shutdown()
    return "ok"


def _export_name_outside():
    try:
        return nbdkit.export_name()
    except RuntimeError as e:
        return "RuntimeError"


def _bad_args():
    out = []
    for f, args in [(nbdkit.debug, ()), (nbdkit.set_error, ("x",)), (nbdkit.shutdown, (1,))]:
        try:
            f(*args)
            out.append("ok")
        except TypeError:
            out.append("TypeError")
    return repr(out)


def open(readonly):
    return nbdkit.export_name()


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    nbdkit.disconnect(False)
    name = nbdkit.export_name().encode()
    buf[:] = (name + b"\0" * len(buf))[:len(buf)]


def _python_thread():
    import threading
    out = []
    t = threading.Thread(target=lambda: out.append(nbdkit.parse_size("2k")))
    t.start()
    t.join()
    return repr(out)
