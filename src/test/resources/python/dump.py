import nbdkit

API_VERSION = 2


def dump_plugin():
    print("dump_key=dump_value")
    print("second_key=2")


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
