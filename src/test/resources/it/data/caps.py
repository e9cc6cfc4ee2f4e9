# What a plugin advertises, and what each kind of request gets.
import nbd, sys
h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(sys.argv[1])
size = h.get_size()
print("size", size, "ro", h.is_read_only(), "trim", h.can_trim(), "zero", h.can_zero(),
      "fast_zero", h.can_fast_zero(), "flush", h.can_flush(), "fua", h.can_fua(),
      "multi_conn", h.can_multi_conn(), "cache", h.can_cache(),
      "extents", h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION))
def t(name, f):
    try:
        f()
        print(name, "ok")
    except nbd.Error as e:
        print(name, "fails:", nbd.Error.__str__(e).split(": ")[-1] if False else e.errnum)
n = min(size, 8192)
if n and not h.is_read_only():
    b = h.pread(n, 0)
    t("write what is there", lambda: h.pwrite(b, 0))
    t("write something else", lambda: h.pwrite(bytes(x ^ 1 for x in b[:16]), 0))
    t("unaligned write of what is there", lambda: h.pwrite(h.pread(100, 4000), 4000))
    if h.can_zero():
        t("zero", lambda: h.zero(4096, 0))
    if h.can_trim():
        t("trim", lambda: h.trim(4096, 0))
    if h.can_flush():
        t("flush", lambda: h.flush())
