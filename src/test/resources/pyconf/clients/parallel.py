#!/usr/bin/python3
# parallel.py SOCKET N: N reads in flight at once on one connection; prints the elapsed seconds.
import sys
import time

import nbd

h = nbd.NBD()
h.connect_unix(sys.argv[1])
n = int(sys.argv[2])
start = time.monotonic()
bufs = [nbd.Buffer(512) for i in range(n)]
for i in range(n):
    h.aio_pread(bufs[i], i * 4096)
while h.aio_in_flight() > 0:
    h.poll(-1)
print("elapsed=%.2f" % (time.monotonic() - start))
h.shutdown()
