# Misbehaviour on demand: the export name picks what each callback does wrong;
# mode=... picks what the global callbacks do.
import errno
import nbdkit

API_VERSION = 2
mode = ""


def config(key, value):
    global mode
    if key == "fail":
        raise ValueError("config refuses " + value)
    if key == "mode":
        mode = value


def config_complete():
    if mode == "fail-complete":
        raise RuntimeError("config_complete says no")


def get_ready():
    if mode == "fail-ready":
        nbdkit.set_error(errno.EPERM)
        raise RuntimeError("get_ready says no")


def thread_model():
    if mode == "bad-model":
        return 7
    return nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS


def list_exports(readonly, is_tls):
    if mode == "exports-int":
        return 42
    if mode == "exports-items":
        return ["ok", 42]
    if mode == "exports-raise":
        raise KeyError("no exports today")
    return ["a", ("b", "B")]


def default_export(readonly, is_tls):
    if mode == "default-int":
        return 1
    return "a"


def open(readonly):
    name = nbdkit.export_name()
    if name == "open-raise":
        nbdkit.set_error(errno.EACCES)
        raise PermissionError("go away")
    return name


def get_size(h):
    if h == "size-str":
        return "abc"
    if h == "size-neg":
        return -1
    if h == "size-float":
        return 1.5
    return 1024 * 1024


def block_size(h):
    if h == "bs-garbage":
        return "abc"
    return (1, 4096, 65536)


def can_write(h):
    if h == "canw-raise":
        raise RuntimeError("can_write failed")
    return True


def pread(h, buf, offset, flags):
    if h == "eio":
        raise RuntimeError("boom")
    if h == "eperm":
        nbdkit.set_error(errno.EPERM)
        raise RuntimeError("not allowed")
    if h == "set-no-raise":
        nbdkit.set_error(errno.EPERM)
    if h == "write-ro":
        buf[0] = 1
    buf[:] = b"\1" * len(buf)


def pwrite(h, buf, offset, flags):
    if h == "write-into-pwrite-buf":
        buf[0] = 1          # the pwrite buffer is read-only
    nbdkit.set_error(errno.ENOSPC)
    raise OSError("disk full")


def zero(h, count, offset, flags):
    if h == "zero-notsup":
        nbdkit.set_error(errno.EOPNOTSUPP)
        raise NotImplementedError("no fast zero here")
    if h == "zero-notsup-return":
        nbdkit.set_error(errno.EOPNOTSUPP)
        return
    nbdkit.set_error(errno.ENOSPC)
    raise OSError("zero failed")


def extents(h, count, offset, flags):
    if h == "ext-garbage":
        return 42
    if h == "ext-pair":
        return [(offset, count)]
    if h == "ext-str":
        return [("a", "b", "c")]
    if h == "ext-raise":
        raise ValueError("no extents")
    if h == "ext-empty":
        return []
    if h == "ext-gen":
        return ((offset + i * 512, 512, i % 3) for i in range(count // 512))
    return [(offset, count, 0)]
