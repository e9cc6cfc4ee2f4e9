# A disk stored in an SQLite database, one row per 4 KiB block (absent rows read as zeros and
# are holes in extents). One database connection per client, opened in open(); a lock guards it
# because callbacks run in parallel. flush commits. db= names the file (relative: the server's
# working directory).
import builtins
import os
import sqlite3
import threading

import nbdkit

API_VERSION = 2
BLOCK = 4096
TRACE = os.environ.get("PYCONF_TRACE")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


db_path = None
size = 0


def config(key, value):
    global db_path, size
    if key == "db":
        db_path = value
    elif key == "size":
        size = nbdkit.parse_size(value)
    else:
        raise RuntimeError("unknown parameter %s" % key)


def config_complete():
    if db_path is None or size % BLOCK:
        raise RuntimeError("db= is required, size= a multiple of %d" % BLOCK)
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS blocks (n INTEGER PRIMARY KEY, data BLOB NOT NULL)")


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


class Handle:
    def __init__(self):
        self.db = sqlite3.connect(db_path, check_same_thread=False)
        self.lock = threading.Lock()

    def block(self, n):
        row = self.db.execute("SELECT data FROM blocks WHERE n = ?", (n,)).fetchone()
        return bytearray(row[0]) if row else bytearray(BLOCK)

    def store(self, n, data):
        if data.count(0) == BLOCK:
            self.db.execute("DELETE FROM blocks WHERE n = ?", (n,))
        else:
            self.db.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?)", (n, bytes(data)))


def open(readonly):
    return Handle()


def close(h):
    h.db.commit()
    h.db.close()


def get_size(h):
    return size


def can_trim(h):
    return True


def can_zero(h):
    return True


def can_extents(h):
    return True


def can_fua(h):
    return nbdkit.FUA_NATIVE


def pread(h, buf, offset, flags):
    with h.lock:
        pos = 0
        while pos < len(buf):
            n, skip = divmod(offset + pos, BLOCK)
            take = min(BLOCK - skip, len(buf) - pos)
            buf[pos:pos + take] = h.block(n)[skip:skip + take]
            pos += take


def pwrite(h, buf, offset, flags):
    with h.lock:
        pos = 0
        while pos < len(buf):
            n, skip = divmod(offset + pos, BLOCK)
            take = min(BLOCK - skip, len(buf) - pos)
            data = h.block(n)
            data[skip:skip + take] = buf[pos:pos + take]
            h.store(n, data)
            pos += take
        if flags & nbdkit.FLAG_FUA:
            h.db.commit()


def zero(h, count, offset, flags):
    pwrite(h, bytearray(count), offset, flags)


def trim(h, count, offset, flags):
    zero(h, count, offset, flags)


def flush(h, flags):
    with h.lock:
        h.db.commit()


def extents(h, count, offset, flags):
    with h.lock:
        first, last = offset // BLOCK, (offset + count - 1) // BLOCK
        present = {r[0] for r in h.db.execute("SELECT n FROM blocks WHERE n BETWEEN ? AND ?", (first, last))}
    out = []
    for n in range(first, last + 1):
        kind = 0 if n in present else nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO
        if out and out[-1][2] == kind:
            out[-1] = (out[-1][0], out[-1][1] + BLOCK, kind)
        else:
            out.append((n * BLOCK, BLOCK, kind))
        if flags & nbdkit.FLAG_REQ_ONE:
            break
    return out


def cleanup():
    with sqlite3.connect(db_path) as db:
        rows, total = db.execute("SELECT count(*), coalesce(sum(length(data)), 0) FROM blocks").fetchone()
    trace("cleanup rows", rows, "bytes", total)
