# Drives examples/python/ramdisk.py through libnbd: python3 ramdisk_client.py SOCKET
import sys
import nbd

h = nbd.NBD()
h.connect_unix(sys.argv[1])
assert h.get_size() == 16 * 1024 * 1024, h.get_size()
assert h.can_multi_conn() and h.can_flush() and h.can_fua() and h.can_zero() and h.can_trim()
assert not h.is_read_only()
data = bytes(range(256)) * 256
h.pwrite(data, 1 << 20)
assert h.pread(len(data), 1 << 20) == data
h.pwrite(b"fua", 0, nbd.CMD_FLAG_FUA)
assert h.pread(3, 0) == b"fua"
h.zero(65536, 1 << 20)
assert h.pread(65536, 1 << 20) == bytes(65536)
h.trim(4096, 0)
assert h.pread(3, 0) == bytes(3)
h.flush()
# many requests in flight at once (the plugin is PARALLEL)
cookies = [h.aio_pwrite(bytes([i]) * 4096, i * 4096) for i in range(64)]
while h.aio_in_flight() > 0:
    h.poll(-1)
for c in cookies:
    assert h.aio_command_completed(c)
for i in range(64):
    assert h.pread(4096, i * 4096) == bytes([i]) * 4096
h.shutdown()
print("CLIENT OK")
