# A read-only disk served from an HTTP(S) URL, fetched with Range requests.
#
#   jnbdkit -r python examples/python/http.py url=https://example.com/disk.img
#
# The server must report Content-Length and honour "Range: bytes=A-B" (answer 206).
# Parameters:
#   url=URL         the image (required)
#   timeout=SECS    per-request timeout (default 30)

import errno
import urllib.error
import urllib.request

import nbdkit

API_VERSION = 2

url = None
timeout = 30.0


def config(key, value):
    global url, timeout
    if key == "url":
        url = value
    elif key == "timeout":
        timeout = float(value)
    else:
        raise RuntimeError("unknown parameter: " + key)


def config_complete():
    if url is None:
        raise RuntimeError("url parameter is required")


def thread_model():
    # Each request makes its own HTTP connection; urllib releases the GIL while it waits.
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    req = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        length = r.headers.get("Content-Length")
        if length is None:
            raise RuntimeError("%s: the server did not send Content-Length" % url)
        ranges = r.headers.get("Accept-Ranges", "")
    nbdkit.debug("http: %s: %s bytes, Accept-Ranges: %s" % (url, length, ranges or "(not sent)"))
    return {"size": int(length)}


def get_size(h):
    return h["size"]


def can_write(h):
    return False


def can_multi_conn(h):
    return True


def can_cache(h):
    return nbdkit.CACHE_NONE


def pread(h, buf, offset, flags):
    end = offset + len(buf) - 1
    req = urllib.request.Request(url, headers={"Range": "bytes=%d-%d" % (offset, end)})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            if r.status != 206:
                nbdkit.set_error(errno.EIO)
                raise RuntimeError("%s: expected 206 Partial Content, got %d" % (url, r.status))
            done = 0
            view = memoryview(buf)
            while done < len(buf):
                n = r.readinto(view[done:])
                if not n:
                    break
                done += n
            view.release()
    except urllib.error.URLError as e:
        nbdkit.set_error(errno.EIO)
        raise RuntimeError("%s: %s" % (url, e)) from e
    if done != len(buf):
        nbdkit.set_error(errno.EIO)
        raise RuntimeError("%s: short read: %d of %d bytes at offset %d" % (url, done, len(buf), offset))
