# How the host runs a script and what the nbdkit module accepts, compared between nbdkit and
# jnbdkit (Py144IT): the __main__ module as the script sees it, stdin/stdout in each phase,
# argument types of the functions both servers have, and (jnbdkit, nbdkit >= 1.36) the 1.44
# functions through a real client. One trace line per observation.
import builtins
import os
import sys

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


def outcome(f):
    try:
        r = f()
        return "%s %r" % (type(r).__name__, r)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)


def fd(n):
    link = os.readlink("/proc/self/fd/%d" % n)
    return link.split(":")[0] if ":[" in link else link


def stdio(phase):
    trace("stdio", phase, "0=" + fd(0), "1=" + fd(1))


# -- the module's top level: __main__ as nbdkit runs it ---------------------------------------
trace("main __name__", __name__)
trace("main __file__", os.path.basename(__file__))
trace("main __builtins__", type(__builtins__).__name__, __builtins__ is builtins)
trace("main is sys.modules['__main__']", sys.modules["__main__"].__dict__ is globals())
trace("main __loader__", type(globals().get("__loader__")).__name__)
trace("main __spec__", globals().get("__spec__"))
trace("main sys.argv", sys.argv)
trace("main sys.path[0] is the interpreter's", sys.path[0].startswith(sys.prefix) or sys.path[0].startswith(sys.base_prefix))
stdio("load")

PROBES = os.environ.get("HOST_PROBES", "")


def config(key, value):
    pass


def config_complete():
    trace("after load __file__", "__file__" in globals(), "__cached__" in globals())
    trace("main globals", sorted(k for k in globals() if k.startswith("__")))
    stdio("config_complete")
    for name, f in (
            ("debug(b'x')", lambda: nbdkit.debug(b"x")), ("debug(1)", lambda: nbdkit.debug(1)),
            ("debug(None)", lambda: nbdkit.debug(None)), ("debug('a\\0b')", lambda: nbdkit.debug("a\0b")),
            ("debug()", lambda: nbdkit.debug()), ("debug(a, b)", lambda: nbdkit.debug("a", "b")),
            ("debug(msg=)", lambda: nbdkit.debug(msg="a")), ("debug('ok')", lambda: nbdkit.debug("ok")),
            ("set_error('x')", lambda: nbdkit.set_error("x")), ("set_error(1.5)", lambda: nbdkit.set_error(1.5)),
            ("set_error(2**40)", lambda: nbdkit.set_error(2 ** 40)), ("set_error(True)", lambda: nbdkit.set_error(True)),
            ("parse_size(b'1M')", lambda: nbdkit.parse_size(b"1M")), ("parse_size(1)", lambda: nbdkit.parse_size(1)),
            ("parse_size(None)", lambda: nbdkit.parse_size(None)), ("parse_size('1\\0M')", lambda: nbdkit.parse_size("1\0M")),
            ("parse_size('bad')", lambda: nbdkit.parse_size("bad")), ("parse_size()", lambda: nbdkit.parse_size()),
            ("export_name()", lambda: nbdkit.export_name()), ("export_name(1)", lambda: nbdkit.export_name(1)),
            ("shutdown(1)", lambda: nbdkit.shutdown(1)),
            ("repr(debug)", lambda: repr(nbdkit.debug)), ("debug.__module__", lambda: nbdkit.debug.__module__),
            ("type(debug)", lambda: type(nbdkit.debug).__name__)):
        trace("arg", name, "->", outcome(f))
    if "new" in PROBES:
        trace("new outside", "is_tls", outcome(nbdkit.is_tls), "peer_pid", outcome(nbdkit.peer_pid),
              "stdio_safe", outcome(nbdkit.stdio_safe))


def get_ready():
    stdio("get_ready")


def after_fork():
    stdio("after_fork")


def open(readonly):
    stdio("open")
    if "new" in PROBES:
        pid = outcome(nbdkit.peer_pid)
        if pid.startswith("int "):
            try:
                with builtins.open("/proc/%s/cmdline" % pid[4:], "rb") as f:
                    pid = "a live process: " + os.path.basename(f.read().split(b"\0")[0].decode())
            except OSError as e:
                pid = "no such process " + pid
        trace("new open", "peer_pid", pid)
        trace("new open", "peer_uid", outcome(nbdkit.peer_uid), "== uid", nbdkit.peer_uid() == os.getuid()
              if pid.startswith("a live") else "")
        trace("new open", "peer_gid", outcome(nbdkit.peer_gid))
        trace("new open", "is_tls", outcome(nbdkit.is_tls), "stdio_safe", outcome(nbdkit.stdio_safe))
        trace("new open", "peer_tls_dn", outcome(nbdkit.peer_tls_dn), "issuer", outcome(nbdkit.peer_tls_issuer_dn))
        trace("new open", "nanosleep", outcome(lambda: nbdkit.nanosleep(0, 1000)))
        trace("new open", "peer_security_context", outcome(nbdkit.peer_security_context))
    return None


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    stdio("pread")
    print("printed in pread")
    buf[:] = bytes(len(buf))
