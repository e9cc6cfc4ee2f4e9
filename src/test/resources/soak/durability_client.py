# Sends a plain write, a FUA write and a flush through libnbd, one at a time, and prints their
# cookies so the durability test can find their replies in the server's system-call trace.
# usage: durability_client.py SOCKET
import sys

import nbd

h = nbd.NBD()
h.connect_unix(sys.argv[1])


def run(cookie):
    while not h.aio_command_completed(cookie):
        h.poll(-1)
    return cookie


plain = run(h.aio_pwrite(b"P" * 4096, 0))
fua = run(h.aio_pwrite(b"F" * 4096, 8192, flags=nbd.CMD_FLAG_FUA))
flush = run(h.aio_flush())
print("plain=%d fua=%d flush=%d" % (plain, fua, flush), flush=True)
h.shutdown()
