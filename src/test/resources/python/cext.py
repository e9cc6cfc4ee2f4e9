# C extension modules must import: they need libpython's symbols (RTLD_GLOBAL).
import ctypes
import hashlib
import json
import sqlite3
import ssl
import _decimal
import zlib
import sys

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    db = sqlite3.connect(":memory:")
    db.execute("create table t (x)")
    db.execute("insert into t values (?)", (json.dumps({"ok": 1}),))
    (v,) = db.execute("select x from t").fetchone()
    data = (v + hashlib.sha256(b"x").hexdigest()).encode()
    data = data + b"\0" * (len(buf) - len(data))
    buf[:] = data[:len(buf)]


def _info():
    return "%s|%s|%s|%s" % (ssl.OPENSSL_VERSION, ctypes.sizeof(ctypes.c_void_p), sys.prefix, sys.version.split()[0])
