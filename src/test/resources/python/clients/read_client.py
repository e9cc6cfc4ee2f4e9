# python3 read_client.py SOCKET EXPECTED_SIZE SHA256: reads the whole disk and checks it.
import hashlib
import sys
import nbd

h = nbd.NBD()
h.connect_unix(sys.argv[1])
size = h.get_size()
assert size == int(sys.argv[2]), size
assert h.is_read_only()
digest = hashlib.sha256()
off = 0
while off < size:
    n = min(1 << 20, size - off)
    digest.update(h.pread(n, off))
    off += n
assert digest.hexdigest() == sys.argv[3], digest.hexdigest()
# unaligned small reads too
assert len(h.pread(7, 3)) == 7
print("CLIENT OK")
