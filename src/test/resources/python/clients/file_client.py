# Writes through examples/python/file.py.
import sys
import nbd

h = nbd.NBD()
h.connect_unix(sys.argv[1])
assert h.get_size() == 1 << 20
assert h.can_fua()
h.pwrite(b"written through NBD", 4096, nbd.CMD_FLAG_FUA)
h.flush()
assert h.pread(18, 4096) == b"written through NBD"[:18]
print("CLIENT OK")
