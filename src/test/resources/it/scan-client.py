# Watches what the scan filter prefetches, through the log filter placed below it (the ScanFilterIT).
# argv: URI LOGFILE then steps, run in order:
#   connect              open a connection (closing the one before)
#   read:OFF:LEN         read through the current connection
#   wait:N               until the log has N Cache requests (60 s at most)
#   settle:SECONDS       sleep, so that any prefetch the filter should NOT make would show
#   close                close the current connection
#   first:N              print only the first N requests (where how many follow depends on timing)
# Prints the Cache requests the log saw, one "OFFSET COUNT" (hex) a line, in order, then closes.
import re
import sys
import time
import nbd

uri, log = sys.argv[1], sys.argv[2]
CACHE = re.compile(r"Cache id=\d+ offset=(0x[0-9a-f]+) count=(0x[0-9a-f]+) \.\.\.$", re.M)


def caches():
    with open(log) as f:
        return CACHE.findall(f.read())


h = None
first = None
for step in sys.argv[3:]:
    op, _, arg = step.partition(":")
    if op == "connect":
        if h is not None:
            h.shutdown()
        h = nbd.NBD()
        h.connect_uri(uri)
    elif op == "read":
        off, cnt = (int(x) for x in arg.split(":"))
        h.pread(cnt, off)
    elif op == "wait":
        deadline = time.time() + 60
        while len(caches()) < int(arg):
            if time.time() > deadline:
                sys.exit("only %d Cache requests after 60 s: %s" % (len(caches()), caches()))
            time.sleep(0.02)
    elif op == "settle":
        time.sleep(float(arg))
    elif op == "first":
        first = int(arg)
    elif op == "close":
        h.shutdown()
        h = None
    else:
        sys.exit("unknown step " + step)
seen = caches()
for off, cnt in seen[:first] if first is not None else seen:
    print(off, cnt)
sys.stdout.flush()
if h is not None:
    h.shutdown()
