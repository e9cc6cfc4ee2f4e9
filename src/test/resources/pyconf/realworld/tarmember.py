#!/usr/sbin/nbdkit python
# Serve one member of a tar archive as a read-only disk, without unpacking it.
#
#   nbdkit python tarmember.py tar=images.tar member=disk.img
#
# The member's data is read straight out of the (uncompressed) tar file.
import builtins
import errno
import os
import tarfile

import nbdkit

API_VERSION = 2

tar = None
member = None
offset = None
size = None


def config(key, value):
    global tar, member
    if key == "tar":
        tar = os.path.abspath(value)
    elif key == "member":
        member = value
    else:
        raise RuntimeError("unknown parameter: %s" % key)


def config_complete():
    global offset, size
    if tar is None or member is None:
        raise RuntimeError("tar= and member= are required")
    with tarfile.open(tar, "r:") as t:
        info = t.getmember(member)
        if not info.isfile():
            raise RuntimeError("%s is not a regular file" % member)
        offset, size = info.offset_data, info.size
    nbdkit.debug("tarmember: %s is at %d, %d bytes" % (member, offset, size))


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return builtins.open(tar, "rb")


def close(fh):
    fh.close()


def export_description(fh):
    return "%s from %s" % (member, os.path.basename(tar))


def get_size(fh):
    return size


def can_cache(fh):
    return nbdkit.CACHE_EMULATE


def pread(fh, buf, off, flags):
    n = os.preadv(fh.fileno(), [buf], offset + off)
    if n != len(buf):
        nbdkit.set_error(errno.EIO)
        raise RuntimeError("short read from the tar file")
