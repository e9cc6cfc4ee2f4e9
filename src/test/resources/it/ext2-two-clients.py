# Ext2FilterIT: a second client (argv[1] is the Unix socket) is not served while the first is
# connected, and is served once the first has gone (the ext2 filter's thread model).
import sys
import threading
import time
import nbd

sock = sys.argv[1]
h1 = nbd.NBD()
h1.connect_unix(sock)
done = []


def second():
    h2 = nbd.NBD()
    h2.connect_unix(sock)
    done.append(h2.pread(4, 0))
    h2.shutdown()


t = threading.Thread(target=second)
t.start()
time.sleep(1.5)
print("second served while the first is connected:", bool(done))
h1.pread(4, 0)
h1.shutdown()
t.join(60)
print("second served after:", bool(done))
