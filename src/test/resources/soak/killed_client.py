# A real libnbd client that writes and reads its own region until it is killed (SIGKILL) by the
# soak test at a random moment: mid-request, mid-payload, mid-reply.
# usage: killed_client.py SOCKET OFFSET LENGTH
import os
import random
import sys

import nbd

sock, base, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h = nbd.NBD()
h.connect_unix(sock)
print("connected", flush=True)
while True:
    n = random.choice([512, 4096, 65536, 1 << 20])
    off = base + random.randrange(0, max(1, length - n))
    if random.random() < 0.5:
        h.pwrite(os.urandom(n), off)
    else:
        h.pread(n, off)
