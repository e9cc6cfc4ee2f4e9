# The nbdkit 1.44 module functions, probed from Java (Module144Test): each _probe returns a
# string describing results or the exception type and message.
import os

import nbdkit

API_VERSION = 2


def outcome(f):
    try:
        r = f()
        return "%s %r" % (type(r).__name__, r)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)


def open(readonly):
    return None        # nbdkit 1.44: None is a valid handle


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    buf[:] = (repr(h) + " " + connection_report()).encode().ljust(len(buf))[:len(buf)]


def connection_report():
    return "|".join(outcome(f) for f in (
        nbdkit.is_tls, nbdkit.peer_pid, nbdkit.peer_uid, nbdkit.peer_gid,
        nbdkit.peer_tls_dn, nbdkit.peer_tls_issuer_dn, nbdkit.peer_security_context))


def _outside():
    return connection_report()


def _delays():
    return "|".join(outcome(lambda s=s: nbdkit.parse_delay("delay", s)) for s in (
        "1", "1.2", "1.2s", "1.2ms", "120ms", "1.2us", "1.2\u03bcs", "120\u03bcs", "1ns", "0",
        "bad", "", "1.5ns", "-1", "1m", "4294967296"))


def _delay_types():
    return "|".join(outcome(f) for f in (
        lambda: nbdkit.parse_delay("x"), lambda: nbdkit.parse_delay(1, "1"),
        lambda: nbdkit.parse_delay("x", b"1")))


def _probabilities():
    return "|".join(outcome(lambda s=s: nbdkit.parse_probability("p", s)) for s in (
        "0.1", "1e-1", "10%", "1:10", "1/10", "200%", "0", "bad", "-1", "1/0", "10%%", "inf"))


def _sleeps():
    return "|".join(outcome(f) for f in (
        lambda: nbdkit.nanosleep(0, 1000), lambda: nbdkit.nanosleep(1.5, 0),
        lambda: nbdkit.nanosleep(0), lambda: nbdkit.nanosleep(0, 1000000000),
        lambda: nbdkit.nanosleep(-1, 0)))


def _passwords(path, fd):
    return "|".join(outcome(lambda v=v: nbdkit.read_password(v)) for v in (
        "secret", "+" + path, "-%d" % fd, "-1", "-x", "+/nonexistent/pw", "-999", ""))


def _passwords_probe():
    return _passwords(os.environ["PW_FILE"], int(os.environ["PW_FD"]))


def _types():
    return "|".join(outcome(f) for f in (
        lambda: nbdkit.debug(b"x"), lambda: nbdkit.debug(1), lambda: nbdkit.debug(None),
        lambda: nbdkit.debug("a\0b"), lambda: nbdkit.set_error("x"), lambda: nbdkit.set_error(2 ** 40),
        lambda: nbdkit.parse_size(b"1M"), lambda: nbdkit.parse_size("bad"),
        lambda: nbdkit.is_tls(1), lambda: nbdkit.stdio_safe(1), lambda: nbdkit.read_password(None),
        lambda: nbdkit.disconnect(), lambda: nbdkit.export_name(1), lambda: nbdkit.debug(msg="x")))


def _stdio_safe():
    return outcome(nbdkit.stdio_safe)


def _names():
    return "%s %s %r" % (repr(nbdkit.debug), nbdkit.peer_pid.__qualname__, nbdkit.peer_pid.__module__)
