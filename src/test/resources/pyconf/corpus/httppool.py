# A read-only disk from an HTTP server, through a pool of keep-alive connections made in
# after_fork (as plugins that talk to a remote store must: nothing made before the server forks
# survives it). url= names the object; pool= the number of connections. Ranges are fetched
# with GET and a Range header; the size comes from HEAD.
import builtins
import http.client
import os
import queue
import threading
import urllib.parse

import nbdkit

API_VERSION = 2
TRACE = os.environ.get("PYCONF_TRACE")


def trace(*words):
    if TRACE:
        with builtins.open(TRACE, "a") as f:
            f.write(" ".join(str(w) for w in words) + "\n")


url = None
pool_size = 4
pool = None
size = None
stats_lock = threading.Lock()
requests = 0


def config(key, value):
    global url, pool_size
    if key == "url":
        url = urllib.parse.urlsplit(value)
    elif key == "pool":
        pool_size = int(value)
    else:
        raise RuntimeError("unknown parameter %s" % key)


def config_complete():
    if url is None:
        raise RuntimeError("url parameter missing")


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def after_fork():
    global pool, size
    pool = queue.Queue()
    for _ in range(pool_size):
        pool.put(http.client.HTTPConnection(url.hostname, url.port, timeout=60))
    size = int(request("HEAD", {}).getheader("Content-Length"))
    trace("after_fork pool", pool.qsize(), "size", size)


def request(method, headers):
    global requests
    conn = pool.get()
    try:
        conn.request(method, url.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status not in (200, 206):
            raise RuntimeError("%s %s: HTTP %d" % (method, url.path, resp.status))
        resp.body = body
        with stats_lock:
            requests += 1
        return resp
    except Exception:
        conn.close()
        raise
    finally:
        pool.put(conn)


def open(readonly):
    return 1


def get_size(h):
    return size


def can_write(h):
    return False


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    resp = request("GET", {"Range": "bytes=%d-%d" % (offset, offset + len(buf) - 1)})
    if len(resp.body) != len(buf):
        nbdkit.set_error(5)
        raise RuntimeError("short read: %d of %d bytes" % (len(resp.body), len(buf)))
    buf[:] = resp.body


def cleanup():
    trace("cleanup pool", pool.qsize() if pool else None, "requests made", requests > 0)
