# Drives src/test/resources/python/errors.py: python3 errors_client.py SOCKET
import errno
import sys
import nbd


def connect(name):
    h = nbd.NBD()
    h.set_export_name(name)
    h.connect_unix(sys.argv[1])
    return h


def err_of(f):
    try:
        f()
    except nbd.Error as e:
        return e.errnum
    return 0


h = connect("eperm")
assert err_of(lambda: h.pread(512, 0)) == errno.EPERM
h = connect("eio")
assert err_of(lambda: h.pread(512, 0)) == errno.EIO
h = connect("x")
assert err_of(lambda: h.pwrite(b"x" * 512, 0)) == errno.ENOSPC
assert h.pread(4, 0) == b"\1\1\1\1"
print("CLIENT OK")
