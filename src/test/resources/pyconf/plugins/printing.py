# A plugin that prints to stdout when it loads and in its callbacks: harmless normally; with
# -s, stdout is the NBD connection.
import nbdkit

API_VERSION = 2
print("printing.py: loading")

disk = bytearray(64 * 1024)


def config(key, value):
    print("printing.py: config", key, value)


def open(readonly):
    print("printing.py: open, export %r" % nbdkit.export_name())
    return 1


def get_size(h):
    print("printing.py: get_size")
    return len(disk)


def pread(h, buf, offset, flags):
    print("printing.py: pread", offset, len(buf))
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    print("printing.py: pwrite", offset, len(buf))
    disk[offset:offset + len(buf)] = buf
