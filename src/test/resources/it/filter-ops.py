# Runs a list of NBD operations against argv[1] and prints one line per observation, so that two
# servers given the same operations can be compared line by line (the filter ITs). Extents are
# clipped to the request (servers may legally report past it). Operations (numbers in bytes):
#   w:OFF:LEN:BYTE   write LEN bytes of BYTE         t:OFF:LEN          trim
#   z:OFF:LEN[:trim] write zeroes (MAY_TRIM if :trim) c:OFF:LEN          cache (prefetch)
#   r:OFF:LEN        read: md5 of the bytes           e:OFF[:LEN[:one]]  block status
#   f                flush                             flags              the can_* answers
#   wf:OFF:LEN:BYTE  write with FUA                   file:PATH:OFF:LEN  md5 of a file's bytes (the plugin's)
#   put:PATH:OFF:LEN:BYTE  change a file behind the server's back
#   touch:PATH / rm:PATH   create / remove a file (for cow-on-read=/PATH)
# A request the server fails prints "OP error ERRNO" (e.g. "w:0:1:1 error EPERM") and the list goes on.
import hashlib
import os
import sys
import nbd

h = nbd.NBD()
h.add_meta_context("base:allocation")
h.connect_uri(sys.argv[1])
size = h.get_size()


def extents(off, cnt, flags):
    out = []

    def cb(meta, offset, entries, err):
        at = offset
        for i in range(0, len(entries), 2):
            ln, ty = entries[i], entries[i + 1]
            ln = min(ln, off + cnt - at)
            if ln > 0:
                if out and out[-1][1] == ty:
                    out[-1] = (out[-1][0] + ln, ty)
                else:
                    out.append((ln, ty))
            at += entries[i]
    h.block_status(cnt, off, cb, flags)
    return out


def run(op):
    p = op.split(":")
    k = p[0]
    if k == "w":
        h.pwrite(bytes([int(p[3])]) * int(p[2]), int(p[1]))
    elif k == "wf":
        h.pwrite(bytes([int(p[3])]) * int(p[2]), int(p[1]), nbd.CMD_FLAG_FUA)
    elif k == "file":
        with open(p[1], "rb") as f:
            f.seek(int(p[2]))
            print(op, hashlib.md5(f.read(int(p[3]))).hexdigest())
    elif k == "put":
        with open(p[1], "r+b") as f:
            f.seek(int(p[2]))
            f.write(bytes([int(p[4])]) * int(p[3]))
    elif k == "t":
        h.trim(int(p[2]), int(p[1]))
    elif k == "z":
        h.zero(int(p[2]), int(p[1]), nbd.CMD_FLAG_NO_HOLE if len(p) < 4 else 0)
    elif k == "c":
        h.cache(int(p[2]), int(p[1]))
    elif k == "f":
        h.flush()
    elif k == "r":
        data = h.pread(int(p[2]), int(p[1]))
        print(op, hashlib.md5(data).hexdigest())
    elif k == "e":
        off = int(p[1])
        cnt = int(p[2]) if len(p) > 2 else size - off
        print(op, extents(off, cnt, nbd.CMD_FLAG_REQ_ONE if len(p) > 3 else 0))
    elif k == "flags":
        print(op, dict(write=not h.is_read_only(), flush=h.can_flush(), fua=h.can_fua(),
                       trim=h.can_trim(), cache=h.can_cache(), multi_conn=h.can_multi_conn(),
                       df=h.can_df(), extents=h.can_meta_context("base:allocation")))
    elif k == "touch":
        open(op[6:], "w").close()
    elif k == "rm":
        os.unlink(op[3:])
    else:
        raise SystemExit("unknown operation " + op)


for op in sys.argv[2:]:
    try:
        run(op)
    except nbd.Error as e:
        print(op, "error", e.errno)
    sys.stdout.flush()
