# Drives examples/python/error-injection.py started with bad=1M-2M error=ENOSPC.
import errno
import sys
import nbd

h = nbd.NBD()
h.connect_unix(sys.argv[1])
h.pwrite(b"a" * 4096, 0)
assert h.pread(4096, 0) == b"a" * 4096
for f in (lambda: h.pread(4096, (1 << 20) + 8192), lambda: h.pwrite(b"b" * 4096, (1 << 20) + 8192)):
    try:
        f()
        raise AssertionError("expected an error")
    except nbd.Error as e:
        assert e.errnum == errno.ENOSPC, e
assert h.pread(4096, 2 << 20) == bytes(4096)
print("CLIENT OK")
