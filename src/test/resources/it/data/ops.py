# Writes, zeroes and trims on a data disk, then what is there and how it is mapped.
import nbd, sys, hashlib
h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(sys.argv[1])
size = h.get_size()
print("size", size, "ro", h.is_read_only(), "trim", h.can_trim(), "zero", h.can_zero(),
      "fast_zero", h.can_fast_zero(), "flush", h.can_flush(), "fua", h.can_fua(),
      "multi_conn", h.can_multi_conn(), "cache", h.can_cache())

def extents():
    out = []
    def cb(ctx, off, ents, err):
        for i in range(0, len(ents), 2):
            out.append((ents[i], ents[i + 1]))
        return 0
    pos = 0
    while pos < size:
        before = len(out)
        h.block_status(size - pos, pos, cb)
        pos += sum(l for l, _ in out[before:])
    return out

def show(what):
    print(what, hashlib.sha256(h.pread(size, 0)).hexdigest()[:16], extents())

show("start")
h.pwrite(b"\x01" * 100, 1000)
show("after write")
h.zero(100, 1000)
show("after zero of the write")
h.pwrite(b"\x02" * 10, 70000)
h.trim(65536, 65536)
show("after trim of a chunk")
h.zero(32768, 0)
show("after zero of the first chunk")
h.pwrite(bytes(4096), 200000)
show("after writing zeros")
h.flush()
h.pwrite(b"x", size - 1, nbd.CMD_FLAG_FUA)
show("after a FUA write at the end")
