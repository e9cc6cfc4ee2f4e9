#!/usr/bin/python3
# stdio.py SERVER-ARGV...: runs the server with -s through libnbd (stdin/stdout are the NBD
# connection), writes, reads back and prints what it saw.
import hashlib
import sys

import nbd

h = nbd.NBD()
h.connect_command(sys.argv[1:])
print("size", h.get_size())
h.pwrite(b"\x5a" * 4096, 8192)
data = h.pread(16384, 0)
print("read", hashlib.md5(data).hexdigest()[:12], data[8192:8200].hex())
h.shutdown()
print("CLIENT OK")
