#!/usr/bin/python3
# Conformance client (libnbd's Python bindings; run with Debian's /usr/bin/python3).
#
#   probe.py SOCKET EXPORT OP...
#
# Connects to the Unix socket SOCKET asking for EXPORT ("-" means the default export ""),
# runs each OP in order and prints one line per OP: what the client observed. The output is
# meant to be compared between two servers, so it contains no addresses, paths or timings.
#
# OPs (numbers are bytes; FLAGS is a '+'-separated list of fua, nohole, fast, reqone):
#   info                       size, flags the server advertised, block sizes, description
#   read:OFF:LEN               md5 and the first bytes of what was read
#   write:OFF:LEN:BYTE[:FLAGS] write LEN bytes of value BYTE
#   flush | trim:OFF:LEN[:FLAGS] | zero:OFF:LEN[:FLAGS] | cache:OFF:LEN
#   extents:OFF:LEN[:FLAGS]    base:allocation as (length, type) pairs
#   strict                     re-enable libnbd's client-side checks (default: off, so the
#                              server sees every request, advertised or not)
# Errors are printed as the errno name the client saw, e.g. "read:0:512 -> ERR EIO".
import errno
import hashlib
import sys

import nbd

FLAGS = {
    "fua": nbd.CMD_FLAG_FUA,
    "nohole": nbd.CMD_FLAG_NO_HOLE,
    "fast": nbd.CMD_FLAG_FAST_ZERO,
    "reqone": nbd.CMD_FLAG_REQ_ONE,
}


def flags(s):
    f = 0
    for name in filter(None, s.split("+")):
        f |= FLAGS[name]
    return f


def errname(e):
    if e.errno is None:
        return "ERR (no errno) " + e.string.split(":")[0]
    return "ERR " + errno.errorcode.get(e.errno, str(e.errno))


def info(h):
    out = ["size=%d" % h.get_size()]
    for name in ("is_read_only", "can_flush", "can_fua", "can_trim", "can_zero",
                 "can_fast_zero", "can_cache", "can_multi_conn", "can_df", "is_rotational"):
        out.append("%s=%d" % (name, getattr(h, name)()))
    out.append("extents=%d" % h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION))
    out.append("block=%d/%d/%d" % (h.get_block_size(nbd.SIZE_MINIMUM),
                                   h.get_block_size(nbd.SIZE_PREFERRED),
                                   h.get_block_size(nbd.SIZE_MAXIMUM)))
    try:
        out.append("description=%r" % h.get_export_description())
    except nbd.Error:
        out.append("description=None")
    return " ".join(out)


def run(h, op):
    a = op.split(":")
    kind = a[0]
    if kind == "info":
        return info(h)
    if kind == "read":
        data = h.pread(int(a[2]), int(a[1]))
        return "md5=%s head=%s" % (hashlib.md5(data).hexdigest()[:12], data[:8].hex())
    if kind == "write":
        h.pwrite(bytes([int(a[3])]) * int(a[2]), int(a[1]), flags(a[4] if len(a) > 4 else ""))
        return "ok"
    if kind == "flush":
        h.flush()
        return "ok"
    if kind in ("trim", "zero"):
        getattr(h, kind)(int(a[2]), int(a[1]), flags(a[3] if len(a) > 3 else ""))
        return "ok"
    if kind == "cache":
        h.cache(int(a[2]), int(a[1]))
        return "ok"
    if kind == "extents":
        seen = []

        def cb(meta, offset, entries, err):
            if meta == nbd.CONTEXT_BASE_ALLOCATION:
                seen.extend(entries)
            return 0
        h.block_status(int(a[2]), int(a[1]), cb, flags(a[3] if len(a) > 3 else ""))
        return " ".join("%d:%d" % (seen[i], seen[i + 1]) for i in range(0, len(seen), 2))
    raise SystemExit("unknown op " + op)


def main():
    sock, export, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
    h = nbd.NBD()
    h.set_export_name("" if export == "-" else export)
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.set_full_info(True)
    strict = "strict" in ops
    if not strict:
        h.set_strict_mode(0)
    try:
        h.connect_unix(sock)
    except nbd.Error as e:
        print("connect ->", errname(e))
        return
    for op in ops:
        if op == "strict":
            continue
        try:
            print(op, "->", run(h, op))
        except nbd.Error as e:
            print(op, "->", errname(e))
            if h.aio_is_dead() or h.aio_is_closed():
                print("connection lost")
                return
    try:
        h.shutdown()
    except nbd.Error as e:
        print("shutdown ->", errname(e))


main()
