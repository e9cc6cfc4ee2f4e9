# Runs "SERVER -s memory 1G" with the NBD connection on its stdin/stdout (libnbd's
# connect_command) and reads, writes, zeroes, trims and maps through it.
# Usage: /usr/bin/python3 single.py SERVER
import sys
import nbd

server = sys.argv[1]
h = nbd.NBD()
h.add_meta_context("base:allocation")
h.connect_command([server, "-s", "memory", "1G"])
assert h.get_size() == 1 << 30, h.get_size()
assert h.get_protocol() == "newstyle-fixed", h.get_protocol()

h.pwrite(b"\xab" * 65536, 0)
assert h.pread(65536, 0) == b"\xab" * 65536
h.pwrite(b"\xcd" * 4096, (1 << 30) - 4096)
assert h.pread(4096, (1 << 30) - 4096) == b"\xcd" * 4096
h.zero(4096, 0)
assert h.pread(8192, 0) == b"\0" * 4096 + b"\xab" * 4096
if h.can_trim():
    h.trim(65536, 1 << 20)
    assert h.pread(65536, 1 << 20) == b"\0" * 65536
h.flush()

seen = []
def cb(metacontext, offset, entries, err):
    if metacontext == "base:allocation":
        seen.extend(entries)
    return 0
h.block_status(1 << 20, 0, cb)
assert seen, "no extents"
h.shutdown()
print("single: ok")
