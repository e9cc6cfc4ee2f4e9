# A plugin that prints at load time and in callbacks: in -s mode stdout is the NBD socket,
# so jnbdkit must keep these lines off it.
import nbdkit

print("printed at load time")
API_VERSION = 2


def open(readonly):
    print("printed in open")
    return 1


def get_size(h):
    return 1024


def pread(h, buf, offset, flags):
    print("printed in pread")
    buf[:] = b"p" * len(buf)
