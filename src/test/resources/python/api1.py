# API_VERSION 1 signatures (no API_VERSION: 1 is the default).
disk = bytearray(65536)
calls = []


def open(readonly):
    return {}


def get_size(h):
    return len(disk)


def pread(h, count, offset):
    calls.append(("pread", count, offset))
    if offset == 512:
        return b"short"
    if offset == 1024:
        return 42
    if offset == 2048:
        return memoryview(disk)[offset:offset + count + 10]
    return bytes(disk[offset:offset + count])


def pwrite(h, buf, offset):
    calls.append(("pwrite", len(buf), offset))
    disk[offset:offset + len(buf)] = buf


def flush(h):
    calls.append(("flush",))


def trim(h, count, offset):
    calls.append(("trim", count, offset))


def zero(h, count, offset, may_trim):
    calls.append(("zero", count, offset, may_trim))
    disk[offset:offset + count] = bytearray(count)


def extents(h, count, offset, flags):
    return [(offset, count, 0)]


def _calls():
    r = repr(calls)
    calls.clear()
    return r
