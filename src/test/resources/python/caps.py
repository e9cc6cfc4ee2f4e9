# Every capability callback, returning non-bool truthy/falsy values.
import nbdkit

API_VERSION = 2


def open(readonly):
    return "handle"


def get_size(h):
    return 10 ** 12


def pread(h, buf, offset, flags):
    buf[:] = b"\0" * len(buf)


def export_description(h):
    return "a disk for " + nbdkit.export_name()


def block_size(h):
    return (512, 4096, 1024 * 1024)


def is_rotational(h):
    return 1


def can_multi_conn(h):
    return "yes"


def can_write(h):
    return []


def can_flush(h):
    return True


def can_trim(h):
    return 0


def can_zero(h):
    return True


def can_fast_zero(h):
    return True


def can_fua(h):
    return nbdkit.FUA_NATIVE


def can_cache(h):
    return nbdkit.CACHE_EMULATE


def can_extents(h):
    return False


def list_exports(readonly, is_tls):
    return ["plain", ("described", "the second one"), ("nodesc", None)]


def default_export(readonly, is_tls):
    return "plain" if not is_tls else "tls"


preconnects = []


def preconnect(readonly):
    preconnects.append(readonly)


def get_ready():
    global ready
    ready = True


def after_fork():
    global forked
    forked = True


def _state():
    return repr((ready, forked, preconnects))
