# Prelude of the Python snippets in ProtocolErrorsIT (run with Debian's /usr/bin/python3,
# which has libnbd's bindings). argv[1] is the URI. Defines h (connected, strict mode off so
# that bad requests reach the server), size, and expect_err(errname, fn).
import errno
import sys
import nbd

uri = sys.argv[1]
h = nbd.NBD()
h.add_meta_context("base:allocation")
h.set_strict_mode(0)
h.connect_uri(uri)
size = h.get_size()


def expect_err(name, fn, *alternatives):
    """fn() must fail with errno `name` (or one of the alternatives)."""
    want = [name] + list(alternatives)
    try:
        fn()
    except nbd.Error as e:
        got = errno.errorcode.get(e.errno, str(e.errno))
        assert got in want, "expected %s, got %s (%s)" % ("/".join(want), got, e.string)
        return got
    raise AssertionError("expected %s, but the request succeeded" % "/".join(want))


def still_usable():
    """The connection still works after an error."""
    h.pwrite(b"\x42" * 512, 0)
    assert h.pread(512, 0) == b"\x42" * 512
