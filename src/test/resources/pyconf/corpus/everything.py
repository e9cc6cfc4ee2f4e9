# Every function of nbdkit 1.44's nbdkit module, each where a real plugin calls it:
#   config:          parse_size, parse_delay, parse_probability, read_password
#   config_complete: stdio_safe
#   open:            export_name, is_tls, peer_pid, peer_uid, peer_gid, peer_security_context,
#                    peer_tls_dn, peer_tls_issuer_dn
#   pread:           debug, set_error (offset 4096: EPERM), nanosleep (offset 8192),
#                    disconnect (offset 12288: False, 16384: True), shutdown (offset 20480)
# A function the server's module lacks (nbdkit 1.32 has only debug, export_name, parse_size,
# set_error, shutdown) is traced as "missing NAME"; every other line starts with the function's
# name and shows its result or exception.
import builtins
import errno
import os
import time

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")
FUNCTIONS = ("debug", "disconnect", "export_name", "is_tls", "nanosleep", "parse_delay", "parse_probability",
             "parse_size", "peer_gid", "peer_pid", "peer_security_context", "peer_tls_dn", "peer_tls_issuer_dn",
             "peer_uid", "read_password", "set_error", "shutdown", "stdio_safe")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def call(name, *args):
    """Calls nbdkit.NAME(*args) and traces what came of it."""
    f = getattr(nbdkit, name, None)
    if f is None:
        trace("missing", name)
        return None
    try:
        r = f(*args)
        trace(name, *[repr(a) for a in args], "->", type(r).__name__, repr(r))
        return r
    except Exception as e:
        trace(name, *[repr(a) for a in args], "->", type(e).__name__ + ":", e)
        return None


trace("module has", " ".join(n for n in FUNCTIONS if hasattr(nbdkit, n)))


def config(key, value):
    if key == "size":
        call("parse_size", value)
    elif key == "delay":
        call("parse_delay", "delay", value)
    elif key == "probability":
        call("parse_probability", "probability", value)
    elif key == "password":
        call("read_password", value)
    else:
        raise RuntimeError("unknown parameter %s" % key)


def config_complete():
    call("stdio_safe")


def open(readonly):
    call("export_name")
    for name in ("is_tls", "peer_pid", "peer_uid", "peer_gid", "peer_security_context", "peer_tls_dn",
                 "peer_tls_issuer_dn"):
        f = getattr(nbdkit, name, None)
        if f is None:
            trace("missing", name)
            continue
        try:
            r = f()
            # the values belong to the client process: only their types are the same every run
            trace(name, "->", type(r).__name__, r if name in ("is_tls", "peer_tls_dn", "peer_tls_issuer_dn") else "")
        except Exception as e:
            trace(name, "->", type(e).__name__ + ":", e)
    return None


def get_size(h):
    return 64 * 1024


def pread(h, buf, offset, flags):
    call("debug", "everything: pread %d" % offset)
    if offset == 4096:
        call("set_error", errno.EPERM)
        raise RuntimeError("everything: refused at 4096")
    if offset == 8192 and hasattr(nbdkit, "nanosleep"):
        t = time.monotonic()
        call("nanosleep", 0, 300 * 1000 * 1000)
        trace("nanosleep slept at least 0.3 s", time.monotonic() - t >= 0.3)
    elif offset == 8192:
        trace("missing", "nanosleep")
    if offset == 12288:
        call("disconnect", False)
    if offset == 16384:
        call("disconnect", True)
    if offset == 20480:
        call("shutdown")
    buf[:] = bytes(len(buf))


def cleanup():
    trace("cleanup")
