def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return b""
