# Reports which Python runs it, and whether C extensions and the interpreter's packages import.
import ctypes
import json
import sqlite3
import ssl
import sys

API_VERSION = 2


def _info():
    try:
        import nbd  # Debian's python3-libnbd, installed for /usr/bin/python3 only
        has_nbd = "nbd"
    except ImportError:
        has_nbd = "no-nbd"
    return "|".join([sys.version.split()[0], sys.prefix, has_nbd, str(ssl.OPENSSL_VERSION_NUMBER > 0),
                     json.dumps([1]), str(sqlite3.sqlite_version_info > (3,))])


def open(readonly):
    return 1


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    buf[:] = b"i" * len(buf)
