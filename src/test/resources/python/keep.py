# Keeps views of request buffers beyond the callback, as a careless script might.
API_VERSION = 2
kept = None
kept_whole = None
kept_obj = None


def open(readonly):
    return 1


def get_size(h):
    return 1 << 20


def pread(h, buf, offset, flags):
    global kept, kept_whole, kept_obj
    if offset == 0:
        buf[:] = b"A" * len(buf)
        kept = buf[0:8]
    elif offset == 4096:
        buf[:] = b"W" * len(buf)
        kept_whole = buf
    elif offset == 8192:
        kept_obj = buf.obj
        buf[:] = b"O" * len(buf)
    else:
        buf[:] = b"B" * len(buf)


def pwrite(h, buf, offset, flags):
    global kept
    kept = buf[0:4]


def _kept():
    return bytes(kept).decode() if kept is not None else "None"


def _kept_whole():
    return bytes(kept_whole[0:4]).decode()


def _kept_obj_view():
    try:
        memoryview(kept_obj)
        return "usable"
    except ValueError as e:
        return "ValueError: " + str(e)


def _drop():
    global kept, kept_whole
    kept = None
    kept_whole = None
    return "dropped"
