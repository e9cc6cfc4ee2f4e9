# Ext2FilterIT: opens each export name of argv[2:] in turn on the Unix socket argv[1] (the ext2
# filter's ext2file=exportname mode; the filter serves one connection at a time) and prints, per
# name, its size, the SHA-256 of its bytes and its flags, or the errno the connection failed with.
import errno
import hashlib
import sys
import nbd

sock = sys.argv[1]
for name in sys.argv[2:]:
    h = nbd.NBD()
    h.set_export_name(name)
    try:
        h.connect_unix(sock)
    except nbd.Error as e:
        print(name, "error", errno.errorcode.get(e.errno, e.errno))
        del h
        continue
    size = h.get_size()
    md = hashlib.sha256()
    off = 0
    while off < size:
        n = min(size - off, 4 << 20)
        md.update(h.pread(n, off))
        off += n
    print(name, size, md.hexdigest(), "ro=%d flush=%d fua=%d trim=%d zero=%d multi=%d cache=%d df=%d" % (
        h.is_read_only(), h.can_flush(), h.can_fua(), h.can_trim(), h.can_zero(),
        h.can_multi_conn(), h.can_cache(), h.can_df()))
    h.shutdown()
    del h
